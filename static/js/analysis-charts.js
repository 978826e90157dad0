// Draws each chart of an analysis page from the figure JSON beside it
// (<script type="application/json" class="chart-figure" data-for="chart id">).
document.querySelectorAll("script.chart-figure").forEach(function (source) {
  var el = document.getElementById(source.dataset.for);
  var fig = JSON.parse(source.textContent);
  Plotly.newPlot(el, fig.data, fig.layout, {responsive: true, displaylogo: false});
});
