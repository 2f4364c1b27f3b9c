"""Configuration classes; every deployment-specific value comes from the environment."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask_appbuilder.const import AUTH_DB

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{INSTANCE_DIR / 'app.db'}"
    # Heroku-style URLs name the dialect "postgres", which SQLAlchemy 2 rejects.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    return url


class BaseConfig:
    """Settings shared by every environment."""

    APP_NAME = "再生资源客户服务后台"
    APP_THEME = ""
    APP_ICON = ""
    SECRET_KEY = ""
    SQLALCHEMY_DATABASE_URI = ""
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = ""

    # Business time zone: deadlines and every displayed time are Asia/Shanghai.
    BUSINESS_TZ = "Asia/Shanghai"

    # Flask-AppBuilder: Alembic owns the schema and `flask roles sync` owns the
    # permission rows, so FAB must neither create tables nor write permissions
    # while serving requests.
    AUTH_TYPE = AUTH_DB
    FAB_CREATE_DB = False
    FAB_UPDATE_PERMS = False
    FAB_SECURITY_MANAGER_CLASS = "app.security.SecurityManager"
    FAB_ROLES: dict = {}  # filled from app.security.roles in create_app
    AUTH_ROLE_ADMIN = "Admin"
    AUTH_ROLE_PUBLIC = "Public"
    FAB_API_SWAGGER_UI = True
    FAB_ADD_SECURITY_API = False
    # Roles and permissions are data synced by `flask roles sync`: FAB's raw
    # permission, view-menu and permission-view screens would only show its
    # internal names (and edits there are overwritten by the next sync).
    FAB_ADD_SECURITY_PERMISSION_VIEW = False
    FAB_ADD_SECURITY_VIEW_MENU_VIEW = False
    FAB_ADD_SECURITY_PERMISSION_VIEWS_VIEW = False
    FAB_API_MAX_PAGE_SIZE = 100
    FAB_INDEX_VIEW = "app.ui.home.HomeView"
    # The password policy (app.security.passwords) on every password field.
    FAB_PASSWORD_COMPLEXITY_ENABLED = True
    PASSWORD_MIN_LENGTH = 8
    # Sign-in throttling is app.security.login_guard (per account and per
    # address, counted in Redis for every worker), not FAB's per-worker limiter.
    AUTH_RATE_LIMITED = False
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    LOGIN_THROTTLE_ENABLED = True
    LOGIN_FAILURES_PER_ACCOUNT = "5 per minute"
    LOGIN_FAILURES_PER_ADDRESS = "20 per minute"
    LOGIN_LOCKOUT_FAILURES = 10
    JWT_ACCESS_TOKEN_EXPIRES = 3600

    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_FOLDER = "translations"
    BABEL_TRANSLATION_DIRECTORIES = "translations"
    # Chinese only: the clerks work in Chinese, and a single language shows no
    # language menu (the English texts are the catalogue's keys, not a UI).
    LANGUAGES = {"zh": {"flag": "cn", "name": "简体中文"}}

    FILE_ALLOWED_EXTENSIONS = (
        "pdf",
        "png",
        "jpg",
        "jpeg",
        "gif",
        "txt",
        "doc",
        "docx",
        "xls",
        "xlsx",
        "mp3",
        "amr",
        "m4a",
    )
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Served over HTTPS only: Secure cookies and HSTS (app.security.headers).
    HTTPS_ONLY = False

    def __init__(self) -> None:
        env = os.environ
        self.SECRET_KEY = env.get("SECRET_KEY", "") or self.SECRET_KEY
        self.SQLALCHEMY_DATABASE_URI = _database_url()
        self.REDIS_URL = env.get("REDIS_URL", "").strip()
        self.HTTPS_ONLY = _env_bool("HTTPS_ONLY", self.HTTPS_ONLY)
        self.UPLOAD_FOLDER = str(
            Path(env.get("UPLOAD_FOLDER", INSTANCE_DIR / "uploads")).resolve()
        )
        self.LOGIN_THROTTLE_ENABLED = _env_bool(
            "RATELIMIT_ENABLED", self.LOGIN_THROTTLE_ENABLED
        )
        self.LOGIN_LOCKOUT_FAILURES = int(env.get("LOGIN_LOCKOUT_FAILURES", "10"))
        # Outgoing e-mail for escalations; no host = in-app notifications only.
        self.MAIL_SERVER = env.get("MAIL_SERVER", "").strip()
        self.MAIL_PORT = int(env.get("MAIL_PORT", "25"))
        self.MAIL_USE_TLS = _env_bool("MAIL_USE_TLS")
        self.MAIL_USERNAME = env.get("MAIL_USERNAME", "")
        self.MAIL_PASSWORD = env.get("MAIL_PASSWORD", "")
        self.MAIL_DEFAULT_SENDER = env.get("MAIL_DEFAULT_SENDER", "noreply@example.com")
        # Alerts older than this are not mailed (e.g. raised before SMTP was set).
        self.MAIL_MAX_AGE_HOURS = float(env.get("MAIL_MAX_AGE_HOURS", "24"))
        # Base of the links in e-mails (the address users open the back office at).
        self.APP_BASE_URL = env.get("APP_BASE_URL", "http://127.0.0.1:8080")
        # Rows the deadline check commits at a time.
        self.DEADLINE_BATCH_SIZE = int(env.get("DEADLINE_BATCH_SIZE", "500"))
        # Follow-up generation: a run with at least FOLLOWUP_PARTS_FROM new
        # visits is written by FOLLOWUP_PARTS connections at once (PostgreSQL;
        # about the database server's cores), 1: one statement.
        self.FOLLOWUP_PARTS = int(env.get("FOLLOWUP_PARTS", "2"))
        self.FOLLOWUP_PARTS_FROM = int(env.get("FOLLOWUP_PARTS_FROM", "2000"))
        self.DEMO_PASSWORD = env.get("DEMO_PASSWORD", "") or "demo-2026"
        # PostgreSQL time limits in seconds (0: none): web requests, then jobs.
        for name, default in (
            ("DB_STATEMENT_TIMEOUT", "30"),
            ("DB_IDLE_IN_TRANSACTION_TIMEOUT", "60"),
            ("JOB_STATEMENT_TIMEOUT", "900"),
            ("JOB_IDLE_IN_TRANSACTION_TIMEOUT", "900"),
        ):
            setattr(self, name, float(env.get(name, "") or default))


class DevelopmentConfig(BaseConfig):
    """Local development: SQLite under instance/; `make run` supplies the key."""

    DEBUG = False


class TestingConfig(BaseConfig):
    """Test runs: isolated database chosen by the test fixtures."""

    TESTING = True
    LOGIN_THROTTLE_ENABLED = False  # the throttling tests switch it on
    # A fresh key per test process: no key in the repository signs anything.
    SECRET_KEY = secrets.token_hex(32)
    RATELIMIT_ENABLED = False
    # Fast hashing for the test suite only.
    FAB_PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105
    SERVER_NAME = "localhost"


class ProductionConfig(BaseConfig):
    """Production: every secret must come from the environment; HTTPS only
    (Secure session and remember-me cookies, HSTS) unless HTTPS_ONLY=false."""

    HTTPS_ONLY = True


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


# Keys that were once written in this file as defaults: public, so never honoured.
REPOSITORY_SECRET_KEYS = frozenset(
    {
        "dev-only-secret-key-change-me",
        "test-secret-key-for-the-test-suite-only",
    }
)
MIN_SECRET_KEY_LENGTH = 32


def secret_key_problem(key: str | None) -> str | None:
    """Why this signing key must not be used, or None when it may.

    Sessions and API tokens are signed with it: an empty, short or published
    key lets anyone sign in as anyone.
    """
    key = (key or "").strip()
    if not key:
        what = "SECRET_KEY is not set"
    elif key in REPOSITORY_SECRET_KEYS:
        what = "SECRET_KEY is a sample value published in the repository"
    elif len(key) < MIN_SECRET_KEY_LENGTH:
        what = f"SECRET_KEY is shorter than {MIN_SECRET_KEY_LENGTH} characters"
    else:
        return None
    return (
        f"{what}: refusing to start. Sessions and API tokens are signed with it. "
        "Set it in the environment to a long random value, e.g.\n"
        '  export SECRET_KEY="$(python3 -c '
        "'import secrets; print(secrets.token_hex(32))')\"\n"
        "and keep it the same for every web server and worker "
        "(`make run` makes one under instance/ for local use)."
    )


def get_config(name: str | None = None) -> BaseConfig:
    """Return the config instance for APP_ENV (default: development)."""
    env = (name or os.environ.get("APP_ENV") or "development").lower()
    try:
        return CONFIGS[env]()
    except KeyError:
        raise RuntimeError(
            f"Unknown APP_ENV {env!r}; use one of {sorted(CONFIGS)}"
        ) from None
