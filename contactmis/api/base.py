"""Deny by default: the one place every API endpoint's rows are narrowed to what its user may see.

Every DRF viewset of ContactMIS derives from ``ScopedViewSetMixin`` (a test walks the URL
resolver and fails on one that does not, or that overrides ``get_queryset``). A viewset says
which rows exist (``base_queryset``); the mixin narrows them:

- a queryset with ``restrict(scope)`` (queues, contacts, rollups, targets, configurations …) is
  restricted to ``request.scope``;
- a queryset with ``visible_to(user)`` (the stakeholder register, dashboards, widgets) is
  narrowed by it;
- anything else is centre-wide (business plans, budget lines, planned volumes, objectives, KPIs,
  data sources …): managers and analysts read it, a stakeholder viewer sees none of it (an empty
  list, 404 for every id) unless the viewset declares ``viewer_visible = True`` because its rows
  hold no centre figures (the metric catalogue, the centre's name and time zone).

Objects outside the scope are 404 (they do not exist for the user); a role that may not use an
endpoint at all gets 403 from ``contactmis.permissions.RolePermission``.
"""
from rest_framework import generics, viewsets

from ..roles import can_read_all, role_of


def queryset_for_user(queryset, request, viewer_visible=False):
    """``queryset`` narrowed to what ``request.user`` may see (see the module docstring)."""
    if role_of(request.user) is None:
        return queryset.none()
    if hasattr(queryset, "restrict"):
        return queryset.restrict(getattr(request, "scope", None))
    if hasattr(queryset, "visible_to"):
        return queryset.visible_to(request.user)
    if viewer_visible or can_read_all(request.user):
        return queryset
    return queryset.none()


class ScopedViewSetMixin:
    """``get_queryset`` for every API view: ``base_queryset()`` narrowed by
    ``queryset_for_user``. Subclasses override ``base_queryset``, never ``get_queryset``."""

    viewer_visible = False

    def base_queryset(self):
        return self.queryset.model._default_manager.all()

    def get_queryset(self):
        return queryset_for_user(self.base_queryset(), self.request, self.viewer_visible)


class ScopedModelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """A model viewset whose rows are always narrowed to the user's scope."""


class ScopedReadOnlyModelViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """A read-only model viewset whose rows are always narrowed to the user's scope."""


class ScopedGenericViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    """A generic viewset (compose with DRF mixins) whose rows are always narrowed."""


class ScopedListCreateAPIView(ScopedViewSetMixin, generics.ListCreateAPIView):
    """A list/create view whose rows are always narrowed to the user's scope."""
