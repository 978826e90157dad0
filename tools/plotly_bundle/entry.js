'use strict';
// ContactMIS dashboards: plotly.js core (scatter) and the other traces the widgets draw.
var Plotly = require('plotly.js/lib/core');
Plotly.register([
    require('plotly.js/lib/bar'),
    require('plotly.js/lib/heatmap'),
    require('plotly.js/lib/sankey'),
    require('plotly.js/lib/table'),
]);
module.exports = Plotly;
