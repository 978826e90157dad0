"""Report models (forecasts as issued, report runs) live here as the analysis and reporting
features add them."""
