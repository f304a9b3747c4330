// Small enhancements; every page works without them (forms post, pages link).
(function () {
  "use strict";

  // Upload: drop a file anywhere on the zone, show its name, refuse one that is too big.
  function enhanceUpload(form) {
    var zone = form.querySelector("[data-dropzone]");
    var input = form.querySelector("input[type=file]");
    var note = form.querySelector("[data-file-name]");
    var limit = parseInt(form.getAttribute("data-max-bytes") || "0", 10);
    function describe() {
      var file = input.files && input.files[0];
      if (!file) { note.textContent = "No file chosen yet."; return true; }
      if (limit && file.size > limit) {
        note.textContent = file.name + " is too large (" + Math.ceil(file.size / 1048576) + " MB).";
        return false;
      }
      note.textContent = "Chosen: " + file.name + " (" + Math.max(1, Math.round(file.size / 1024)) + " KB)";
      return true;
    }
    input.addEventListener("change", describe);
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) { event.preventDefault(); zone.classList.add("is-over"); });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function () { zone.classList.remove("is-over"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        describe();
      }
    });
    form.addEventListener("submit", function (event) {
      if (!describe()) { event.preventDefault(); input.focus(); }
    });
  }

  // Any form: one submission at a time, with a word on the button while it goes.
  function busyOnSubmit(form) {
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) { return; }
      var button = form.querySelector("[data-busy-label]");
      if (button) {
        button.textContent = button.getAttribute("data-busy-label");
        window.setTimeout(function () { button.disabled = true; }, 0);
      }
    });
  }

  // Pending call: poll the job's status, then show the scorecard.
  function poll(section) {
    var url = section.getAttribute("data-poll");
    var done = section.getAttribute("data-done-url");
    var text = section.querySelector("[data-status-text]");
    var bar = section.querySelector("[data-progress]");
    if (!text) { return; }
    var words = { queued: "Waiting for a scorer…", scoring: "Scoring the call…", scored: "Scored. Opening the scorecard…" };
    var delay = 700;
    function tick() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error("status " + response.status); }
          return response.json();
        })
        .then(function (body) {
          if (body.status === "scored" || body.status === "failed") {
            text.textContent = body.status === "scored" ? words.scored : "Scoring failed.";
            if (bar) { bar.value = 3; }
            window.location.replace(done);
            return;
          }
          text.textContent = words[body.status] || body.status;
          if (bar) { bar.value = body.status === "scoring" ? 2 : 1; }
          delay = Math.min(delay * 1.3, 4000);
          window.setTimeout(tick, delay);
        })
        .catch(function () {
          text.textContent = "Lost contact with the server; retrying…";
          window.setTimeout(tick, 4000);
        });
    }
    window.setTimeout(tick, delay);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-upload-form]").forEach(enhanceUpload);
    document.querySelectorAll("form").forEach(busyOnSubmit);
    document.querySelectorAll("[data-poll]").forEach(poll);
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
