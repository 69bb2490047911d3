// The attestation signing form: keep what is typed in this browser's storage until the server has it (a saved
// draft or the signature), so a reload or an expired session before saving loses nothing.
(function () {
  "use strict";
  var form = document.querySelector("form.attestation-form");
  if (!form) {
    var done = document.querySelector("[data-draft-key]");  // signed or closed: nothing left to keep
    if (done) { window.localStorage.removeItem("rr-draft:" + done.getAttribute("data-draft-key")); }
    return;
  }
  var key = "rr-draft:" + form.getAttribute("data-draft-key");

  function snapshot() {
    var data = {};
    form.querySelectorAll("input, textarea").forEach(function (field) {
      if (!field.id || field.type === "hidden" || field.id === "sig-authorised") { return; }
      data[field.id] = (field.type === "radio" || field.type === "checkbox") ? field.checked : field.value;
    });
    return data;
  }

  function restore() {
    var saved;
    try { saved = JSON.parse(window.localStorage.getItem(key) || "null"); } catch (e) { saved = null; }
    if (!saved) { return; }
    Object.keys(saved).forEach(function (id) {
      var field = document.getElementById(id);
      if (!field) { return; }
      if (field.type === "radio" || field.type === "checkbox") { field.checked = saved[id]; } else { field.value = saved[id]; }
    });
  }

  if (document.querySelector(".alert-success")) {
    window.localStorage.removeItem(key);  // just saved: the server has it all
  } else {
    restore();
  }
  form.addEventListener("input", function () {
    try { window.localStorage.setItem(key, JSON.stringify(snapshot())); } catch (e) { /* storage full or off */ }
  });
}());
