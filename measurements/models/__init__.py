"""Measurement models, one module per concern."""
from .facts import AgentIntervalStat, AgentState, Contact, IntervalStat, Segment, SurveyResponse
from .sources import DataSource, ImportBatch, RejectedRow

__all__ = [
    "AgentIntervalStat",
    "AgentState",
    "Contact",
    "DataSource",
    "ImportBatch",
    "IntervalStat",
    "RejectedRow",
    "Segment",
    "SurveyResponse",
]
