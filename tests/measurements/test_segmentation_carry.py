"""Segmentation that carries: the IVR's chosen reason and the identified customer's segment go
with the call to its queue legs, transfers included, whichever file is loaded first; only where
the pathway routes the IVR; never over a value of the call's own; the same after a reload."""
import io

import pytest
from django.core.management import call_command
from django.db.models import Count, Q, Sum

from measurements.constants import BatchStatus
from measurements.models import Contact, ImportBatch, IntervalStat, Segment
from measurements.services.ingest import batch_create, source_create
from pathways.models import Pathway, Queue, Step, Transition

pytestmark = pytest.mark.django_db

# Call 100: IVR (Bill enquiry, Premier) → support queue, answered, blind transfer → sales queue,
# answered. 101: IVR (Fault, not identified) → support, abandoned after 45 s. 102: IVR (no reason
# chosen, Business) → support, answered. 105: IVR (Complaint, Retail) → a "direct" queue the
# IVR does not route to in the pathway. 999: IVR only (self-service).
QUEUE_LOG = """\
1700000000|NONE|support|Agent/1001|ADDMEMBER|
1700000000|NONE|sales|Agent/1002|ADDMEMBER|
1700000005|100|support|NONE|ENTERQUEUE||0201234567|1
1700000020|100|support|Agent/1001|CONNECT|15|1700000005.1|3
1700000100|100|support|Agent/1001|BLINDTRANSFER|3000|default|15|80|1
1700000101|100|sales|NONE|ENTERQUEUE||0201234567|1
1700000111|100|sales|Agent/1002|CONNECT|10|1700000101.2|2
1700000400|100|sales|Agent/1002|COMPLETECALLER|10|289|1
1700000200|101|support|NONE|ENTERQUEUE||0207654321|1
1700000245|101|support|NONE|ABANDON|1|1|45
1700000300|102|support|NONE|ENTERQUEUE||0209999999|1
1700000330|102|support|Agent/1001|CONNECT|30|1700000300.3|2
1700000500|102|support|Agent/1001|COMPLETEAGENT|30|170|1
1700000600|105|direct|NONE|ENTERQUEUE||0201111111|1
1700000640|105|direct|NONE|ABANDON|1|1|40
1700003600|NONE|support|Agent/1001|REMOVEMEMBER|
1700003600|NONE|sales|Agent/1002|REMOVEMEMBER|
"""
IVR_CSV = """\
session_id,start,end,app,result,reason,tier
100,2023-11-14T22:12:40+00:00,2023-11-14T22:13:05+00:00,MainMenu,to-agent,Bill enquiry,Premier
101,2023-11-14T22:16:10+00:00,2023-11-14T22:16:40+00:00,MainMenu,to-agent,Fault,
102,2023-11-14T22:17:50+00:00,2023-11-14T22:18:20+00:00,MainMenu,to-agent,,Business
105,2023-11-14T22:23:00+00:00,2023-11-14T22:23:20+00:00,MainMenu,to-agent,Complaint,Retail
999,2023-11-14T22:30:00+00:00,2023-11-14T22:31:00+00:00,MainMenu,self-service,Balance,Retail
"""
IVR_MAPPING = {
    "columns": {"external_id": "session_id", "arrived_at": "start", "ended_at": "end",
                "queue": "app", "outcome": "result", "contact_type": "reason",
                "customer_segment": "tier"},
    "queue_kind": "ivr", "channel": "voice",
    "outcome_values": {"self-service": "self_served", "to-agent": "handled"},
}


@pytest.fixture(autouse=True)
def _on_commit(django_capture_on_commit_callbacks):
    global _capture
    _capture = django_capture_on_commit_callbacks


def _load(source, tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    with _capture(execute=True):
        batch = batch_create(source=source, file=path)
    batch = ImportBatch.objects.get(pk=batch.pk)
    assert batch.status == BatchStatus.LOADED, batch.error
    return batch


@pytest.fixture
def feeds(centre):
    acd = source_create(centre=centre, name="PBX", kind="acd",
                        export_format="asterisk_queue_log", time_zone="UTC")
    ivr = source_create(centre=centre, name="IVR sessions", kind="ivr", export_format="generic",
                        time_zone="UTC", column_mapping=IVR_MAPPING)
    return acd, ivr


@pytest.fixture
def pathway(centre):
    """Inbound calls: the IVR routes to support, support transfers to sales; "direct" is not on
    the pathway."""
    queues = {code: Queue.objects.create(centre=centre, code=code, kind=kind)
              for code, kind in (("MainMenu", "ivr"), ("support", "acd"), ("sales", "acd"),
                                 ("direct", "acd"))}
    path = Pathway.objects.create(centre=centre, name="Inbound calls")
    ivr = Step.objects.create(pathway=path, name="Menu", kind="ivr", is_entry=True,
                              queue=queues["MainMenu"])
    support = Step.objects.create(pathway=path, name="Support", kind="queue",
                                  queue=queues["support"])
    sales = Step.objects.create(pathway=path, name="Sales", kind="queue", queue=queues["sales"])
    Transition.objects.create(pathway=path, source=ivr, target=support, kind="route")
    Transition.objects.create(pathway=path, source=support, target=sales, kind="transfer")
    return path


def _values(source):
    return {c.external_id: (c.contact_type, c.customer_segment)
            for c in Contact.objects.filter(source=source)}


def _by(source, dimension):
    rows = IntervalStat.objects.filter(source=source).values(dimension).annotate(
        offered=Sum("offered"), answered=Sum("answered"), abandoned=Sum("abandoned"),
        transfers=Sum("transfers"), talk_s=Sum("talk_s"))
    return {r.pop(dimension): r for r in rows}


def _rollup(source):
    return sorted(IntervalStat.objects.filter(source=source).values_list(
        "interval_start", "queue_id", "contact_type", "customer_segment", "offered", "answered",
        "abandoned", "transfers", "talk_s", "wait_answered_s"))


@pytest.mark.parametrize("ivr_first", [False, True], ids=["acd-first", "ivr-first"])
def test_ivr_reason_and_segment_reach_every_queue_leg_including_the_transfer(
        feeds, tmp_path, ivr_first):
    acd, ivr = feeds
    files = [(ivr, "ivr.csv", IVR_CSV), (acd, "queue_log", QUEUE_LOG)]
    batches = [_load(s, tmp_path, n, t) for s, n, t in (files if ivr_first else files[::-1])]
    assert _values(acd) == {"100": ("Bill enquiry", "Premier"), "101": ("Fault", ""),
                            "102": ("", "Business"), "105": ("Complaint", "Retail")}
    # The IVR's own contacts keep theirs.
    assert _values(ivr)["999"] == ("Balance", "Retail")
    # Both queue legs of call 100 (support, then sales after the transfer) count under its
    # reason and segment; 101 abandoned under Fault; 102 under no reason.
    by_type = _by(acd, "contact_type")
    assert by_type["Bill enquiry"] == {"offered": 2, "answered": 2, "abandoned": 0,
                                       "transfers": 1, "talk_s": 80 + 289}
    assert by_type["Fault"] == {"offered": 1, "answered": 0, "abandoned": 1, "transfers": 0,
                                "talk_s": 0}
    assert by_type[""]["offered"] == 1 and by_type[""]["talk_s"] == 170
    assert by_type["Complaint"]["offered"] == 1
    # The batch that made the match says so in its notes.
    last = batches[-1]
    last.refresh_from_db()
    note = next(n for n in last.notes if n["code"] == "segmentation_carried")
    assert note["count"] == 4
    assert "contact type (3)" in note["action"] and "customer segment (3)" in note["action"]


def test_rollup_by_customer_segment_equals_the_queue_legs(feeds, tmp_path):
    acd, ivr = feeds
    _load(acd, tmp_path, "queue_log", QUEUE_LOG)
    _load(ivr, tmp_path, "ivr.csv", IVR_CSV)
    legs = dict(Segment.objects.filter(contact__source=acd, kind="queue").values(
        "contact__customer_segment").annotate(n=Count("id")).values_list(
        "contact__customer_segment", "n"))
    offered = {k: v["offered"] for k, v in _by(acd, "customer_segment").items()}
    assert offered == legs == {"Premier": 2, "": 1, "Business": 1, "Retail": 1}


def test_the_pathway_decides_which_queues_the_ivr_feeds(feeds, pathway, tmp_path):
    acd, ivr = feeds
    _load(ivr, tmp_path, "ivr.csv", IVR_CSV)
    _load(acd, tmp_path, "queue_log", QUEUE_LOG)
    values = _values(acd)
    # The IVR routes to support (and on to sales): those calls get its values …
    assert values["100"] == ("Bill enquiry", "Premier") and values["101"] == ("Fault", "")
    # … but it does not route to "direct": call 105 reached it some other way.
    assert values["105"] == ("", "")
    assert _by(acd, "contact_type")[""]["offered"] == 2  # 102 and 105


def test_a_call_keeps_a_reason_and_segment_of_its_own(centre, feeds, tmp_path):
    _acd, ivr = feeds
    crm_acd = source_create(
        centre=centre, name="Other ACD", kind="acd", export_format="generic", time_zone="UTC",
        column_mapping={"columns": {"external_id": "id", "arrived_at": "start",
                                    "queue": "queue", "outcome": "result",
                                    "contact_type": "topic", "customer_segment": "tier"},
                        "queue_kind": "acd", "channel": "voice"})
    _load(crm_acd, tmp_path, "calls.csv",
          "id,start,queue,result,topic,tier\n"
          "100,2023-11-14T22:13:10+00:00,support,handled,Complaint,\n"
          "101,2023-11-14T22:16:45+00:00,support,handled,,Gold\n")
    _load(ivr, tmp_path, "ivr.csv", IVR_CSV)
    assert _values(crm_acd) == {"100": ("Complaint", "Premier"), "101": ("Fault", "Gold")}


def test_loading_again_gives_the_same_rollup_and_the_command_changes_nothing_more(
        feeds, tmp_path):
    acd, ivr = feeds
    _load(acd, tmp_path, "queue_log", QUEUE_LOG)
    _load(ivr, tmp_path, "ivr.csv", IVR_CSV)
    before = _rollup(acd)
    # The same calls again in a new export (another file): replaced, filled again.
    again = _load(acd, tmp_path, "queue_log.again", QUEUE_LOG + "\n")
    assert again.contacts_replaced == 4
    assert _rollup(acd) == before
    assert Contact.objects.filter(source=acd).count() == 4
    out = io.StringIO()
    call_command("segmentation_carry", stdout=out)
    assert "0 calls given the IVR's values" in out.getvalue()
    assert _rollup(acd) == before


def test_command_applies_the_rule_to_data_loaded_before_it(feeds, tmp_path):
    acd, ivr = feeds
    _load(acd, tmp_path, "queue_log", QUEUE_LOG)
    _load(ivr, tmp_path, "ivr.csv", IVR_CSV)
    expected = _rollup(acd)
    # As loaded before the rule: nothing carried, rollup grouped without reason or segment.
    Contact.objects.filter(source=acd).update(contact_type="", customer_segment="")
    from measurements.services.rollup import rollup_rebuild

    c = Contact.objects.filter(source=acd)
    rollup_rebuild(acd, c.order_by("arrived_at").first().arrived_at,
                   c.order_by("-ended_at").first().ended_at)
    assert set(_by(acd, "contact_type")) == {""}
    call_command("segmentation_carry", "--start", "2023-11-14", "--end", "2023-11-14")
    assert _rollup(acd) == expected
    assert IntervalStat.objects.filter(source=acd).filter(~Q(contact_type="")).exists()
