// Draws every dashboard figure with the local Plotly bundle; a click on a point opens the
// intervals and contacts behind it (the server checks the scope again). A dashboard showing
// today checks for new data every few seconds and swaps its widgets in place (no reload).
(function () {
  function draw(root) {
    root.querySelectorAll(".plot").forEach(function (el) {
      var data = JSON.parse(el.querySelector("script").textContent);
      var spark = el.classList.contains("spark");
      Plotly.newPlot(el, data.data, data.layout, {
        responsive: true, displaylogo: false, displayModeBar: !spark, staticPlot: false,
        modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"]
      });
      var drill = el.dataset.drill;
      if (!drill || spark) return;
      el.on("plotly_click", function (ev) {
        var p = ev.points && ev.points[0];
        if (!p || p.x === undefined || typeof p.x !== "string") return;
        var url = new URL(drill, window.location.href);
        if (p.data && p.data.meta === "comparison") {
          // The comparison line: drill to the compared point's own date.
          url.searchParams.set("at", p.customdata[0]);
        } else {
          url.searchParams.set("at", p.x.replace(" ", "T"));
          if (p.customdata && p.customdata[0] !== undefined) url.searchParams.set("key", p.customdata[0]);
        }
        window.location.href = url.toString();
      });
    });
  }
  draw(document);

  var grid = document.querySelector(".dash-grid[data-live-every]");
  if (!grid) return;
  var busy = false;
  setInterval(function () {
    if (busy || document.hidden) return;
    busy = true;
    fetch(window.location.href, {credentials: "same-origin"})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html")
          .querySelector(".dash-grid[data-live-every]");
        if (!fresh || fresh.dataset.version === grid.dataset.version) return;
        grid.querySelectorAll(".plot").forEach(function (el) { Plotly.purge(el); });
        grid.innerHTML = fresh.innerHTML;
        grid.dataset.version = fresh.dataset.version;
        draw(grid);
      })
      .catch(function () {})
      .then(function () { busy = false; });
  }, (parseFloat(grid.dataset.liveEvery) || 10) * 1000);
})();
