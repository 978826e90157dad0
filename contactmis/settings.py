"""ContactMIS settings.

Everything comes from the environment, with embedded defaults so that a fresh clone runs with
nothing set: SQLite in ``var/``, Celery tasks in-process, e-mail written as files under
``var/mail``. Every variable is listed once in the README.
"""
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEFAULT_SECRET_KEY = "contactmis-insecure-development-key"
DEBUG = env.bool("DJANGO_DEBUG", default=True)
# The key itself, or a file holding it (``make demo`` generates one once in var/secret_key).
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY and env.str("DJANGO_SECRET_KEY_FILE", default=""):
    SECRET_KEY = Path(env.str("DJANGO_SECRET_KEY_FILE")).read_text().strip()
SECRET_KEY = SECRET_KEY or DEFAULT_SECRET_KEY
if not DEBUG and SECRET_KEY == DEFAULT_SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off; the default key is public."
    )
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "contactmis",
    "pathways",
    "measurements",
    "reports",
    "stakeholders",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "contactmis.middleware.LoginRequiredMiddleware",
    "contactmis.middleware.DebugPagesForStaffMiddleware",
    "contactmis.middleware.CentreTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "contactmis.urls"
WSGI_APPLICATION = "contactmis.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "contactmis.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'contactmis.sqlite3'}"),
}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the in-process worker write while pages read; the timeout rides out short locks.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# --- Sign-in throttling (django-axes) -------------------------------------------------------------
# Failed sign-ins are counted per user name and address; after AXES_FAILURE_LIMIT of them the pair
# is locked out for the cool-off (each further attempt during it starts the cool-off again). A
# successful sign-in clears the count. The backend that checks the lockout must come first.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env.bool("CONTACTMIS_LOGIN_THROTTLE", default=True)
AXES_FAILURE_LIMIT = env.int("CONTACTMIS_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("CONTACTMIS_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "contactmis.views.login_locked_out"
AXES_VERBOSE = False

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# The time zone a new centre gets; each centre keeps its own (intervals, "yesterday", weeks and
# months are all in the centre's local time).
CENTRE_TIME_ZONE = env.str("CENTRE_TIME_ZONE", default="Europe/London")

STATIC_URL = "static/"
# ``collectstatic`` gathers files here; WhiteNoise serves them (no web server or --insecure).
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=VAR_DIR / "static")
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "contactmis.staticfinders.PlotlyFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
MEDIA_URL = "media/"
# Uploaded exports can be large; Django streams anything above this to a temporary file.
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
CONTACTMIS_MAX_UPLOAD_BYTES = env.int("CONTACTMIS_MAX_UPLOAD_MB", default=512) * 1024 * 1024

# --- Celery -----------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
# No broker: run every task in-process, so the demo and the tests need no Redis.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="contactmis")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_RESULT_EXPIRES = 3600
CELERY_TIMEZONE = "UTC"

# --- Cache (dashboard widget results, the data version) ------------------------------------------
# Shared by every web process and worker: Redis at CACHE_URL, else the Redis of REDIS_URL on the
# next database number (its own db, so clearing the cache never touches the broker's queues),
# else a file cache in var/ (no services needed; still shared by the processes of one machine).
CACHE_URL = env.str("CACHE_URL", default="")
if not CACHE_URL and REDIS_URL:
    _redis = urlsplit(REDIS_URL)
    _db = int((_redis.path or "/0").strip("/") or 0)
    CACHE_URL = urlunsplit(_redis._replace(path=f"/{(_db + 1) % 16}"))
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": CACHE_URL, "KEY_PREFIX": "contactmis"}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": str(VAR_DIR / "cache"), "KEY_PREFIX": "contactmis",
                          "OPTIONS": {"MAX_ENTRIES": 5000}}}
# Seconds a computed dashboard widget is kept (its key holds the data version, so new data shows
# at once whatever this is); 0 turns the cache off.
CONTACTMIS_DASHBOARD_CACHE_S = env.int("CONTACTMIS_DASHBOARD_CACHE_S", default=900)
# Recompute the default dashboards in the background after each import (needs a worker).
CONTACTMIS_DASHBOARD_WARM = env.bool("CONTACTMIS_DASHBOARD_WARM",
                                     default=not CELERY_TASK_ALWAYS_EAGER)
# Reports and dashboards read day-and-longer periods from the daily rollup.
CONTACTMIS_DAILY_ROLLUP = env.bool("CONTACTMIS_DAILY_ROLLUP", default=True)
# The data-collection monitor alerts when more than this share (0..1) of a month's contacts of a
# feed have no value for a dimension reports and widgets group by (a centre may set its own).
CONTACTMIS_UNASSIGNED_ALERT_SHARE = env.float("CONTACTMIS_UNASSIGNED_ALERT_SHARE", default=0.2)

# --- Mail (one block: Django 6.1 replaces EMAIL_* with MAILERS) --------------------------------
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    _email = environ.Env.email_url_config(EMAIL_URL)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _email["EMAIL_HOST"]
    EMAIL_PORT = _email["EMAIL_PORT"]
    EMAIL_HOST_USER = _email["EMAIL_HOST_USER"]
    EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"]
    EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = env.path("EMAIL_FILE_PATH", default=VAR_DIR / "mail")
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ContactMIS <contactmis@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- API -----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an anonymous API call gets 401 with a WWW-Authenticate header.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["contactmis.permissions.RolePermission"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "contactmis.api.pagination.BoundedLimitOffsetPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "contactmis.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ContactMIS API",
    "DESCRIPTION": "Contact-centre management information: plans, pathways, measurements, "
    "data collection, analysis, dashboards and reports.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs need a login with a role, like every other page and endpoint.
    "SERVE_PERMISSIONS": ["contactmis.permissions.RolePermission"],
    # Swagger UI and Redoc from the installed drf-spectacular-sidecar: they work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# The function that says what data a user may see (see contactmis.scope).
CONTACTMIS_SCOPE_RESOLVER = "stakeholders.scope.scope_for_user"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# One OpenAPI enum for the measurement methods used by steps and measurement configurations.
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {})[
    "MeasurementMethodEnum"] = "pathways.constants.MeasurementMethod"
# --- Data collection ---------------------------------------------------------------------------
# Rows read per chunk by the ingest adapters (memory per chunk; progress is published per chunk).
CONTACTMIS_INGEST_CHUNK_ROWS = env.int("CONTACTMIS_INGEST_CHUNK_ROWS", default=200_000)
# Months of rollup data kept before the current month (``manage.py retention`` and the monthly
# task remove older ones; unset or 0: keep everything), and where removed months are archived
# (gzip-compressed CSV, one file per monthly partition on PostgreSQL).
CONTACTMIS_RETENTION_MONTHS = env.int("CONTACTMIS_RETENTION_MONTHS", default=0)
CONTACTMIS_ARCHIVE_DIR = env.path("CONTACTMIS_ARCHIVE_DIR", default=VAR_DIR / "archive")
