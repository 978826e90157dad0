"""An import's process starts without loading scipy (most of a second of CPU per process):
the Celery tasks and the ingest service load, the queueing and Erlang analyses import scipy
only when they compute."""
import os
import subprocess
import sys

from tests.conftest import REPO

SCRIPT = """
import sys
import django
django.setup()
from contactmis.celery import app
app.loader.import_default_modules()  # every app's tasks, as a worker or an eager run loads them
import measurements.services.ingest, measurements.tasks, stakeholders.tasks
print(sorted(m for m in sys.modules if m == "scipy" or m.startswith("scipy.")))
"""


def test_no_scipy_import_when_an_import_starts(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "contactmis.settings",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "REDIS_URL": "",
           "CELERY_BROKER_URL": ""}
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_the_analyses_still_compute_with_scipy_imported_when_needed():
    import numpy as np

    from reports.analysis.erlang import log_erlang_b
    from reports.analysis.queueing import lognormal_service_fit

    # Erlang B of 2 agents at 1 erlang: (1/2) / (1 + 1 + 1/2) = 0.2.
    assert np.isclose(np.exp(log_erlang_b(2, 1.0)), 0.2)
    fit = lognormal_service_fit(np.exp(np.linspace(3, 6, 200)))
    assert fit.n == 200 and 0 < fit.qq_correlation <= 1
