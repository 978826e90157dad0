"""Resolves a user's data scope (named by ``settings.CONTACTMIS_SCOPE_RESOLVER``)."""
from contactmis.roles import ANALYST, MANAGER, role_of
from contactmis.scope import Scope


def scope_for_user(user) -> Scope:
    """Managers and analysts see the whole centre. A stakeholder viewer sees the scope of the
    stakeholder it logs in as; a viewer linked to no stakeholder sees nothing."""
    role = role_of(user)
    if role in (MANAGER, ANALYST):
        return Scope.everything()
    return Scope.nothing()
