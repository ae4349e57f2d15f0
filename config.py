"""Configuration classes; every setting can be overridden from the environment."""

from __future__ import annotations

import os
from datetime import timedelta


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


class Config:
    """Settings shared by every environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    # None means "a SQLite file in the instance folder" (resolved in create_app).
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    # No pool_pre_ping: app/connections.py pings only connections that sat idle.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _env_bool("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Willing <no-reply@localhost>")
    # Without MAIL_SERVER, messages are written here as .eml files (default instance/mail/).
    MAIL_FILE_DIR = os.environ.get("MAIL_FILE_DIR", "")
    # Seconds any one SMTP step (connecting included) may take before it counts as failed.
    MAIL_TIMEOUT = _env_float("MAIL_TIMEOUT", 10.0)
    # How long a sender holds the messages it claimed (app/mail/lease.py): at least twice
    # the longest send (14 x MAIL_TIMEOUT + 30 s), or the worker warns.
    MAIL_LEASE_SECONDS = _env_float("MAIL_LEASE_SECONDS", 600.0)
    # The pause after a failed send, doubled after each further failure (at most 6 h).
    MAIL_RETRY_SECONDS = _env_float("MAIL_RETRY_SECONDS", 60.0)
    # A message still failing this long after it was recorded is given up (a reset
    # link after one hour: it has expired); a permanent refusal (5xx) at once.
    MAIL_GIVE_UP_HOURS = _env_float("MAIL_GIVE_UP_HOURS", 72.0)
    # A run stops after this many server failures in a row (a dead or hung server).
    MAIL_MAX_SERVER_FAULTS = _env_int("MAIL_MAX_SERVER_FAULTS", 3)
    MAIL_BATCH_SIZE = _env_int("MAIL_BATCH_SIZE", 50)
    MAIL_POLL_SECONDS = _env_float("MAIL_POLL_SECONDS", 2.0)

    # Uploads: a request may carry a 10 MB attachment plus the form around it.
    MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
    MAX_CONTENT_LENGTH = MAX_ATTACHMENT_BYTES + 512 * 1024
    MAX_FORM_MEMORY_SIZE = 2 * 1024 * 1024
    # All of one recruit's attachments together (ASVS V12.1.3).
    ATTACHMENT_QUOTA_BYTES = _env_int("ATTACHMENT_QUOTA_MB", 100) * 1024 * 1024

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE")
    # Server-side sessions (app/services/sessions.py): idle timeout and absolute lifetime;
    # "keep me logged in" sessions last REMEMBER_COOKIE_DURATION instead.
    SESSION_IDLE_TIMEOUT = timedelta(hours=_env_int("SESSION_IDLE_HOURS", 12))
    SESSION_ABSOLUTE_LIFETIME = timedelta(days=_env_int("SESSION_LIFETIME_DAYS", 7))
    PERMANENT_SESSION_LIFETIME = SESSION_ABSOLUTE_LIFETIME
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE

    # Behind N reverse proxies, trust N X-Forwarded-For/-Proto hops (login throttling
    # counts per client address, and Secure cookies need to know the scheme).
    PROXY_HOPS = _env_int("PROXY_HOPS", 0)
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 - a hash method name, not a password
    WTF_CSRF_TIME_LIMIT = None  # the session lifetime bounds the token already
    PAGE_SIZE = 50


class DevelopmentConfig(Config):
    """`make run`: SQLite in the instance folder, debug on."""

    DEBUG = True


class TestingConfig(Config):
    """pytest: a throwaway database, cheap password hashing."""

    TESTING = True
    SECRET_KEY = "testing-secret-key"  # noqa: S105 - fixed key for reproducible tests
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    # scrypt costs ~65 ms a check; the tests hash hundreds of passwords.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 - a hash method name
    SERVER_NAME = None
    # A failed message is due again at once, so a test can retry without waiting.
    MAIL_RETRY_SECONDS = 0.0
    MAIL_TIMEOUT = 2.0


class ProductionConfig(Config):
    """gunicorn in production: secrets must come from the environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY")
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    """Pick the config class named by WILLING_ENV (default: development)."""
    name = os.environ.get("WILLING_ENV", "development").lower()
    if name not in CONFIGS:
        raise SystemExit(f"WILLING_ENV must be one of {', '.join(CONFIGS)}, not {name!r}")
    return CONFIGS[name]
