"""Reads of the measurements app, one module per concern; the public names are re-exported here
(``measurements.selectors.metric_definition_in_force`` …)."""
from .catalogue import (
    MetricFigure,
    VersionPeriod,
    metric_catalogue,
    metric_definition_in_force,
    metric_figures,
    metric_versions_between,
)
from .config import config_list, configs_with_current_version, pathway_coverage
from .plan import (
    kpi_targets,
    plan_chain,
    plan_cost_per_contact,
    plan_list,
    target_in_force,
    targets_for_metric,
)

__all__ = [
    "MetricFigure", "VersionPeriod", "config_list", "configs_with_current_version",
    "kpi_targets", "metric_catalogue",
    "metric_definition_in_force", "metric_figures", "metric_versions_between",
    "pathway_coverage", "plan_chain", "plan_cost_per_contact", "plan_list", "target_in_force",
    "targets_for_metric",
]

# Measurement tests and the data-collection monitor (issue 5).
from .quality import (  # noqa: E402
    alerts_open,
    monitor_timeline,
    quality_caveats,
    segmentation_check,
    source_health,
    test_latest_runs,
    test_list,
)

__all__ += ["alerts_open", "monitor_timeline", "quality_caveats", "segmentation_check",
            "source_health", "test_latest_runs", "test_list"]
