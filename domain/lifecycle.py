"""The lifecycle of an application (a case), as a plain state machine.

    submitted ──accept──▶ in_work ──ready──▶ ready ──issue──▶ issued
        │                  │   ▲ extend                └──archive (not collected in a month)──▶ archived
        ├──return──────────┼───┴──▶ returned (with written reasons)
        └──refuse──────────┴──────▶ refused (with a ground of the standard)

``plan`` checks a move and says what it changes; the caller stores it with the history.
Illegal moves raise :class:`IllegalTransition` with a reason a clerk can read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from dateutil.relativedelta import relativedelta

from domain.catalog import Standard
from domain.deadlines import WorkingCalendar, extended_due_date, local_date


class Status(StrEnum):
    SUBMITTED = "submitted"
    IN_WORK = "in_work"
    RETURNED = "returned"
    READY = "ready"
    ISSUED = "issued"
    REFUSED = "refused"
    ARCHIVED = "archived"


class Action(StrEnum):
    SUBMIT = "submit"  # the applicant handed the application in (the first event; no transition)
    ACCEPT = "accept"
    RETURN = "return"
    EXTEND = "extend"
    READY = "ready"
    ISSUE = "issue"
    REFUSE = "refuse"
    ARCHIVE = "archive"


OPEN = frozenset({Status.SUBMITTED, Status.IN_WORK})
# Where each action may start, and where it leads.
TRANSITIONS: dict[Action, tuple[frozenset[Status], Status]] = {
    Action.ACCEPT: (frozenset({Status.SUBMITTED}), Status.IN_WORK),
    Action.RETURN: (OPEN, Status.RETURNED),
    Action.EXTEND: (frozenset({Status.IN_WORK}), Status.IN_WORK),
    Action.READY: (frozenset({Status.IN_WORK}), Status.READY),
    Action.ISSUE: (frozenset({Status.READY}), Status.ISSUED),
    Action.REFUSE: (OPEN, Status.REFUSED),
    Action.ARCHIVE: (frozenset({Status.READY}), Status.ARCHIVED),
}
KEEP_UNCOLLECTED = relativedelta(months=1)


class IllegalTransition(ValueError):
    """A move the lifecycle does not allow, or one missing what it needs (a reason, a ground).

    ``code`` says which rule was broken (for a translated explanation), ``details`` its values;
    the message is English, for logs and the API.
    """

    def __init__(self, code: str, message: str, **details: object) -> None:
        super().__init__(message)
        self.code = code
        self.details = details


@dataclass(frozen=True)
class CaseState:
    """What the lifecycle needs to know about a case."""

    status: Status
    submitted_at: datetime
    due_date: date
    ready_at: datetime | None = None


@dataclass(frozen=True)
class Change:
    """A checked move: the new status, and the new due date for an extension."""

    action: Action
    from_status: Status
    to_status: Status
    comment: str | None = None
    ground: int | None = None
    extension_months: int | None = None
    new_due_date: date | None = None


def possible(action: Action, standard: Standard) -> bool:
    """Whether the standard allows the action at all (some list no grounds or extensions)."""
    if action is Action.REFUSE:
        return bool(standard.refusal_grounds)
    if action is Action.EXTEND:
        return bool(standard.deadline.extensions)
    return True


def allowed_actions(state: CaseState, standard: Standard) -> list[Action]:
    """The moves a clerk may make now, in a stable order (archiving is the system's job)."""
    return [
        action
        for action, (sources, _) in TRANSITIONS.items()
        if state.status in sources and possible(action, standard) and action is not Action.ARCHIVE
    ]


def archive_after(ready_at: datetime) -> date:
    """The first day a ready result may be archived: a month of keeping has passed."""
    return local_date(ready_at) + KEEP_UNCOLLECTED


def plan(
    state: CaseState,
    action: Action,
    standard: Standard,
    calendar: WorkingCalendar,
    now: datetime,
    *,
    comment: str | None = None,
    ground: int | None = None,
    extension_months: int | None = None,
) -> Change:
    """Check a move and return what it changes; raise :class:`IllegalTransition` if it cannot be."""
    sources, target = TRANSITIONS[action]
    if state.status not in sources:
        raise IllegalTransition("status", f"cannot {action.value} a case that is {state.status.value}",
                                action=action.value, status=state.status.value)
    if not possible(action, standard):
        what = "grounds for refusal" if action is Action.REFUSE else "extensions"
        raise IllegalTransition("not_in_standard", f"the standard {standard.id} lists no {what}",
                                action=action.value)
    comment = (comment or "").strip() or None
    new_due: date | None = None
    if action is Action.RETURN and comment is None:
        raise IllegalTransition("needs_reasons", "returning a case needs the written reasons")
    if action is Action.REFUSE and (ground is None or not 0 <= ground < len(standard.refusal_grounds)):
        raise IllegalTransition(
            "needs_ground", f"refusing needs one of the standard's {len(standard.refusal_grounds)} grounds",
            count=len(standard.refusal_grounds),
        )
    if action is Action.EXTEND:
        months = [e.months for e in standard.deadline.extensions]
        if extension_months not in months:
            raise IllegalTransition("extension_months", f"an extension is one of {months} months",
                                    months=months)
        if comment is None:
            raise IllegalTransition("needs_reason", "extending a case needs the reason")
        new_due = extended_due_date(calendar, state.submitted_at, extension_months)
        if new_due <= state.due_date:
            raise IllegalTransition("already_due", f"the case is already due on {state.due_date.isoformat()}",
                                    due_date=state.due_date)
    if action is Action.ARCHIVE and (state.ready_at is None or local_date(now) < archive_after(state.ready_at)):
        raise IllegalTransition("kept_for_a_month", "a result is kept for a month before it is archived")
    return Change(
        action=action,
        from_status=state.status,
        to_status=target,
        comment=comment,
        ground=ground if action is Action.REFUSE else None,
        extension_months=extension_months if action is Action.EXTEND else None,
        new_due_date=new_due,
    )
