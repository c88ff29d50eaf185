"""The case lifecycle: legal moves, illegal ones, and what each needs."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from domain.catalog import Catalog, load_catalog
from domain.deadlines import ALMATY, WorkingCalendar
from domain.lifecycle import Action, CaseState, IllegalTransition, Status, allowed_actions, plan

NOW = datetime(2026, 3, 20, 11, 0, tzinfo=ALMATY)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    return WorkingCalendar()


def state(status: Status, **kwargs: object) -> CaseState:
    return CaseState(status=status, submitted_at=NOW, due_date=date(2026, 3, 30), **kwargs)  # type: ignore[arg-type]


def test_the_happy_path(catalog: Catalog, calendar: WorkingCalendar) -> None:
    psc = catalog.standard("psc_military_service_certificate")
    status = Status.SUBMITTED
    for action, expected in ((Action.ACCEPT, Status.IN_WORK), (Action.READY, Status.READY),
                             (Action.ISSUE, Status.ISSUED)):
        change = plan(state(status), action, psc, calendar, NOW)
        assert (change.from_status, change.to_status) == (status, expected)
        status = change.to_status


@pytest.mark.parametrize(
    ("status", "action", "message"),
    [
        (Status.SUBMITTED, Action.ISSUE, "cannot issue a case that is submitted"),
        (Status.SUBMITTED, Action.READY, "cannot ready a case that is submitted"),
        (Status.ISSUED, Action.ACCEPT, "cannot accept a case that is issued"),
        (Status.REFUSED, Action.READY, "cannot ready a case that is refused"),
        (Status.READY, Action.RETURN, "cannot return a case that is ready"),
        (Status.RETURNED, Action.ACCEPT, "cannot accept a case that is returned"),
    ],
)
def test_illegal_moves(catalog: Catalog, calendar: WorkingCalendar, status: Status, action: Action,
                       message: str) -> None:
    with pytest.raises(IllegalTransition, match=message):
        plan(state(status), action, catalog.standard("mangystau_foreign_media"), calendar, NOW,
             comment="x", ground=0)


def test_return_needs_reasons(catalog: Catalog, calendar: WorkingCalendar) -> None:
    standard = catalog.standard("psc_benefits_certificate")
    with pytest.raises(IllegalTransition, match="written reasons"):
        plan(state(Status.IN_WORK), Action.RETURN, standard, calendar, NOW, comment="   ")
    change = plan(state(Status.IN_WORK), Action.RETURN, standard, calendar, NOW, comment=" Нет копии ")
    assert change.to_status is Status.RETURNED and change.comment == "Нет копии"


def test_refusal_needs_a_ground_of_the_standard(catalog: Catalog, calendar: WorkingCalendar) -> None:
    media = catalog.standard("mangystau_foreign_media")
    with pytest.raises(IllegalTransition, match="one of the standard's 5 grounds"):
        plan(state(Status.IN_WORK), Action.REFUSE, media, calendar, NOW, ground=5)
    assert plan(state(Status.IN_WORK), Action.REFUSE, media, calendar, NOW, ground=4).ground == 4
    psc = catalog.standard("psc_military_service_certificate")
    with pytest.raises(IllegalTransition, match="lists no grounds for refusal"):
        plan(state(Status.IN_WORK), Action.REFUSE, psc, calendar, NOW, ground=0)


def test_extension(catalog: Catalog, calendar: WorkingCalendar) -> None:
    psc = catalog.standard("psc_military_service_certificate")
    change = plan(state(Status.IN_WORK), Action.EXTEND, psc, calendar, NOW, extension_months=3,
                  comment="Запрос в архив Российской Федерации")
    assert change.to_status is Status.IN_WORK and change.new_due_date == date(2026, 6, 22)
    with pytest.raises(IllegalTransition, match=r"one of \[1, 3\] months"):
        plan(state(Status.IN_WORK), Action.EXTEND, psc, calendar, NOW, extension_months=2, comment="x")
    with pytest.raises(IllegalTransition, match="needs the reason"):
        plan(state(Status.IN_WORK), Action.EXTEND, psc, calendar, NOW, extension_months=1)
    extended = CaseState(status=Status.IN_WORK, submitted_at=NOW, due_date=date(2026, 6, 22))
    with pytest.raises(IllegalTransition, match="already due on 2026-06-22"):
        plan(extended, Action.EXTEND, psc, calendar, NOW, extension_months=1, comment="x")
    media = catalog.standard("almaty_oblast_foreign_media")
    with pytest.raises(IllegalTransition, match="lists no extensions"):
        plan(state(Status.IN_WORK), Action.EXTEND, media, calendar, NOW, extension_months=1, comment="x")


def test_archive_only_after_a_month(catalog: Catalog, calendar: WorkingCalendar) -> None:
    psc = catalog.standard("psc_benefits_certificate")
    ready = state(Status.READY, ready_at=datetime.combine(date(2026, 3, 25), time(10), tzinfo=ALMATY))
    with pytest.raises(IllegalTransition, match="kept for a month"):
        plan(ready, Action.ARCHIVE, psc, calendar, datetime(2026, 4, 24, 23, 0, tzinfo=ALMATY))
    change = plan(ready, Action.ARCHIVE, psc, calendar, datetime(2026, 4, 25, 9, 0, tzinfo=ALMATY))
    assert change.to_status is Status.ARCHIVED


def test_allowed_actions_follow_status_and_standard(catalog: Catalog) -> None:
    psc = catalog.standard("psc_military_service_certificate")
    media = catalog.standard("mangystau_foreign_media")
    assert allowed_actions(state(Status.SUBMITTED), psc) == [Action.ACCEPT, Action.RETURN]
    assert allowed_actions(state(Status.IN_WORK), psc) == [Action.RETURN, Action.EXTEND, Action.READY]
    assert allowed_actions(state(Status.IN_WORK), media) == [Action.RETURN, Action.READY, Action.REFUSE]
    assert allowed_actions(state(Status.READY), media) == [Action.ISSUE]
    assert allowed_actions(state(Status.ISSUED), media) == []
