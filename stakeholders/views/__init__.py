"""Pages of the stakeholders app, one module per feature."""
