"""Pure analysis of contact-centre data: pandas/numpy/scipy/statsmodels only.

DataFrames and plain values in, DataFrames or dataclasses out; nothing here imports Django or the
apps (``tests/test_architecture.py`` enforces it). Every KPI is a ratio of sums of additive
components, so any granularity or segment is computed the same way and never averages averages.
"""
