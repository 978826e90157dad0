"""PostgreSQL settings changed for one step of a transaction, then put back.

Large loads give a statement more memory (``work_mem``, ``maintenance_work_mem``), forbid a plan
that tables without statistics would mislead (``enable_nestloop``) or bound a lock wait
(``lock_timeout``) — for that statement only, not for the rest of the batch's transaction.
"""
from __future__ import annotations

import contextlib

from django.db import connection


@contextlib.contextmanager
def transaction_settings(**values):
    """Set each PostgreSQL setting named by a keyword to its value for the current
    transaction (``set_config(…, true)``), and put the previous values back on leaving. On
    an error nothing is put back: the rollback that follows (of the transaction, or of a
    savepoint taken before this) undoes the settings with the rest."""
    names = list(values)
    with connection.cursor() as cursor:
        # One round trip: the previous values are read before the new ones are set (a select
        # list is evaluated left to right).
        cursor.execute("SELECT " + ", ".join(["current_setting(%s)"] * len(names)
                                             + ["set_config(%s, %s, true)"] * len(names)),
                       names + _pairs(names, [str(values[n]) for n in names]))
        previous = cursor.fetchone()[:len(names)]
    yield
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(["set_config(%s, %s, true)"] * len(names)),
                       _pairs(names, previous))


def _pairs(names, values) -> list:
    return [x for pair in zip(names, values, strict=True) for x in pair]
