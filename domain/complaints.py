"""The lifecycle of a complaint, as a plain state machine, and its review deadline.

    registered ──take──▶ under_review ──answer (upheld / partly upheld / rejected)──▶ answered
        │                    │
        └──forward───────────┴──▶ forwarded (to another body, which is named)

While a complaint is registered or under review the complainant may add information
(``add_info``: the status stays). The review deadline is counted in working days from the
day of registration (Law of the Republic of Kazakhstan "On public services", art. 25: five).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from domain.catalog import Placement, Text
from domain.deadlines import WorkingCalendar, due_date
from domain.lifecycle import IllegalTransition

MAX_TEXT = 3000
MIN_TEXT = 20
MAX_NOTE = 1000


class ComplaintStatus(StrEnum):
    REGISTERED = "registered"
    UNDER_REVIEW = "under_review"
    ANSWERED = "answered"
    FORWARDED = "forwarded"


class ComplaintAction(StrEnum):
    REGISTER = "register"
    TAKE = "take"
    ANSWER = "answer"
    FORWARD = "forward"
    ADD_INFO = "add_info"


class Outcome(StrEnum):
    UPHELD = "upheld"
    PARTLY = "partly"
    REJECTED = "rejected"


# A complaint filed by another system (Open311) has no Telegram chat: it belongs to this
# reserved user (Telegram's user ids are positive), and nobody is notified but the clerks.
EXTERNAL_USER_ID = 0

# What a complaint is about (the dialog's choices, in this order).
TOPICS = ("official", "quality", "deadline", "courtesy", "other")

OPEN = frozenset({ComplaintStatus.REGISTERED, ComplaintStatus.UNDER_REVIEW})
TRANSITIONS: dict[ComplaintAction, tuple[frozenset[ComplaintStatus], ComplaintStatus | None]] = {
    ComplaintAction.TAKE: (frozenset({ComplaintStatus.REGISTERED}), ComplaintStatus.UNDER_REVIEW),
    ComplaintAction.ANSWER: (frozenset({ComplaintStatus.UNDER_REVIEW}), ComplaintStatus.ANSWERED),
    ComplaintAction.FORWARD: (OPEN, ComplaintStatus.FORWARDED),
    ComplaintAction.ADD_INFO: (OPEN, None),  # the status stays
}
# The moves clerks make (adding information is the complainant's).
CLERK_ACTIONS = (ComplaintAction.TAKE, ComplaintAction.ANSWER, ComplaintAction.FORWARD)


@dataclass(frozen=True)
class ComplaintChange:
    action: ComplaintAction
    from_status: ComplaintStatus
    to_status: ComplaintStatus
    comment: str | None = None
    outcome: Outcome | None = None


def review_due(calendar: WorkingCalendar, registered_at: datetime, working_days: int) -> date:
    """The last day of the review: ``working_days`` working days after the day of registration."""
    return due_date(calendar, registered_at, working_days, "working")


def allowed_actions(status: ComplaintStatus) -> list[ComplaintAction]:
    """The clerks' moves possible now, in a stable order."""
    return [a for a in CLERK_ACTIONS if status in TRANSITIONS[a][0]]


def plan(status: ComplaintStatus, action: ComplaintAction, *, comment: str | None = None,
         outcome: Outcome | str | None = None) -> ComplaintChange:
    """Check a move; raise :class:`IllegalTransition` (with a ``code``) if it cannot be made.

    An answer needs its outcome and text; forwarding needs the body it goes to (``comment``);
    added information needs its text.
    """
    if action is ComplaintAction.REGISTER:
        raise IllegalTransition("status", "a complaint is registered only once", action=action.value,
                                status=status.value)
    sources, target = TRANSITIONS[action]
    if status not in sources:
        raise IllegalTransition("status", f"cannot {action.value} a complaint that is {status.value}",
                                action=action.value, status=status.value)
    comment = (comment or "").strip() or None
    if comment is not None and len(comment) > (MAX_TEXT if action is ComplaintAction.ANSWER else MAX_NOTE):
        raise IllegalTransition("too_long", "the text is too long", limit=MAX_TEXT)
    checked: Outcome | None = None
    if action is ComplaintAction.ANSWER:
        try:
            checked = Outcome(outcome) if outcome is not None else None
        except ValueError:
            checked = None
        if checked is None:
            raise IllegalTransition("needs_outcome", "an answer is upheld, partly upheld or rejected")
        if comment is None:
            raise IllegalTransition("needs_answer", "an answer needs its text")
    if action is ComplaintAction.FORWARD and comment is None:
        raise IllegalTransition("needs_body", "forwarding needs the body the complaint goes to")
    if action is ComplaintAction.ADD_INFO and comment is None:
        raise IllegalTransition("needs_text", "added information needs its text")
    return ComplaintChange(action=action, from_status=status, to_status=target or status, comment=comment,
                           outcome=checked)


def addressee(placement: Placement) -> Text:
    """Whom a complaint is addressed to: the head the standard names (the PSC director), else
    the body it names."""
    complaints = placement.standard.complaints
    return complaints.head or complaints.addressee
