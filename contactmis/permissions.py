"""API permissions by role.

Every endpoint needs an authenticated user with a role. Reads are open to every role (viewers are
further restricted to their scope by the queryset); writes need a manager unless the view lists
more roles in ``write_roles`` (for example uploads, which analysts may make).
"""
from rest_framework.permissions import SAFE_METHODS, BasePermission

from .roles import MANAGER, role_of


class RolePermission(BasePermission):
    message = "Your role does not allow this."

    def has_permission(self, request, view):
        role = role_of(request.user)
        if role is None:
            return False
        if request.method in SAFE_METHODS:
            read_roles = getattr(view, "read_roles", None)
            return read_roles is None or role in read_roles
        return role in getattr(view, "write_roles", (MANAGER,))
