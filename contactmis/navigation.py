"""The site navigation: the four areas of the manager's cycle.

Entries name URL patterns; an entry whose pattern is not (yet) installed is simply not shown, so
each app brings its pages without touching the navigation. ``roles`` limits who sees an entry.
"""
from dataclasses import dataclass

from .roles import ANALYST, MANAGER, VIEWER

ALL = (MANAGER, ANALYST, VIEWER)
STAFF = (MANAGER, ANALYST)


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: tuple[str, ...] = ALL


AREAS = (
    (
        "Plan & measure",
        (
            NavItem("Business plans", "measurements:plan-list", STAFF),
            NavItem("Metric catalogue", "measurements:metric-list", STAFF),
            NavItem("Pathways", "pathways:pathway-list", STAFF),
            NavItem("Measurements", "measurements:config-list", STAFF),
            NavItem("Measurement tests", "measurements:test-list", STAFF),
        ),
    ),
    (
        "Collect",
        (
            NavItem("Data sources", "measurements:source-list", STAFF),
            NavItem("Imports", "measurements:batch-list", STAFF),
            NavItem("Collection monitor", "measurements:monitor", STAFF),
        ),
    ),
    (
        "Analyse",
        (
            NavItem("KPIs", "reports:kpis", ALL),
            NavItem("Patterns & trends", "reports:patterns", ALL),
            NavItem("Staffing", "reports:staffing", STAFF),
            NavItem("Forecasts", "reports:forecasts", STAFF),
            NavItem("Queueing science", "reports:queueing", STAFF),
        ),
    ),
    (
        "Present",
        (
            NavItem("Dashboards", "stakeholders:dashboard-list", ALL),
            NavItem("Wallboard", "stakeholders:wallboard", ALL),
            NavItem("Stakeholders", "stakeholders:stakeholder-list", STAFF),
            NavItem("Report schedules", "stakeholders:schedule-list", STAFF),
            NavItem("Report archive", "stakeholders:run-list", ALL),
        ),
    ),
)
