// Follows work still under way for the page (a lineage refresh, rescoring): polls the status URL and reloads the
// page once nothing is pending. If a form on the page has been typed into, it offers the reload instead of
// throwing the typing away.
(function () {
  "use strict";
  var box = document.getElementById("pending-work");
  if (!box) return;
  var url = box.getAttribute("data-status-url");
  var message = box.querySelector("[data-role=message]");
  var typed = false;
  document.addEventListener("input", function () { typed = true; });
  function done() {
    if (!typed) { window.location.reload(); return; }
    var spinner = box.querySelector(".spinner-border");
    if (spinner) spinner.remove();
    var link = document.createElement("a");
    link.href = window.location.href;
    link.textContent = "Reload to see the results";
    message.textContent = "The pending work is done. ";
    message.appendChild(link);
    box.classList.replace("alert-info", "alert-success");
  }
  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (state && !state.pending) { done(); return; }
        window.setTimeout(poll, state ? 2000 : 5000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1500);
})();
