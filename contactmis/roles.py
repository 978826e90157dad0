"""Roles: manager (configures everything), analyst (reads everything, uploads data) and
stakeholder viewer (sees only its stakeholder's data scope). Roles are Django groups."""
from django.contrib.auth.mixins import AccessMixin
from django.http import Http404

MANAGER = "manager"
ANALYST = "analyst"
VIEWER = "viewer"
ROLES = (MANAGER, ANALYST, VIEWER)
ROLE_LABELS = {MANAGER: "Manager", ANALYST: "Analyst", VIEWER: "Stakeholder viewer"}


def role_of(user):
    """The user's role, or ``None`` for an anonymous user or one with no role.

    Superusers are managers. A user in several groups gets the strongest role.
    """
    if not getattr(user, "is_authenticated", False):
        return None
    if user.is_superuser:
        return MANAGER
    cached = getattr(user, "_contactmis_role", False)
    if cached is not False:
        return cached
    names = set(user.groups.values_list("name", flat=True))
    role = next((r for r in ROLES if r in names), None)
    user._contactmis_role = role
    return role


def is_manager(user):
    return role_of(user) == MANAGER


def can_read_all(user):
    """Managers and analysts see the whole centre; viewers only their scope."""
    return role_of(user) in (MANAGER, ANALYST)


def can_upload(user):
    return role_of(user) in (MANAGER, ANALYST)


class PageMixin(AccessMixin):
    """The base of every page view (a test fails for a page that does without it).

    Applies the one access convention of pages and API alike: a stakeholder viewer asking for a
    page outside its scope (centre-wide planning, configuration, data collection) gets 404, as for
    an object of another stakeholder, so the answer does not tell what exists; a manager or
    analyst, whose role sees the whole centre, gets 403 for a page their role may not use. The
    viewer's data scope is ``self.scope`` (also ``request.scope``): views pass it to every
    selector.
    """

    allowed_roles = ROLES

    def dispatch(self, request, *args, **kwargs):
        role = role_of(request.user)
        if role not in self.allowed_roles:
            if role == VIEWER:
                raise Http404
            return self.handle_no_permission()
        self.role = role
        self.scope = request.scope
        return super().dispatch(request, *args, **kwargs)


class ManagerRequiredMixin(PageMixin):
    allowed_roles = (MANAGER,)


class StaffRequiredMixin(PageMixin):
    """Managers and analysts."""

    allowed_roles = (MANAGER, ANALYST)
