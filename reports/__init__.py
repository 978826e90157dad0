"""Reports: analysis (pure pandas/numpy), charts (pure Plotly), report templates, rendering and
the archive of report runs."""
