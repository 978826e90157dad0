"""Watching the data sources' drop folders: the beat task runs :func:`drop_folders_watch` each
minute, which scans every few seconds for most of that minute, so a file dropped is loaded
within seconds (its settle time plus one scan interval), not at the next minute.

Each source's folder is scanned under a claim in the shared cache (Redis when configured), so
two workers — the minute's task starting while the last one still loads a large file — never
pick up the same file twice; a claim lapses after :data:`CLAIM_S` if its worker died."""
from __future__ import annotations

import secrets
import time

from django.core.cache import cache

from ..models import DataSource
from .ingest import drop_folder_scan

#: Seconds a worker's claim on a folder lasts (longer than any one file's load).
CLAIM_S = 3600
#: Seconds between scans while watching.
SCAN_EVERY_S = 5.0


def _claim_key(source_id: int) -> str:
    return f"contactmis:drop-folder:{source_id}"


def drop_folders_scan(*, settle_s: int = 5, names: list[str] | None = None) -> list:
    """Scan each data source's drop folder once (only the sources ``names`` when given),
    skipping folders another worker is scanning; returns the batches created."""
    sources = DataSource.objects.exclude(drop_folder="").select_related("centre")
    if names:
        sources = sources.filter(name__in=names)
    batches = []
    for source in sources:
        key, token = _claim_key(source.pk), secrets.token_hex(8)
        if not cache.add(key, token, CLAIM_S):
            continue
        try:
            batches += drop_folder_scan(source, settle_s=settle_s)
        finally:
            if cache.get(key) == token:
                cache.delete(key)
    return batches


def drop_folders_watch(*, duration_s: float = 55, interval_s: float = SCAN_EVERY_S,
                       settle_s: int = 5) -> list:
    """Scan the drop folders every ``interval_s`` seconds for ``duration_s`` seconds (once when
    no source has a drop folder); returns the batches created."""
    stop_at = time.monotonic() + duration_s
    batches = drop_folders_scan(settle_s=settle_s)
    if not DataSource.objects.exclude(drop_folder="").exists():
        return batches  # no folder to watch: the worker slot is not held for nothing
    while time.monotonic() + interval_s < stop_at:
        time.sleep(interval_s)
        batches += drop_folders_scan(settle_s=settle_s)
    return batches
