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


# --- pushed events and event files ------------------------------------------------------------

EVENTS = [
    {"at": "2026-11-20T09:00:00Z", "event": "login", "agent": "anna", "queue": "chat-1"},
    {"at": "2026-11-20T09:01:00Z", "event": "enter", "contact_id": "ch-1", "queue": "chat-1",
     "channel": "chat", "customer": "C-42"},
    {"at": "2026-11-20T09:01:20Z", "event": "answer", "contact_id": "ch-1", "queue": "chat-1",
     "agent": "anna", "wait_s": 20},
    {"at": "2026-11-20T09:05:20Z", "event": "end", "contact_id": "ch-1", "queue": "chat-1",
     "agent": "anna", "wait_s": 20, "talk_s": 240},
    {"at": "2026-11-20T09:06:00Z", "event": "enter", "contact_id": "ch-2", "queue": "chat-1",
     "channel": "chat"},
    {"at": 1795165590, "event": "abandon", "contact_id": "ch-2", "queue": "chat-1",
     "wait_s": 30},
]


@pytest.fixture
def pushed(centre, settings, tmp_path):
    from measurements.services.follow import follow_token_issue

    settings.MEDIA_ROOT = str(tmp_path / "media")
    src = source_create(centre=centre, name="Chat platform", kind="web", time_zone="UTC")
    follow = follow_create(source=src, quiet_s=300, format=SourceFollow.EVENTS)
    return follow, follow_token_issue(follow)


def test_pushed_events_load_as_contacts_of_their_channel(pushed, api_client):
    follow, token = pushed
    url = f"/api/v1/sources/{follow.source_id}/events/"
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api_client.post(url, EVENTS[:3], format="json").json() == {"accepted": 3}
    assert api_client.post(url, EVENTS[3:], format="json").status_code == 202
    follow_poll(SourceFollow.objects.get(pk=follow.pk))
    chat = {c.external_id: (c.channel, c.outcome) for c in Contact.objects.all()}
    assert chat == {"ch-1": ("chat", "handled"), "ch-2": ("chat", "abandoned")}
    stats = IntervalStat.objects.aggregate(offered=Sum("offered"), answered=Sum("answered"),
                                           abandoned=Sum("abandoned"), talk=Sum("talk_s"))
    assert stats == {"offered": 2, "answered": 1, "abandoned": 1, "talk": 240}
    # The login is live state: anna is logged in and available.
    from measurements.ingest.asterisk import live_state

    assert live_state(SourceFollow.objects.get(pk=follow.pk).last_batch.carry)["logged_in"] \
        == [("anna", "chat-1", 1795165200)]


def test_a_push_with_a_bad_event_is_refused_whole_with_its_reasons(pushed, api_client):
    follow, token = pushed
    url = f"/api/v1/sources/{follow.source_id}/events/"
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    bad = [EVENTS[0], {**EVENTS[1], "at": "2026-11-20 09:01"}, {**EVENTS[2], "wait_s": -4},
           {**EVENTS[1], "queue": "a|b"}, {**EVENTS[1], "event": "teleport"},
           {**EVENTS[1], "at": "2099-01-01T00:00:00Z"}]
    response = api_client.post(url, bad, format="json")
    assert response.status_code == 400
    reasons = [(e["index"], e["field"]) for e in response.json()["errors"]]
    assert reasons == [(1, "at"), (2, "wait_s"), (3, "queue"), (4, "event"), (5, "at")]
    assert not os.path.exists(follow.path)  # nothing kept


def test_pushes_are_denied_by_default(pushed, api_client, manager, centre):
    follow, token = pushed
    url = f"/api/v1/sources/{follow.source_id}/events/"
    assert api_client.post(url, EVENTS, format="json").status_code == 401
    api_client.force_authenticate(manager)  # a user session is not a source's token
    assert api_client.post(url, EVENTS, format="json").status_code == 403
    api_client.force_authenticate(None)
    api_client.credentials(HTTP_AUTHORIZATION="Bearer wrong")
    assert api_client.post(url, EVENTS, format="json").status_code == 404
    other = source_create(centre=centre, name="PBX", kind="acd", time_zone="UTC")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api_client.post(f"/api/v1/sources/{other.pk}/events/", EVENTS,
                           format="json").status_code == 404
    big = [EVENTS[0]] * 1001
    assert api_client.post(url, big, format="json").status_code in (400, 413)
    huge = {"at": 1, "event": "login", "agent": "x" * (1 << 20)}
    assert api_client.post(url, huge, format="json").status_code == 413


def test_an_event_file_is_followed_with_bad_lines_counted(pushed):
    follow, _ = pushed
    import json

    with open(follow.path, "w") as fh:
        fh.write("".join(json.dumps(e) + "\n" for e in EVENTS) + "not json\n")
    follow_poll(follow)
    assert Contact.objects.count() == 2
    assert SourceFollow.objects.get(pk=follow.pk).events_rejected == 1


def _floor(state):
    """A live state as comparable sets (order is not part of it)."""
    return {k: sorted(map(tuple, v)) for k, v in state.items()}


@pytest.mark.parametrize("step", [1, 3, 7])
def test_the_live_state_published_before_loading_equals_the_loaded_carry(follow, step):
    # After every poll, the state the follower publishes as it reads is the one the loaded
    # micro-batch's open calls and agent sessions give; a restarted follower takes it up.
    path = follow.path
    for i in range(0, len(LINES), step):
        _append(path, "".join(LINES[i:i + step]))
        follow_poll(follow)
        stored = SourceFollow.objects.get(pk=follow.pk)
        assert stored.live_at is not None
        assert _floor(stored.live) == _floor(live_state(stored.last_batch.carry)), i
        if i % 2:
            follow = stored  # a new process: no state in memory
    assert _figures() == EXPECTED


def test_a_caller_is_live_before_its_line_is_loaded(follow, monkeypatch):
    import measurements.services.follow as following

    enter = next(line for line in LINES if "|ENTERQUEUE|" in line)
    seen = {}

    def load(batch_id):  # the load, as it starts: the caller must already be published
        seen["live"] = SourceFollow.objects.get(pk=follow.pk).live
        return ImportBatch.objects.get(pk=batch_id)

    monkeypatch.setattr(following, "batch_process", load)
    _append(follow.path, enter)
    follow_poll(follow)
    callid = enter.split("|")[1]
    assert [w[1] for w in seen["live"]["waiting"]] == [callid]
