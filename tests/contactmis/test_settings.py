"""Settings refuse unsafe production configuration."""
import os
import subprocess
import sys

from tests.conftest import REPO


def _import_settings(**env):
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import contactmis.settings"],
        cwd=REPO, env=environment, capture_output=True, text=True, check=False,
    )


def test_refuses_the_default_secret_key_when_debug_is_off():
    result = _import_settings(DJANGO_DEBUG="false")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_starts_with_a_real_secret_key_when_debug_is_off():
    result = _import_settings(DJANGO_DEBUG="false", DJANGO_SECRET_KEY="a-real-secret-2026")
    assert result.returncode == 0, result.stderr


def test_embedded_defaults_use_sqlite_and_eager_celery():
    code = ("from django.conf import settings as s; import django; django.setup(); "
            "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.EMAIL_BACKEND)")
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "EMAIL_URL")}
    environment["DJANGO_SETTINGS_MODULE"] = "contactmis.settings"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=environment,
                            capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["django.db.backends.sqlite3", "True",
                                     "django.core.mail.backends.filebased.EmailBackend"]
