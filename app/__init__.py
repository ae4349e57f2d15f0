"""Willing: gated onboarding homework for network-marketing sponsors."""

from __future__ import annotations

import os

from flask import Flask, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.routing import IdConverter
from config import Config, ProductionConfig, config_from_env


def create_app(config_class: type[Config] | None = None) -> Flask:
    """Build the app: configuration and wiring only, no database work."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(config_class or config_from_env())
    if issubclass(config_class or config_from_env(), ProductionConfig) and not app.config.get(
        "SECRET_KEY"
    ):
        raise SystemExit("Willing refuses to start: set SECRET_KEY in the environment.")
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        db_file = os.path.join(app.instance_path, "willing.sqlite3")
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{db_file}"
    app.config.setdefault("UPLOAD_FOLDER", os.path.join(app.instance_path, "uploads"))
    app.url_map.converters["id"] = IdConverter

    if app.config["PROXY_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    register_security_headers(app)
    return app


def register_extensions(app: Flask) -> None:
    from app.extensions import csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    from app import connections
    from app.services import sessions

    connections.register(app)

    @login_manager.user_loader
    def load_user(session_id: str):  # type: ignore[no-untyped-def]
        return sessions.resume(
            db.session,
            session_id,
            idle=app.config["SESSION_IDLE_TIMEOUT"],
            with_menu=request.method == "GET",
        )


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    """SQLite: enforce foreign keys, WAL for concurrent readers, wait on locks.

    synchronous=NORMAL is SQLite's advice for WAL: a commit no longer waits for the
    disk (2 ms each, which a digest run of thousands of emails felt); the database
    cannot be corrupted, and only a power cut may lose the last commits, never an
    app crash.
    """
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def register_blueprints(app: Flask) -> None:
    from app.auth import bp as auth_bp
    from app.dashboard import bp as dashboard_bp
    from app.downline import bp as downline_bp
    from app.groups import bp as groups_bp
    from app.health import bp as health_bp
    from app.homework import bp as homework_bp
    from app.mailbox import bp as email_bp
    from app.partners import bp as partners_bp
    from app.review import bp as review_bp
    from app.tracks import bp as tracks_bp

    for blueprint in (auth_bp, dashboard_bp, tracks_bp, homework_bp, review_bp, email_bp):
        app.register_blueprint(blueprint)
    for blueprint in (partners_bp, groups_bp, downline_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(health_bp)  # /healthz: liveness probe, the benchmark's floor


def register_errorhandlers(app: Flask) -> None:
    from app.errors import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from app.templating import register

    register(app)


def register_commands(app: Flask) -> None:
    from app.cli import register

    register(app)


def register_security_headers(app: Flask) -> None:
    from app.http_headers import add_security_headers

    app.after_request(add_security_headers)
