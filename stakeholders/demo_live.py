"""The demo is alive: while ``make demo`` serves, today's simulated calls of the in-house ACD are
written to a queue_log in real time and followed like a real one (``measurements.services.
follow``), so the wallboard and the intraday dashboards move.

Started as a daemon thread of the demo server (``CONTACTMIS_DEMO_LIVE=1`` with ``runserver``,
see ``stakeholders.apps``); it dies with the server. It does nothing when the demo data is not
loaded (no in-house ACD source). When the centre is closed at the moment the server starts (the
demo is often opened in the evening), the simulated day is shifted so that its opening lands
within today, at most two hours ago, so there is always a floor to watch.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)

ACD_SOURCE = "In-house ACD (Asterisk)"
#: Seconds a demo source may stay silent before the wallboard calls it stale.
DEMO_QUIET_S = 600
#: Hours of the simulated day already "past" when the centre was closed at start-up.
CATCH_UP_H = 2


def demo_live_day(centre, today: dt.date, now: dt.datetime) -> list[tuple[int, str]]:
    """``(epoch, line)`` of the in-house ACD's simulated ``today``, in time order, shifted
    when the centre is closed at ``now`` (see the module docstring)."""
    from measurements.simulator import simulate
    from measurements.simulator.config import default_centre
    from measurements.simulator.exports import asterisk_lines

    from .demo import DEMO_SCALE, DEMO_SEED

    sim = simulate(today, today, seed=DEMO_SEED + today.toordinal() % 997, scale=DEMO_SCALE,
                   time_zone=centre.time_zone, config=default_centre(centre.time_zone))
    lines = sorted(((int(line.split("|", 1)[0]), line) for month in
                    asterisk_lines(sim).values() for line in month), key=lambda x: x[0])
    if not lines:
        return []
    first, last = lines[0][0], lines[-1][0]
    epoch = now.timestamp()
    shift = 0
    if not first <= epoch <= last:
        midnight = dt.datetime.combine(today, dt.time(), tzinfo=centre.tz).timestamp()
        shift = int(max(midnight, epoch - CATCH_UP_H * 3600) - first)
    return [(e + shift, _shifted(line, shift)) for e, line in lines]


def _shifted(line: str, shift: int) -> str:
    if not shift:
        return line
    epoch, rest = line.split("|", 1)
    return f"{int(epoch) + shift}|{rest}"


def demo_live_run(stop: threading.Event, *, poll_s: float = 1.0) -> None:
    """Write the simulated day's lines as their time comes and follow the file, until
    ``stop`` is set. A new local day starts a new simulated day (the file is rotated)."""
    from django.utils import timezone

    from contactmis.selectors import centre_current
    from measurements.models import DataSource, SourceFollow
    from measurements.services.follow import follow_claim, follow_poll, follow_release

    close_old_connections()
    source = DataSource.objects.filter(name=ACD_SOURCE).select_related("centre").first()
    if source is None or centre_current() is None:
        logger.info("demo live: no demo data loaded; nothing to simulate")
        return
    centre = source.centre
    folder = Path(settings.VAR_DIR) / "demo-live"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "queue_log"
    follow, _ = SourceFollow.objects.get_or_create(
        source=source, defaults={"path": str(path), "quiet_s": DEMO_QUIET_S})
    if follow.path != str(path):
        follow.path = str(path)
        follow.save(update_fields=["path"])
    day, pending = None, []
    while not stop.is_set():
        now = timezone.now()
        today = now.astimezone(centre.tz).date()
        if today != day:
            day = today
            lines = demo_live_day(centre, today, now)
            written = _last_epoch(path)
            if written is None or dt.datetime.fromtimestamp(written, tz=centre.tz).date() \
                    != today:
                if path.exists():
                    path.rename(folder / "queue_log.1")  # a new day: rotate, as logrotate would
                written = 0
            pending = [(e, line) for e, line in lines if e > written]
        due = 0
        while due < len(pending) and pending[due][0] <= now.timestamp():
            due += 1
        if due:
            with open(path, "a") as fh:
                fh.write("".join(line + "\n" for _, line in pending[:due]))
            pending = pending[due:]
        try:
            if follow_claim(follow, owner_until=follow.lease_until):
                follow.refresh_from_db(fields=["offset", "inode", "head", "lines_read",
                                               "rotations"])
                follow_poll(follow)
        except Exception:  # the demo keeps serving whatever one poll met
            logger.exception("demo live: poll failed")
        stop.wait(poll_s)
    follow_release(follow)
    close_old_connections()


def _last_epoch(path: Path) -> int | None:
    if not path.exists() or not path.stat().st_size:
        return None
    with open(path, "rb") as fh:
        fh.seek(max(0, path.stat().st_size - 4096))
        tail = fh.read().decode("utf-8", "replace").strip().splitlines()
    try:
        return int(tail[-1].split("|", 1)[0])
    except (IndexError, ValueError):
        return None


_started = threading.Event()


def demo_live_start() -> threading.Thread | None:
    """Start the demo's live thread once per process (a daemon: it ends with the server)."""
    if _started.is_set():
        return None
    _started.set()
    stop = threading.Event()

    def run():
        stop.wait(2.0)  # let the server finish starting
        try:
            demo_live_run(stop)
        except Exception:
            logger.exception("demo live stopped")

    thread = threading.Thread(target=run, name="demo-live", daemon=True)
    thread.start()
    return thread
