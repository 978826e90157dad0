"""A web worker's start-up (``contactmis.startup``): every view loaded before the first visitor,
and what start-up loaded kept out of the garbage collector's sweeps."""
import gc
import sys

from contactmis.startup import warm_up


def test_warm_up_loads_the_views_and_freezes_what_it_loaded():
    gc.unfreeze()
    try:
        warm_up()
        assert "stakeholders.views.dashboards" in sys.modules  # reached through the URLconf
        assert "statsmodels.tsa.holtwinters" in sys.modules
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # modules, classes and functions of the loaded packages
        # A full collection no longer walks them: it sees only what was made since.
        assert len(gc.get_objects(generation=2)) < frozen
    finally:
        gc.unfreeze()
