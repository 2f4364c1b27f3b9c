/* Draws the dashboard charts from the JSON endpoints (same origin, Chart.js served locally). */
(function () {
  "use strict";
  if (typeof Chart === "undefined") {
    return;
  }
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family =
    '"PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", "Helvetica Neue", Arial, sans-serif';
  var palette = ["#337ab7", "#d9534f", "#5cb85c", "#f0ad4e", "#5bc0de", "#8e6bbf", "#795548", "#607d8b"];
  var stateColours = {
    running: "#5cb85c", at_risk: "#f0ad4e", breached: "#d9534f", paused: "#5bc0de",
    unknown: "#999999", none: "#cccccc", met: "#337ab7", missed: "#8e6bbf"
  };
  var noData = (document.getElementById("no-data-text") || {}).textContent || "—";

  function isEmpty(data) {
    return !data.labels.length || data.datasets.every(function (set) {
      return set.data.every(function (v) { return v === null || v === 0; });
    });
  }

  function config(name, data) {
    var datasets = data.datasets.map(function (set, i) {
      var colour = palette[i % palette.length];
      return { label: set.label, data: set.data, borderColor: colour, backgroundColor: colour,
               spanGaps: true, tension: 0.2, pointRadius: 3 };
    });
    if (name === "trend" || name === "satisfaction") {
      return { type: "line", data: { labels: data.labels, datasets: datasets },
               options: { scales: { y: name === "trend" ? { min: 0, max: 100 } : { min: 1, max: 5 } },
                          plugins: { legend: { display: name === "trend", position: "bottom",
                                               labels: { boxWidth: 10, font: { size: 10 } } } } } };
    }
    if (name === "clocks") {
      datasets.forEach(function (set, i) {
        set.backgroundColor = i === 0 ? "#f0ad4e" : "#337ab7";
      });
      return { type: "bar", data: { labels: data.labels, datasets: datasets },
               options: { scales: { x: { stacked: true }, y: { stacked: true, ticks: { precision: 0 } } },
                          plugins: { legend: { position: "bottom" } } } };
    }
    if (data.grouped) {
      return { type: "bar", data: { labels: data.labels, datasets: datasets },
               options: { plugins: { legend: { position: "bottom" } } } };
    }
    var horizontal = name === "top_customers";
    datasets[0].backgroundColor = data.labels.map(function (_l, i) { return palette[i % palette.length]; });
    return { type: "bar", data: { labels: data.labels, datasets: datasets },
             options: { indexAxis: horizontal ? "y" : "x",
                        scales: horizontal ? { x: { ticks: { precision: 0 } } } : { y: { ticks: { precision: 0 } } },
                        plugins: { legend: { display: false } } } };
  }

  var canvases = Array.prototype.slice.call(document.querySelectorAll("canvas[data-src]"));
  var pending = canvases.length;
  var drawn = 0;
  function settle() {
    pending -= 1;
    if (pending === 0) {
      document.body.setAttribute("data-charts-ready", String(drawn));
    }
  }
  canvases.forEach(function (canvas) {
    fetch(canvas.getAttribute("data-src"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        var name = canvas.getAttribute("data-chart");
        if (isEmpty(data)) {
          var note = document.createElement("div");
          note.className = "chart-empty";
          note.textContent = noData;
          canvas.parentNode.appendChild(note);
        }
        new Chart(canvas, config(name, data));
        drawn += 1;
      })
      .catch(function (error) {
        var note = document.createElement("div");
        note.className = "chart-empty text-danger";
        note.textContent = String(error);
        canvas.parentNode.appendChild(note);
      })
      .then(settle);
  });
  if (!pending) {
    document.body.setAttribute("data-charts-ready", "0");
  }
}());
