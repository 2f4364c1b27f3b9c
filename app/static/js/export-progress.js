/* Polls an export task's status until its file is ready or it failed. */
(function () {
  "use strict";
  var box = document.getElementById("export-task");
  if (!box) { return; }
  function show(state) {
    document.getElementById("export-status").textContent = state.status_label;
    document.getElementById("export-count").textContent = state.progress + " / " + state.total;
    var bar = document.getElementById("export-bar");
    bar.style.width = state.percent + "%";
    bar.textContent = state.percent + " %";
    if (state.status === "done") {
      document.getElementById("export-download").classList.remove("hidden");
      return true;
    }
    if (state.status === "failed") {
      bar.classList.add("progress-bar-danger");
      document.getElementById("export-message").textContent = state.message;
      return true;
    }
    return false;
  }
  function poll() {
    fetch(box.getAttribute("data-status-url"), { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (state) { if (!show(state)) { setTimeout(poll, 1500); } })
      .catch(function () { setTimeout(poll, 5000); });
  }
  poll();
}());
