"""The one place that says which values an export may bring: every adapter (generic, Anonymous
Bank, Asterisk, Amazon Connect, survey, interval report, scripted) checks its values against
these bounds, and a value beyond them is a reject naming the file's line, the field and the
reason — never a figure.

Bounds and why:

- **Times** lie in 1990-01-01 … 2100-12-31 UTC, and no later than the *horizon*: the moment
  of the import plus one day (``Options.not_after``, set by the loader; the day covers time
  zones and clock skew). A contact recorded in 2099 has not happened yet, so it is a reject,
  not a forecast.
- **Durations** are whole, finite, non-negative seconds. A leg of a synchronous contact (voice,
  chat, SMS, social) lasts at most 7 days; talk, hold and after-contact work last at most 7 days
  on every channel. The queue wait and the span of an e-mail or web form — channels answered in
  hours or days — may last up to 90 days (``ASYNC_CHANNELS``).
- **Counts** of an interval row (offered, answered, …) are whole numbers 0 … 1,000,000, and
  the totals of seconds of an interval row are at most 1,000,000 × 90 days. Stored counts are
  32-bit columns; with these bounds a sum of 10 million interval rows (or 10¹² legs of ≤ 90
  days) still fits a signed 64-bit integer, so no rollup or daily sum can overflow.
- **Texts** fit their model column (``TEXT_LIMITS``): a longer value is a reject, never cut.
- **Order**: a contact does not end (or get answered) before it arrives; a span does not end
  before it starts.

The checks come as vectorised helpers for frame-based adapters (:class:`Checks`) and as scalar
helpers for record-based ones (:func:`time_problem`, :func:`seconds_problem`,
:func:`text_problem`); both say the same thing in the same words.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

TIME_MIN = pd.Timestamp("1990-01-01", tz="UTC")
TIME_MAX = pd.Timestamp("2101-01-01", tz="UTC")  # exclusive: 2100-12-31 23:59:59 is the last
HORIZON = pd.Timedelta(days=1)

DAY_S = 86_400
MAX_DURATION_S = 7 * DAY_S
MAX_ASYNC_DURATION_S = 90 * DAY_S
ASYNC_CHANNELS = frozenset({"email", "web_form"})
MAX_COUNT = 1_000_000
MAX_TOTAL_S = MAX_COUNT * MAX_ASYNC_DURATION_S
MAX_INTERVAL_S = DAY_S

# Model column lengths (Contact, Queue, Agent, SurveyResponse, AgentState).
TEXT_LIMITS = {
    "external_id": 200,
    "customer_ref": 200,
    "customer_segment": 60,
    "contact_type": 60,
    "queue": 120,
    "agent": 120,
    "contact_ref": 200,
    "reason": 120,
}

TIME_REASON = "outside 1990–2100"


def horizon(not_after) -> pd.Timestamp:
    """The latest acceptable time: ``not_after`` (the import moment) plus :data:`HORIZON`,
    capped at :data:`TIME_MAX`."""
    if not_after is None:
        return TIME_MAX
    ts = pd.Timestamp(not_after)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return min(ts + HORIZON, TIME_MAX)


def future_reason(not_after) -> str:
    return f"in the future (after {horizon(not_after):%Y-%m-%d %H:%M} UTC, a day after the import)"


def max_wait_s(channel: str | None) -> int:
    """The longest queue wait or contact span of ``channel`` (see the module docstring)."""
    return MAX_ASYNC_DURATION_S if channel in ASYNC_CHANNELS else MAX_DURATION_S


def duration_reason(limit: int) -> str:
    days = limit // DAY_S
    return f"not a duration of 0 to {days} days ({limit} s)"


# --- scalar checks (record-based adapters) --------------------------------------------------------


def time_problem(ts, not_after=None) -> str | None:
    """Why ``ts`` (a UTC Timestamp) is not an acceptable time, or ``None``."""
    if ts is None or pd.isna(ts):
        return "missing or not a date/time"
    if ts < TIME_MIN or ts >= TIME_MAX:
        return TIME_REASON
    if ts > horizon(not_after):
        return future_reason(not_after)
    return None


def epoch_problem(epoch: float, not_after=None) -> str | None:
    """Why ``epoch`` (seconds since 1970, UTC) is not an acceptable time, or ``None`` (checked
    as a number first: an epoch far beyond 2262 is not even a pandas timestamp)."""
    if not math.isfinite(epoch) or not TIME_MIN.timestamp() <= epoch < TIME_MAX.timestamp():
        return TIME_REASON
    return time_problem(pd.Timestamp(epoch, unit="s", tz="UTC"), not_after)


def seconds(value, limit: int = MAX_DURATION_S) -> tuple[int, str | None]:
    """``(whole seconds, problem)`` of a duration value from a record (a number or a numeric
    text; empty/None is 0). ``problem`` is ``None`` when the value is usable."""
    if value is None or value == "":
        return 0, None
    if isinstance(value, bool):
        return 0, duration_reason(limit)
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return 0, duration_reason(limit)
    if not isinstance(value, int | float) or isinstance(value, float) and not math.isfinite(value):
        return 0, duration_reason(limit)
    if value < 0 or value > limit:
        return 0, duration_reason(limit)
    return int(round(value)), None


def seconds_problem(value, limit: int = MAX_DURATION_S) -> str | None:
    return seconds(value, limit)[1]


def text_problem(value, field: str) -> str | None:
    limit = TEXT_LIMITS[field]
    if value is not None and len(str(value)) > limit:
        return f"longer than {limit} characters"
    return None


# --- vectorised checks (frame-based adapters) ---------------------------------------------------


class Checks:
    """Collects the rejects of one frame of rows indexed by file line.

    ``raw(line)`` gives the text stored with a reject. Each check marks the rows it rejects in
    ``bad`` and records a reject only for a row not already rejected (one reason per line).
    """

    def __init__(self, index, raw, not_after=None):
        self.bad = pd.Series(False, index=index)
        self.rows: list[tuple] = []
        self._raw = raw
        self.not_after = not_after

    def reject(self, mask, field, reason):
        mask = pd.Series(mask, index=self.bad.index).fillna(False).astype(bool)
        for line in self.bad.index[mask & ~self.bad]:
            self.rows.append((int(line), field, reason, str(self._raw(line))[:500]))
        self.bad |= mask
        return mask

    def times(self, series: pd.Series, field: str):
        """Reject times outside 1990–2100 or beyond the horizon (NaT is left to the caller)."""
        known = series.notna()
        self.reject(known & ((series < TIME_MIN) | (series >= TIME_MAX)), field, TIME_REASON)
        self.reject(
            known & (series > horizon(self.not_after)), field, future_reason(self.not_after)
        )

    def order(self, earlier: pd.Series, later: pd.Series, field: str, reason: str):
        self.reject(earlier.notna() & later.notna() & (later < earlier), field, reason)

    def durations(self, values: pd.Series, field: str, limit=MAX_DURATION_S, text=None):
        """Reject durations that are not finite, negative or above ``limit`` (seconds; a number
        or a Series of per-row limits). ``text``: the raw texts, so an unparseable non-empty
        value is rejected too. Returns int64 seconds with rejected and empty values 0."""
        values = pd.to_numeric(values, errors="coerce").astype(float)
        limits = limit if isinstance(limit, pd.Series) else pd.Series(limit, index=values.index)
        wrong = values.notna() & (~np.isfinite(values) | (values < 0) | (values > limits))
        if text is not None:
            wrong |= values.isna() & text.astype(str).str.strip().ne("")
        for each in sorted(set(limits.dropna().astype(int))):
            self.reject(wrong & limits.eq(each), field, duration_reason(each))
        return values.where(~wrong & values.notna(), 0).round().astype("int64")

    def counts(self, values: pd.Series, field: str, limit=MAX_COUNT):
        """Reject counts that are not whole numbers 0 … ``limit``; return them as int64."""
        values = pd.to_numeric(values, errors="coerce").astype(float)
        wrong = ~np.isfinite(values) | (values < 0) | (values > limit) | (values % 1 != 0)
        self.reject(wrong, field, f"not a whole number 0 to {limit:,}")
        return values.where(~wrong, 0).astype("int64")

    def texts(self, values: pd.Series, field: str, kind: str):
        limit = TEXT_LIMITS[kind]
        self.reject(values.astype(str).str.len() > limit, field, f"longer than {limit} characters")
