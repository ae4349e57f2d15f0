"""The dashboard's page 1, computed by one hand-written SQL statement: the physical floor.

The statement computes what `build_dashboard` shows for one sponsor at a moment `now`
(PRODUCT.md's rules: whose move, since when, stalled / slow / willing, finished,
archived): the first page of the recruits table (not archived, whoever has waited
longest first, then by name), the count of each status, the oldest wait on the
sponsor, the funnel of each track and the review backlog. It reads each needed row
once (the recruits, their tracks' steps, their submissions grouped per step, the
latest check-in), with window functions instead of correlated subqueries. The
benchmark runs it directly through the database driver, no ORM, and compares the
dashboard's server time with it.

Rows come back tagged by `kind`: 'row' (the table), 'count' (status, n), 'track'
(track id, name, recruits on it, finished) and 'step' (funnel bar) and 'backlog'.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

PAGE_SIZE = 50
BACKLOG_LIMIT = 20

_SQL = """
WITH recruit AS (
    SELECT u.id, u.name, u.created_at AS joined_at, u.archived_at, u.track_id, u.enrolled_at,
           sp.stall_threshold_days AS sponsor_threshold
    FROM users u JOIN users sp ON sp.id = u.sponsor_id
    WHERE u.sponsor_id = {sponsor}
),
track_step AS MATERIALIZED (
    SELECT a.id, a.track_id, a.position, a.title, a.activated_at, a.stall_threshold_days
    FROM assignments a
    WHERE a.position IS NOT NULL AND a.track_id IN (SELECT track_id FROM recruit)
),
step AS (
    SELECT r.id AS recruit_id, a.id AS assignment_id, a.position, a.activated_at,
           COALESCE(a.stall_threshold_days, r.sponsor_threshold) AS threshold, r.enrolled_at
    FROM recruit r JOIN track_step a ON a.track_id = r.track_id
),
tried AS MATERIALIZED (
    SELECT {tried_select}
           MIN(s.submitted_at) AS first_at,
           MAX(CASE WHEN s.status = 'approved' THEN s.decided_at END) AS approved_at,
           MAX(CASE WHEN s.status = 'submitted' THEN s.submitted_at END) AS waiting_since,
           MAX(CASE WHEN s.status = 'changes_requested' THEN s.decided_at END) AS changes_at,
           MAX(CASE WHEN s.status = 'submitted' THEN s.id END) AS waiting_id,
           MAX(CASE WHEN s.status = 'submitted' THEN s.attempt END) AS waiting_attempt
    {tried_from}
),
progress AS (
    SELECT st.*, t.first_at, t.approved_at, t.waiting_since, t.changes_at,
           MAX(t.approved_at) OVER (
               PARTITION BY st.recruit_id ORDER BY st.position
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
           ) AS before_approved_at
    FROM step st
    LEFT JOIN tried t ON t.recruit_id = st.recruit_id AND t.assignment_id = st.assignment_id
),
summary AS (
    SELECT recruit_id,
           COUNT(*) AS total_steps,
           COUNT(approved_at) AS done_steps,
           MIN(CASE WHEN approved_at IS NULL THEN position END) AS current_position,
           SUM(CASE WHEN first_at IS NOT NULL AND {days}(first_at, {greatest}(
                   enrolled_at, activated_at, COALESCE(before_approved_at, enrolled_at)
               )) > threshold THEN 1 ELSE 0 END) AS late_steps
    FROM progress
    GROUP BY recruit_id
),
facts AS (
    SELECT r.id, r.name, r.joined_at, r.archived_at, r.track_id, r.enrolled_at,
           COALESCE(sm.total_steps, 0) AS total_steps, COALESCE(sm.done_steps, 0) AS done_steps,
           COALESCE(sm.late_steps, 0) AS late_steps,
           cur.assignment_id AS current_id, ca.title AS current_title, cur.threshold,
           cur.waiting_since, cur.changes_at,
           {greatest}(r.enrolled_at, cur.activated_at,
                      COALESCE(cur.before_approved_at, r.enrolled_at)) AS unlocked_at,
           ci.happened_at AS last_check_in_at, ci.snooze_until
    FROM recruit r
    LEFT JOIN summary sm ON sm.recruit_id = r.id
    LEFT JOIN progress cur ON cur.recruit_id = r.id AND cur.position = sm.current_position
    LEFT JOIN track_step ca ON ca.id = cur.assignment_id
    LEFT JOIN check_ins ci ON ci.id = (
        SELECT c.id FROM check_ins c WHERE c.recruit_id = r.id
        ORDER BY c.happened_at DESC, c.id DESC LIMIT 1
    )
),
court AS (
    SELECT f.*,
           CASE
               WHEN archived_at IS NOT NULL THEN 'archived'
               WHEN track_id IS NOT NULL AND total_steps > 0 AND current_id IS NULL
                   THEN 'finished'
               WHEN track_id IS NULL OR total_steps = 0 OR enrolled_at IS NULL THEN 'joined'
               WHEN waiting_since IS NOT NULL THEN 'waiting'
               ELSE 'recruit'
           END AS move
    FROM facts f
),
timed AS (
    SELECT c.*,
           CASE move
               WHEN 'joined' THEN joined_at
               WHEN 'waiting' THEN waiting_since
               WHEN 'recruit' THEN {greatest}(unlocked_at, COALESCE(changes_at, unlocked_at))
           END AS since
    FROM court c
),
standing AS MATERIALIZED (
    SELECT t.*,
           CASE
               WHEN move IN ('archived', 'finished') THEN move
               WHEN move IN ('joined', 'waiting') THEN 'waiting_on_you'
               WHEN {days}({now}, since) >= threshold
                    AND NOT COALESCE(snooze_until > {now}, FALSE) THEN 'stalled'
               WHEN {days}({now}, since) >= threshold OR late_steps > 0 THEN 'slow'
               ELSE 'willing'
           END AS status
    FROM timed t
),
backlog AS (
    SELECT t.waiting_id AS id, r.name, a.title, t.waiting_since AS at, t.waiting_attempt AS attempt
    FROM tried t
    JOIN users r ON r.id = t.recruit_id
    JOIN assignments a ON a.id = t.assignment_id
    WHERE r.archived_at IS NULL AND t.waiting_since < {backlog_before}
    ORDER BY t.waiting_since
    LIMIT {backlog_limit}
)
SELECT * FROM (
    SELECT 'row' AS kind, id, name, current_title AS label, since AS at, done_steps AS n,
           total_steps AS m, status, last_check_in_at AS at2
    FROM standing WHERE status <> 'archived'
    ORDER BY since IS NULL, since, LOWER(name), id
    LIMIT {page_size}
) page
UNION ALL
SELECT 'count', NULL, NULL, NULL, MIN(CASE WHEN move IN ('joined', 'waiting') THEN since END),
       COUNT(*), NULL, status, NULL
FROM standing GROUP BY status
UNION ALL
SELECT 'track', tr.id, tr.name, NULL, NULL, COUNT(*),
       SUM(CASE WHEN s.status = 'finished' THEN 1 ELSE 0 END), NULL, NULL
FROM standing s JOIN tracks tr ON tr.id = s.track_id AND tr.owner_id = {sponsor}
WHERE s.status <> 'archived'
GROUP BY tr.id, tr.name
UNION ALL
SELECT 'step', a.id, a.title, NULL, NULL, a.track_id, a.position, NULL, NULL
FROM assignments a
WHERE a.position IS NOT NULL AND a.track_id IN (
    SELECT s.track_id FROM standing s JOIN tracks tr ON tr.id = s.track_id
    WHERE s.status <> 'archived' AND tr.owner_id = {sponsor}
)
UNION ALL
SELECT 'at_step', current_id, NULL, NULL, NULL, COUNT(*), NULL, NULL, NULL
FROM standing WHERE status <> 'archived' AND current_id IS NOT NULL
GROUP BY current_id
UNION ALL
SELECT 'backlog', id, name, title, at, attempt, NULL, NULL, NULL FROM backlog
"""

DIALECT = {
    "sqlite": {
        "days": "(julianday({0}) - julianday({1}))",
        "greatest": "MAX",
        "param": "?",
        # SQLite keeps the join order of a CROSS JOIN: from the recruits to their rows.
        "tried_select": "s.recruit_id, s.assignment_id,",
        "tried_from": "FROM recruit r CROSS JOIN submissions s ON s.recruit_id = r.id\n"
        "    GROUP BY s.recruit_id, s.assignment_id",
    },
    "postgresql": {
        "days": "(EXTRACT(EPOCH FROM ({0} - {1})) / 86400.0)",
        "greatest": "GREATEST",
        "param": "%s",
        # = ANY(ARRAY(...)): probe the (recruit_id, ...) index per recruit rather than
        # hash the whole table (what the default costs pick for a big team).
        "tried_select": "r.id AS recruit_id, s.assignment_id,",
        "tried_from": "FROM recruit r JOIN submissions s ON s.recruit_id = r.id\n"
        "    WHERE s.recruit_id = ANY(ARRAY(SELECT id FROM recruit))\n"
        "    GROUP BY r.id, s.assignment_id",
    },
}


def _days_macro(template: str, sql: str) -> str:
    """Expand {days}(a, b) into the dialect's day difference (arguments may nest)."""
    marker = "{days}("
    while (start := sql.find(marker)) >= 0:
        depth, i, split = 1, start + len(marker), None
        while depth:
            ch = sql[i]
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            elif ch == "," and depth == 1 and split is None:
                split = i
            i += 1
        first = sql[start + len(marker) : split].strip()
        second = sql[split + 1 : i - 1].strip()
        sql = sql[:start] + template.format(first, second) + sql[i:]
    return sql


def statement(dialect: str) -> tuple[str, list[str]]:
    """The SQL for this dialect and the names of its parameters, in order."""
    d = DIALECT[dialect]
    sql = _days_macro(d["days"], _SQL)
    names: list[str] = []

    def param(name: str) -> str:
        names.append(name)
        return d["param"]

    # Placeholders in textual order: format() fills them left to right.
    out = []
    rest = sql
    keys = ("sponsor", "now", "backlog_before")
    while True:
        positions = [(rest.find("{" + k + "}"), k) for k in keys if "{" + k + "}" in rest]
        if not positions:
            out.append(rest)
            break
        pos, key = min(positions)
        out.append(rest[:pos])
        out.append(param(key))
        rest = rest[pos + len(key) + 2 :]
    sql = "".join(out)
    sql = sql.replace("{greatest}", d["greatest"]).replace("{tried_select}", d["tried_select"])
    sql = sql.replace("{tried_from}", d["tried_from"])
    sql = sql.replace("{page_size}", str(PAGE_SIZE)).replace("{backlog_limit}", str(BACKLOG_LIMIT))
    if dialect == "sqlite":
        sql = sql.replace("FALSE", "0")
    return sql, names


def parameters(dialect: str, names: list[str], sponsor_id: int, now: datetime) -> list:
    now = now.astimezone(UTC)
    before = now - timedelta(hours=48)
    if dialect == "sqlite":  # SQLAlchemy stores naive UTC as 'YYYY-MM-DD HH:MM:SS.ffffff'
        now_v: object = now.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
        before_v: object = before.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    else:
        now_v, before_v = now, before
    values = {"sponsor": sponsor_id, "now": now_v, "backlog_before": before_v}
    return [values[name] for name in names]


def dbapi_connect(url: str):  # type: ignore[no-untyped-def]
    """A plain driver connection (sqlite3 or psycopg) for a SQLAlchemy URL."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        import sqlite3

        return "sqlite", sqlite3.connect(parsed.database)
    import psycopg

    params = {
        "host": parsed.host,
        "port": parsed.port,
        "user": parsed.username,
        "password": parsed.password,
        "dbname": parsed.database,
        **dict(parsed.query),  # e.g. options=-c jit=off, as the app's engine gets them
    }
    return "postgresql", psycopg.connect(
        autocommit=True, **{k: v for k, v in params.items() if v is not None}
    )


def run(connection, dialect: str, sponsor_id: int, now: datetime) -> list[tuple]:  # type: ignore[no-untyped-def]
    sql, names = statement(dialect)
    cursor = connection.cursor()
    cursor.execute(sql, parameters(dialect, names, sponsor_id, now))
    rows = cursor.fetchall()
    cursor.close()
    return rows


def page_summary(rows: list[tuple]) -> dict:
    """The parts of the page to compare with the app's: row ids, statuses, counts."""
    table = [r for r in rows if r[0] == "row"]
    counts = {r[7]: r[5] for r in rows if r[0] == "count"}
    return {
        "row_ids": [r[1] for r in table],
        "row_statuses": [r[7] for r in table],
        "counts": counts,
        "backlog_ids": [r[1] for r in rows if r[0] == "backlog"],
        "at_step": {r[1]: r[5] for r in rows if r[0] == "at_step"},
    }
