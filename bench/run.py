"""The benchmark: `make bench` (scale `large`) and `make bench-smoke` (CI, under a minute).

Every speed figure is a ratio against a reference measured in the same run, because
these machines are shared and noisy:
- load (wrk, 16 connections, gunicorn with 2 workers, production settings) on the
  floor (`/healthz`, no database), the track page, the review queue, the dashboard of
  the sponsor with 5,000 recruits, a hand-in POST and an approve POST (every POST on
  fresh data: its own recruit, its own waiting submission);
- the dashboard's server time (one connection, p50) against one hand-written SQL
  statement that computes the same page, run through the bare driver (bench/raw_sql.py);
- SQL statements per page at `small` and at the run's scale (Flask test client,
  in-process, a before_cursor_execute listener): they must not grow;
- the partner list and a partnership page of a recruit with partnerships (wrk, as
  above; a third of the users keep partnerships);
- a mastermind meeting page (the coming meeting of the recruit's group, with updates;
  wrk as above; a tenth of the users are in groups);
- `flask digest send` for every sponsor into a local SMTP sink: wall time, peak
  memory, statements; `flask partners due` and `flask partners remind` for every user
  (wall time; skipped with a line saying so while a command doesn't exist); `flask
  groups remind --as-of` a moment 24 hours before the meetings of many groups, over
  every group (wall time); and the peak RSS of a gunicorn worker.

    .venv/bin/python bench/run.py                  # large, SQLite (+ PostgreSQL if
                                                   # BENCH_DATABASE_URL is set)
    .venv/bin/python bench/run.py --smoke          # small vs medium, short bursts

It writes bench/results.md and bench/results.json (smoke: bench/data/smoke.*) and
prints the table. Data is regenerated for every run (the POSTs change it).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import platform
import re
import secrets
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DATA = BENCH / "data"
VENV_BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from bench import make_data, raw_sql  # noqa: E402

USER_AGENT = "willing-bench/1"
CONNECTIONS = 16
# Budgets (issue 6), checked on every run.
BUDGET = {
    "dashboard_vs_sql": 3.0,
    "max_statements": 8,
    "min_share_of_floor": 0.15,
    "max_p95_ms": 50.0,
    "digest_seconds": 30.0,
    "partner_command_seconds": 30.0,  # `flask partners due` / `remind`, every user
    "group_remind_seconds": 30.0,  # `flask groups remind`, every group (issue 14)
    "worker_mb": 150.0,
    "min_post_share_of_floor": 0.08,
    "hung_smtp_vs_answering": 0.90,  # POSTs with the mail server hung, against answering
}


# --- small helpers ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def sqlite_url(scale: str) -> str:
    return f"sqlite:///{DATA / f'{scale}.sqlite3'}"


def pg_url(url: str, jit: bool) -> str:
    """The PostgreSQL URL, with JIT off for this client unless asked to keep it."""
    if jit or "jit" in url:
        return url
    options = urllib.parse.quote("-c jit=off")
    return f"{url}{'&' if '?' in url else '?'}options={options}"


class SmtpSink:
    """aiosmtpd on a free port in this process: counts what it receives.

    It stands for the mail provider's server, which in production runs on another
    machine: its thread runs at nice 19, so that it takes the cores only when the app,
    its mail worker and the database leave them idle (Linux nice is per thread)."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.count = 0
        self._lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        with self._lock:
            self.count += 1
        return "250 OK"

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        thread = self.controller._thread  # aiosmtpd's event loop thread
        if thread is not None and thread.native_id is not None:
            os.setpriority(os.PRIO_PROCESS, thread.native_id, 19)
        return self

    def __exit__(self, *exc) -> None:  # type: ignore[no-untyped-def]
        self.controller.stop()


class HungSmtp:
    """A mail server that accepts connections and never answers (issue 11's fault)."""

    def __init__(self) -> None:
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._clients: list[socket.socket] = []
        self._stop = threading.Event()

    def __enter__(self) -> HungSmtp:
        self._listener.listen(64)
        threading.Thread(target=self._hold, daemon=True).start()
        return self

    def _hold(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self._clients.append(client)  # kept open, never written to

    def __exit__(self, *exc) -> None:  # type: ignore[no-untyped-def]
        self._stop.set()
        for sock in (self._listener, *self._clients):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


@contextmanager
def mail_worker(url: str, smtp_port: int, name: str):  # type: ignore[no-untyped-def]
    """`flask mail work` beside gunicorn, as the README's systemd unit runs it: production
    settings (10 s SMTP timeouts, 3 faults in a row stop a round, 60 s before the next),
    at nice 10, so that a burst of requests comes before the mail it records."""
    env = {
        **os.environ,
        "WILLING_ENV": "production",
        "DATABASE_URL": url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "FLASK_APP": "wsgi",
    }
    log_file = open(DATA / f"mail-worker-{name}.log", "w")
    process = subprocess.Popen(
        ["nice", "-n", "10", str(VENV_BIN / "flask"), "mail", "work"],
        cwd=ROOT,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log_file.close()


def machine() -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            mem_kb = int(line.split()[1])
    wrk_version = ""
    if shutil.which("wrk"):
        out = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout
        wrk_version = out.split(" [")[0].strip()
    import gunicorn

    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "gunicorn": gunicorn.__version__,
        "wrk": wrk_version,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


# --- data ---------------------------------------------------------------------------


def generate(scale: str, url: str) -> dict:
    log(f"generating {scale} into {make_data._safe(url)}")
    info = make_data.generate(scale, url)
    log(
        f"  {info['counts']['users']:,} users, {info['counts']['submissions']:,} submissions "
        f"in {info['seconds']['plan'] + info['seconds']['load']:.1f} s"
    )
    return info


def bench_app(url: str):  # type: ignore[no-untyped-def]
    """The app in this process, as gunicorn runs it (same secret), cookies over http."""
    app = make_data.make_app(url)
    app.config.update(SESSION_COOKIE_SECURE=False, REMEMBER_COOKIE_SECURE=False)
    return app


# --- statements per page (in-process) -------------------------------------------------


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


def statement_counts(url: str, info: dict) -> dict[str, int]:
    """SQL statements each page runs, counted in-process with the Flask test client."""
    from sqlalchemy import event, select

    from app.extensions import db
    from app.models import WAITING, Submission

    app = bench_app(url)
    counts: dict[str, int] = {}
    with app.app_context():
        engine = db.engine
        sponsor_id = info["sponsor"]["id"]
        waiting = db.session.scalar(
            select(Submission.id)
            .where(Submission.sponsor_id == sponsor_id, WAITING)
            .order_by(Submission.submitted_at)
            .limit(1)
        )
        db.session.remove()
    pages = {
        "recruit": [("track page", "/homework")],
        "sponsor": [
            ("review queue", "/review"),
            ("review page", f"/review/{waiting}"),
            ("dashboard", "/"),
            ("dashboard CSV", "/dashboard.csv"),
            ("recruit page", f"/recruits/{info['recruit']['id']}"),
        ],
        "partner": [
            ("partner list", "/partners"),
            ("partnership page", f"/partners/{info['partner']['partnership']}"),
        ],
        "group": [("meeting page", meeting_path(info))],
        # The whole team: the top's roll-up, and the drill-down into the big sponsor.
        "upline": [
            ("roll-up", "/downline/"),
            ("drill-down", f"/downline/{info['sponsor']['id']}"),
        ],
    }
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    for who, urls in pages.items():
        client = app.test_client()
        client.environ_base["HTTP_USER_AGENT"] = USER_AGENT
        login_page = client.get("/login")
        response = client.post(
            "/login",
            data={
                "email": info[who]["email"],
                "password": info["password"],
                "csrf_token": csrf_from(login_page.text),
            },
        )
        if response.status_code != 302:
            raise RuntimeError(f"in-process login as {who} failed: {response.status_code}")
        for name, path in urls:
            client.get(path)  # once before: caches warm, the session touched
            statements.clear()
            event.listen(engine, "before_cursor_execute", record)
            try:
                response = client.get(path)
            finally:
                event.remove(engine, "before_cursor_execute", record)
            if response.status_code != 200:
                raise RuntimeError(f"{name} ({path}) answered {response.status_code}")
            counts[name] = len(statements)
    with app.app_context():
        db.engine.dispose()
    return counts


def meeting_path(info: dict) -> str:
    """The coming meeting of the recruit's mastermind group (its updates are the agenda)."""
    return f"/groups/{info['group']['group']}/meetings/{info['group']['meeting']}"


# --- the server ----------------------------------------------------------------------


@contextmanager
def gunicorn(url: str, sink: SmtpSink, name: str):  # type: ignore[no-untyped-def]
    port = free_port()
    env = {
        **os.environ,
        "WILLING_ENV": "production",
        "SESSION_COOKIE_SECURE": "0",
        "DATABASE_URL": url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(sink.port),
        "BASE_URL": f"http://127.0.0.1:{port}",
        "FLASK_APP": "wsgi",
    }
    DATA.mkdir(exist_ok=True)
    log_file = open(DATA / f"gunicorn-{name}.log", "w")
    process = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start, see {log_file.name}")
            time.sleep(0.2)
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log_file.close()


def worker_peak_rss_mb(master_pid: int) -> list[float]:
    """VmHWM (peak resident memory) of each gunicorn worker, in MB."""
    peaks = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(master_pid) and "VmHWM" in fields:
            peaks.append(round(int(fields["VmHWM"].split()[0]) / 1024, 1))
    return sorted(peaks)


class Browser:
    """A logged-in visitor over real HTTP (urllib with a cookie jar)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.opener.addheaders = [("User-Agent", USER_AGENT)]

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=60) as response:
            return response.read().decode()

    def post(self, path: str, data: dict) -> str:
        body = urllib.parse.urlencode(data).encode()
        with self.opener.open(self.base + path, data=body, timeout=60) as response:
            return response.read().decode()

    def login(self, email: str, password: str) -> None:
        token = csrf_from(self.get("/login"))
        page = self.post("/login", {"email": email, "password": password, "csrf_token": token})
        if "Log out" not in page:
            raise RuntimeError(f"could not log in as {email}")

    @property
    def session_cookie(self) -> str:
        return next(c.value for c in self.jar if c.name == "session")


def in_process_sessions(url: str, user_ids: list[int]) -> dict[int, tuple[str, str]]:
    """A session cookie and CSRF token per user, made by the app's own login code.

    The same calls a login makes after the password check (a UserSession row, Flask-
    Login's session), in a request context of the app with gunicorn's secret: scrypt
    (~65 ms a login) would otherwise cost minutes for a few thousand recruits.
    """
    from flask import session
    from flask_wtf.csrf import generate_csrf

    from app.auth.routes import establish_session
    from app.extensions import db
    from app.models import User

    app = bench_app(url)
    serializer = app.session_interface.get_signing_serializer(app)
    out = {}
    for user_id in user_ids:
        # A fresh app context each time: Flask-WTF caches the token in `g`.
        with app.test_request_context("/login", headers={"User-Agent": USER_AGENT}):
            establish_session(db.session.get(User, user_id))
            token = generate_csrf()
            out[user_id] = (serializer.dumps(dict(session)), token)
            db.session.remove()
    with app.app_context():
        db.engine.dispose()
    return out


def top_up_waiting(url: str, sponsor_id: int, pool: list[dict]) -> int:
    """A waiting hand-in on their open step for each recruit of the pool who has none
    (the hand-in run reaches only as many as it has time for), so that the approve run
    has a fresh hand-in for every request it can make. Written in-process through the
    models, as the app would; returns how many were added."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import WAITING, Submission, utcnow

    app = bench_app(url)
    added = 0
    with app.app_context():
        waiting = set(
            db.session.scalars(
                select(Submission.recruit_id).where(Submission.sponsor_id == sponsor_id, WAITING)
            )
        )
        for p in pool:
            if p["recruit_id"] in waiting:
                continue
            attempts = db.session.scalar(
                select(func.count()).where(
                    Submission.recruit_id == p["recruit_id"],
                    Submission.assignment_id == p["assignment_id"],
                )
            )
            db.session.add(
                Submission(
                    recruit_id=p["recruit_id"],
                    sponsor_id=sponsor_id,
                    assignment_id=p["assignment_id"],
                    attempt=(attempts or 0) + 1,
                    answer="Handed in for the approve run.",
                    submitted_at=utcnow(),
                )
            )
            added += 1
        db.session.commit()
        db.engine.dispose()
    return added


# --- wrk -----------------------------------------------------------------------------


def wrk(
    base: str,
    path: str,
    *,
    seconds: float,
    connections: int = CONNECTIONS,
    cookie: str | None = None,
    posts: list[tuple[str, str, str, str]] | None = None,
) -> dict:
    script = BENCH / "wrk" / "report.lua"
    if posts is not None:
        script = DATA / "posts.lua"
        script.write_text(
            "POSTS = {\n"
            + "".join("{" + ", ".join(_lua_string(v) for v in entry) + "},\n" for entry in posts)
            + "}\n"
            + (BENCH / "wrk" / "report.lua").read_text()
        )
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "60s",
        "-s",
        str(script),
        "-H",
        f"User-Agent: {USER_AGENT}",
    ]
    if cookie:
        command += ["-H", f"Cookie: session={cookie}"]
    out = subprocess.run(
        [*command, base + path], capture_output=True, text=True, timeout=seconds + 120
    )
    drain(base)
    line = next((x for x in out.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {out.stdout}\n{out.stderr}")
    raw = json.loads(line.removeprefix("WRKJSON "))
    seconds_run = raw["duration_us"] / 1e6
    errors = sum(raw[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    # A POST run that used up its prepared POSTs fills in with /healthz (200) until the
    # last POST is answered: only the POSTs' answers count as its throughput.
    counted = raw["requests"] - (raw["statuses"].get("200", 0) if posts is not None else 0)
    return {
        "requests": counted,
        "rps": round(counted / seconds_run, 1) if seconds_run else 0.0,
        "p50_ms": raw["p50_us"] / 1000,
        "p95_ms": raw["p95_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "mean_ms": round(raw["mean_us"] / 1000, 2),
        "errors": errors,
        "bad_status": raw["status_errors"],
        "statuses": raw["statuses"],
    }


def drain(base: str, timeout: float = 120) -> None:
    """Wait until both workers are idle: sync workers finish the requests wrk left
    queued when it stopped, and the next run must not wait behind them."""
    deadline = time.monotonic() + timeout

    def quick() -> bool:
        started = time.perf_counter()
        with urllib.request.urlopen(f"{base}/healthz", timeout=timeout) as response:
            response.read()
        return time.perf_counter() - started < 0.05

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        while time.monotonic() < deadline:
            if all(pool.map(lambda _: quick(), range(2))):
                return
            time.sleep(0.2)


def _lua_string(value: str) -> str:
    return (
        '"'
        + value.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "\\r").replace("\n", "\\n")
        + '"'
    )


def _statuses(r: dict) -> str:
    """The HTTP statuses wrk saw, and its socket errors and timeouts if any."""
    text = ", ".join(f"{n:,}× {s}" for s, n in sorted(r["statuses"].items()))
    return text + (f", {r['errors']} socket errors" if r["errors"] else "")


def with_ratios(result: dict, floor: dict) -> dict:
    result["share_of_floor"] = round(result["rps"] / floor["rps"], 4) if floor["rps"] else None
    for p in ("p50", "p95", "p99"):
        base = floor[f"{p}_ms"]
        result[f"{p}_x_floor"] = round(result[f"{p}_ms"] / base, 1) if base else None
    return result


MULTIPART_BOUNDARY = "----willingbench7MA4YWxkTrZu0gW"


def hand_in_body(token: str, answer: str) -> str:
    parts = [("csrf_token", token), ("answer", answer), ("link", "")]
    body = "".join(
        f'--{MULTIPART_BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in parts
    )
    body += (
        f'--{MULTIPART_BOUNDARY}\r\nContent-Disposition: form-data; name="attachment"; '
        'filename=""\r\nContent-Type: application/octet-stream\r\n\r\n\r\n'
        f"--{MULTIPART_BOUNDARY}--\r\n"
    )
    return body


# --- the raw SQL floor ------------------------------------------------------------------


def raw_sql_ms(url: str, sponsor_id: int, seconds: float, at_least: int = 5) -> dict:
    dialect, connection = raw_sql.dbapi_connect(url)
    now = datetime.now(UTC)
    raw_sql.run(connection, dialect, sponsor_id, now)  # warm
    times = []
    started = time.perf_counter()
    while len(times) < at_least or time.perf_counter() - started < seconds:
        t0 = time.perf_counter()
        rows = raw_sql.run(connection, dialect, sponsor_id, now)
        times.append((time.perf_counter() - t0) * 1000)
    connection.close()
    return {
        "median_ms": round(statistics.median(times), 1),
        "min_ms": round(min(times), 1),
        "runs": len(times),
        "rows": len(rows),
    }


def check_raw_sql_matches_app(url: str, sponsor_id: int) -> bool:
    """The hand-written statement shows the page the app builds (rows, counts, backlog)."""
    from app.extensions import db
    from app.models import User, utcnow
    from app.services.dashboard import build_dashboard

    app = bench_app(url)
    with app.app_context():
        now = utcnow()
        board = build_dashboard(db.session, db.session.get(User, sponsor_id), now)
        dialect, connection = raw_sql.dbapi_connect(url)
        summary = raw_sql.page_summary(raw_sql.run(connection, dialect, sponsor_id, now))
        connection.close()
        same = (
            summary["row_ids"] == [s.recruit_id for s in board.rows]
            and summary["row_statuses"] == [str(s.status) for s in board.rows]
            and summary["counts"] == {str(k): v for k, v in board.counts.items()}
            and summary["backlog_ids"] == [s.id for s in board.backlog]
        )
        db.session.remove()
        db.engine.dispose()
    return same


# --- the digest ------------------------------------------------------------------------


def run_digest(url: str, sink: SmtpSink) -> dict:
    env = {
        **os.environ,
        "WILLING_ENV": "production",
        "DATABASE_URL": url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(sink.port),
        "FLASK_APP": "wsgi",
    }
    before = sink.count
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(BENCH / "digest_probe.py")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stdout, stderr = process.communicate(timeout=900)
    wall = time.perf_counter() - started
    line = next((x for x in stdout.splitlines() if x.startswith("DIGESTJSON ")), None)
    if line is None:
        raise RuntimeError(f"digest probe failed:\n{stdout}\n{stderr[-3000:]}")
    data = json.loads(line.removeprefix("DIGESTJSON "))
    data.update(seconds=round(wall, 1), emails=sink.count - before)
    return data


# --- the partner commands --------------------------------------------------------------


def run_partner_command(url: str, sink: SmtpSink, command: list[str], name: str) -> dict:
    """Wall time of one `flask partners ...` run over every user (its output to a file),
    or why it was skipped: the command may not exist yet."""
    env = {
        **os.environ,
        "WILLING_ENV": "production",
        "DATABASE_URL": url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(sink.port),
        "FLASK_APP": "wsgi",
    }
    flask = str(VENV_BIN / "flask")
    label = "flask " + " ".join(command[:2])
    probe = subprocess.run(
        [flask, *command[:2], "--help"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if probe.returncode != 0:
        log(f"{name}: `{label}` skipped: the command doesn't exist yet")
        return {"skipped": "the command doesn't exist yet"}
    log(f"{name}: {label} for every user")
    output = DATA / f"{'-'.join(command[:2])}-{name.lower()}.out"
    started = time.perf_counter()
    with open(output, "w") as out:
        done = subprocess.run(
            [flask, *command], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=900
        )
    seconds = round(time.perf_counter() - started, 1)
    lines = sum(1 for _ in open(output))
    return {"seconds": seconds, "exit_code": done.returncode, "output_lines": lines}


# --- one database, end to end ------------------------------------------------------------


def bench_database(name: str, urls: dict[str, str], args, sink: SmtpSink) -> dict:  # type: ignore[no-untyped-def]
    result: dict = {"name": name, "scale": args.scale}
    # Statement counts at `small` and at the comparison scale, each on fresh data.
    result["statements"] = {}
    generated = None
    for scale in ("small", args.compare):
        info = generate(scale, urls[scale])
        generated = scale
        result["statements"][scale] = statement_counts(urls[scale], info)
    if generated != args.scale or args.smoke:  # the load runs on fresh data of its scale
        info = generate(args.scale, urls[args.scale])
    url = urls[args.scale]
    result["data"] = info["counts"]
    if url.startswith("postgresql"):
        result["server"] = _pg_version(url)

    seconds, post_seconds = args.seconds, args.post_seconds
    sponsor, recruit = info["sponsor"], info["recruit"]
    result["raw_sql_matches_app"] = check_raw_sql_matches_app(url, sponsor["id"])
    log(f"{name}: the raw SQL gives the app's dashboard page: {result['raw_sql_matches_app']}")

    with gunicorn(url, sink, name.lower()) as (base, process):
        sponsor_browser, recruit_browser = Browser(base), Browser(base)
        partner_browser, group_browser = Browser(base), Browser(base)
        sponsor_browser.login(sponsor["email"], info["password"])
        recruit_browser.login(recruit["email"], info["password"])
        partner_browser.login(info["partner"]["email"], info["password"])
        group_browser.login(info["group"]["email"], info["password"])
        approve_token = csrf_from(sponsor_browser.get("/review"))
        recruit_browser.get("/homework")
        sponsor_cookie = sponsor_browser.session_cookie
        recruit_cookie = recruit_browser.session_cookie
        partner_cookie = partner_browser.session_cookie
        group_cookie = group_browser.session_cookie
        partnership_path = f"/partners/{info['partner']['partnership']}"
        load: dict[str, dict] = {}
        pages = [
            ("floor (/healthz)", "/healthz", None),
            ("track page", "/homework", recruit_cookie),
            ("review queue", "/review", sponsor_cookie),
            ("dashboard", "/", sponsor_cookie),
            ("partner list", "/partners", partner_cookie),
            ("partnership page", partnership_path, partner_cookie),
            ("meeting page", meeting_path(info), group_cookie),
        ]
        for label, path, cookie in pages:
            wrk(base, path, seconds=min(2, seconds), cookie=cookie)  # warm up both workers
            log(f"{name}: wrk {label} for {seconds} s at {CONNECTIONS} connections")
            load[label] = wrk(base, path, seconds=seconds, cookie=cookie)
        floor = load["floor (/healthz)"]
        for label in load:
            with_ratios(load[label], floor)

        # Server time of the dashboard, one request at a time, against the raw SQL.
        log(f"{name}: dashboard server time (1 connection) and the raw SQL")
        serial = wrk(base, "/", seconds=args.serial_seconds, connections=1, cookie=sponsor_cookie)
        sql = raw_sql_ms(url, sponsor["id"], args.serial_seconds)
        result["dashboard_server"] = {
            "server_p50_ms": serial["p50_ms"],
            "server_p95_ms": serial["p95_ms"],
            "requests": serial["requests"],
            "raw_sql_median_ms": sql["median_ms"],
            "raw_sql_runs": sql["runs"],
            "ratio": round(serial["p50_ms"] / sql["median_ms"], 2) if serial["requests"] else None,
        }

        # The POSTs, twice: with the mail worker delivering to a server that answers,
        # then to one that never answers. Each time on fresh data: hand-ins by recruits
        # of their own (on their open step), approvals of waiting hand-ins of their own.
        pool = info["hand_in_pool"]
        per_run = min(args.post_pool, len(pool) // 2)
        for index, (smtp_label, server) in enumerate((("", sink), (", SMTP hung", HungSmtp()))):
            chunk = pool[index * per_run : (index + 1) * per_run]
            with (
                server if server is not sink else _nothing(),
                mail_worker(url, server.port, f"{name.lower()}-{index}"),
            ):
                load.update(
                    post_runs(
                        url,
                        base,
                        sponsor,
                        sponsor_cookie,
                        approve_token,
                        chunk,
                        name,
                        smtp_label,
                        post_seconds,
                        floor,
                    )
                )
        result["load"] = load
        result["worker_peak_rss_mb"] = worker_peak_rss_mb(process.pid)

    # The POST runs wrote thousands of rows: vacuum and checkpoint them now, as after
    # the load, so the server's background work does not overlap the digest's run.
    from sqlalchemy import create_engine

    engine = create_engine(url)
    make_data.settle(engine)
    engine.dispose()
    log(f"{name}: flask digest send for every sponsor")
    result["digest"] = run_digest(url, sink)
    result["partner_commands"] = {}
    for command in (["partners", "due", "--format", "csv"], ["partners", "remind"]):
        label = "flask " + " ".join(command[:2])
        result["partner_commands"][label] = run_partner_command(url, sink, command, name)
    remind = ["groups", "remind", "--as-of", info["group"]["remind_as_of"]]
    result["group_remind"] = run_partner_command(url, sink, remind, name)
    result["group_remind"]["as_of"] = info["group"]["remind_as_of"]
    return result


@contextmanager
def _nothing():  # type: ignore[no-untyped-def]
    yield


def post_runs(  # type: ignore[no-untyped-def]
    url, base, sponsor, sponsor_cookie, approve_token, pool, name, label, post_seconds, floor
) -> dict[str, dict]:
    """A hand-in POST run (each by its own recruit) and an approve POST run (each on its
    own waiting hand-in, oldest first), as wrk results with their ratios to the floor."""
    out = {}
    log(f"{name}: preparing {len(pool)} recruit sessions for the hand-in POSTs{label}")
    sessions = in_process_sessions(url, [p["recruit_id"] for p in pool])
    posts = [
        (
            f"/homework/{p['assignment_id']}/hand-in",
            sessions[p["recruit_id"]][0],
            f"multipart/form-data; boundary={MULTIPART_BOUNDARY}",
            hand_in_body(sessions[p["recruit_id"]][1], "My answer, handed in by wrk."),
        )
        for p in pool
    ]
    waiting_before = _waiting(url, sponsor["id"])
    log(f"{name}: wrk hand-in POST{label} (up to {len(posts)}, {post_seconds} s)")
    handed = with_ratios(wrk(base, "/", seconds=post_seconds, posts=posts), floor)
    handed["pool"] = len(posts)
    handed["exhausted"] = handed["requests"] >= len(posts)
    waiting_after = _waiting(url, sponsor["id"])
    handed["created"] = len(waiting_after) - len(waiting_before)
    out[f"hand-in POST{label}"] = handed

    topped_up = top_up_waiting(url, sponsor["id"], pool)
    ids = _waiting(url, sponsor["id"])[: len(pool) + topped_up]
    body = urllib.parse.urlencode(
        {"csrf_token": approve_token, "feedback": "Well done.", "approve": "Approve"}
    )
    posts = [
        (f"/review/{i}", sponsor_cookie, "application/x-www-form-urlencoded", body) for i in ids
    ]
    log(f"{name}: wrk approve POST{label} (up to {len(posts)}, {post_seconds} s)")
    approved = with_ratios(wrk(base, "/", seconds=post_seconds, posts=posts), floor)
    approved["pool"] = len(posts)
    approved["exhausted"] = approved["requests"] >= len(posts)
    approved["decided"] = len(set(ids) - set(_waiting(url, sponsor["id"])))
    approved["topped_up"] = topped_up
    out[f"approve POST{label}"] = approved
    return out


def _waiting(url: str, sponsor_id: int) -> list[int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        ids = connection.execute(
            text(
                "SELECT s.id FROM submissions s WHERE s.sponsor_id = :sponsor "
                "AND s.status = 'submitted' ORDER BY s.submitted_at, s.id"
            ),
            {"sponsor": sponsor_id},
        ).scalars()
        out = list(ids)
    engine.dispose()
    return out


def _pg_version(url: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        version = connection.execute(text("SHOW server_version")).scalar()
    engine.dispose()
    return f"PostgreSQL {version}"


# --- report -----------------------------------------------------------------------------


def budgets(db: dict) -> list[tuple[str, str, str, bool]]:
    """(budget, measured, limit, met) for one database."""
    out = []
    ds = db["dashboard_server"]
    out.append(
        (
            "dashboard server time vs raw SQL",
            f"{ds['ratio']}x ({ds['server_p50_ms']:.0f} / {ds['raw_sql_median_ms']:.0f} ms)",
            f"<= {BUDGET['dashboard_vs_sql']}x",
            ds["ratio"] is not None and ds["ratio"] <= BUDGET["dashboard_vs_sql"],
        )
    )
    counts = db["statements"]
    small, other = counts["small"], counts[next(k for k in counts if k != "small")]
    same = small == other
    worst = max(other.values())
    worst_pages = ", ".join(page for page, n in other.items() if n == worst)
    out.append(
        (
            "statements per page: same at both scales, at most 8",
            f"{'same' if same else 'GROW'}, max {worst} ({worst_pages})",
            f"same, <= {BUDGET['max_statements']}",
            same and worst <= BUDGET["max_statements"],
        )
    )
    for page in ("partner list", "partnership page", "meeting page"):
        r = db["load"][page]
        out.append(
            (
                f"{page}: p95 at {CONNECTIONS} connections",
                f"{r['p95_ms']:.1f} ms",
                f"<= {BUDGET['max_p95_ms']:.0f} ms",
                r["p95_ms"] <= BUDGET["max_p95_ms"],
            )
        )
    for label, run in db.get("partner_commands", {}).items():
        if "skipped" in run:
            continue
        out.append(
            (
                f"`{label}`, every user ({db['scale']})",
                f"{run['seconds']} s",
                f"<= {BUDGET['partner_command_seconds']:.0f} s",
                run["seconds"] <= BUDGET["partner_command_seconds"] and run["exit_code"] == 0,
            )
        )
    run = db.get("group_remind", {})
    if "seconds" in run:
        out.append(
            (
                f"`flask groups remind --as-of`, every group ({db['scale']})",
                f"{run['seconds']} s",
                f"<= {BUDGET['group_remind_seconds']:.0f} s",
                run["seconds"] <= BUDGET["group_remind_seconds"] and run["exit_code"] == 0,
            )
        )
    for page in ("track page", "review queue"):
        r = db["load"][page]
        out.append(
            (
                f"{page}: throughput share of the floor",
                f"{100 * r['share_of_floor']:.1f} %",
                f">= {100 * BUDGET['min_share_of_floor']:.0f} %",
                r["share_of_floor"] >= BUDGET["min_share_of_floor"],
            )
        )
        out.append(
            (
                f"{page}: p95 at {CONNECTIONS} connections",
                f"{r['p95_ms']:.1f} ms",
                f"<= {BUDGET['max_p95_ms']:.0f} ms",
                r["p95_ms"] <= BUDGET["max_p95_ms"],
            )
        )
    for post in ("hand-in POST", "approve POST"):
        for label in ("", ", SMTP hung"):
            r = db["load"][post + label]
            out.append(
                (
                    f"{post}{label}: throughput share of the floor",
                    f"{100 * r['share_of_floor']:.1f} %",
                    f">= {100 * BUDGET['min_post_share_of_floor']:.0f} %",
                    r["share_of_floor"] >= BUDGET["min_post_share_of_floor"],
                )
            )
        hung, answering = db["load"][post + ", SMTP hung"], db["load"][post]
        ratio = hung["rps"] / answering["rps"] if answering["rps"] else 0.0
        out.append(
            (
                f"{post}: throughput with SMTP hung vs answering",
                f"{100 * ratio:.0f} %",
                f">= {100 * BUDGET['hung_smtp_vs_answering']:.0f} %",
                ratio >= BUDGET["hung_smtp_vs_answering"],
            )
        )
    d = db["digest"]
    out.append(
        (
            f"digest send, all sponsors ({db['scale']})",
            f"{d['seconds']} s",
            f"<= {BUDGET['digest_seconds']:.0f} s",
            d["seconds"] <= BUDGET["digest_seconds"] and d["exit_code"] == 0,
        )
    )
    peak = max(db["worker_peak_rss_mb"] or [0])
    out.append(
        (
            "gunicorn worker peak RSS",
            f"{peak} MB",
            f"<= {BUDGET['worker_mb']:.0f} MB",
            peak <= BUDGET["worker_mb"],
        )
    )
    return out


def markdown(results: dict) -> str:
    m = results["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"Run {results['date']} by `{results['command']}` "
        f"(scale `{results['scale']}`, {CONNECTIONS} connections, "
        f"{results['seconds']} s per GET run, up to {results['post_seconds']} s per POST run).",
        "",
        "| machine | |",
        "|---|---|",
        f"| CPUs (nproc) | {m['nproc']} |",
        f"| CPU | {m['cpu']} |",
        f"| memory | {m['memory_gb']} GB |",
        f"| OS | {m['os']} |",
        f"| Python / SQLite | {m['python']} / {m['sqlite']} |",
        *(
            f"| {db['name']} server | {db['server']} |"
            for db in results["databases"].values()
            if db.get("server")
        ),
        f"| gunicorn / wrk | {m['gunicorn']} (2 workers, sync) / {m['wrk']} |",
        *(
            [
                "| PostgreSQL JIT | off for the app and the raw SQL (`options=-c jit=off` "
                "in the URL; `--pg-jit` keeps the server's setting) |"
            ]
            if any(db.get("server") for db in results["databases"].values())
            and not results.get("pg_jit")
            else []
        ),
        f"| load average at start | {' '.join(map(str, m['load_average_at_start']))} |",
        "",
    ]
    for db in results["databases"].values():
        data = db["data"]
        lines += [
            f"## {db['name']}",
            "",
            f"Data: {data['users']:,} users ({data['sponsors']:,} sponsors, "
            f"{data['recruits']:,} recruits, downlines {data['max_depth']} levels deep), "
            f"{data['assignments']:,} assignments, {data['submissions']:,} submissions, "
            f"{data['check_ins']:,} check-ins; {data['partnerships']:,} partnerships of "
            f"{data['partner_users']:,} users with {data['partner_check_ins']:,} partner "
            f"check-ins and {data['partner_replies']:,} replies. The sponsor has 5,000 "
            "direct recruits."
            if db["scale"] == "large"
            else f"Data: scale `{db['scale']}`, {data['users']:,} users.",
            "",
            "| request | req/s | share of floor | p50 ms | p95 ms | p99 ms "
            "| p50/p95/p99 × floor | answers |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for label, r in db["load"].items():
            extra = ""
            if "pool" in r:
                extra = f" ({r['requests']} of {r['pool']} prepared)"
            lines.append(
                f"| {label}{extra} | {r['rps']:,.0f} | {100 * r['share_of_floor']:.1f} % "
                f"| {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['p99_ms']:.1f} "
                f"| {r['p50_x_floor']} / {r['p95_x_floor']} / {r['p99_x_floor']} "
                f"| {_statuses(r)} |"
            )
        ds = db["dashboard_server"]
        d = db["digest"]
        scales = list(db["statements"])
        lines += [
            "",
            f"Dashboard of the 5,000-recruit sponsor, one request at a time: p50 "
            f"{ds['server_p50_ms']:.1f} ms over {ds['requests']} requests; the same page as "
            f"one hand-written SQL statement (bench/raw_sql.py, bare driver): median "
            f"{ds['raw_sql_median_ms']:.1f} ms over {ds['raw_sql_runs']} runs → "
            f"**{ds['ratio']}×**. The statement gives the app's page: "
            f"{'yes' if db['raw_sql_matches_app'] else 'NO'}.",
            "",
            f"`flask digest send` for every sponsor: {d['seconds']} s, peak RSS "
            f"{d['peak_mb']} MB, {d['statements']:,} SQL statements, {d['emails']:,} emails "
            f"({'; '.join(d['summary'])}).",
            "",
            *(
                f"`{label}` for every user: "
                + (
                    f"skipped ({run['skipped']})."
                    if "skipped" in run
                    else f"{run['seconds']} s, exit {run['exit_code']}, "
                    f"{run['output_lines']:,} lines of output."
                )
                for label, run in db.get("partner_commands", {}).items()
            ),
            *(
                [
                    f"`flask groups remind --as-of {run['as_of']}` for every group: "
                    f"{run['seconds']} s, exit {run['exit_code']}, "
                    f"{run['output_lines']:,} lines of output."
                ]
                if "seconds" in (run := db.get("group_remind", {}))
                else []
            ),
            "",
            f"gunicorn workers' peak RSS (VmHWM): {', '.join(map(str, db['worker_peak_rss_mb']))} "
            "MB.",
            "",
            "| SQL statements per page | " + " | ".join(scales) + " |",
            "|---|" + "---:|" * len(scales),
        ]
        for page in db["statements"][scales[0]]:
            lines.append(
                f"| {page} | " + " | ".join(str(db["statements"][s][page]) for s in scales) + " |"
            )
        lines += ["", "| budget | measured | limit | met |", "|---|---|---|---|"]
        if db["scale"] != "large":
            lines[-2:-2] = [
                "",
                f"The budgets are for `large`; at `{db['scale']}` this table is for "
                "information (the smoke run fails only if a statement count grows).",
            ]
        for name, measured, limit, met in budgets(db):
            lines.append(f"| {name} | {measured} | {limit} | {'yes' if met else '**NO**'} |")
        lines.append("")
    return "\n".join(lines)


# --- main ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Willing's benchmark (see bench/run.py).")
    parser.add_argument("--smoke", action="store_true", help="small vs medium, short bursts")
    parser.add_argument("--scale", choices=sorted(make_data.SCALES), default=None)
    parser.add_argument("--seconds", type=float, default=None, help="per GET wrk run")
    parser.add_argument("--post-seconds", type=float, default=None, help="per POST wrk run")
    parser.add_argument("--pg-jit", action="store_true", help="keep PostgreSQL's JIT on")
    args = parser.parse_args(argv)
    if args.smoke:
        args.scale = args.scale or "small"
        args.compare = "medium"
        args.seconds = args.seconds or 1
        args.post_seconds = args.post_seconds or 1
        args.serial_seconds = 1
        args.post_pool = 400
    else:
        args.scale = args.scale or "large"
        args.compare = args.scale if args.scale != "small" else "medium"
        args.seconds = args.seconds or 10
        args.post_seconds = args.post_seconds or 5
        args.serial_seconds = 5
        args.post_pool = 2500
    if not shutil.which("wrk"):
        print("wrk is missing: apt-get install wrk (Debian/Ubuntu)", file=sys.stderr)
        return 2
    os.environ["SECRET_KEY"] = secrets.token_hex(32)  # gunicorn and the in-process app
    DATA.mkdir(exist_ok=True)
    started = time.perf_counter()
    results: dict = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "make bench-smoke" if args.smoke else "make bench",
        "scale": args.scale,
        "seconds": args.seconds,
        "post_seconds": args.post_seconds,
        "pg_jit": args.pg_jit,
        "machine": machine(),
        "budgets": BUDGET,
        "databases": {},
    }
    targets = {"SQLite": {s: sqlite_url(s) for s in make_data.SCALES}}
    pg = os.environ.get("BENCH_DATABASE_URL")
    if pg:
        targets["PostgreSQL"] = {s: pg_url(pg, args.pg_jit) for s in make_data.SCALES}
    with SmtpSink() as sink:
        for name, urls in targets.items():
            results["databases"][name] = bench_database(name, urls, args, sink)
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    text = markdown(results)
    out = DATA / "smoke" if args.smoke else BENCH / "results"
    out.with_suffix(".json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    out.with_suffix(".md").write_text(text)
    print()
    print(text)
    log(f"done in {results['total_seconds']} s; wrote {out.with_suffix('.md')}")
    grew = [
        f"{db['name']}: {page} {db['statements']['small'][page]} -> "
        f"{db['statements'][args.compare][page]}"
        for db in results["databases"].values()
        for page in db["statements"]["small"]
        if db["statements"][args.compare][page] != db["statements"]["small"][page]
    ]
    if grew:
        print("Statement counts grow with the data: " + "; ".join(grew), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
