// Polls a report's status while it is generated; reloads the page when it is ready or failed.
(function () {
  "use strict";
  var box = document.getElementById("report-progress");
  if (!box) return;
  var url = box.getAttribute("data-status-url");
  var bar = box.querySelector("progress");
  var step = box.querySelector("[data-role=step]");
  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (!state) { window.setTimeout(poll, 3000); return; }
        bar.value = state.progress;
        bar.textContent = state.progress + "%";
        if (state.step) step.textContent = state.step;
        if (state.status === "ready" || state.status === "failed") { window.location.reload(); return; }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
