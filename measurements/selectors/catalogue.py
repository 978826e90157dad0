"""Reads of the metric catalogue, for pages and for the analysis engine.

All dates are centre-local calendar dates; periods are inclusive at both ends.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Sum

from ..formula import evaluate, formula_names
from ..models import MetricDefinition

ONE_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class VersionPeriod:
    """The part ``start_date``–``end_date`` (inclusive) of a requested period in which
    ``definition`` was in force."""

    definition: MetricDefinition
    start_date: datetime.date
    end_date: datetime.date

    @property
    def label(self):
        return (f"{self.definition.label} for {self.start_date:%Y-%m-%d}–"
                f"{self.end_date:%Y-%m-%d}")


def _variant_qs(code, variant):
    qs = MetricDefinition.objects.filter(code=code)
    if variant is not None:
        return qs.filter(variant=variant)
    defaults = qs.filter(is_default_variant=True)
    return defaults if defaults.exists() else qs


def metric_definition_in_force(code, on_date, variant=None):
    """The version of metric ``code`` in force on ``on_date``.

    ``variant=None`` means the metric's default variant (``is_default_variant``). Raises
    ``MetricDefinition.DoesNotExist`` when no version is in force that day.
    """
    definition = _variant_qs(code, variant).in_force(on_date).order_by("-version").first()
    if definition is None:
        raise MetricDefinition.DoesNotExist(
            f"No version of {code}{'/' + variant if variant else ''} is in force on "
            f"{on_date:%Y-%m-%d}.")
    return definition


def metric_versions_between(code, start_date, end_date, variant=None):
    """The versions of metric ``code`` in force between ``start_date`` and ``end_date`` (both
    inclusive), each with the sub-period it covers, in date order.

    A month that spans a threshold change gives two ``VersionPeriod`` items; a figure for it is
    computed per item and labelled with ``item.label``. Days on which no version is in force are
    not covered by any item. ``variant=None`` means the default variant.
    """
    if end_date < start_date:
        raise ValueError("end_date is before start_date")
    qs = (_variant_qs(code, variant).filter(effective_from__lte=end_date)
          .exclude(effective_to__lt=start_date).order_by("effective_from", "version"))
    return [VersionPeriod(d, max(d.effective_from, start_date),
                          min(d.effective_to or end_date, end_date)) for d in qs]


def metric_catalogue(code=None, current_on=None):
    """Catalogue entries (every version), or only those in force on ``current_on``."""
    qs = MetricDefinition.objects.all()
    if code:
        qs = qs.filter(code=code)
    if current_on:
        qs = qs.in_force(current_on)
    return qs.order_by("code", "-is_default_variant", "variant", "version")


@dataclass(frozen=True)
class MetricFigure:
    """A metric value for one version sub-period, with the sums it was computed from."""

    period: VersionPeriod
    value: float | None
    sums: dict

    @property
    def label(self):
        return self.period.label


def metric_figures(code, start_date, end_date, stats, variant=None, parameters=None):
    """The value of metric ``code`` over ``stats`` (an IntervalStat queryset, already narrowed to
    the queue/channel/scope wanted), one figure per definition version in force in the period.

    Each figure sums the components over the rows whose ``local_date`` lies in its sub-period
    and evaluates the version's formula (ratio of sums, never an average of averages).
    ``parameters`` override the version's (for a measurement configuration). Formulas written in
    words give ``value=None``.
    """
    figures = []
    for part in metric_versions_between(code, start_date, end_date, variant):
        params = {**(part.definition.parameters or {}), **(parameters or {})}
        names = formula_names(part.definition.formula, params)
        if not names:
            figures.append(MetricFigure(part, None, {}))
            continue
        sums = stats.filter(local_date__gte=part.start_date, local_date__lte=part.end_date) \
            .aggregate(**{n: Sum(n) for n in names})
        sums = {k: v or 0 for k, v in sums.items()}
        figures.append(MetricFigure(part, evaluate(part.definition.formula, params, sums), sums))
    return figures
