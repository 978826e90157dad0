"""Following a data source live: read the lines appended to its file since the last poll and
load them as one micro-batch through the ordinary ingest path.

- The position (inode, byte offset after the last complete line, first line) is kept in the
  database (:class:`measurements.models.SourceFollow`) in the same transaction that registers the
  micro-batch, so a restarted follower resumes where it stopped: nothing lost, nothing doubled.
- A partial last line (the writer is mid-line) is left for the next poll.
- Rotation: a new inode means the file was renamed away and a new one started; the rest of the
  old file is read first when it is still in the same folder (``queue_log.1``, ``queue_log-…``),
  then the new file from its start. A file shorter than the position, or whose first line
  changed, was truncated (copytruncate): read from its start again.
- The floor's live state (who waits, talks, is paused) is moved on by the lines read and
  published before they are loaded (``SourceFollow.live``), so the wallboard sees a caller
  within a poll, not after the load.
- Each micro-batch is an :class:`ImportBatch` loaded by ``batch_process``: contacts upserted on
  their natural key (a line read twice counts once), calls still open carried to the next batch
  (``ImportBatch.carry``, which is also the live state), today's intervals rebuilt.
- One follower per source at a time: a short lease claimed with a conditional update.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import io
import json
import logging
import os
import secrets
import time
from pathlib import Path

import pandas as pd
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..constants import BatchStatus, ExportFormat
from ..ingest import asterisk, events
from ..models import ImportBatch, SourceFollow
from ..selectors.live import source_follow_health
from .ingest import batch_create, batch_process, quality_checks_deferred
from .monitor import follow_silence_alert

logger = logging.getLogger(__name__)

#: Seconds a follower holds a source between polls; a crashed follower's lease lapses after it.
LEASE_S = 15
#: Largest micro-batch read at once (a backlog is read in several polls).
MAX_READ_BYTES = 4 << 20
#: Seconds between the data-quality runs of a followed source (not after every micro-batch).
QUALITY_EVERY_S = 300


def follow_claim(follow: SourceFollow, *, owner_until: dt.datetime | None = None) -> bool:
    """Claim (or renew) the source's lease for :data:`LEASE_S` seconds; ``False`` when another
    follower holds it. ``owner_until`` is the lease this follower holds (for a renewal)."""
    now = timezone.now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    if owner_until is not None:
        free |= Q(lease_until=owner_until)
    until = now + dt.timedelta(seconds=LEASE_S)
    if SourceFollow.objects.filter(free, pk=follow.pk).update(lease_until=until) != 1:
        return False
    follow.lease_until = until
    return True


def follow_release(follow: SourceFollow) -> None:
    SourceFollow.objects.filter(pk=follow.pk, lease_until=follow.lease_until).update(
        lease_until=None)
    follow.lease_until = None


def _first_line(path: Path) -> str:
    """The file's first line when it is complete (else ``""``: it may still be being written)."""
    with open(path, "rb") as fh:
        line = fh.readline(4096)
    return line.decode("utf-8", "replace") if line.endswith(b"\n") else ""


def _complete_lines(path: Path, start: int, *, final: bool = False) -> bytes:
    """Bytes of ``path`` from ``start`` up to its last newline (all of it when ``final``: a
    rotated-away file will not grow, so its unterminated last line is whole)."""
    with open(path, "rb") as fh:
        fh.seek(start)
        data = fh.read(MAX_READ_BYTES)
    if final and len(data) < MAX_READ_BYTES:
        return data if data.endswith(b"\n") or not data else data + b"\n"
    end = data.rfind(b"\n")
    return data[:end + 1] if end >= 0 else b""


def _rotated_away(path: Path, inode: int) -> Path | None:
    """The file with ``inode`` in ``path``'s folder (where logrotate moved it), if any."""
    with os.scandir(path.parent) as entries:
        for entry in entries:
            try:
                if entry.is_file() and entry.inode() == inode and entry.path != str(path):
                    return Path(entry.path)
            except OSError:
                continue
    return None


def _pending_process(follow: SourceFollow) -> list[ImportBatch]:
    """Load micro-batches registered but not loaded (the follower stopped in between)."""
    out = []
    # RUNNING too: a follower killed mid-load leaves its batch so (its transaction rolled back);
    # the lease means no other follower is loading this source now.
    for batch_id in (ImportBatch.objects.filter(source_id=follow.source_id,
                                                status__in=(BatchStatus.PENDING,
                                                            BatchStatus.RUNNING))
                     .order_by("pk").values_list("pk", flat=True)):
        out.append(batch_process(batch_id))
    return out


def follow_poll(follow: SourceFollow) -> list[ImportBatch]:
    """Read and load what was appended to the followed file since the last poll; returns the
    micro-batches loaded (none when nothing new arrived)."""
    loaded = _pending_process(follow)
    _last_batch_mark(follow, loaded)
    path = Path(follow.path)
    now = timezone.now()
    try:
        st = path.stat()
    except OSError:
        SourceFollow.objects.filter(pk=follow.pk).update(last_polled_at=now)
        return loaded
    reads: list[tuple[bytes, str]] = []
    rotated = False
    start = follow.offset
    if follow.inode is not None and st.st_ino != follow.inode:
        rotated = True
        old = _rotated_away(path, follow.inode)
        if old is not None and old.stat().st_size > follow.offset:
            reads.append((_complete_lines(old, follow.offset, final=True),
                          f"{old.name}@{follow.offset}"))
        start = 0
    elif follow.inode is not None and (st.st_size < follow.offset or (
            follow.head and follow.offset and _first_line(path) != follow.head)):
        rotated = True
        start = 0
    data = _complete_lines(path, start)
    if data:
        reads.append((data, f"{path.name}@{start}"))
    head = _first_line(path) if st.st_size else ""
    new_offset = start + len(data)
    if not any(chunk for chunk, _ in reads):
        SourceFollow.objects.filter(pk=follow.pk).update(
            last_polled_at=now, inode=st.st_ino, offset=new_offset, head=head,
            rotations=follow.rotations + rotated)
        follow.inode, follow.offset, follow.head = st.st_ino, new_offset, head
        follow.rotations += rotated
        return loaded
    lines = sum(chunk.count(b"\n") for chunk, _ in reads)
    rejected = 0
    if follow.format == SourceFollow.EVENTS:
        converted = []
        for chunk, name in reads:
            out, problems = events.jsonl_to_queue_log(chunk, pd.Timestamp(now))
            rejected += len(problems)
            for line, field, reason in problems[:20]:
                logger.warning("%s, %s line %s: %s %s", follow.source.name, name, line, field,
                               reason)
            converted.append((("\n".join(out) + "\n").encode() if out else b"", name))
        reads = converted
    _live_move(follow, reads, now)
    batches = []
    with transaction.atomic():
        for chunk, name in reads:
            if chunk:
                batches.append(batch_create(
                    source=follow.source, file=io.BytesIO(chunk), original_name=name,
                    export_format=ExportFormat.ASTERISK, enqueue=False))
        SourceFollow.objects.filter(pk=follow.pk).update(
            inode=st.st_ino, offset=new_offset, head=head, last_polled_at=now,
            last_line_at=now, lines_read=follow.lines_read + lines,
            rotations=follow.rotations + rotated,
            events_rejected=follow.events_rejected + rejected)
    follow.events_rejected += rejected
    follow.inode, follow.offset, follow.head = st.st_ino, new_offset, head
    follow.lines_read += lines
    follow.rotations += rotated
    follow.last_line_at = follow.last_polled_at = now
    for batch in batches:
        if batch.status == BatchStatus.PENDING:
            with quality_checks_deferred():
                batch = batch_process(batch.pk)
        loaded.append(batch)
    _last_batch_mark(follow, loaded)
    return loaded


def _live_move(follow: SourceFollow, reads: list[tuple[bytes, str]], now: dt.datetime) -> None:
    """Move the floor's live state on by the lines just read and publish it at once (its own
    autocommit update), before their micro-batch is loaded: a caller shows as waiting within a
    poll of its line being written, whatever the load costs. The state is kept in memory
    between polls and taken, when a follower starts, from the carry of the newest loaded
    micro-batch (which the position read so far follows)."""
    index = getattr(follow, "_live_index", None)
    if index is None:
        carry = (ImportBatch.objects.filter(pk=follow.last_batch_id)
                 .values_list("carry", flat=True).first() if follow.last_batch_id else None)
        index = follow._live_index = asterisk.live_index(asterisk.live_state(carry))
    asterisk.live_advance(index, (line for chunk, _ in reads
                                  for line in chunk.decode("utf-8", "replace").splitlines()))
    follow.live, follow.live_at = asterisk.live_listing(index), now
    SourceFollow.objects.filter(pk=follow.pk).update(live=follow.live, live_at=now)


def _last_batch_mark(follow: SourceFollow, batches: list[ImportBatch]) -> None:
    """Point the follow at its newest loaded micro-batch (whose carry is the live state)."""
    done = [b for b in batches if b.status == BatchStatus.LOADED]
    if done:
        follow.last_batch_id = done[-1].pk
        SourceFollow.objects.filter(pk=follow.pk).update(last_batch_id=done[-1].pk)


def follow_loop(follow_ids: list[int], *, duration_s: float | None = None,
                interval_s: float = 0.5, on_batch=None) -> int:
    """Poll the followed sources ``follow_ids`` for ``duration_s`` seconds (forever when
    ``None``), each under its lease: again at once after a round that loaded something, else
    after ``interval_s`` seconds; runs the measurement tests and the
    collection monitor of a source every :data:`QUALITY_EVERY_S` seconds while it brings data.
    Returns how many micro-batches were loaded. ``on_batch(follow, batch)`` reports each."""
    from ..tasks import quality_after_import

    stop_at = None if duration_s is None else time.monotonic() + duration_s
    follows = list(SourceFollow.objects.filter(pk__in=follow_ids, enabled=True)
                   .select_related("source__centre"))
    held: dict[int, SourceFollow] = {}
    last_quality: dict[int, tuple[float, int | None]] = {}
    was_stale: dict[int, bool] = {}
    count = 0
    try:
        while stop_at is None or time.monotonic() < stop_at:
            busy = False
            for follow in follows:
                if not follow_claim(follow, owner_until=held.get(follow.pk) and
                                    follow.lease_until):
                    held.pop(follow.pk, None)
                    continue
                held[follow.pk] = follow
                follow.refresh_from_db(fields=["offset", "inode", "head", "lines_read",
                                               "rotations", "path", "enabled", "last_line_at",
                                               "quiet_s"])
                if not follow.enabled:
                    continue
                stale = source_follow_health(follow, timezone.now()).stale
                if stale != was_stale.get(follow.pk):
                    follow_silence_alert(follow)  # raised, or resolved, when it flips
                    was_stale[follow.pk] = stale
                for batch in follow_poll(follow):
                    count += 1
                    busy = True
                    if on_batch:
                        on_batch(follow, batch)
                    at, _ = last_quality.get(follow.pk, (time.monotonic(), None))
                    last_quality[follow.pk] = (at, batch.pk)
                at, batch_id = last_quality.get(follow.pk, (time.monotonic(), None))
                if batch_id and time.monotonic() - at >= QUALITY_EVERY_S:
                    quality_after_import.delay(batch_id)
                    last_quality[follow.pk] = (time.monotonic(), None)
            if not any(f.enabled for f in follows):
                break  # every source was switched off
            if not busy:
                # Lines that arrived while a micro-batch was loading are read at once; the
                # follower rests only when a round brought nothing.
                time.sleep(interval_s)
    finally:
        for follow in held.values():
            follow_release(follow)
    return count


def follow_create(*, source, path: str = "", quiet_s: int,
                  format: str = SourceFollow.QUEUE_LOG) -> SourceFollow:  # noqa: A002
    """Follow ``source``: its file at ``path`` (an event file of pushed events gets a path in
    the media folder when none is given)."""
    follow = SourceFollow(source=source, path=path or "pending", quiet_s=quiet_s, format=format)
    follow.full_clean()
    follow.save()
    if not path:
        folder = Path(settings.MEDIA_ROOT) / "live"
        folder.mkdir(parents=True, exist_ok=True)
        follow.path = str(folder / f"source-{source.pk}-events.jsonl")
        follow.save(update_fields=["path"])
    return follow


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def follow_token_issue(follow: SourceFollow) -> str:
    """A new push token for ``follow`` (shown once; only its hash is kept; the old one stops
    working)."""
    token = secrets.token_urlsafe(32)
    follow.token_sha256 = _token_hash(token)
    follow.save(update_fields=["token_sha256"])
    return token


def follow_for_token(source_id: int, token: str) -> SourceFollow | None:
    """The followed event source ``source_id`` when ``token`` is its push token, else ``None``
    (same answer for a wrong token, an unknown source and a source without pushes)."""
    follow = (SourceFollow.objects.filter(source_id=source_id, format=SourceFollow.EVENTS,
                                          enabled=True).exclude(token_sha256="")
              .select_related("source").first())
    if follow is None or not secrets.compare_digest(follow.token_sha256, _token_hash(token)):
        return None
    return follow


#: Most events one push may carry.
MAX_PUSH_EVENTS = 1000


def events_push(follow: SourceFollow, items) -> tuple[int, list[tuple[int, str, str]]]:
    """Check pushed events and append the usable ones to the source's event file, where the
    follower picks them up like any new line (one write under a lock, so concurrent pushes
    never interleave a line). Returns ``(accepted, problems)``; nothing is written when any
    event is unusable, so a sender can correct and resend the whole push."""
    if not isinstance(items, list):
        items = [items]
    if len(items) > MAX_PUSH_EVENTS:
        return 0, [(MAX_PUSH_EVENTS, "", f"at most {MAX_PUSH_EVENTS} events per push")]
    _, problems = events.to_queue_log(items, pd.Timestamp(timezone.now()))
    if problems or not items:
        return 0, problems
    body = "".join(json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n"
                   for item in items).encode()
    with open(follow.path, "ab") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            fh.write(body)
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
    return len(items), []
