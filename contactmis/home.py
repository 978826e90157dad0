"""Home-page panels contributed by the apps.

Each app may offer ``<app>.home.home_panel(request)`` returning a dict (title, body lines, a link,
a status of ``ok``/``warn``/``fail``/``empty``, ``wide`` to lead across the page) or ``None``.
The project package only collects them, so it never imports a higher app by name.
"""
import logging
from importlib import import_module

from django.apps import apps

logger = logging.getLogger(__name__)
PANEL_APPS = ("pathways", "measurements", "reports", "stakeholders")


def home_panels(request):
    panels = []
    for label in PANEL_APPS:
        if not apps.is_installed(label):
            continue
        try:
            module = import_module(f"{label}.home")
        except ModuleNotFoundError:
            continue
        panel = module.home_panel(request)
        if panel:
            panels.extend(panel if isinstance(panel, list) else [panel])
    # Wide panels (the service against target) lead, across the page.
    return sorted(panels, key=lambda p: not p.get("wide"))
