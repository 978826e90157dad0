"""The data version: a token that changes whenever rollup data is written (every ingest and
rollup bumps it through ``measurements.services.daily``). Caches of figures computed from the
rollups put it in their keys, so new data is visible at once and old entries simply age out."""
import time

from django.core.cache import cache

DATA_VERSION_KEY = "contactmis:data-version"


def data_version() -> int:
    """The current data version. If the cache lost it (restart, eviction) a new one is started
    from the clock, so a key computed before can never be mistaken for a current one."""
    version = cache.get(DATA_VERSION_KEY)
    if version is None:
        cache.add(DATA_VERSION_KEY, time.time_ns(), timeout=None)
        version = cache.get(DATA_VERSION_KEY, time.time_ns())
    return version
