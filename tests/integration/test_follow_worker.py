"""Following a queue_log on the real PostgreSQL, Redis and a real Celery worker: lines appended
(with a log rotation and a follower killed and restarted in the middle) show in the live state
and the day's rollups, and the final figures equal a batch import of the same lines — nothing
counted twice, nothing lost."""
import datetime as dt

import pytest

from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

DAY = dt.date(2026, 11, 19)
FIELDS = ("offered", "answered", "abandoned", "flowed_out", "handled", "transfers",
          "wait_answered_s", "wait_abandoned_s", "talk_s", "answered_le_20s", "abandoned_le_5s")


def _day_lines():
    """The simulated in-house ACD's 19 Nov 2026 (a Thursday), in time order."""
    from measurements.simulator import simulate
    from measurements.simulator.config import default_centre
    from measurements.simulator.exports import asterisk_lines

    sim = simulate(DAY, DAY, seed=11, scale=0.2, time_zone="Europe/London",
                   config=default_centre("Europe/London"))
    lines = [line for month in asterisk_lines(sim).values() for line in month]
    return sorted(lines, key=lambda line: int(line.split("|", 1)[0]))


def _figures(source):
    from django.db.models import Sum

    from measurements.models import AgentIntervalStat, Contact, IntervalStat

    by_queue = {row["queue__code"]: {f: row[f] for f in FIELDS} for row in
                IntervalStat.objects.filter(source=source).values("queue__code")
                .annotate(**{f: Sum(f) for f in FIELDS})}
    by_interval = sorted(IntervalStat.objects.filter(source=source)
                         .values_list("interval_start", "queue__code", "offered", "answered",
                                      "abandoned"))
    agents = dict(AgentIntervalStat.objects.filter(agent__centre=source.centre)
                  .values("agent__code").annotate(s=Sum("staffed_s"))
                  .values_list("agent__code", "s"))
    return {"contacts": Contact.objects.filter(source=source).count(), "by_queue": by_queue,
            "by_interval": by_interval, "staffed": agents}


def test_followed_log_with_rotation_and_restart_equals_the_batch_import(
        celery_worker_process, tmp_path, settings):
    from contactmis.models import Centre
    from contactmis.scope import Scope
    from measurements.ingest.asterisk import live_state
    from measurements.models import Contact, ImportBatch, SourceFollow
    from measurements.selectors.live import floor_live
    from measurements.services.follow import follow_create
    from measurements.services.ingest import batch_create, batch_process, source_create
    from measurements.tasks import follow_sources

    lines = _day_lines()
    assert len(lines) > 1000
    calls = {line.split("|")[1] for line in lines if "|ENTERQUEUE|" in line}
    live_centre = Centre.objects.create(name="Live", time_zone="Europe/London")
    batch_centre = Centre.objects.create(name="Batch", time_zone="Europe/London")
    followed = source_create(centre=live_centre, name="PBX", kind="acd",
                             export_format="asterisk_queue_log", time_zone="UTC")
    path = tmp_path / "queue_log"
    follow = follow_create(source=followed, path=str(path), quiet_s=60)
    a, b, c = len(lines) // 3, len(lines) // 2, 2 * len(lines) // 3

    def write(part, mode="a"):
        with open(path, mode) as fh:
            fh.write("".join(line + "\n" for line in part))

    def settled():
        batches = ImportBatch.objects.filter(source=followed)
        last = batches.filter(status="loaded").order_by("-pk").first()
        return (not batches.filter(status__in=("pending", "running")).exists() and last
                and SourceFollow.objects.get(pk=follow.pk).last_batch_id == last.pk)

    def read_up_to(n):
        return wait_for(lambda: SourceFollow.objects.get(pk=follow.pk).lines_read >= n, 120,
                     f"the follower to read {n} lines")

    # 1. The first third, followed by the worker (beat would start this task each minute).
    write(lines[:a])
    follow_sources.delay(duration_s=240)
    read_up_to(a)
    wait_for(settled, 60, lambda: list(ImportBatch.objects.filter(source=followed).values_list(
        "pk", "status", "error", "original_name")) + [SourceFollow.objects.get(
            pk=follow.pk).last_batch_id])
    # Live state: the callers waiting and agents logged in at that moment are the ones the
    # lines so far leave open.
    at = dt.datetime.fromtimestamp(int(lines[a - 1].split("|")[0]), tz=dt.UTC)
    floor = floor_live(live_centre, Scope.everything(), at)
    expected = live_state({"asterisk_open_lines": [], **SourceFollow.objects.get(
        pk=follow.pk).last_batch.carry})
    assert sum(q.waiting for q in floor.queues) == len(expected["waiting"])
    assert len(floor.agents) == len({agent for agent, *_ in expected["logged_in"]})
    assert floor.agents, "agents are logged in mid-morning"
    assert Contact.objects.filter(source=followed).count() > 0
    # 2. More lines, then logrotate renames the file and a new one starts.
    write(lines[a:b])
    path.rename(tmp_path / "queue_log.1")
    write(lines[b:c], mode="w")
    read_up_to(c)
    # 3. The follower is killed (the whole worker, as an OOM kill would) and restarted.
    celery_worker_process.kill()
    write(lines[c:])
    celery_worker_process.start()
    following = follow_sources.delay(duration_s=240)  # waits out the dead follower's lease
    read_up_to(len(lines))
    wait_for(settled, 60, lambda: list(ImportBatch.objects.filter(source=followed).values_list(
        "pk", "status", "error", "original_name")) + [SourceFollow.objects.get(
            pk=follow.pk).last_batch_id])
    SourceFollow.objects.filter(pk=follow.pk).update(enabled=False)  # ends the task's loop
    # ... promptly: the worker is free again (the tests after this one need it).
    assert following.get(timeout=60) >= 1
    follow.refresh_from_db()
    assert follow.rotations == 1 and follow.lines_read == len(lines)

    # The same lines imported as one file into another centre.
    whole = tmp_path / "whole.log"
    whole.write_text("".join(line + "\n" for line in lines))
    batch_source = source_create(centre=batch_centre, name="PBX batch", kind="acd",
                                 export_format="asterisk_queue_log", time_zone="UTC")
    batch = batch_create(source=batch_source, file=whole, enqueue=False)
    assert batch_process(batch.pk).status == "loaded"

    live, batch_figures = _figures(followed), _figures(batch_source)
    assert live["contacts"] == batch_figures["contacts"] == len(calls)
    assert live["by_queue"] == batch_figures["by_queue"]
    assert live["by_interval"] == batch_figures["by_interval"]
    assert live["staffed"] == batch_figures["staffed"]
    assert sum(q["offered"] for q in live["by_queue"].values()) >= len(calls)
    batches = ImportBatch.objects.filter(source=followed).count()
    assert batches > 3, "read in micro-batches"
