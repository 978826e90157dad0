"""Which cache the settings choose: Redis at CACHE_URL, else the Redis of REDIS_URL on the next
database number (never the broker's own), else a file cache needing no service."""
import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO

SHOW = ("import django, json; django.setup(); from django.conf import settings; "
        "c = settings.CACHES['default']; print(json.dumps([c['BACKEND'], c['LOCATION']]))")


def _cache(**env):
    clean = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CACHE_URL")}
    out = subprocess.run([sys.executable, "-c", SHOW], cwd=REPO, capture_output=True, text=True,
                         check=True, env={**clean, "DJANGO_SETTINGS_MODULE": "contactmis.settings",
                                          **env})
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(("env", "backend", "location"), [
    ({"REDIS_URL": "redis://cache-host:6379/8"}, "RedisCache", "redis://cache-host:6379/9"),
    ({"REDIS_URL": "redis://cache-host:6379"}, "RedisCache", "redis://cache-host:6379/1"),
    ({"REDIS_URL": "redis://cache-host:6379/8", "CACHE_URL": "redis://other:6379/3"},
     "RedisCache", "redis://other:6379/3"),
    ({}, "FileBasedCache", "var/cache"),
])
def test_the_cache_is_chosen_from_the_environment(env, backend, location):
    chosen_backend, chosen_location = _cache(**env)
    assert chosen_backend.endswith(backend)
    assert chosen_location.endswith(location)
