"""Shared set-up for measurement-test and monitor tests: a Billing queue, its pathway step, a
service-level measurement (threshold 20 s) and scripted contacts whose figures are hand-computed."""
import pytest

# 09:00 interval: 4 contacts offered to Billing. Waits 10 s (answered), 35 s (answered),
# 3 s (abandoned: short), 50 s (abandoned). One IVR-only contact.
# Service level (excl. short abandons, T=20): answered ≤ 20 s = 1 / (4 − 1) = 33.33 %.
# With T=45 the same contacts give 2 / 3 = 66.67 %.
SCRIPT = """date 2026-03-02
# arrival; what happened
09:00:05 IVR 20s option 2; queue Billing 10s; answered by ann; talk 180s; transfer Billing
09:01:00 IVR 15s; queue Billing 35s; answered by bob; talk 120s; wrap 30s
09:02:00 IVR 5s; queue Billing 3s; abandoned
09:03:00 IVR 8s; queue Billing 50s; abandoned
09:04:00 IVR 40s; self-service
"""
EXPECTED = {"service_level": 33.33, "offered": 4, "answered": 2, "abandoned": 2,
            "transfers": 1, "talk_s": 300, "asa": 22.5, "ivr_sessions": 5}


@pytest.fixture
def billing(centre):
    from measurements.models import MeasurementConfig, MetricDefinition
    from pathways.models import Pathway, Queue, Step

    queue = Queue.objects.create(centre=centre, code="Billing", name="Billing")
    pathway = Pathway.objects.create(centre=centre, name="Billing calls")
    step = Step.objects.create(pathway=pathway, name="Billing queue", kind="queue", queue=queue)
    metric = MetricDefinition.objects.get(code="service_level", variant="excl_short_abandons",
                                          version=1)
    config = MeasurementConfig.objects.create(metric=metric, step=step,
                                              parameters={"threshold_s": 20})
    return {"queue": queue, "pathway": pathway, "step": step, "config": config}
