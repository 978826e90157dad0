"""Pages of the measurements app, one module per feature."""
