// The questionnaire form: show a conditional question only when its condition holds, and keep what is typed in
// this browser's storage until it is saved, so a reload or an expired session loses nothing.
(function () {
  "use strict";
  var form = document.querySelector("form.questionnaire");
  if (!form) { return; }
  var key = "rr-draft:" + form.getAttribute("data-draft-key");

  function valuesOf(questionId) {
    var fields = form.querySelectorAll('[name="q:' + questionId + '"]');
    var values = [];
    fields.forEach(function (field) {
      if ((field.type === "radio" || field.type === "checkbox") && !field.checked) { return; }
      if (field.value) { values.push(field.value); }
    });
    return values;
  }

  function applyConditions() {
    form.querySelectorAll("[data-show-q]").forEach(function (box) {
      var wanted = box.getAttribute("data-show-in").split("|");
      var target = document.getElementById("q-" + box.getAttribute("data-show-q"));
      var shown = !(target && target.hidden) && valuesOf(box.getAttribute("data-show-q")).some(function (v) {
        return wanted.indexOf(v) !== -1;
      });
      box.hidden = !shown;
      var hint = box.querySelector(".show-if-hint");
      if (hint) { hint.hidden = true; }
    });
  }

  function snapshot() {
    var data = {};
    form.querySelectorAll("input, textarea, select").forEach(function (field) {
      if (!field.name || field.type === "file" || field.type === "hidden" || field.disabled) { return; }
      if (field.type === "radio" || field.type === "checkbox") {
        data[field.id] = field.checked;
      } else {
        data[field.id] = field.value;
      }
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

  if (!form.querySelector("button[type=submit]")) {
    window.localStorage.removeItem(key);  // read-only: submitted, nothing to keep
  } else if (document.querySelector(".alert-success")) {
    window.localStorage.removeItem(key);  // just saved: the server has it all
  } else {
    restore();
  }
  form.addEventListener("input", function () {
    applyConditions();
    try { window.localStorage.setItem(key, JSON.stringify(snapshot())); } catch (e) { /* storage full or off */ }
  });
  form.addEventListener("change", applyConditions);
  // Buttons that end something (removing a file) ask first.
  form.querySelectorAll("button[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
  applyConditions();
}());
