"""What a web process does once, before its first visitor: load what every request would
otherwise load on demand, then take the loaded objects out of the garbage collector's sweeps.

A web worker holds a couple of hundred thousand long-lived objects after Django, pandas, Plotly
and statsmodels are imported (modules, classes, functions, URL patterns). Python's full
collection walks all of them: about 0.2 s that lands on whichever request happens to trigger it —
a tenth of a page's budget spent on objects that live as long as the process. ``gc.freeze()``
moves them to a generation the collector never sweeps; objects created by requests are collected
as before.
"""
import gc


def preload() -> None:
    """The URLconf with every view (and so every module a view imports), and the analysis
    engine's slowest imports (statsmodels takes seconds), loaded while the worker starts rather
    than in the first visitor's request."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018
    import statsmodels.tsa.holtwinters  # noqa: F401


def warm_up() -> None:
    """:func:`preload`, then freeze what is loaded (collected once first, so nothing dead is
    kept)."""
    preload()
    gc.collect()
    gc.freeze()
