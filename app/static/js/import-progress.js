/* Polls an import task until it is done or refused; then shows its outcome. */
(function () {
  "use strict";
  var box = document.getElementById("import-task");
  if (!box) { return; }
  function show(state) {
    document.getElementById("import-status").textContent = state.status_label;
    document.getElementById("import-count").textContent = state.progress + " / " + state.total;
    var bar = document.getElementById("import-bar");
    bar.style.width = state.percent + "%";
    bar.textContent = state.percent + " %";
    if (state.status === "done" || state.status === "failed") {
      var message = document.getElementById("import-message");
      message.textContent = state.message;
      message.className = state.status === "done" ? "text-success" : "text-danger";
      if (state.status === "failed") { bar.classList.add("progress-bar-danger"); }
      if (state.report) { document.getElementById("import-report").classList.remove("hidden"); }
      return true;
    }
    return false;
  }
  function poll() {
    fetch(box.getAttribute("data-status-url"), { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (state) { if (!show(state)) { setTimeout(poll, 1000); } })
      .catch(function () { setTimeout(poll, 5000); });
  }
  poll();
}());
