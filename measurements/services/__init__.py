"""Writes and orchestration of the measurements app, one module per feature.

Measurement design: :mod:`measurements.services.design`. Data collection:
:mod:`measurements.services.ingest` (``batch_create``, ``batch_process``, ``batch_retry``,
``source_create``/``source_update``) and :mod:`measurements.services.rollup` (``rollup_rebuild``).
"""
