"""Settings for OCPP Certify, read from the environment with safe defaults.

One module on purpose: every knob is an environment variable with a default that
suits `make run` on a laptop, declared here once and read elsewhere as
`settings.X`; README.md's configuration table lists them all, SECURITY.md the
production values.
"""

import os
import secrets
import sys
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

# Every environment variable read below, with its default and its choices: the
# README's configuration table is held against this by tests/test_settings.py.
ENVIRONMENT_VARIABLES: dict[str, tuple[object, tuple[str, ...]]] = {}


def _raw(name: str, default: object, choices: tuple[str, ...] = ()) -> str | None:
    ENVIRONMENT_VARIABLES[name] = (default, choices)
    value = os.environ.get(name)
    return None if value is None or value.strip() == "" else value.strip()


def env(name: str, default: str, choices: tuple[str, ...] = ()) -> str:
    """Read a text variable; unset or empty means the default. With choices,
    any other value stops the start with a message naming the variable."""
    value = _raw(name, default, choices)
    if value is None:
        return default
    if choices and value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r}: expected one of {', '.join(choices)}.")
    return value


def envbool(name: str, default: bool) -> bool:
    """Read a yes/no variable; '1', 'true', 'yes' and 'on' mean yes."""
    value = _raw(name, default)
    return default if value is None else value.lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = _raw(name, default)
    try:
        return default if value is None else int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r}: expected a whole number.") from None


def envfloat(name: str, default: float) -> float:
    value = _raw(name, default)
    try:
        return default if value is None else float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r}: expected a number.") from None


def envlist(name: str, default: str) -> list[str]:
    """A comma-separated list."""
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def envrange(name: str, default: str) -> range:
    """A port range written `low-high`, both included."""
    value = env(name, default)
    low, _, high = value.partition("-")
    try:
        return range(int(low), int(high or low) + 1)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r}: expected a range such as {default}.") from None


def lab_secret_key(folder: Path) -> str:
    """The lab's own SECRET_KEY, made on first use and kept in var/ for the owner
    only, so every command works on a fresh checkout without DEBUG."""
    path = folder / "secret_key"
    if not path.exists():
        scratch = folder / f".secret_key.{os.getpid()}"
        fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(50))
        try:
            os.link(scratch, path)  # atomic: of two processes starting at once, one key wins
        except FileExistsError:
            pass
        finally:
            scratch.unlink()
    return path.read_text().strip()


VAR_DIR = Path(env("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

TESTING = "pytest" in sys.modules
DEBUG = envbool("DEBUG", False)
# Production (SECURITY.md): a SECRET_KEY of the operator's, no DEBUG, secure cookies.
CERTIFY_PRODUCTION = envbool("CERTIFY_PRODUCTION", False)
SECRET_KEY = env("SECRET_KEY", "")
if CERTIFY_PRODUCTION:
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when CERTIFY_PRODUCTION is on.")
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off when CERTIFY_PRODUCTION is on.")
elif not SECRET_KEY:
    SECRET_KEY = "insecure-test-key" if TESTING else lab_secret_key(VAR_DIR)

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
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
    "django_htmx",
    # Swagger UI's files from django-ninja's own static folder: /api/docs needs no internet.
    "ninja",
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
DATABASE_URL = env("DATABASE_URL", "")
DB_POOL_MIN = envint("DB_POOL_MIN", 2)
DB_POOL_MAX = envint("DB_POOL_MAX", 20)
DB_POOL_TIMEOUT = envfloat("DB_POOL_TIMEOUT", 10.0)
SQLITE_PATH = env("SQLITE_PATH", str(VAR_DIR / "db.sqlite3"))
SQLITE_TIMEOUT = envint("SQLITE_TIMEOUT", 30)
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's ASGI handler runs each request in a thread of its own, so a
        # persistent connection is never reused: every API request opened a
        # new PostgreSQL connection (a backend fork, ~3 ms idle, far more
        # under load). A pool hands them out in microseconds.
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": DB_POOL_MIN,
            "max_size": DB_POOL_MAX,
            "timeout": DB_POOL_TIMEOUT,
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            # WAL lets the dashboard read while chargers write; IMMEDIATE avoids
            # "database is locked" upgrades when two processes share the file.
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": SQLITE_TIMEOUT,
            },
            # Reopening SQLite on every database call cost ~0.7 ms a frame.
            "CONN_MAX_AGE": None,
            # Tests run a real daphne process against the same file, kept out of var/.
            "TEST": {"NAME": os.path.join(tempfile.gettempdir(), f"certify-test-{os.getpid()}.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", "")
REDIS_SOCKET_TIMEOUT = envfloat("REDIS_SOCKET_TIMEOUT", 15.0)
REDIS_GROUP_EXPIRY = envint("REDIS_GROUP_EXPIRY", 10 * 365 * 86400)
REDIS_PREFIX = env("REDIS_PREFIX", "asgi")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "chargers.layers.ResilientRedisChannelLayer",
            "CONFIG": {
                # redis-py 8 reads with a 5 s socket timeout, the same 5 s that
                # channels-redis blocks in BZPOPMIN: the read timed out now and
                # then and stalled every command of the process. Wait longer.
                "hosts": [{"address": REDIS_URL, "socket_timeout": REDIS_SOCKET_TIMEOUT}],
                # A charger may stay connected for months: never expire its groups.
                "group_expiry": REDIS_GROUP_EXPIRY,
                "capacity": 1000,
                "expiry": 60,
                "prefix": REDIS_PREFIX,
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
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"

# Secure cookies need HTTPS: on by default in production, off for the lab on plain HTTP.
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", CERTIFY_PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Production behind HTTPS (see SECURITY.md); off by default for the lab laptop.
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
TRUST_PROXY_HTTPS = envbool("TRUST_PROXY_HTTPS", False)
if TRUST_PROXY_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOG_LEVEL = env("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    # Not propagated: daphne and pyftpdlib give the root logger a handler of their
    # own, and every line would print twice.
    "loggers": {
        "chargers": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "certify": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "ocpp": {"handlers": ["console"], "level": "WARNING", "propagate": False},
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
OCPP_UNKNOWN_ID_TAG_STATUS = env(
    "OCPP_UNKNOWN_ID_TAG_STATUS", "Accepted", ("Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx")
)
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
OCPP_ADMISSION = env("OCPP_ADMISSION", "lab", ("lab", "known"))
# The port daphne serves TLS (wss://) on, so profile-2 chargers can be told
# from plain ws:// ones (daphne's scope does not carry the scheme).
OCPP_TLS_PORT = envint("OCPP_TLS_PORT", 0)
# Behind a TLS-terminating proxy: trust its X-Forwarded-Proto header.
OCPP_TRUST_FORWARDED_PROTO = envbool("OCPP_TRUST_FORWARDED_PROTO", False)
# Frames a charger may send per second before it is throttled (burst: 2x).
OCPP_RATE_LIMIT = envfloat("OCPP_RATE_LIMIT", 50.0)

# --- Certification sessions ----------------------------------------------------
CERTIFY_PLATFORM = env("CERTIFY_PLATFORM", "OCPP Certify")
CERTIFY_LAB = env("CERTIFY_LAB", "")
# A running simulator's control port on 127.0.0.1 (`make run` sets it): the charger
# page then shows a panel that plugs, swipes, faults and unplugs its chargers.
SIMULATOR_CONTROL_URL = env("SIMULATOR_CONTROL_URL", "")
# The host chargers reach us at (firmware downloads, diagnostics uploads);
# empty: the host the engineer's browser used.
CERTIFY_PUBLIC_HOST = env("CERTIFY_PUBLIC_HOST", "")
# The HTTP port in the firmware and diagnostics URLs when CERTIFY_PUBLIC_HOST is
# set (0: none, port 80).
CERTIFY_PUBLIC_HTTP_PORT = envint("CERTIFY_PUBLIC_HTTP_PORT", 0)
CERTIFY_FTP_HOST = env("CERTIFY_FTP_HOST", "127.0.0.1")
CERTIFY_FTP_PORT = envint("CERTIFY_FTP_PORT", 2121)
CERTIFY_FTP_PASSIVE_PORTS = envrange("CERTIFY_FTP_PASSIVE_PORTS", "30000-30099")
# The address the FTP server tells chargers for passive connections (behind NAT).
CERTIFY_FTP_MASQUERADE_ADDRESS = env("CERTIFY_FTP_MASQUERADE_ADDRESS", "")
# One folder per session for diagnostics received over FTP.
CERTIFY_FTP_ROOT = VAR_DIR / "ftp"
CERTIFY_MAX_FIRMWARE_BYTES = envint("CERTIFY_MAX_FIRMWARE_BYTES", 256 * 1024 * 1024)
CERTIFY_MAX_DIAGNOSTICS_BYTES = envint("CERTIFY_MAX_DIAGNOSTICS_BYTES", 64 * 1024 * 1024)
# The report signing certificate, a PKCS#12 file and its password; none: a
# self-signed lab certificate made on first use in VAR_DIR/signing.
CERTIFY_SIGNING_P12 = env("CERTIFY_SIGNING_P12", "")
CERTIFY_SIGNING_PASSWORD = env("CERTIFY_SIGNING_PASSWORD", "")
# The API token `manage.py certify` uses without --api-token (none: it makes one).
CERTIFY_API_TOKEN = env("CERTIFY_API_TOKEN", "")
# How long a verdict waits for an effect before it judges it missing, in seconds:
# a status or message after a command, a reboot after a reset or update (some
# chargers wait minutes after a power loss), a diagnostics upload. A session's
# options (effect_timeout, reboot_timeout, diagnostics_timeout) override them.
CERTIFY_EFFECT_TIMEOUT = envfloat("CERTIFY_EFFECT_TIMEOUT", 60.0)
CERTIFY_REBOOT_TIMEOUT = envfloat("CERTIFY_REBOOT_TIMEOUT", 900.0)
CERTIFY_DIAGNOSTICS_TIMEOUT = envfloat("CERTIFY_DIAGNOSTICS_TIMEOUT", 600.0)
# Parsed sessions kept between evaluations (certify/parsed_sessions.py): open
# sessions of connected chargers only, at most this many and this many frames in
# all (about 2 KB each), the least recently used dropped first.
CERTIFY_PARSED_SESSIONS = envint("CERTIFY_PARSED_SESSIONS", 20)
CERTIFY_PARSED_FRAMES = envint("CERTIFY_PARSED_FRAMES", 200_000)
# Young-generation GC threshold (see certify/gc_tuning.py); 0: Python's default.
CERTIFY_GC_THRESHOLD = envint("CERTIFY_GC_THRESHOLD", 10_000)

# --- `make run` (manage.py runlab) ---------------------------------------------
# Where the lab serves the app, and with which ASGI server.
LAB_HOST = env("HOST", "127.0.0.1")
LAB_PORT = envint("PORT", 8000)
ASGI_SERVER = env("ASGI_SERVER", "daphne", ("daphne", "uvicorn"))
# The demo charger's control port on 127.0.0.1 (runlab points SIMULATOR_CONTROL_URL at it).
SIMULATOR_CONTROL_PORT = envint("SIMULATOR_CONTROL_PORT", 8001)
