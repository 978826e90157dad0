"""Settings changed for one step of a transaction on the real PostgreSQL: in force inside the
block, put back after it, and undone by the rollback of a savepoint taken before it when an
error leaves the block."""
import pytest
from django.db import DatabaseError, connection, transaction

from measurements.services.pgsettings import transaction_settings

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _show(*names):
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(["current_setting(%s)"] * len(names)), names)
        return cursor.fetchone()


def test_settings_hold_inside_the_block_and_are_put_back_after_it():
    with transaction.atomic():
        before = _show("work_mem", "enable_nestloop")
        assert before != ("77MB", "off")
        with transaction_settings(work_mem="77MB", enable_nestloop="off"):
            assert _show("work_mem", "enable_nestloop") == ("77MB", "off")
        assert _show("work_mem", "enable_nestloop") == before
    assert _show("work_mem", "enable_nestloop") == before


def test_an_error_inside_a_savepoint_is_rolled_back_with_the_setting():
    with transaction.atomic():
        before = _show("lock_timeout")
        with pytest.raises(DatabaseError), transaction.atomic(), \
                transaction_settings(lock_timeout="2s"), connection.cursor() as cursor:
            assert _show("lock_timeout") == ("2s",)
            cursor.execute("SELECT 1 / 0")
        # Nothing was put back on the error: the savepoint's rollback undid the setting, and
        # the transaction goes on.
        assert _show("lock_timeout") == before
