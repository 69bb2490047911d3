"""Settings for riskregistry.

Every difference between environments is an environment variable with a safe development default. With
nothing set you get the embedded default: a SQLite file under var/, tasks run in-process, files on local disk.
Production mode is ``DEBUG=false``: then SECRET_KEY and ALLOWED_HOSTS are required and the secure defaults of
``manage.py check --deploy`` apply.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("RISKREGISTRY_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

# ---------------------------------------------------------------------------------------------------------------
# Core
# ---------------------------------------------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=True)
PRODUCTION = not DEBUG


def _development_secret_key() -> str:
    """A random key kept under var/ so development sessions survive a restart."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be set to a random string of 50+ characters when DEBUG=false.")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG=false, e.g. ALLOWED_HOSTS=risk.example.com")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="") or _development_secret_key()
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The public address of this installation: links in emails, portal invitations and PDFs start with it.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_countries",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "riskregistry",
    "vendors",
    "assessments",
    "reports",
    "webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "riskregistry.middleware.RequestSizeLimitMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After OTPMiddleware: a session that owes its second factor goes to the code (or enrolment) page.
    "riskregistry.signin.middleware.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "riskregistry.urls"
WSGI_APPLICATION = "riskregistry.wsgi.application"

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

# ---------------------------------------------------------------------------------------------------------------
# Database
# ---------------------------------------------------------------------------------------------------------------
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'riskregistry.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # WAL lets the web process read while a worker writes; IMMEDIATE avoids "database is locked" on upgrade.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
else:
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's, reading timestamps with psycopg's C loader (the same values; see riskregistry/db/postgresql).
        DATABASES["default"]["ENGINE"] = "riskregistry.db.postgresql"
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ---------------------------------------------------------------------------------------------------------------
# Redis: Celery broker and cache. Unset means the embedded default: tasks run in-process, a local-memory cache.
# ---------------------------------------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Job state lives on the rows (status, checked-at, error), never in Celery results.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=600)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=660)
# A late-acked task is redelivered after the visibility timeout if its worker died; keep it above the time limit.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
if env.str("CELERY_UNACKED_RESTORE_INTERVAL", default=""):
    # How often (seconds) a worker looks for tasks of dead workers; kombu scans on every tenth look.
    CELERY_BROKER_TRANSPORT_OPTIONS["unacked_restore_interval"] = env.int("CELERY_UNACKED_RESTORE_INTERVAL")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "riskregistry.tasks.worker_heartbeat", "schedule": 60.0, "options": {"expires": 50}},
    # Supply chains change without a procurement event: re-resolve every model in use (default daily, 03:17 UTC).
    "lineage-refresh-portfolio": {
        "task": "vendors.tasks.lineage_refresh_portfolio",
        "schedule": crontab(
            minute=env.str("LINEAGE_REFRESH_MINUTE", default="17"),
            hour=env.str("LINEAGE_REFRESH_HOUR", default="3"),
            day_of_week=env.str("LINEAGE_REFRESH_DAY_OF_WEEK", default="*"),
        ),
    },
    # A risk acceptance is valid through its last day (UTC); just after midnight its factor counts again.
    "findings-expire": {"task": "assessments.tasks.findings_expire", "schedule": crontab(minute="5", hour="0")},
    # Notices to findings' owners before the due date and once overdue, and before a risk acceptance ends.
    "findings-notify": {"task": "assessments.tasks.findings_notify", "schedule": crontab(minute="40", hour="7")},
    # Reminders before an assessment's due date and once overdue; recurring assessments due soon are sent.
    "assessments-remind": {"task": "assessments.tasks.assessments_remind", "schedule": crontab(minute="30", hour="7")},
    # The same for attestation requests: before the deadline and once it has passed, each with a new link.
    "attestations-remind": {
        "task": "assessments.tasks.attestation_requests_remind",
        "schedule": crontab(minute="35", hour="7"),
    },
    # The quarterly report of the quarter that just ended, early on the first day of the next one (UTC).
    "quarterly-report": {
        "task": "reports.tasks.quarterly_reports_due",
        "schedule": crontab(minute="30", hour="0", day_of_month="1", month_of_year="1,4,7,10"),
    },
    # Webhook retries: messages whose next attempt is due are handed to the workers.
    "webhook-messages-due": {
        "task": "webhooks.tasks.webhook_messages_due",
        "schedule": env.float("WEBHOOKS_SWEEP_SECONDS", default=15.0),
        "options": {"expires": 14},
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# ---------------------------------------------------------------------------------------------------------------
# Model hub. huggingface_hub reads HF_ENDPOINT at import; the hub client passes these explicitly instead.
# ---------------------------------------------------------------------------------------------------------------
HF_ENDPOINT = env.str("HF_ENDPOINT", default="https://huggingface.co").rstrip("/")
# huggingface_hub sends a telemetry request to huggingface.co whatever HF_ENDPOINT says; an install that uses a
# mirror, or runs offline, must not call out. Read by huggingface_hub at import, which comes after settings.
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
HF_TOKEN = env.str("HF_TOKEN", default="") or None
HUB_TIMEOUT = env.float("HUB_TIMEOUT", default=10.0)
HUB_MAX_RETRIES = env.int("HUB_MAX_RETRIES", default=5)
HUB_REQUEST_DEADLINE = env.float("HUB_REQUEST_DEADLINE", default=30.0)  # seconds per request, all reads included
HUB_NODE_BUDGET = env.float("HUB_NODE_BUDGET", default=120.0)  # seconds per repo: its requests and retry waits
# How long the usage form waits for the hub to say whether a newly named repo exists (no answer: checked later).
HUB_CHECK_SECONDS = env.float("HUB_CHECK_SECONDS", default=3.0)
HUB_REQUESTS_PER_SECOND = env.float("HUB_REQUESTS_PER_SECOND", default=0.0) or None  # 0: no client-side limit
LINEAGE_CONCURRENCY = env.int("LINEAGE_CONCURRENCY", default=16)  # hub requests in flight per refresh
LINEAGE_MAX_DEPTH = env.int("LINEAGE_MAX_DEPTH", default=32)
LINEAGE_MAX_NODES = env.int("LINEAGE_MAX_NODES", default=20000)  # per refresh: a runaway graph stops here
# A refresh with more seed repos than this is split into chunks that the Celery workers walk in parallel.
LINEAGE_CHUNK_SIZE = env.int("LINEAGE_CHUNK_SIZE", default=250)
# A rescoring of more usages than this is handed to the Celery workers in parts of this many, one task each.
RATINGS_CHUNK_SIZE = env.int("RATINGS_CHUNK_SIZE", default=5000)
# Rescoring reads, scores and writes this many usages per transaction, with a fixed number of queries each.
RATINGS_BATCH_SIZE = env.int("RATINGS_BATCH_SIZE", default=2000)
# Without Redis, "Refresh now" runs the refresh on a thread beside the web server (the request answers at once).
LINEAGE_REFRESH_BESIDE = env.bool("LINEAGE_REFRESH_BESIDE", default=True)
# Each refresh also reads the identifying files (config.json, tokenizer_config.json) of the models it reaches and
# infers the parents of those whose metadata names none; inferred parents below this confidence are not stored.
LINEAGE_INFERENCE = env.bool("LINEAGE_INFERENCE", default=True)
LINEAGE_INFERENCE_MIN_CONFIDENCE = env.float("LINEAGE_INFERENCE_MIN_CONFIDENCE", default=0.5)
# A private model's config.json and tokenizer_config.json, uploaded by its vendor or an analyst: largest accepted
# (real ones are a few KiB; a tokenizer config with a long chat template or many added tokens some hundred KiB).
MODEL_CONFIG_MAX_BYTES = env.int("MODEL_CONFIG_MAX_BYTES", default=1024 * 1024)
MODEL_TOKENIZER_CONFIG_MAX_BYTES = env.int("MODEL_TOKENIZER_CONFIG_MAX_BYTES", default=4 * 1024 * 1024)
# The bases the inference compares with, walked by every portfolio refresh: comma-separated hub ids; unset,
# vendors/knowledge's list; set but empty, none.
LINEAGE_REFERENCE_MODELS = (
    [repo.strip() for repo in os.environ["LINEAGE_REFERENCE_MODELS"].split(",") if repo.strip()]
    if "LINEAGE_REFERENCE_MODELS" in os.environ
    else None
)

# ---------------------------------------------------------------------------------------------------------------
# Webhooks (Standard Webhooks: signed, retried for about a day; see the README)
# ---------------------------------------------------------------------------------------------------------------
# Off: target URLs must resolve to public addresses only (no loopback, private, link-local, multicast, reserved),
# at save time and at every delivery, so the server is no SSRF relay. An administrator turns it on only where
# receivers live on an internal network.
WEBHOOKS_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOKS_ALLOW_PRIVATE_TARGETS", default=False)
WEBHOOKS_TIMEOUT = env.float("WEBHOOKS_TIMEOUT", default=10.0)  # seconds per attempt, all reads included
# Endpoint secrets are stored sealed (webhooks.sealing): with these Fernet keys (newest first) or, when empty, with
# keys derived from SECRET_KEY and SECRET_KEY_FALLBACKS.
WEBHOOKS_SEALING_KEYS = env.list("WEBHOOKS_SEALING_KEYS", default=[])
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
# After a secret rotation, the old secret keeps signing (beside the new one) this long.
WEBHOOKS_SECRET_GRACE_HOURS = env.int("WEBHOOKS_SECRET_GRACE_HOURS", default=24)
# An endpoint is disabled (and the admins emailed) once its failed attempts in a row reach this many and span
# at least this many hours.
WEBHOOKS_DISABLE_AFTER_FAILURES = env.int("WEBHOOKS_DISABLE_AFTER_FAILURES", default=10)
WEBHOOKS_DISABLE_AFTER_HOURS = env.int("WEBHOOKS_DISABLE_AFTER_HOURS", default=24)

# ---------------------------------------------------------------------------------------------------------------
# Auth
# ---------------------------------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sign-in throttling (django-axes): after AXES_FAILURE_LIMIT failed sign-ins for one account (from anywhere), or
# from one address (for any account), further attempts are refused for AXES_COOLOFF_MINUTES, even with the right
# password. Admins see and lift lockouts in the admin (Axes → Access attempts) or with `manage.py axes_reset`.
# Successful and failed sign-ins are kept (Access logs, Access failures) for the audit trail.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "riskregistry.auth_backends.RoleBackend"]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "riskregistry.client_ip.client_ip"

# Reverse proxies in front of the app that append to X-Forwarded-For (a load balancer and nginx: 2). The client's
# address for lockouts, throttles and signatures is read that many hops from the right of the header; with 0
# (the default) the header is ignored and the connection's address is used (riskregistry.client_ip).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
RATELIMIT_IP_META_KEY = "riskregistry.client_ip.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Single sign-on with OpenID Connect (mozilla-django-oidc), off unless OIDC_ISSUER and OIDC_CLIENT_ID are set. The
# endpoints come from the issuer's discovery document unless given one by one. The groups claim maps to the roles
# with OIDC_ROLE_MAP ("risk-admins=admin,risk-analysts=analyst,risk-readers=viewer" or a JSON object); a user whose
# groups map to no role is refused with the reason. See the README (Single sign-on).
OIDC_PROVIDER_NAME = env.str("OIDC_PROVIDER_NAME", default="single sign-on")
OIDC_ISSUER = env.str("OIDC_ISSUER", default="")
OIDC_DISCOVERY_URL = env.str("OIDC_DISCOVERY_URL", default="")
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("OIDC_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env.str("OIDC_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env.str("OIDC_USERINFO_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env.str("OIDC_JWKS_URI", default="")
OIDC_RP_CLIENT_ID = env.str("OIDC_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OIDC_CLIENT_SECRET", default="")
OIDC_RP_SCOPES = env.str("OIDC_SCOPES", default="openid email profile")
OIDC_RP_SIGN_ALGO = env.str("OIDC_SIGN_ALGO", default="RS256")
OIDC_GROUPS_CLAIM = env.str("OIDC_GROUPS_CLAIM", default="groups")
OIDC_ROLE_MAP = env.str("OIDC_ROLE_MAP", default="")
OIDC_USERNAME_CLAIM = env.str("OIDC_USERNAME_CLAIM", default="preferred_username")
OIDC_LEEWAY_SECONDS = env.int("OIDC_LEEWAY_SECONDS", default=60)  # clock skew allowed on the ID token's times
OIDC_TIMEOUT = env.float("OIDC_TIMEOUT", default=10.0)
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_TOKEN_USE_BASIC_AUTH = env.bool("OIDC_TOKEN_USE_BASIC_AUTH", default=False)
if OIDC_ISSUER and OIDC_RP_CLIENT_ID:
    AUTHENTICATION_BACKENDS.append("riskregistry.signin.oidc.OidcBackend")

# Two-factor sign-in (django-otp, TOTP): anyone may enrol an authenticator app (Account → Two-factor); a user with
# a device gives a code after the password at every sign-in. REQUIRE_ADMIN_2FA=true makes it compulsory for admins
# (superusers, staff and the admin role): until they have enrolled, they can only enrol.
REQUIRE_ADMIN_2FA = env.bool("REQUIRE_ADMIN_2FA", default=False)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="riskregistry")
OTP_TOTP_THROTTLE_FACTOR = 1  # each failed code doubles the wait before the next try (1 s, 2 s, 4 s...)
BACKUP_CODES_COUNT = 10

# ---------------------------------------------------------------------------------------------------------------
# Email
# ---------------------------------------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="riskregistry <riskregistry@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Who receives the quarterly report Celery beat makes at each quarter's end (comma-separated; empty: nobody).
REPORTS_EMAIL_TO = env.list("REPORTS_EMAIL_TO", default=[])

# ---------------------------------------------------------------------------------------------------------------
# Static and uploaded files
# ---------------------------------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Vendors' evidence: outside the web root (no URL); the app serves it to signed-in users and its portal only.
    "evidence": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": str(Path(env.str("EVIDENCE_ROOT", default=str(VAR_DIR / "evidence")))),
            "base_url": None,
        },
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
    # Signed attestation PDFs: outside the web root (no URL); the app serves them to signed-in users and the portal.
    "attestations": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env.str("ATTESTATION_ROOT", default=str(VAR_DIR / "attestations")), "base_url": None},
    },
}
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request when it is missing
# Request limits: the whole body (files included) is refused above REQUEST_MAX_BYTES before anything parses it
# (riskregistry.middleware); Django limits the form fields apart from files, their number, and the files' number.
REQUEST_MAX_BYTES = env.int("REQUEST_MAX_BYTES", default=25 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env.int("DATA_UPLOAD_MAX_NUMBER_FIELDS", default=2000)
DATA_UPLOAD_MAX_NUMBER_FILES = env.int("DATA_UPLOAD_MAX_NUMBER_FILES", default=20)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Spreadsheet imports of vendors, products and model usages: the largest file and the most rows read at once.
CSV_IMPORT_MAX_BYTES = env.int("CSV_IMPORT_MAX_BYTES", default=2 * 1024 * 1024)
CSV_IMPORT_MAX_ROWS = env.int("CSV_IMPORT_MAX_ROWS", default=5000)

# ---------------------------------------------------------------------------------------------------------------
# Attestations
# ---------------------------------------------------------------------------------------------------------------
ATTESTATION_DEADLINE_DAYS = env.int("ATTESTATION_DEADLINE_DAYS", default=30)  # default deadline of a new request
# Questionnaires and the vendor portal
# ---------------------------------------------------------------------------------------------------------------
PORTAL_LINK_DAYS = env.int("PORTAL_LINK_DAYS", default=30)  # a link expires this long after it is issued
PORTAL_SESSION_HOURS = env.int("PORTAL_SESSION_HOURS", default=12)
# Requests per minute to the portal per link and per client address (django-ratelimit rates).
PORTAL_RATE_PER_LINK = env.str("PORTAL_RATE_PER_LINK", default="60/m")
PORTAL_RATE_PER_ADDRESS = env.str("PORTAL_RATE_PER_ADDRESS", default="120/m")
EVIDENCE_MAX_MB = env.int("EVIDENCE_MAX_MB", default=20)
ASSESSMENT_REMINDER_DAYS = tuple(env.list("ASSESSMENT_REMINDER_DAYS", cast=int, default=[7, 3, 1]))

# ---------------------------------------------------------------------------------------------------------------
# Model Bills of Materials
# ---------------------------------------------------------------------------------------------------------------
# A vendor's CycloneDX BOM is refused above this size (bytes) or this many components, before anything is saved.
MBOM_IMPORT_MAX_BYTES = env.int("MBOM_IMPORT_MAX_BYTES", default=10 * 1024 * 1024)
MBOM_IMPORT_MAX_COMPONENTS = env.int("MBOM_IMPORT_MAX_COMPONENTS", default=5000)

# ---------------------------------------------------------------------------------------------------------------
# Internationalisation
# ---------------------------------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# ---------------------------------------------------------------------------------------------------------------
# Security (production mode)
# ---------------------------------------------------------------------------------------------------------------
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]  # turned off on purpose by the operator
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): everything from the app's own origin, no inline script or style anywhere
# (pages, the portal, the admin, the API docs), nothing framed, forms post only back to the app. Pages keep their
# JS and CSS in static files; inline SVG charts use presentation attributes, not style="".
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],  # Bootstrap draws its form icons as data: SVGs
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Permissions-Policy (django-permissions-policy): the app uses no powerful browser feature.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer", "autoplay", "camera", "display-capture", "encrypted-media", "fullscreen", "geolocation",
        "gyroscope", "magnetometer", "microphone", "midi", "payment", "picture-in-picture", "publickey-credentials-get",
        "screen-wake-lock", "serial", "usb", "xr-spatial-tracking", "browsing-topics",
    )
}  # fmt: skip

# ---------------------------------------------------------------------------------------------------------------
# REST API
# ---------------------------------------------------------------------------------------------------------------
# Keys are sent as "Authorization: Bearer <key>"; the signed-in session works too (the browsable API). Pagination
# and filters are set on the base viewset (riskregistry.api_base), which the authentication module must not import.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "riskregistry.api_auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["riskregistry.api_auth.RolePermission"],
    "DEFAULT_THROTTLE_CLASSES": ["riskregistry.api_auth.ClientRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "riskregistry.api_errors.exception_handler",
}
# The list filters (shared by the pages and the API): a choice left empty reads "Any", not a row of dashes.
FILTERS_EMPTY_CHOICE_LABEL = "Any"
# Requests per API key (or signed-in user) and period: "1000/minute", "50/second", ...
API_THROTTLE_RATE = env.str("API_THROTTLE_RATE", default="1200/minute")
API_PAGE_SIZE_MAX = 500

SPECTACULAR_SETTINGS = {
    "TITLE": "riskregistry API",
    "DESCRIPTION": (
        "Vendors, products, the models behind them with their lineage, ratings, findings and exposure, and the "
        "change feed. Send an API key as `Authorization: Bearer <key>`. Every error has the shape "
        "`{detail, code, fields}`."
    ),
    "VERSION": "1",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "CriticalityEnum": "vendors.models.portfolio.Criticality",
        "VendorStatusEnum": "vendors.models.portfolio.VendorStatus",
        "ProductStatusEnum": "vendors.models.portfolio.ProductStatus",
        "UsageRoleEnum": "vendors.models.portfolio.UsageRole",
        "UsageDeclaredByEnum": "vendors.models.portfolio.UsageDeclaredBy",
        "ModelKindEnum": "vendors.models.lineage.AIModelKind",
        "ModelStatusEnum": "vendors.models.lineage.AIModelStatus",
        "EdgeRelationEnum": "vendors.models.lineage.EdgeRelation",
        "EdgeSourceEnum": "vendors.models.lineage.EdgeSource",
        "DeclaredSourceEnum": "vendors.models.lineage.DeclaredSource",
        "ChangeKindEnum": "vendors.models.lineage.ChangeKind",
        "HostKindEnum": "vendors.models.knowledge.HostKind",
        "ReportKindEnum": "reports.models.ReportKind",
        "ReportStatusEnum": "reports.models.ReportStatus",
        "TierEnum": "assessments.models.Tier",
        "FindingStatusEnum": "assessments.models.FindingStatus",
        "FindingTriggerEnum": "assessments.models.FindingTrigger",
        "CountryEnum": "django_countries.countries",
        "CsvImportStatusEnum": "vendors.models.imports.CsvImportStatus",
        "CsvImportRowOutcomeEnum": "vendors.csv_import.plan.OUTCOMES",
        "ModelFilesUploadChannelEnum": "vendors.models.inference.UploadChannel",
        "InferredSourceEnum": "vendors.models.inference.InferredSource",
        "WebhookEventTypeEnum": "webhooks.models.EventType",
        "WebhookDisabledReasonEnum": "webhooks.models.DisabledReason",
        "WebhookMessageStatusEnum": "webhooks.models.MessageStatus",
        "AssessmentStatusEnum": "assessments.models.assessments.AssessmentStatus",
        "RecurrenceEnum": "assessments.models.assessments.Recurrence",
        "AnswerChannelEnum": "assessments.models.assessments.AnswerChannel",
        "AnswerReviewStatusEnum": "assessments.models.assessments.ReviewStatus",
        "AnswerCarriedStateEnum": "assessments.models.assessments.CarriedState",
        "QuestionnaireSourceEnum": "assessments.models.questionnaires.QuestionnaireSource",
    },
}

# ---------------------------------------------------------------------------------------------------------------
# Logging
# ---------------------------------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"one_line_forbidden": {"()": "riskregistry.log_filters.OneLineForbidden"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "httpx": {"level": "WARNING"},
        "httpx2": {"level": "WARNING"},
        # WeasyPrint narrates every layout step at INFO; its warnings (a missing glyph, a refused URL) still show.
        "weasyprint.progress": {"level": "WARNING"},
        # A 403 is one line in the log, not a traceback.
        "django.request": {"filters": ["one_line_forbidden"]},
    },
}
