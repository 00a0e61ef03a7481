"""Settings for OCPP Certify, read from the environment with safe defaults.

One module on purpose: every knob is an environment variable with a default that
suits `make run` on a laptop; production values are documented in README.md.
"""

import os
import sys
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def envbool(name: str, default: bool) -> bool:
    """Read a yes/no variable; '1', 'true', 'yes' and 'on' mean yes."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def envfloat(name: str, default: float) -> float:
    value = os.environ.get(name)
    return default if value in (None, "") else float(value)


TESTING = "pytest" in sys.modules
DEBUG = envbool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "insecure-development-key-do-not-use-in-production"
    else:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",") if h.strip()
]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "chargers",
    "certify",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "certify.urls"
ASGI_APPLICATION = "certify.asgi.application"

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

# SQLite is the embedded default; DATABASE_URL (e.g. postgres://...) scales out.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's ASGI handler runs each request in a thread of its own, so a
        # persistent connection is never reused: every API request opened a
        # new PostgreSQL connection (a backend fork, ~3 ms idle, far more
        # under load). A pool hands them out in microseconds.
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": envint("DB_POOL_MIN", 2),
            "max_size": envint("DB_POOL_MAX", 20),
            "timeout": envfloat("DB_POOL_TIMEOUT", 10.0),
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(VAR_DIR / "db.sqlite3")),
            # WAL lets the dashboard read while chargers write; IMMEDIATE avoids
            # "database is locked" upgrades when two processes share the file.
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": envint("SQLITE_TIMEOUT", 30),
            },
            # Reopening SQLite on every database call cost ~0.7 ms a frame.
            "CONN_MAX_AGE": None,
            # Tests run a real daphne process against the same file, kept out of var/.
            "TEST": {"NAME": os.path.join(tempfile.gettempdir(), f"certify-test-{os.getpid()}.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "chargers.layers.ResilientRedisChannelLayer",
            "CONFIG": {
                # redis-py 8 reads with a 5 s socket timeout, the same 5 s that
                # channels-redis blocks in BZPOPMIN: the read timed out now and
                # then and stalled every command of the process. Wait longer.
                "hosts": [{"address": REDIS_URL, "socket_timeout": envfloat("REDIS_SOCKET_TIMEOUT", 15.0)}],
                # A charger may stay connected for months: never expire its groups.
                "group_expiry": envint("REDIS_GROUP_EXPIRY", 10 * 365 * 86400),
                "capacity": 1000,
                "expiry": 60,
                "prefix": os.environ.get("REDIS_PREFIX", "asgi"),
            },
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "chargers.layers.FleetInMemoryChannelLayer",
            # Its group_expiry defaults to one day, like Redis's: never for chargers.
            "CONFIG": {"capacity": 1000, "expiry": 60, "group_expiry": 10 * 365 * 86400},
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"

SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", not DEBUG and not TESTING)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Production behind HTTPS (see SECURITY.md); off by default for the lab laptop.
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
if envbool("TRUST_PROXY_HTTPS", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "chargers": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
        "certify": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
        "ocpp": {"handlers": ["console"], "level": "WARNING"},
    },
}

# --- OCPP central system -------------------------------------------------------
# Interval we hand out in BootNotification.conf (seconds).
OCPP_HEARTBEAT_INTERVAL = envint("OCPP_HEARTBEAT_INTERVAL", 300)
# How long a command waits for the charger's CALLRESULT (seconds).
OCPP_CALL_TIMEOUT = envfloat("OCPP_CALL_TIMEOUT", 30.0)
# How long a command waits for the charger's connection to acknowledge it; past
# this the charger counts as not connected (its process is gone).
OCPP_COMMAND_ACK_TIMEOUT = envfloat("OCPP_COMMAND_ACK_TIMEOUT", 5.0)
# Answer to Authorize/StartTransaction for an id tag not in the list.
OCPP_UNKNOWN_ID_TAG_STATUS = os.environ.get("OCPP_UNKNOWN_ID_TAG_STATUS", "Accepted")
# Longest charge point id accepted in the URL.
OCPP_MAX_ID_LENGTH = 48
# Frames are committed from the event loop (SQLite: a commit in WAL mode is a
# write of tens of microseconds; PostgreSQL: psycopg's async connection), as a
# thread hop cost more than the write. Off: a writer thread of their own.
OCPP_FRAME_WRITES_ON_LOOP = envbool("OCPP_FRAME_WRITES_ON_LOOP", True)
# daphne's keepalive: a ping after this many idle seconds; no pong within the
# timeout closes a half-open socket.
OCPP_PING_INTERVAL = envint("OCPP_PING_INTERVAL", 20)
OCPP_PING_TIMEOUT = envint("OCPP_PING_TIMEOUT", 30)
# Largest frame accepted; a larger one closes the connection with 1009.
OCPP_MAX_FRAME_BYTES = envint("OCPP_MAX_FRAME_BYTES", 64 * 1024)
# Who may connect: "lab" accepts any charge point id and creates its record;
# "known" refuses ids the engineer has not added (listed as rejected attempts).
OCPP_ADMISSION = os.environ.get("OCPP_ADMISSION", "lab")
# The port daphne serves TLS (wss://) on, so profile-2 chargers can be told
# from plain ws:// ones (daphne's scope does not carry the scheme).
OCPP_TLS_PORT = envint("OCPP_TLS_PORT", 0)
# Behind a TLS-terminating proxy: trust its X-Forwarded-Proto header.
OCPP_TRUST_FORWARDED_PROTO = envbool("OCPP_TRUST_FORWARDED_PROTO", False)
# Frames a charger may send per second before it is throttled (burst: 2x).
OCPP_RATE_LIMIT = envfloat("OCPP_RATE_LIMIT", 50.0)

# --- Certification sessions ----------------------------------------------------
CERTIFY_PLATFORM = os.environ.get("CERTIFY_PLATFORM", "OCPP Certify")
CERTIFY_LAB = os.environ.get("CERTIFY_LAB", "")
# A running simulator's control port on 127.0.0.1 (`make run` sets it): the charger
# page then shows a panel that plugs, swipes, faults and unplugs its chargers.
SIMULATOR_CONTROL_URL = os.environ.get("SIMULATOR_CONTROL_URL", "")
# The host chargers reach us at (firmware downloads, diagnostics uploads);
# empty: the host the engineer's browser used.
CERTIFY_PUBLIC_HOST = os.environ.get("CERTIFY_PUBLIC_HOST", "")
CERTIFY_FTP_HOST = os.environ.get("CERTIFY_FTP_HOST", "127.0.0.1")
CERTIFY_FTP_PORT = envint("CERTIFY_FTP_PORT", 2121)
CERTIFY_FTP_PASSIVE_PORTS = os.environ.get("CERTIFY_FTP_PASSIVE_PORTS", "30000-30099")
CERTIFY_MAX_FIRMWARE_BYTES = envint("CERTIFY_MAX_FIRMWARE_BYTES", 256 * 1024 * 1024)
CERTIFY_MAX_DIAGNOSTICS_BYTES = envint("CERTIFY_MAX_DIAGNOSTICS_BYTES", 64 * 1024 * 1024)
