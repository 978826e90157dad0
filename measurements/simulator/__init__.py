"""A queueing simulation of a multi-channel contact centre that writes real export formats.

Pure package (numpy, pandas and the standard library only): ``simulate`` runs the centre,
``write_exports`` writes Asterisk queue_log, Amazon Connect contact records, IVR, CRM, agent
state and survey CSVs plus ``manifest.json`` and the ground truth. ``default_period`` gives the
default simulated period (the last 13 months up to yesterday, local to the centre).
"""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from .config import CentreConfig, default_centre
from .exports import write_exports
from .run import SimulationResult, simulate

__all__ = ["CentreConfig", "SimulationResult", "default_centre", "default_period",
           "period_ending", "simulate", "write_exports"]


def period_ending(end: date) -> tuple[date, date]:
    """The 13 calendar months ending with ``end``: from the 1st of the month twelve months
    before ``end``'s month (12 full months plus the month to date)."""
    return date(end.year - 1, end.month, 1), end


def default_period(time_zone: str, now: datetime | None = None) -> tuple[date, date]:
    """The default simulated period: the 13 months up to yesterday in ``time_zone``.

    ``now`` must be tz-aware (default: the current time).
    """
    now = now or datetime.now(ZoneInfo(time_zone))
    return period_ending(now.astimezone(ZoneInfo(time_zone)).date() - timedelta(days=1))
