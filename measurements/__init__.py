"""Measurements: business plan → KPIs and targets, the metric catalogue, measurement
configuration per pathway step, data sources, ingestion, canonical contact facts, interval
rollups, measurement tests and data quality."""
