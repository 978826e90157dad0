"""The rollup tables partitioned by month of ``local_date`` on PostgreSQL (SQLite unchanged).

Each table is rebuilt as a partitioned table with the same columns, identity, defaults and
indexes; its primary key becomes (id, local_date), as PostgreSQL requires the partition key in
it (ids stay unique: they are drawn from one identity sequence). Rows present are copied into
monthly partitions; a default partition keeps rows of months not created yet. Django's model
state is unchanged, so ``makemigrations`` sees nothing to do. Reversing turns the tables back
into plain ones.
"""
from django.db import migrations

TABLES = {
    "measurements_intervalstat": "local_date",
    "measurements_agentintervalstat": "local_date",
    "measurements_dailystat": "local_date",
}


def _month_add(day, months):
    import datetime as dt

    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _swap(cursor, table, create_sql, key):
    """Rename ``table`` aside, create the new one with ``create_sql``, move the rows, restore
    the indexes under their names, drop the old one. Returns nothing; runs in the migration's
    transaction."""
    cursor.execute("SELECT c.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
                   "JOIN pg_class c ON c.oid = x.indexrelid "
                   "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary", [table])
    indexes = cursor.fetchall()
    old = f"{table}_old"
    cursor.execute(f"ALTER TABLE {table} RENAME TO {old}")
    cursor.execute(f"ALTER TABLE {old} RENAME CONSTRAINT {table}_pkey TO {old}_pkey")
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    cursor.execute(create_sql.format(table=table, old=old))
    return indexes, old


def _finish(cursor, table, indexes, old):
    cursor.execute(f"INSERT INTO {table} SELECT * FROM {old}")
    for _, definition in indexes:
        cursor.execute(definition.replace(" ON ONLY ", " ON "))
    cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                   f"GREATEST((SELECT MAX(id) FROM {old}), 1), "
                   f"(SELECT MAX(id) FROM {old}) IS NOT NULL)")
    cursor.execute(f"DROP TABLE {old}")
    # The identity sequence was created while the old table's held the usual name.
    cursor.execute(f"SELECT pg_get_serial_sequence('{table}', 'id')")
    sequence = cursor.fetchone()[0]
    if sequence.split(".")[-1] != f"{table}_id_seq":
        cursor.execute(f"ALTER SEQUENCE {sequence} RENAME TO {table}_id_seq")
    cursor.execute(f"ANALYZE {table}")


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table, key in TABLES.items():
            indexes, old = _swap(
                cursor, table,
                "CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING IDENTITY "
                "INCLUDING STORAGE INCLUDING CONSTRAINTS) PARTITION BY RANGE (" + key + ")",
                key)
            cursor.execute(f"ALTER TABLE {table} ADD PRIMARY KEY (id, {key})")
            cursor.execute(f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT")
            cursor.execute(f"SELECT MIN({key}), MAX({key}) FROM {old}")
            first, last = cursor.fetchone()
            if first is not None:
                month = first.replace(day=1)
                while month <= last:
                    end = _month_add(month, 1)
                    cursor.execute(f"CREATE TABLE {table}_p{month:%Y%m} PARTITION OF {table} "
                                   f"FOR VALUES FROM ('{month.isoformat()}') "
                                   f"TO ('{end.isoformat()}')")
                    month = end
            _finish(cursor, table, indexes, old)


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table, key in TABLES.items():
            cursor.execute("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [table])
            if cursor.fetchone()[0] != "p":
                continue
            indexes, old = _swap(
                cursor, table,
                "CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING IDENTITY "
                "INCLUDING STORAGE INCLUDING CONSTRAINTS)", key)
            cursor.execute(f"ALTER TABLE {table} ADD PRIMARY KEY (id)")
            _finish(cursor, table, indexes, old)


class Migration(migrations.Migration):

    dependencies = [
        ("measurements", "0014_source_follow_live"),
    ]

    operations = [
        migrations.RunPython(partition, unpartition, elidable=False),
    ]
