"""Flowscope settings: every knob comes from the environment and bad values fail loudly.

The README has a table of every variable read here; keep the two in step.
"""
import json
import os
import re
import warnings
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name, default=None):
    """A setting from NAME, or from the file named by NAME_FILE (for secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text().strip()
    return os.environ.get(name, default)


def envbool(name, default):
    value = env(name, default)
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use true or false)")


def envint(name, default, minimum=None):
    value = env(name, str(default))
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} must be at least {minimum}")
    return number


def envlist(name, default=""):
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


KINESIS_STREAM_ARN = re.compile(r"^arn:aws[a-z-]*:kinesis:[a-z0-9-]+:\d{12}:stream/[A-Za-z0-9_.-]{1,128}$")


def envarns(name, pattern, what):
    values = envlist(name, "")
    for value in values:
        if not pattern.match(value):
            raise ImproperlyConfigured(f"{name}: {value!r} is not {what}")
    return values


DEBUG = envbool("DEBUG", "false")
# Local use only (laptop, tests, the demo). `check --deploy` fails while it is in use
# (flows.checks), and FLOWSCOPE_REQUIRE_SECRET_KEY=true refuses to start without SECRET_KEY.
DEVELOPMENT_SECRET_KEY = "flowscope-insecure-development-key-set-SECRET_KEY-in-production"
SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG and envbool("FLOWSCOPE_REQUIRE_SECRET_KEY", "false"):
        raise ImproperlyConfigured("SECRET_KEY must be set (or SECRET_KEY_FILE): "
                                   "FLOWSCOPE_REQUIRE_SECRET_KEY is on")
    SECRET_KEY = DEVELOPMENT_SECRET_KEY

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "axes",
    "flows",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files straight from the app (daphne has no file server): hashed, compressed,
    # cached forever once collectstatic has run.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "flows.middleware.SecurityHeadersMiddleware",
    # Last, as django-axes asks: turns a lockout into its page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dashboard.urls"
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
            ],
        },
    },
]
WSGI_APPLICATION = None
ASGI_APPLICATION = "dashboard.asgi.application"

# SQLite in the project folder unless DATABASE_URL says otherwise.
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'flowscope.sqlite3'}")
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
except Exception as exc:  # dj-database-url raises several types for unknown schemes
    raise ImproperlyConfigured(f"DATABASE_URL is not a usable database URL: {exc}") from exc
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        # One-process mode runs the poller beside CLI syncs and audits: WAL lets readers go on
        # while one writes, writers wait up to 20 s for each other, and IMMEDIATE takes the
        # write lock when a transaction starts (a read that later wants to write would
        # otherwise fail at once with "database is locked", without waiting).
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    })
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # A consumer waits on its channel with a 5 s blocking pop; redis-py 6+ also gives
            # every socket read 5 s by default, so an idle WebSocket's wait timed out and its
            # consumer died. Reads may take longer than the pop; connecting may not.
            # redis-py's asyncio pool allows 100 connections and then fails instead of
            # waiting: 200 dashboards reconnecting at once (a restart) got HTTP 500s.
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 30,
                                  "socket_connect_timeout": 5, "max_connections": 2000}],
                       "prefix": "flowscope"},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Celery: Redis when REDIS_URL is set; without it tasks have nowhere to queue, so on-demand
# syncs run in a background thread of the web process (one-person laptop mode).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# Beat's schedule state, out of the working directory (default: ./celerybeat-schedule.*).
CELERY_BEAT_SCHEDULE_FILENAME = env("CELERY_BEAT_SCHEDULE_FILENAME",
                                    str(BASE_DIR / "var" / "celerybeat-schedule"))
Path(CELERY_BEAT_SCHEDULE_FILENAME).parent.mkdir(parents=True, exist_ok=True)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Login throttling (django-axes): after FAILURE_LIMIT wrong passwords for one username from
# one address, that pair is locked out for LOCKOUT_MINUTES. Admins clear lockouts in /admin/
# (Axes: access attempts) or with `manage.py axes_reset_username NAME`.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("FLOWSCOPE_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=envint("FLOWSCOPE_LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
# Username and address together: a stranger cannot lock a user out from elsewhere.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))


def _vendor_dirs():
    """node_modules/<package> as static/vendor/<package>, for package.json's dependencies only
    (not every transitive file in node_modules, which collectstatic would copy and hash)."""
    package = BASE_DIR / "package.json"
    manifest = json.loads(package.read_text()) if package.exists() else {}
    return [(f"vendor/{name}", BASE_DIR / "node_modules" / name)
            for name in manifest.get("dependencies", {})
            if (BASE_DIR / "node_modules" / name).is_dir()]


STATICFILES_DIRS = [BASE_DIR / "static", *_vendor_dirs()]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "dashboard.staticfiles.StaticStorage"},
}
# Until collectstatic has run (development, tests, `manage.py demo`), WhiteNoise serves the
# files from static/ and node_modules/ under their plain names.
WHITENOISE_USE_FINDERS = not (STATIC_ROOT / "staticfiles.json").exists()
if WHITENOISE_USE_FINDERS:
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)

# Security headers. The Content-Security-Policy is set by flows.middleware.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", "false")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "false")
if envbool("BEHIND_TLS_PROXY", "false"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Login throttling counts the client's address, which the one proxy in front appends.
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    AXES_IPWARE_PROXY_COUNT = 1
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0, minimum=0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    # axes logs every login at INFO; failures and lockouts are WARNING.
    "loggers": {"botocore": {"level": "WARNING"}, "werkzeug": {"level": "WARNING"},
                "axes": {"level": "WARNING"}},
}

def envseverity(name, default):
    value = env(name, default).strip().lower()
    if value not in SEVERITIES:
        raise ImproperlyConfigured(f"{name}={value!r} is not a severity (one of {', '.join(SEVERITIES)})")
    return value


def envactions(name):
    """A comma-separated list of IAM actions, or None when NAME is unset (the built-in list)."""
    if env(name) is None:
        return None
    actions = envlist(name, "")
    bad = [a for a in actions if not IAM_ACTION.match(a)]
    if bad:
        raise ImproperlyConfigured(f"{name}: {', '.join(bad)} not IAM actions like logs:PutLogEvents")
    return actions


SEVERITIES = ("critical", "high", "medium", "low", "info")
IAM_ACTION = re.compile(r"^[A-Za-z0-9-]+:[A-Za-z0-9*?]+$")

# Flowscope's own knobs.
FLOWSCOPE = {
    # IAM audit (issue 12). Graph badges show nodes with open findings at or above this severity.
    "AUDIT_BADGE_MIN_SEVERITY": envseverity("FLOWSCOPE_AUDIT_BADGE_MIN_SEVERITY", "medium"),
    # Actions held on Resource "*" that are rolled up into one info note instead of a finding
    # per role; None: the built-in list (flows/audit/benign.py); empty: report them all.
    "AUDIT_BENIGN_ACTIONS": envactions("FLOWSCOPE_AUDIT_BENIGN_ACTIONS"),
    # Regions synced by the periodic sync (the CLI takes --region).
    "REGIONS": envlist("FLOWSCOPE_REGIONS", env("AWS_REGION", env("AWS_DEFAULT_REGION", "us-east-1"))),
    # Roles assumed for multi-account discovery by the periodic sync (comma separated ARNs).
    "ROLE_ARNS": envlist("FLOWSCOPE_ROLE_ARNS", ""),
    "SYNC_INTERVAL_SECONDS": envint("FLOWSCOPE_SYNC_INTERVAL_SECONDS", 900, minimum=30),
    # botocore standard retry mode: jittered backoff on throttling, per client.
    "AWS_MAX_ATTEMPTS": envint("FLOWSCOPE_AWS_MAX_ATTEMPTS", 5, minimum=1),
    # Parallel (collector, region) reads during one sync; AWS quotas bound how high this goes.
    "SYNC_CONCURRENCY": envint("FLOWSCOPE_SYNC_CONCURRENCY", 4, minimum=1),
    # A sync lock older than this (seconds, renewed while the sync runs) is considered dead.
    "SYNC_LOCK_TTL": envint("FLOWSCOPE_SYNC_LOCK_TTL", 120, minimum=10),
    "LOCK_DIR": env("FLOWSCOPE_LOCK_DIR", str(BASE_DIR / "var" / "locks")),
    # Prefix of every Redis key Flowscope writes (locks, rate limiters), to share a Redis.
    "REDIS_PREFIX": env("FLOWSCOPE_REDIS_PREFIX", "flowscope"),
    # Live invocations (issue 4). Seconds between polls of an active log group.
    "LOG_POLL_INTERVAL": envint("FLOWSCOPE_LOG_POLL_INTERVAL", 1, minimum=1),
    # Shortest gap between polls of a quiet log group. Quiet groups share in turn what the
    # active ones leave of the FilterLogEvents budget (at least a quarter of it): 20 groups at
    # 25 TPS are each polled every 2 s, 1,000 every 44 s.
    "LOG_POLL_IDLE_INTERVAL": envint("FLOWSCOPE_LOG_POLL_IDLE_INTERVAL", 2, minimum=1),
    # Latest CloudWatch ingestion to cover: catch-up polls find events up to this late.
    "LOG_INGESTION_LAG_SECONDS": envint("FLOWSCOPE_LOG_INGESTION_LAG_SECONDS", 20, minimum=0),
    # Seconds between catch-up polls (other polls re-read a quarter second, more when events
    # lately arrived out of order); each catch-up re-reads the interval that ended LAG ago.
    "LOG_CATCHUP_INTERVAL": envint("FLOWSCOPE_LOG_CATCHUP_INTERVAL", 30, minimum=1),
    # FilterLogEvents calls per second per account and region, shared by every worker:
    # "region=tps" pairs, "*" for the rest (AWS: 25 in us-east-1, 10 in most regions).
    "FILTER_LOG_EVENTS_TPS": env("FLOWSCOPE_FILTER_LOG_EVENTS_TPS", "us-east-1=25,*=10"),
    # Log groups one worker claims at a time: one, so each worker takes the most overdue group
    # next and publishes what it found before claiming another.
    "LOG_POLL_BATCH": envint("FLOWSCOPE_LOG_POLL_BATCH", 1, minimum=1),
    # Longest a Celery poll task keeps polling (it ends sooner when nothing is due).
    "LOG_POLL_TASK_SECONDS": envint("FLOWSCOPE_LOG_POLL_TASK_SECONDS", 10, minimum=1),
    "INVOCATION_RETENTION_HOURS": envint("FLOWSCOPE_INVOCATION_RETENTION_HOURS", 24, minimum=1),
    "INVOCATION_AGGREGATE_RETENTION_HOURS": envint(
        "FLOWSCOPE_INVOCATION_AGGREGATE_RETENTION_HOURS", 168, minimum=1),
    "LOG_LINES_PER_INVOCATION": envint("FLOWSCOPE_LOG_LINES_PER_INVOCATION", 50, minimum=0),
    # Stream mode: Kinesis streams that CloudWatch Logs subscription filters feed with Lambda
    # log events (deploy/), read instead of polling the groups they carry.
    "LOG_STREAMS": envarns("FLOWSCOPE_LOG_STREAMS", KINESIS_STREAM_ARN, "a Kinesis stream ARN"),
    # While a stream feeds an account and region, its log groups are polled only this often
    # (a safety net for events the stream did not carry).
    "LOG_STREAM_SAFETY_POLL_SECONDS": envint("FLOWSCOPE_LOG_STREAM_SAFETY_POLL_SECONDS", 300, minimum=10),
    # Live Tail (StartLiveTail) sessions for the functions users are looking at, on top of
    # polling. Off by default: AWS bills Live Tail per session-minute.
    "LIVE_TAIL": envbool("FLOWSCOPE_LIVE_TAIL", "false"),
    # Concurrent Live Tail sessions per account and region (AWS allows 15, 10 groups each).
    "LIVE_TAIL_MAX_SESSIONS": envint("FLOWSCOPE_LIVE_TAIL_MAX_SESSIONS", 3, minimum=1),
    # USD per GB-second of billed duration, by architecture (cost estimates only).
    "PRICE_PER_GB_SECOND_X86": env("FLOWSCOPE_PRICE_PER_GB_SECOND_X86", "0.0000166667"),
    "PRICE_PER_GB_SECOND_ARM": env("FLOWSCOPE_PRICE_PER_GB_SECOND_ARM", "0.0000133334"),
    # Health (/healthz, the page's status line): seconds the most overdue log group may be
    # behind its schedule before the check warns, and before it fails (503).
    "HEALTH_POLL_LAG_WARN": envint("FLOWSCOPE_HEALTH_POLL_LAG_WARN", 30, minimum=1),
    "HEALTH_POLL_LAG_FAIL": envint("FLOWSCOPE_HEALTH_POLL_LAG_FAIL", 300, minimum=1),
    # Password `manage.py demo` gives its login; empty: a random one, printed.
    "DEMO_PASSWORD": env("FLOWSCOPE_DEMO_PASSWORD", ""),
}
