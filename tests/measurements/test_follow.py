"""Following a queue_log live: micro-batches through the ordinary ingest path, kept position,
rotation, restarts, and the live state read from the calls and agents still open."""
import datetime as dt
import os

import pytest
from django.core.management import call_command
from django.db.models import Sum

from measurements.constants import BatchStatus
from measurements.ingest.asterisk import live_state
from measurements.models import AgentIntervalStat, Contact, ImportBatch, IntervalStat, SourceFollow
from measurements.services.follow import follow_claim, follow_create, follow_poll
from measurements.services.ingest import source_create

from . import samples

pytestmark = pytest.mark.django_db

LINES = (samples.QUEUE_LOG_1 + samples.QUEUE_LOG_2).splitlines(keepends=True)


@pytest.fixture
def follow(centre, tmp_path):
    src = source_create(centre=centre, name="PBX", kind="acd",
                        export_format="asterisk_queue_log", time_zone="UTC")
    return follow_create(source=src, path=str(tmp_path / "queue_log"), quiet_s=60)


def _append(path, text, mode="a"):
    with open(path, mode) as fh:
        fh.write(text)


def _figures():
    """The sample day's figures, hand-checked in test_ingest_services (two files, batch)."""
    stats = IntervalStat.objects.aggregate(offered=Sum("offered"), transfers=Sum("transfers"),
                                           flowed=Sum("flowed_out"), answered=Sum("answered"),
                                           abandoned=Sum("abandoned"))
    agent = AgentIntervalStat.objects.filter(agent__code="Agent/1001").aggregate(
        handled=Sum("handled"), talk=Sum("talk_s"), staffed=Sum("staffed_s"))
    return Contact.objects.count(), stats, agent


EXPECTED = (5, {"offered": 6, "transfers": 1, "flowed": 2, "answered": 3, "abandoned": 1},
            {"handled": 2, "talk": 320, "staffed": 3600})


def test_lines_followed_one_by_one_give_the_batch_figures(follow):
    path = follow.path
    for line in LINES:
        _append(path, line)
        follow_poll(follow)
    assert _figures() == EXPECTED
    follow.refresh_from_db()
    assert follow.offset == os.path.getsize(path)
    assert follow.lines_read == len(LINES)
    # One micro-batch per line; the repeated CONNECT line is identical to an earlier batch.
    assert ImportBatch.objects.filter(status=BatchStatus.LOADED).count() == len(LINES) - 1
    assert ImportBatch.objects.filter(status=BatchStatus.DUPLICATE).count() == 1


def test_a_partial_last_line_waits_for_its_end(follow):
    path = follow.path
    _append(path, LINES[0] + LINES[2][:12])
    follow_poll(follow)
    follow.refresh_from_db()
    assert follow.offset == len(LINES[0])
    _append(path, LINES[2][12:])
    follow_poll(follow)
    follow.refresh_from_db()
    assert follow.offset == len(LINES[0]) + len(LINES[2])
    carry = ImportBatch.objects.order_by("-pk").first().carry
    assert carry["asterisk_open_lines"] == [LINES[2].rstrip("\n")]


def test_rotation_reads_the_rest_of_the_old_file_then_the_new_one(follow, tmp_path):
    path = follow.path
    _append(path, "".join(LINES[:10]))
    follow_poll(follow)
    _append(path, "".join(LINES[10:14]))  # written after the poll, before the rotation
    os.rename(path, tmp_path / "queue_log.1")
    _append(path, "".join(LINES[14:]))
    follow_poll(follow)
    assert _figures() == EXPECTED
    follow.refresh_from_db()
    assert follow.rotations == 1
    assert follow.offset == os.path.getsize(path)


def test_truncation_restarts_from_the_top_without_double_counting(follow):
    path = follow.path
    _append(path, "".join(LINES[:12]))
    follow_poll(follow)
    # copytruncate: the file is emptied, then the writer goes on (with more than was read).
    _append(path, "".join(LINES[12:]) + LINES[0] * 0, mode="w")
    follow_poll(follow)
    assert _figures() == EXPECTED
    assert SourceFollow.objects.get().rotations == 1


def test_a_restarted_follower_resumes_and_a_line_read_twice_counts_once(follow):
    path = follow.path
    _append(path, "".join(LINES[:9]))
    follow_poll(follow)
    _append(path, "".join(LINES[9:]))
    again = SourceFollow.objects.get(pk=follow.pk)  # a new process: position from the database
    follow_poll(again)
    assert _figures() == EXPECTED
    # The same tail sent again (a re-shipped log) is loaded once.
    _append(path, "".join(LINES[15:17]))
    follow_poll(again)
    assert _figures() == EXPECTED


def test_a_micro_batch_left_unloaded_is_loaded_by_the_next_poll(follow):
    _append(follow.path, "".join(LINES))
    follow_poll(follow)
    batch = ImportBatch.objects.get()
    batch.status = BatchStatus.PENDING  # the follower died between registering and loading
    batch.save()
    IntervalStat.objects.all().delete()
    follow_poll(SourceFollow.objects.get(pk=follow.pk))
    assert ImportBatch.objects.get().status == BatchStatus.LOADED
    assert _figures() == EXPECTED


def test_one_follower_at_a_time(follow):
    assert follow_claim(follow)
    other = SourceFollow.objects.get(pk=follow.pk)
    assert not follow_claim(other)
    assert follow_claim(follow, owner_until=follow.lease_until)  # the holder renews


def test_live_state_from_the_open_lines():
    carry = {"asterisk_open_lines": [
        "1700000950|103|support|NONE|ENTERQUEUE||0201111111|1",
        "1700000960|103|support|Agent/1001|CONNECT|10|1700000950.3|2",
        "1700000970|105|sales|NONE|ENTERQUEUE||0203|1",
        "1700000965|106|support|NONE|ENTERQUEUE||0204|1",
    ], "asterisk_open_agent_lines": [
        "1700000000|NONE|support|Agent/1001|ADDMEMBER|",
        "1700000300|NONE|support|Agent/1002|PAUSE|lunch",
    ]}
    state = live_state(carry)
    assert state["waiting"] == [("support", "106", 1700000965), ("sales", "105", 1700000970)]
    assert state["on_contact"] == [("support", "Agent/1001", "103", 1700000960)]
    assert state["logged_in"] == [("Agent/1001", "support", 1700000000)]
    assert state["paused"] == [("Agent/1002", "support", "lunch", 1700000300)]


def test_follow_command_registers_and_follows(centre, tmp_path):
    source_create(centre=centre, name="PBX", kind="acd", export_format="asterisk_queue_log",
                  time_zone="UTC")
    path = tmp_path / "queue_log"
    path.write_text("".join(LINES))
    call_command("follow", "PBX", "--path", str(path), "--quiet", "30", "--for", "0.2",
                 "--interval", "0.05")
    assert _figures() == EXPECTED
    follow = SourceFollow.objects.get()
    assert (follow.quiet_s, follow.lease_until) == (30, None)


@pytest.mark.clock(dt.datetime(2023, 11, 14, 22, 30, tzinfo=dt.UTC))
def test_floor_live_counts_callers_and_agents(follow):
    """At 1700001000 (22:30:00 UTC): call 103 is with Agent/1001 since 22:29:20; a caller waits
    in support since 22:29:50; Agent/1002 is paused for lunch since 22:20:00."""
    from contactmis.scope import Scope
    from measurements.selectors.live import floor_live

    _append(follow.path, "".join(LINES[:18]) + "1700000990|107|support|NONE|ENTERQUEUE||0205|1\n"
            "1700000400|NONE|support|Agent/1002|PAUSE|lunch\n")
    follow_poll(follow)
    NOW = dt.datetime(2023, 11, 14, 22, 30, tzinfo=dt.UTC)  # noqa: N806
    floor = floor_live(follow.source.centre, Scope.everything(), NOW)
    support = next(q for q in floor.queues if q.queue.code == "support")
    assert support.callers == [("107", 10)]
    assert (support.logged_in, support.available, support.on_contact, support.paused) == \
        (2, 0, 1, 1)
    agents = {a.code: (a.state, a.reason, a.in_state_s) for a in floor.agents}
    assert agents == {"Agent/1001": ("on a contact", "", 40),
                      "Agent/1002": ("paused", "lunch", 600)}
    assert not floor.stale  # a line was read "now"
    outside = floor_live(follow.source.centre, Scope.nothing(), NOW)
    assert (outside.queues, outside.agents) == ([], [])


def test_a_silent_followed_source_raises_one_alert_resolved_when_lines_flow(follow, manager,
                                                                             mailoutbox):
    from measurements.models import Alert
    from measurements.services.monitor import follow_silence_alert

    _append(follow.path, LINES[0])
    follow_poll(follow)
    later = follow.last_line_at + dt.timedelta(seconds=61)
    assert follow_silence_alert(follow, now=follow.last_line_at + dt.timedelta(seconds=60)) \
        is None
    alert = follow_silence_alert(follow, now=later)
    assert alert.code == "follow_silent"
    assert "has sent no new line for 61 s; its quiet time is 60 s" in alert.message
    assert follow_silence_alert(follow, now=later).pk == alert.pk
    assert len(mailoutbox) == 1 and "PBX" in mailoutbox[0].body
    _append(follow.path, LINES[1])
    follow_poll(follow)
    assert follow_silence_alert(follow) is None
    assert Alert.objects.get(pk=alert.pk).resolved_at is not None
