"""Browser forms of the measurements app, one module per feature."""
