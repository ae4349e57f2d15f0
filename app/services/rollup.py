"""The roll-up: every level of a sponsor's downline in counts (PRODUCT.md, "The whole
team"), live for `now` from the same rules as the first-level dashboard (standing.py).

The tree is the users' own `sponsor_id` (an adjacency list): the one place a sponsor is
written, so adopting someone (services.team) keeps it true with nothing else to update.
A recursive statement walks it down from the person whose team is shown, carrying each
person's branch (the first-level recruit they are under); their standings are read in
one statement for all of them, and counted per branch in Python.

Below the first level a viewer sees only the names of people who sponsor others, and
counts: never anyone's homework, feedback or notes. Drilling down goes one level at a
time, to a sponsor in the viewer's own downline (anyone else is a 404).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Integer, func, literal_column, select
from sqlalchemy.orm import Session, aliased

from app.models import WAITING, Submission, User
from app.services.errors import NotFound
from app.services.standing import Status, recruit_facts, standing_of

DECISION_WINDOW = timedelta(days=30)
# The tree has no cycles (a sponsor is set at joining, and adoption only moves someone
# up their own line); the walk stops here all the same, so bad data can't make it spin.
MAX_DEPTH = 1000


@dataclass
class TeamCounts:
    """A team's people (not archived) by status; `waiting` is "waiting on their sponsor"."""

    people: int = 0
    willing: int = 0
    slow: int = 0
    stalled: int = 0
    finished: int = 0
    waiting: int = 0

    def add(self, status: Status) -> None:
        if status == Status.ARCHIVED:
            return
        self.people += 1
        name = "waiting" if status == Status.WAITING_ON_YOU else str(status)
        setattr(self, name, getattr(self, name) + 1)

    def as_dict(self) -> dict[str, int]:
        return {
            "people": self.people,
            "willing": self.willing,
            "slow": self.slow,
            "stalled": self.stalled,
            "finished": self.finished,
            "waiting_on_sponsor": self.waiting,
        }


@dataclass(frozen=True)
class Reviewing:
    """How a sponsor keeps up with their own recruits' hand-ins."""

    waiting: int = 0
    oldest_wait: datetime | None = None
    median_decision: timedelta | None = None  # over the last DECISION_WINDOW
    decided: int = 0  # decisions in that window


@dataclass
class RollupRow:
    person_id: int
    name: str
    team: TeamCounts  # everyone below them, every level
    reviewing: Reviewing
    sponsors_below: int  # people in their team who sponsor others (can be drilled into)


@dataclass
class Rollup:
    root_id: int
    root_name: str
    path: list[tuple[int, str]]  # from the viewer's first level down to the root
    totals: TeamCounts  # everyone below the root
    levels: int  # how deep the root's team goes
    rows: list[RollupRow]
    matching: int  # rows before pagination (the root's recruits who sponsor others)
    page: int
    pages: int
    now: datetime = field(repr=False, default=None)  # type: ignore[assignment]


def _ancestors(session: Session, person_id: int) -> list[tuple[int, str, int | None]]:
    """(id, name, sponsor_id) from the person up to the top of their line."""
    start = aliased(User, name="start")
    line = (
        select(start.id, start.name, start.sponsor_id, literal_column("0", Integer).label("depth"))
        .where(start.id == person_id)
        .cte("line", recursive=True)
    )
    up, above = line.alias("up"), aliased(User, name="above")
    line = line.union_all(
        select(above.id, above.name, above.sponsor_id, up.c.depth + 1)
        .join(above, above.id == up.c.sponsor_id)
        .where(up.c.depth < MAX_DEPTH)
    )
    rows = session.execute(select(line.c.id, line.c.name, line.c.sponsor_id).order_by(line.c.depth))
    return [tuple(row) for row in rows]  # type: ignore[misc]


def _descendants(session: Session, root_id: int) -> list[tuple[int, int, int, str, int]]:
    """(id, sponsor_id, branch_id, name, depth) of everyone below the root, every level;
    a branch is the root's own recruit the person is under."""
    first = aliased(User, name="first_level")
    team = (
        select(
            first.id,
            first.sponsor_id,
            first.id.label("branch_id"),
            first.name,
            literal_column("1", Integer).label("depth"),
        )
        .where(first.sponsor_id == root_id)
        .cte("team", recursive=True)
    )
    above, below = team.alias("above"), aliased(User, name="below")
    team = team.union_all(
        select(below.id, below.sponsor_id, above.c.branch_id, below.name, above.c.depth + 1)
        .join(below, below.sponsor_id == above.c.id)
        .where(above.c.depth < MAX_DEPTH)
    )
    return [
        tuple(row)  # type: ignore[misc]
        for row in session.execute(
            select(team.c.id, team.c.sponsor_id, team.c.branch_id, team.c.name, team.c.depth)
        )
    ]


def path_to(session: Session, viewer: User, root_id: int) -> list[tuple[int, str]]:
    """The line from the viewer's first level down to `root_id`, which must be a sponsor
    in the viewer's downline (or the viewer): anyone else is a 404."""
    if root_id == viewer.id:
        return []
    line = _ancestors(session, root_id)
    ids = [person_id for person_id, _name, _sponsor in line]
    if viewer.id not in ids[1:]:
        raise NotFound("No such sponsor in your team.")
    below_viewer = line[: ids.index(viewer.id)]
    return [(person_id, name) for person_id, name, _sponsor in reversed(below_viewer)]


def rollup(
    session: Session,
    viewer: User,
    now: datetime,
    *,
    root_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Rollup:
    """The roll-up of `root_id`'s team (default: the viewer's own) for `now`."""
    root_id = viewer.id if root_id is None else root_id
    path = path_to(session, viewer, root_id)
    team = _descendants(session, root_id)
    if root_id != viewer.id and not team:
        raise NotFound("No such sponsor in your team.")  # only sponsors are drilled into
    branch_of = {person_id: branch for person_id, _s, branch, _n, _d in team}
    names = {person_id: name for person_id, _s, _b, name, _d in team}
    sponsors = {sponsor_id for _p, sponsor_id, _b, _n, _d in team}
    totals = TeamCounts()
    by_branch: dict[int, TeamCounts] = {}
    for facts in recruit_facts(session, sorted(sponsors)):
        status = standing_of(facts, now).status
        totals.add(status)
        branch = branch_of[facts.recruit_id]
        if facts.recruit_id != branch:  # the branch's own team: everyone below them
            by_branch.setdefault(branch, TeamCounts()).add(status)
    sponsors_below: dict[int, int] = {}
    for sponsor_id in sponsors - {root_id}:
        branch = branch_of[sponsor_id]
        if sponsor_id != branch:
            sponsors_below[branch] = sponsors_below.get(branch, 0) + 1
    leading = sorted(
        (branch for branch in by_branch),
        key=lambda b: (-by_branch[b].people, names[b].casefold(), b),
    )
    pages = max(1, math.ceil(len(leading) / per_page))
    page = min(max(1, page), pages)
    shown = leading[(page - 1) * per_page : page * per_page]
    reviewing = reviewing_of(session, shown, now)
    root_name = viewer.name if root_id == viewer.id else path[-1][1]
    return Rollup(
        root_id=root_id,
        root_name=root_name,
        path=path,
        totals=totals,
        levels=max((depth for *_rest, depth in team), default=0),
        rows=[
            RollupRow(b, names[b], by_branch[b], reviewing[b], sponsors_below.get(b, 0))
            for b in shown
        ],
        matching=len(leading),
        page=page,
        pages=pages,
        now=now,
    )


def reviewing_of(session: Session, sponsor_ids: list[int], now: datetime) -> dict[int, Reviewing]:
    """Each sponsor's waiting hand-ins (how many, the oldest; as their queue shows them,
    archived recruits left out) and the median time from hand-in to their own decision
    over the last 30 days: two statements for all of them."""
    waiting = {
        sponsor_id: (count, oldest)
        for sponsor_id, count, oldest in session.execute(
            select(Submission.sponsor_id, func.count(), func.min(Submission.submitted_at))
            .join(User, User.id == Submission.recruit_id)
            .where(WAITING, Submission.sponsor_id.in_(sponsor_ids), User.archived_at.is_(None))
            .group_by(Submission.sponsor_id)
        )
    }
    durations: dict[int, list[float]] = {}
    # By who decided (an adopter's sponsor_id also covers what the one who left decided).
    for sponsor_id, submitted_at, decided_at in session.execute(
        select(Submission.decided_by_id, Submission.submitted_at, Submission.decided_at).where(
            Submission.decided_by_id.in_(sponsor_ids),
            Submission.decided_at >= now - DECISION_WINDOW,
            Submission.decided_at <= now,
        )
    ):
        durations.setdefault(sponsor_id, []).append((decided_at - submitted_at).total_seconds())
    result = {}
    for sponsor_id in sponsor_ids:
        count, oldest = waiting.get(sponsor_id, (0, None))
        taken = durations.get(sponsor_id, [])
        median = timedelta(seconds=statistics.median(taken)) if taken else None
        result[sponsor_id] = Reviewing(count, oldest, median, len(taken))
    return result


def rollup_rows(found: Rollup) -> list[dict]:
    """The roll-up as plain rows (for `flask team rollup`): one per sponsor, then the
    totals of everyone below the root."""
    rows = []
    for row in found.rows:
        oldest = row.reviewing.oldest_wait
        median = row.reviewing.median_decision
        rows.append(
            {
                "sponsor": row.name,
                **row.team.as_dict(),
                "hand_ins_waiting": row.reviewing.waiting,
                "oldest_wait_days": round((found.now - oldest).total_seconds() / 86400, 1)
                if oldest
                else "",
                "median_decision_hours": round(median.total_seconds() / 3600, 1)
                if median is not None
                else "",
            }
        )
    rows.append(
        {
            "sponsor": "(everyone)",
            **found.totals.as_dict(),
            "hand_ins_waiting": "",
            "oldest_wait_days": "",
            "median_decision_hours": "",
        }
    )
    return rows
