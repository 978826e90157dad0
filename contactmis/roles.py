"""Roles: manager (configures everything), analyst (reads everything, uploads data) and
stakeholder viewer (sees only its stakeholder's data scope). Roles are Django groups."""
from django.contrib.auth.mixins import AccessMixin

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


class RoleRequiredMixin(AccessMixin):
    """View mixin: only the listed roles may use the view; everyone else gets 403."""

    allowed_roles = (MANAGER,)

    def dispatch(self, request, *args, **kwargs):
        if role_of(request.user) not in self.allowed_roles:
            return self.handle_no_permission()
        return super().dispatch(request, *args, **kwargs)


class ManagerRequiredMixin(RoleRequiredMixin):
    allowed_roles = (MANAGER,)


class StaffRequiredMixin(RoleRequiredMixin):
    """Managers and analysts."""

    allowed_roles = (MANAGER, ANALYST)
