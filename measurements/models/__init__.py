"""Measurement models, one module per concern."""
from .daily import DailyStat
from .facts import AgentIntervalStat, AgentState, Contact, IntervalStat, Segment, SurveyResponse
from .sources import DataSource, ImportBatch, RejectedRow, SourceFollow

__all__ = [
    "AgentIntervalStat",
    "AgentState",
    "Contact",
    "DailyStat",
    "DataSource",
    "ImportBatch",
    "IntervalStat",
    "RejectedRow",
    "Segment",
    "SourceFollow",
    "SurveyResponse",
]

# Measurement design (business plan, metric catalogue, measurement configuration).
from .catalogue import MetricDefinition, MetricUnit  # noqa: E402
from .config import MeasurementConfig  # noqa: E402
from .plan import (  # noqa: E402
    BudgetCategory,
    BudgetLine,
    BusinessPlan,
    Kpi,
    Objective,
    PlannedVolume,
    Target,
)

__all__ += [
    "BudgetCategory", "BudgetLine", "BusinessPlan", "Kpi", "MeasurementConfig",
    "MetricDefinition", "MetricUnit", "Objective", "PlannedVolume", "Target",
]

# Measurement tests and the data-collection monitor (issue 5).
from .monitor import (  # noqa: E402
    Alert,
    AlertSeverity,
    ClosedDay,
    MonitorSettings,
    SegmentationMonth,
)
from .testing import MeasurementTest, ReconcileMeasure, RunStatus, TestKind, TestRun  # noqa: E402

__all__ += ["Alert", "AlertSeverity", "ClosedDay", "MeasurementTest", "MonitorSettings",
            "SegmentationMonth",
            "ReconcileMeasure", "RunStatus", "TestKind", "TestRun"]
