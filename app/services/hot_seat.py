"""Who takes part in a mastermind group's meetings (PRODUCT.md, "Mastermind groups"):
who is on the hot seat at a meeting, and each member's participation over the last ten.

The hot seat rotates to the member who had it least recently: members who never had it
first, ties going to whoever joined first; members who left are never picked. The
history is what actually happened, swaps included, so a member the host swapped in
counts as having had it and the member they replaced is first in line next time.
Both are derived from facts passed in (members, past hot seats, updates, attendance).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass

PARTICIPATION_WINDOW = 10  # the last meetings participation is counted over


class Attendance(enum.StrEnum):
    PRESENT = "present"
    ABSENT = "absent"
    EXCUSED = "excused"


@dataclass(frozen=True)
class Member:
    id: int
    joined: int  # order of joining: smaller joined earlier
    active: bool = True  # still a member (one who left keeps their history)


def next_hot_seat(members: Iterable[Member], history: Mapping[int, int]) -> int | None:
    """The member id for the meeting after those in `history` (meeting index → the
    member who had the hot seat), or None if nobody is a member."""
    last_turn: dict[int, int] = {}
    for index, member_id in history.items():
        last_turn[member_id] = max(index, last_turn.get(member_id, index))
    return next_in_rotation(members, last_turn)


def next_in_rotation(members: Iterable[Member], last_turn: Mapping[int, int]) -> int | None:
    """The rule itself, given each member's latest turn (member id → meeting index): a
    caller walking meetings in order keeps `last_turn` up to date as it goes."""
    candidates = [m for m in members if m.active]
    if not candidates:
        return None
    # Never had it sorts before any turn; then the oldest turn; then who joined first.
    chosen = min(candidates, key=lambda m: (last_turn.get(m.id, -1), m.joined, m.id))
    return chosen.id


def hot_seat(
    members: Iterable[Member],
    history: Mapping[int, int],
    meeting_index: int,
    swapped_in: int | None = None,
) -> int | None:
    """Who is on the hot seat at meeting `meeting_index`: the host's swap if there is
    one, else the rotation over the meetings before it."""
    members = list(members)
    if swapped_in is not None:
        if not any(m.id == swapped_in and m.active for m in members):
            raise ValueError("Only a current member can take the hot seat.")
        return swapped_in
    before = {index: member_id for index, member_id in history.items() if index < meeting_index}
    return next_hot_seat(members, before)


@dataclass(frozen=True)
class Participation:
    updates_posted: int
    meetings_attended: int  # present
    excused: int
    out_of: int  # meetings counted (the last ten, or fewer if the group has had fewer)


def participation(
    member_ids: Iterable[int],
    meeting_ids: Sequence[int],
    posted: Mapping[int, Set[int]],
    attendance: Mapping[int, Mapping[int, Attendance]],
    window: int = PARTICIPATION_WINDOW,
) -> dict[int, Participation]:
    """Per member, of the last `window` meetings (`meeting_ids`, oldest first): how many
    they posted an update for (`posted`: meeting id → member ids) and attended
    (`attendance`: meeting id → member id → status; no status counts as not present)."""
    recent = list(meeting_ids)[-window:] if window > 0 else []
    out = {}
    for member_id in member_ids:
        statuses = [attendance.get(meeting_id, {}).get(member_id) for meeting_id in recent]
        updates = sum(1 for meeting_id in recent if member_id in posted.get(meeting_id, ()))
        out[member_id] = Participation(
            updates_posted=updates,
            meetings_attended=statuses.count(Attendance.PRESENT),
            excused=statuses.count(Attendance.EXCUSED),
            out_of=len(recent),
        )
    return out
