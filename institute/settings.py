"""Settings, read from the environment with embedded defaults.

With no environment at all the app runs on one machine without servers: SQLite in the
project folder, Celery tasks run in-process, mail printed to the console. Production
(``DJANGO_ENV=production``) refuses to start without real secrets.

Every variable read here is listed in the README with its default.
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from exc


def env_rate(name: str, default: str) -> tuple[int, int]:
    """A rate limit written "attempts/seconds" ("5/3600": five an hour)."""
    value = env_str(name, default)
    try:
        allowed, seconds = (int(part) for part in value.split("/"))
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"{name} must be attempts/seconds, for example 5/3600, not {value!r}."
        ) from exc
    if allowed < 0 or seconds < 1:
        raise ImproperlyConfigured(f"{name} needs 0 or more attempts over at least 1 second.")
    return allowed, seconds


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DJANGO_ENV = env_str("DJANGO_ENV", "development")
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("DJANGO_ENV must be 'development' or 'production'.")
PRODUCTION = DJANGO_ENV == "production"


def mail_backend_problem(path: str) -> str | None:
    """Why production must not use the mail backend ``path`` (the class, whatever name it
    is reached by, or a subclass of it): it would write reporters' addresses and the
    mail to the container's logs or disk, or never send it; None if it may."""
    from django.core.mail.backends import console, dummy, locmem, smtp
    from django.core.mail.backends.base import BaseEmailBackend
    from django.utils.module_loading import import_string

    try:
        backend = import_string(path)
    except ImportError:
        return "cannot be imported"
    if not isinstance(backend, type) or not issubclass(backend, BaseEmailBackend):
        return "is not a mail backend"
    if issubclass(backend, console.EmailBackend):  # the file backend is one too
        return "writes every mail to the logs or the disk"
    if issubclass(backend, (locmem.EmailBackend, dummy.EmailBackend)) or (
        backend is BaseEmailBackend
    ):
        return "never sends a mail"
    if issubclass(backend, smtp.EmailBackend):
        return "needs EMAIL_HOST to name the SMTP server"
    return None


# Development-only values. Production refuses to start while any of them is in use,
# so they can live in the source without weakening a deployment.
_DEV_SECRET_KEY = "development-only-secret-key-never-used-in-production"  # noqa: S105
_DEV_FIELD_ENCRYPTION_KEY = "ZGV2ZWxvcG1lbnQtb25seS1rZXktbmV2ZXItcHJvZCE="
_DEV_RECEIPT_HASH_KEY = "development-only-receipt-hash-key"

SECRET_KEY = env_str("SECRET_KEY", "" if PRODUCTION else _DEV_SECRET_KEY)

# Keys for personal fields and files, newest first. They are not SECRET_KEY on purpose:
# SECRET_KEY signs sessions and may be rotated for other reasons; losing or rotating it
# must never make dossiers unreadable. Adding a new key in front keeps old rows readable;
# `manage.py reencrypt` then moves every row to the newest key.
FIELD_ENCRYPTION_KEYS = env_list(
    "FIELD_ENCRYPTION_KEYS", "" if PRODUCTION else _DEV_FIELD_ENCRYPTION_KEY
)
for _key in FIELD_ENCRYPTION_KEYS:
    try:
        Fernet(_key)
    except ValueError as _exc:
        raise ImproperlyConfigured(
            "Every FIELD_ENCRYPTION_KEYS entry must be a 32-byte url-safe base64 key "
            "(python manage.py generate_encryption_key makes one)."
        ) from _exc
# Keyed hash for receipt codes (the code itself is never stored).
RECEIPT_HASH_KEY = env_str("RECEIPT_HASH_KEY", "" if PRODUCTION else _DEV_RECEIPT_HASH_KEY)

# Sender of mail to a reporter who did not allow us to say we are the Institute: an
# address that does not name it (its own domain), without a display name.
DISCREET_FROM_EMAIL = env_str("DISCREET_FROM_EMAIL", "" if PRODUCTION else "no-reply@localhost")

DEBUG = env_bool("DEBUG", default=not PRODUCTION)

if PRODUCTION:
    problems = []
    if len(SECRET_KEY) < 50 or SECRET_KEY == _DEV_SECRET_KEY:
        problems.append("SECRET_KEY must be set to a random value of at least 50 characters")
    if not FIELD_ENCRYPTION_KEYS or _DEV_FIELD_ENCRYPTION_KEY in FIELD_ENCRYPTION_KEYS:
        problems.append(
            "FIELD_ENCRYPTION_KEYS must hold at least one key of your own "
            "(make one with: python manage.py generate_encryption_key)"
        )
    if len(RECEIPT_HASH_KEY) < 32 or RECEIPT_HASH_KEY == _DEV_RECEIPT_HASH_KEY:
        problems.append("RECEIPT_HASH_KEY must be set to a random value of at least 32 characters")
    if DEBUG:
        problems.append("DEBUG must be off")
    if not DISCREET_FROM_EMAIL or any(
        name in DISCREET_FROM_EMAIL.lower()
        for name in (
            *("igvm", "iefh", "institu", "gelijkheid", "egalite", "égalité"),
            *("gleichstellung", "equality", "belgium.be", "fgov"),
        )
    ):
        problems.append(
            "DISCREET_FROM_EMAIL must be a sender address that does not name the Institute"
        )
    if env_str("TRUSTED_PROXY_HOPS") == "":
        # Left at 0 behind a proxy, every visitor would share the proxy's address and
        # one person's tries would use up everyone's.
        problems.append(
            "TRUSTED_PROXY_HOPS must be set: 1 behind one reverse proxy, 0 only if "
            "visitors connect to the app directly"
        )
    if not env_str("EMAIL_HOST") and not env_str("EMAIL_BACKEND"):
        # The console backend would print reporters' addresses into the container logs.
        problems.append("EMAIL_HOST must name the SMTP server")
    elif not env_str("EMAIL_HOST") and (problem := mail_backend_problem(env_str("EMAIL_BACKEND"))):
        problems.append(
            f"EMAIL_BACKEND {env_str('EMAIL_BACKEND')} {problem}: name the SMTP server in "
            "EMAIL_HOST"
        )
    if problems:
        raise ImproperlyConfigured("Refusing to start in production: " + "; ".join(problems) + ".")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "institute.apps.InstituteAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "axes",
    "institute",
    "cases",
    "intake",
    "reporting",
]

MIDDLEWARE = [
    "institute.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Public pages only; see the class for why never a staff page (BREACH).
    "institute.middleware.PublicPageCompressionMiddleware",
    # Static files: whitenoise in production; runserver serves them in development.
    *(["whitenoise.middleware.WhiteNoiseMiddleware"] if PRODUCTION else []),
    # After WhiteNoise: static assets stay cacheable, every page is not.
    "institute.middleware.PrivacyHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "institute.middleware.RequestBodyLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "institute.middleware.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Which second factor verified this session (request.user.is_verified()).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Staff pages need a second factor; idle and absolute session limits.
    "institute.middleware.StaffSessionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Turns a lockout (django-axes) into the sign-in page's usual refusal; last, as
    # django-axes asks.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Refuses any sign-in while the account or the address is locked out.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "institute.urls"
WSGI_APPLICATION = "institute.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "institute.context_processors.public",
                "institute.context_processors.staff",
            ],
        },
    },
    # Plain text (mail, the takedown request texts to copy): nothing is escaped, because
    # the output is not HTML. Rendered only through ``institute.text.render_text``, which
    # returns a plain str, so a page that shows such a text escapes it like any other.
    {
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": False},
    },
]

# Database: SQLite file by default, PostgreSQL from DATABASE_URL. Connections persist
# (with a health check) so a request does not pay for a new PostgreSQL connection.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite cannot share a connection across threads of the dev server safely for long.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
# A read replica of the primary, for the statistics only: they read it inside
# ``institute.routers.replica_reads()``, everything else reads and writes the primary.
# Without it, the router changes nothing.
if env_str("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        env_str("DATABASE_REPLICA_URL"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
    if DATABASES["replica"]["ENGINE"] == "django.db.backends.postgresql":
        # A replica that does not answer is left for the primary (institute/routers.py):
        # after 2 seconds, not libpq's default of waiting as long as the network does.
        DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    # Django's test runner creates no test database for it: it mirrors the test database
    # (a replica holds the same rows). This suite leaves it out (tests/conftest.py).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["institute.routers.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: Celery broker and the shared cache. Without it, tasks run in-process and the
# cache is per process (fine for one machine, never for several web containers).
REDIS_URL = env_str("REDIS_URL")
# The cache must not share the broker's Redis database: clearing a cache flushes its
# whole database, queued tasks included.
CACHE_URL = env_str("CACHE_URL")
if REDIS_URL or CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL or REDIS_URL.rsplit("/", 1)[0] + "/1",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "memory://")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A broker that is down must not hang a request that queues a task after commit.
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "max_retries": 1}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
}
CELERY_TIMEZONE = "Europe/Brussels"
# Our logging configuration (which withholds exception messages) applies to workers too.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Case work deadlines: first contact is due this many Belgian working days after a report
# arrives (an urgent one the same day); a platform has TAKEDOWN_ACK_HOURS to acknowledge a
# notice and TAKEDOWN_DEADLINE_HOURS to decide on it before the request shows as due.
FIRST_CONTACT_WORKING_DAYS = env_int("FIRST_CONTACT_WORKING_DAYS", 2)
TAKEDOWN_ACK_HOURS = env_int("TAKEDOWN_ACK_HOURS", 12)
TAKEDOWN_DEADLINE_HOURS = env_int("TAKEDOWN_DEADLINE_HOURS", 24)
# Notices to platforms (Article 16 of the Digital Services Act) name the Institute as the
# notifier with this address (never the reporter's), and say that the Institute notifies
# as a trusted flagger (Article 22) when NOTICE_TRUSTED_FLAGGER is true: set it only once
# the Digital Services Coordinator has awarded the status.
NOTICE_EMAIL = env_str("NOTICE_EMAIL", "takedown@igvm-iefh.belgium.be")
NOTICE_TRUSTED_FLAGGER = env_bool("NOTICE_TRUSTED_FLAGGER", False)
# Hour (Brussels time) at which Celery beat sends staff their daily digest.
DIGEST_HOUR = env_int("DIGEST_HOUR", 7)
# Statistics for publication withhold counts below this threshold (shown as "<5").
STATISTICS_SUPPRESSION_THRESHOLD = env_int("STATISTICS_SUPPRESSION_THRESHOLD", 5)
# Days a closed dossier keeps its personal data; `manage.py anonymise_dossiers` then
# erases them (cases.retention), keeping the coded columns for the statistics.
RETENTION_DAYS_AFTER_CLOSURE = env_int("RETENTION_DAYS_AFTER_CLOSURE", 5 * 365)
if RETENTION_DAYS_AFTER_CLOSURE < 1:
    raise ImproperlyConfigured("RETENTION_DAYS_AFTER_CLOSURE must be at least 1.")

# A notification that could not be sent is tried again after 1, 2, 4... minutes, at
# most every OUTBOX_RETRY_MAX_SECONDS, and never given up; after this many failed
# attempts the technical administrators are told once (an ERROR log line, and the
# admin's list of notifications shows it as stuck, with "Retry now").
OUTBOX_RETRY_BASE_SECONDS = env_int("OUTBOX_RETRY_BASE_SECONDS", 60)
OUTBOX_RETRY_MAX_SECONDS = env_int("OUTBOX_RETRY_MAX_SECONDS", 30 * 60)
OUTBOX_STUCK_AFTER_ATTEMPTS = env_int("OUTBOX_STUCK_AFTER_ATTEMPTS", 5)

CELERY_BEAT_SCHEDULE = {
    # Delivers notifications whose task was lost (broker down) or failed (mail down).
    "deliver-pending-outbox": {"task": "cases.tasks.deliver_pending_outbox", "schedule": 60.0},
    # Overdue first contacts and due takedowns, one mail per staff member per day.
    "daily-digest": {
        "task": "cases.tasks.send_daily_digests",
        "schedule": crontab(minute=0, hour=DIGEST_HOUR),
    },
    # Retention: personal data erased once RETENTION_DAYS_AFTER_CLOSURE have passed.
    "anonymise-due-dossiers": {
        "task": "cases.tasks.anonymise_due_dossiers",
        "schedule": crontab(minute=15, hour=2),
    },
    # Evidence files compared with other dossiers' when their task was lost (cases.matching).
    "match-evidence": {"task": "cases.tasks.match_evidence", "schedule": 300.0},
    # The statistics' daily counts, folded together at night (see reporting.rollups).
    "compact-daily-counts": {
        "task": "reporting.tasks.compact_daily_counts",
        "schedule": crontab(minute=30, hour=3),
    },
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "staff-home"
LOGOUT_REDIRECT_URL = "login"

# Staff sign-in (institute/signin.py): a password, then a second factor (an
# authenticator app's code, or a one-time recovery code), both from django-otp.
OTP_TOTP_ISSUER = "IGVM-IEFH cases"
# Passkeys and security keys (WebAuthn, django-otp-webauthn) as another second factor,
# added by a signed-in person on their security page. Never instead of the password.
# A passkey is bound to one domain (the relying party): PASSKEY_DOMAIN, by default the
# first of ALLOWED_HOSTS ("localhost" in development: browsers refuse passkeys on an IP
# address, so open http://localhost:8000/ to try them). The origins the browser may
# report: PASSKEY_ORIGINS, by default https:// and each allowed host.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_RP_NAME = OTP_TOTP_ISSUER
_PASSKEY_HOSTS = [h for h in ALLOWED_HOSTS if not h.startswith(".") and h != "*"]
if PRODUCTION:
    OTP_WEBAUTHN_RP_ID = env_str("PASSKEY_DOMAIN", _PASSKEY_HOSTS[0] if _PASSKEY_HOSTS else "")
    OTP_WEBAUTHN_ALLOWED_ORIGINS = env_list(
        "PASSKEY_ORIGINS", ",".join(f"https://{h}" for h in _PASSKEY_HOSTS)
    )
else:
    OTP_WEBAUTHN_RP_ID = env_str("PASSKEY_DOMAIN", "localhost")
    OTP_WEBAUTHN_ALLOWED_ORIGINS = env_list("PASSKEY_ORIGINS", "http://localhost:8000")
# What the browser is given to finish a passkey ceremony (WCAG 2.2.1: enough time).
OTP_WEBAUTHN_TIMEOUT_SECONDS = 5 * 60
# Changing a second factor (moving the authenticator, new recovery codes, adding or
# removing a passkey) asks for the second step again when the last one is older than this.
STAFF_RECHECK_MINUTES = env_int("STAFF_RECHECK_MINUTES", 10)
# Repeated failures (password or second factor) lock out the account and, separately,
# the address (django-axes, its attempts kept in the database, so a lockout holds on
# every web container and needs no other server): after SIGN_IN_FAILURE_LIMIT failures,
# a cool-off of SIGN_IN_COOLOFF_MINUTES, doubled for each lockout of the day before.
SIGN_IN_FAILURE_LIMIT = env_int("SIGN_IN_FAILURE_LIMIT", 5)
SIGN_IN_COOLOFF_MINUTES = env_int("SIGN_IN_COOLOFF_MINUTES", 15)
AXES_FAILURE_LIMIT = SIGN_IN_FAILURE_LIMIT
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = "institute.lockout.cool_off"
AXES_LOCKOUT_CALLABLE = "institute.signin.locked_out"
# Per address means per keyed hash of the address (IPv6: of its /64), never in clear.
AXES_CLIENT_IP_CALLABLE = "institute.clients.client_pseudonym"
# Failures count until the cool-off passes, a right password included: a sign-in
# resets the account's count only once its second factor is verified.
AXES_RESET_ON_SUCCESS = False
# A lockout ends when its cool-off has passed, whatever is tried meanwhile: otherwise
# anyone could keep a colleague locked out for good by trying now and then.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# django-axes would log usernames and addresses; our security log keeps hashes instead.
AXES_VERBOSE = False
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False
# Each failure expires on its own, its cool-off fixed when it happened: a doubled
# lockout is not cut short by someone else's shorter one.
AXES_USE_ATTEMPT_EXPIRATION = True
# What django-axes keeps of a failed post: never a code, a token or where it led.
AXES_SENSITIVE_PARAMETERS = ["username", "password", "code", "csrfmiddlewaretoken", "next"]
# Its log lines name clients by hashes only; it keeps no user agent.
AXES_CLIENT_STR_CALLABLE = "institute.lockout.client_string"
AXES_HANDLER = "institute.lockout.QuietDatabaseHandler"
# Its attempts (which hold addresses) are not shown in the admin; a lockout ends by itself.
AXES_ENABLE_ADMIN = False
# The username it counts is a keyed hash of the name as typed and normalised: a password
# typed into the username field is never stored.
AXES_USERNAME_CALLABLE = "institute.lockout.hashed_username"
# Messages (one may say how many recovery codes are left) stay in the session, not in a
# readable cookie of their own.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# A staff session ends after STAFF_IDLE_MINUTES without a request, and in any case
# STAFF_SESSION_HOURS after sign-in; its cookie never outlives the browser.
STAFF_IDLE_MINUTES = env_int("STAFF_IDLE_MINUTES", 30)
STAFF_SESSION_HOURS = env_int("STAFF_SESSION_HOURS", 8)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = STAFF_SESSION_HOURS * 60 * 60

LANGUAGE_CODE = "nl"
LANGUAGES = [
    ("nl", _("Dutch")),
    ("fr", _("French")),
    ("de", _("German")),
    ("en", _("English")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Date and time formats of our own where Django's do not fit Belgium (English).
FORMAT_MODULE_PATH = ["institute.formats"]
TIME_ZONE = "Europe/Brussels"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Evidence files live here, encrypted, outside any URL the web server publishes.
# In production it is a volume shared by every web and worker container.
PRIVATE_STORAGE_ROOT = Path(env_str("PRIVATE_STORAGE_ROOT", str(BASE_DIR / "private")))
# Abuse limits of the public side, each "attempts/seconds" (see README, "Limits"). A
# person is slowed only by their own attempts: beyond the site-wide figures, reports are
# still taken (marked as received in a surge, one alert instead of many), and a wrong
# receipt code costs its sender double.
RATE_LIMITS = {
    "report": env_rate("RATE_LIMIT_REPORTS_PER_CLIENT", "5/3600"),
    "report-all": env_rate("RATE_LIMIT_REPORTS_BEFORE_SURGE", "500/3600"),
    "receipt": env_rate("RATE_LIMIT_CODES_PER_CLIENT", "5/900"),
    "receipt-wrong": env_rate("RATE_LIMIT_WRONG_CODES_BEFORE_DOUBLING", "200/900"),
    "followup": env_rate("RATE_LIMIT_FOLLOWUP_POSTS_PER_CLIENT", "10/600"),
    "followup-dossier": env_rate("RATE_LIMIT_FOLLOWUP_POSTS_PER_DOSSIER", "20/3600"),
}

EVIDENCE_MAX_FILE_BYTES = env_int("EVIDENCE_MAX_FILE_MB", 10) * 1024 * 1024
EVIDENCE_MAX_FILES = env_int("EVIDENCE_MAX_FILES", 5)
# What one dossier may hold in all, whatever number of follow-up posts bring it.
EVIDENCE_MAX_FILES_PER_DOSSIER = env_int("EVIDENCE_MAX_FILES_PER_DOSSIER", 30)
EVIDENCE_MAX_BYTES_PER_DOSSIER = env_int("EVIDENCE_MAX_MB_PER_DOSSIER", 100) * 1024 * 1024
# The largest acceptable report: every file at its limit plus the form itself.
MAX_REPORT_BODY_BYTES = EVIDENCE_MAX_FILE_BYTES * EVIDENCE_MAX_FILES + 1024 * 1024
# Uploads up to that size stay in memory: Django would otherwise write them, in clear,
# to a temporary file before our storage encrypts them.
FILE_UPLOAD_MAX_MEMORY_SIZE = MAX_REPORT_BODY_BYTES
# And only in memory: a body too large for it is refused (413) before it is read, and no
# upload is ever written unencrypted to a temporary file.
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler"]

# Django's deployment check looks for its CSRF middleware by name; ours is a subclass that
# only adds the "Origin: null" rule (see institute.middleware; tested).
SILENCED_SYSTEM_CHECKS = ["security.W003"]

# How many reverse proxies in front of the application append to X-Forwarded-For; the
# per-visitor rate limits read the visitor's address from there (0: REMOTE_ADDR).
TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 0)
# A refreshed or repeated report form shows its receipt again only this long after.
RECEIPT_REPEAT_SECONDS = 10 * 60
CSRF_FAILURE_VIEW = "intake.views.csrf_failure"

# Where the quick-exit control on every public page leaves for: a neutral site.
QUICK_EXIT_URL = env_str("QUICK_EXIT_URL", "https://www.google.com/")

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Mail: printed to the console unless an SMTP host is given.
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
    EMAIL_TIMEOUT = 10
else:
    EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
    EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / "sent-mail"))
# Public address of the site, for links in mail (mail never carries case details).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "no-reply@igvm-iefh.belgium.be")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security headers. In production the app sits behind a TLS-terminating proxy that sets
# X-Forwarded-Proto. The container's health probe (plain HTTP, host 127.0.0.1) is
# answered by HealthCheckMiddleware before host validation and the HTTPS redirect.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "no-referrer"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # Only over HTTPS, only for this exact host, for the whole site: no subdomain or
    # plain-HTTP page can set or overwrite them.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# Logs carry no personal data: application code logs ids and codes only, request
# bodies are never logged, and exception messages are withheld (institute/logging.py).
# Everything goes to stderr for the container runtime to collect.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": "institute.logging.RedactingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
    },
    "filters": {"redact_task_errors": {"()": "institute.logging.RedactTaskErrorFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_task_errors"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Our URLs carry no personal data; exception messages are withheld above.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        # Tasks run in-process without a broker: their "succeeded" lines would bury what
        # matters (make run's demo logins); failures still show.
        **({"celery.app.trace": {"level": "WARNING"}} if CELERY_TASK_ALWAYS_EAGER else {}),
    },
}

# The Institute's public contact details, shown to people after they report: its free
# phone line and its general address (Dutch, and French for every other language).
INSTITUTE_PHONE = env_str("INSTITUTE_PHONE", "0800 12 800")
INSTITUTE_EMAIL_NL = env_str("INSTITUTE_EMAIL_NL", "gelijkheid.mannen-vrouwen@igvm.belgium.be")
INSTITUTE_EMAIL_FR = env_str("INSTITUTE_EMAIL_FR", "egalite.hommes-femmes@iefh.belgium.be")
# When the line is staffed, as people should read it (for example "on working days from
# 9:00 to 16:30"); not shown when empty. Set it to the line's real hours.
INSTITUTE_PHONE_HOURS = env_str("INSTITUTE_PHONE_HOURS", "")

# Demo data (users and dossiers) may be loaded only outside production.
DEMO_DATA_ALLOWED = not PRODUCTION
