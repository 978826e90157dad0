"""Resolves a user's data scope (named by ``settings.CONTACTMIS_SCOPE_RESOLVER``)."""
from contactmis.roles import ANALYST, MANAGER, VIEWER, role_of
from contactmis.scope import Scope


def stakeholder_scope(stakeholder) -> Scope:
    """The data scope of ``stakeholder``: everything with ``sees_whole_centre``; otherwise the
    filled dimensions restrict (empty ones do not), and nothing at all when none is filled."""
    if stakeholder.sees_whole_centre:
        return Scope(label=f"{stakeholder.name}: whole centre")
    # ``.all()`` so a prefetched register list costs no query per stakeholder.
    queue_ids = frozenset(q.pk for q in stakeholder.queues.all())
    pathway_ids = frozenset(p.pk for p in stakeholder.pathways.all())
    dims = {
        "queue_ids": queue_ids or None,
        "pathway_ids": pathway_ids or None,
        "channels": frozenset(stakeholder.channels) or None,
        "sites": frozenset(stakeholder.sites) or None,
        "segments": frozenset(stakeholder.segments) or None,
    }
    if all(v is None for v in dims.values()):
        return Scope(queue_ids=frozenset(), label=f"{stakeholder.name}: no data scope set")
    return Scope(**dims, label=stakeholder.name)


def stakeholder_of_user(user):
    """The stakeholder ``user`` logs in as, or ``None``."""
    from .models import Stakeholder

    if not getattr(user, "is_authenticated", False):
        return None
    return Stakeholder.objects.filter(members__user=user).first()


def scope_for_user(user) -> Scope:
    """Managers and analysts see the whole centre. A stakeholder viewer sees the scope of the
    stakeholder it logs in as; a viewer linked to no stakeholder (or anyone else) sees nothing."""
    role = role_of(user)
    if role in (MANAGER, ANALYST):
        return Scope.everything()
    if role == VIEWER:
        stakeholder = stakeholder_of_user(user)
        if stakeholder is not None:
            return stakeholder_scope(stakeholder)
    return Scope.nothing()
