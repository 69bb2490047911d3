/* Behaviour the pages need, kept out of the HTML: the Content-Security-Policy allows no inline script or style. */
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Progress bars carry their width as data-progress (0-100); setting it through the CSSOM is allowed by the CSP.
  for (const bar of document.querySelectorAll("[data-progress]")) {
    const percent = Math.max(0, Math.min(100, Number(bar.dataset.progress) || 0));
    bar.style.width = `${percent}%`;
  }
});
