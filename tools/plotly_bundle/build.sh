#!/bin/sh
# Rebuild static/vendor/plotly-dashboards.min.js: plotly.js core (scatter) plus the bar, heatmap,
# sankey and table traces, the only ones dashboard widgets draw. The plotly.js version must be the
# one bundled with the installed plotly package (tests/stakeholders/test_plotly_bundle.py checks).
# Needs node and npm; run it after upgrading plotly, from any directory.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
npm install --no-audit --no-fund --no-save
npx esbuild entry.js --bundle --minify --format=iife --global-name=Plotly --target=es2016 \
  --define:global=window --define:define.amd=false --define:process.env.NODE_DEBUG=false \
  --alias:stream=stream-browserify \
  --banner:js="/* plotly.js (MIT, Plotly, Inc.): core, bar, heatmap, sankey, table. Built by tools/plotly_bundle/build.sh. */" \
  --outfile=build/plotly-dashboards.min.js
cp build/plotly-dashboards.min.js ../../static/vendor/plotly-dashboards.min.js
ls -l ../../static/vendor/plotly-dashboards.min.js
