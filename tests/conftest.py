"""Shared fixtures: an app on a real database (SQLite file, or PostgreSQL via
TEST_DATABASE_URL), a test client, a CLI runner, and an `auth` helper that logs in
over HTTP like a person would."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask.globals import _cv_app
from flask.testing import FlaskClient, FlaskCliRunner
from hypothesis import Phase, settings
from sqlalchemy import event, text

from app import create_app
from app.extensions import db as _db
from config import TestingConfig
from tests import factories

PASSWORD = factories.DEFAULT_PASSWORD

if Path(__file__).resolve().parents[1].name == "mutants":
    # `make mutate` runs this suite from mutmut's copy: a failing example is all a
    # mutant needs, and shrinking it through the gate's state machine took minutes.
    settings.register_profile("mutants", phases=[Phase.explicit, Phase.reuse, Phase.generate])
    settings.load_profile("mutants")


def _database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return _database_of_this_worker(url)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"  # a worker's own tmp


def _database_of_this_worker(url: str) -> str:
    """Under pytest-xdist (`make test` runs one worker a core) each worker empties and
    fills tables of its own: `willing_test` becomes `willing_test_gw0`, `_gw1`, ...,
    created on the same server the first time."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or not url.startswith("postgresql"):
        return url
    from sqlalchemy import create_engine, make_url

    shared = make_url(url)
    own_name = f"{shared.database}_{worker}"
    server = create_engine(shared, isolation_level="AUTOCOMMIT")  # CREATE DATABASE needs it
    try:
        with server.connect() as connection:
            exists = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": own_name}
            )
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{own_name}"'))
    finally:
        server.dispose()
    return shared.set(database=own_name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = _database_url(tmp_path_factory)
    if os.environ.get("REQUIRE_POSTGRES") == "1" and not url.startswith("postgresql"):
        pytest.fail("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not a PostgreSQL URL")
    return url


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production.

    The tests keep an app context pushed (for factories and queries); without this,
    requests would reuse it and share `g` (Flask-Login's cached user, the CSRF token)
    and the database session across clients. Afterwards the test's own session is
    expired so it reads what the request wrote.
    """

    def open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        token = _cv_app.set(None)
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)
            if _cv_app.get(None) is not None:
                _db.session.expire_all()


@pytest.fixture(scope="session")
def _app(database_url: str, tmp_path_factory: pytest.TempPathFactory):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        UPLOAD_FOLDER = str(tmp_path_factory.mktemp("uploads"))
        MAIL_SERVER = ""  # mail goes to a temporary outbox unless a test starts `smtp`
        MAIL_FILE_DIR = str(tmp_path_factory.mktemp("mail"))

    app = create_app(Config)
    app.test_client_class = IsolatedClient
    with app.app_context():
        _db.drop_all()
        with _db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        _db.create_all()
    yield app
    with app.app_context():
        _db.engine.dispose()


def _empty_all_tables() -> None:
    engine = _db.engine
    tables = list(reversed(_db.metadata.sorted_tables))
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            names = ", ".join(f'"{t.name}"' for t in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        return
    # users and tracks refer to each other, so the keys go off while emptying. The pragma
    # is ignored inside a transaction: it is set outside one, before and after.
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
        for table in tables:
            connection.execute(table.delete())
        connection.commit()
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()


@pytest.fixture
def app(_app):
    """The app with an empty database and an app context, emptied again afterwards; any
    setting a test changes is put back as it was."""
    saved = dict(_app.config)
    with _app.app_context():
        yield _app
        _db.session.remove()
        _empty_all_tables()
    _app.config.clear()
    _app.config.update(saved)


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


class IsolatedCliRunner(FlaskCliRunner):
    """Commands run in their own app context (and session), as from a shell."""

    def invoke(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            with self.app.app_context():  # a fresh context: its own session
                return super().invoke(*args, **kwargs)
        finally:
            _db.session.expire_all()


@pytest.fixture
def runner(app):
    return IsolatedCliRunner(app)


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class AuthActions:
    """Log in and out through the real forms, CSRF token included."""

    def __init__(self, client):
        self.client = client

    def login(self, user_or_email, password: str = PASSWORD):
        email = getattr(user_or_email, "email", user_or_email)
        page = self.client.get("/login")
        return self.client.post(
            "/login",
            data={"email": email, "password": password, "csrf_token": csrf_token(page.text)},
        )

    def logout(self):
        page = self.client.get("/", follow_redirects=True)  # a recruit's lands on /homework
        return self.client.post("/logout", data={"csrf_token": csrf_token(page.text)})


@pytest.fixture
def auth(client) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def seeded_demo(runner) -> None:
    """The demo data of `make run` (flask seed-demo), for tests that walk the site."""
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output


def post_form(client, url: str, data: dict | None = None, *, page: str | None = None, **kwargs):
    """POST to a form with a fresh CSRF token taken from `page` (default: where the user
    lands, the home page or a recruit's homework)."""
    html = client.get(page or "/", follow_redirects=True).text
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(html)}, **kwargs)


@contextmanager
def mail_server_for(app, server=None):  # type: ignore[no-untyped-def]
    """Point the app's mail at a real SMTP server on 127.0.0.1 (default: one that keeps
    what it receives) for the length of the block."""
    from tests.smtp import MailServer

    server = server or MailServer()
    saved = {key: app.config[key] for key in ("MAIL_SERVER", "MAIL_PORT")}
    with server:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
        try:
            yield server
        finally:
            app.config.update(saved)


@pytest.fixture
def smtp(app):
    """A real SMTP server the app sends to for the length of one test."""
    with mail_server_for(app) as server:
        yield server


def deliver_mail(runner) -> str:  # type: ignore[no-untyped-def]
    """Run the mail worker once, as cron would (`flask mail work --once`)."""
    result = runner.invoke(args=["mail", "work", "--once"])
    return result.output


@pytest.fixture
def own_database(database_url: str, tmp_path):  # type: ignore[no-untyped-def]
    """The URL of an empty database of this test's own (a file on SQLite, a schema on
    PostgreSQL), for tests that build or change the schema: the shared test database
    keeps the models' schema for every other test."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'own.sqlite3'}"
        return
    import secrets
    from urllib.parse import quote

    from sqlalchemy import create_engine

    schema = f"own_{secrets.token_hex(4)}"
    admin = create_engine(database_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in database_url else "?"
    try:
        yield f"{database_url}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def app_on_own_database(own_database, tmp_path):  # type: ignore[no-untyped-def]
    """An app (and app context) on `own_database`, with no tables: build them yourself."""

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = own_database
        UPLOAD_FOLDER = str(tmp_path / "uploads")
        MAIL_SERVER = ""
        MAIL_FILE_DIR = str(tmp_path / "mail")

    app = create_app(Config)
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        _db.session.remove()
        _db.engine.dispose()


@contextmanager
def count_queries() -> Iterator[list[str]]:
    """Collect every SQL statement the app runs inside the block."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = _db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def at_once(app, work: Callable[[], object], times: int = 2) -> tuple[list, list]:  # type: ignore[no-untyped-def]
    """Run `work` in `times` threads released together, each with its own app context and
    session; (what each returned, what each raised). On SQLite a second writer may time
    out (one writer at a time): the caller skips then, PostgreSQL being the real case."""
    barrier = threading.Barrier(times)
    results: list = []
    errors: list = []

    def run() -> None:
        with app.app_context():
            try:
                barrier.wait()
                results.append(work())
            except Exception as error:  # noqa: BLE001 - the caller reports it
                errors.append(error)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors
