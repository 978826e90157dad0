"""Data scope: what a user may see.

One mechanism for the whole product. ``Scope`` says which queues, channels, sites and pathways are
visible (``None`` on a dimension means "no restriction on it"); every scoped model's queryset has
``restrict(scope)``, and every selector and API view calls it. Who gets which scope is decided by
the function named in ``settings.CONTACTMIS_SCOPE_RESOLVER`` (stakeholders own that), so lower
apps never import higher ones.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Scope:
    """A data scope. ``None`` on a dimension means unrestricted; an empty set means nothing."""

    queue_ids: frozenset[int] | None = None
    channels: frozenset[str] | None = None
    sites: frozenset[str] | None = None
    pathway_ids: frozenset[int] | None = None
    # Customer segments (``Contact.customer_segment`` / ``IntervalStat.customer_segment``).
    segments: frozenset[str] | None = None
    label: str = field(default="Whole centre", compare=False)

    @classmethod
    def everything(cls) -> Scope:
        return cls()

    @classmethod
    def nothing(cls) -> Scope:
        return cls(queue_ids=frozenset(), label="No data")

    @property
    def is_unrestricted(self) -> bool:
        return all(
            v is None for v in (self.queue_ids, self.channels, self.sites, self.pathway_ids,
                                self.segments)
        )

    def q(self, paths: dict[str, str]) -> Q:
        """A filter for a model whose scope dimensions live at ``paths``.

        ``paths`` maps ``queue``/``channel``/``site``/``pathway`` (and ``segment``) to a lookup
        path. A dimension the
        scope restricts but the model cannot express is treated as "no match" only when the model
        has no path at all for any restricted dimension; otherwise the paths it has are applied.
        """
        q = Q()
        restricted = False
        for dim, values in (
            ("queue", self.queue_ids),
            ("channel", self.channels),
            ("site", self.sites),
            ("pathway", self.pathway_ids),
            ("segment", self.segments),
        ):
            if values is None:
                continue
            restricted = True
            path = paths.get(dim)
            if path:
                q &= Q(**{f"{path}__in": list(values)})
        if restricted and not q:
            return Q(pk__in=[])
        return q


class ScopedQuerySet(models.QuerySet):
    """Base queryset for every model that holds scoped data.

    Subclasses set ``scope_paths``; ``restrict(scope)`` is the only way selectors and API views
    narrow data to what a user may see.
    """

    scope_paths: dict[str, str] = {}

    def restrict(self, scope: Scope | None):
        if scope is None or scope.is_unrestricted:
            return self
        return self.filter(scope.q(self.scope_paths))


@cache
def _resolver():
    return import_string(settings.CONTACTMIS_SCOPE_RESOLVER)


def scope_for_user(user) -> Scope:
    """The scope of ``user``: everything for managers and analysts, the stakeholder's for viewers,
    nothing for anyone else."""
    return _resolver()(user)
