"""Notices are not dead ends (issue 15, item 4): each says what to do next and offers it with
buttons that work, in Kazakh and Russian; the address is given once."""

from __future__ import annotations

import pytest
from aiogram.methods import SendMessage

from domain.lifecycle import Action
from jobs.outbox import OutboxWorker
from presentation.callbacks import CaseNoticeAction
from tests.conftest import App, FakeClock
from tests.telegram import ChatClient
from tests.test_case_service import add_user, service, submit

USER = 7001

# What each button is called, and what its screen shows, per language.
LABELS = {
    "kk": {"open": "Менің өтінішім", "book": "Нәтижені алуға жазылу", "hours": "Бүгінгі жұмыс уақыты",
           "complain": "Шағым беру"},
    "ru": {"open": "Моё заявление", "book": "Записаться за результатом", "hours": "Часы работы сегодня",
           "complain": "Подать жалобу"},
}
SCREENS = {
    "kk": {"hours": "Бүгін, ", "complain": "Шағым"},
    "ru": {"hours": "Сегодня, ", "complain": "жалоб"},
}


async def deliver(app: App, clock: FakeClock, client: ChatClient) -> list[str]:
    clock.advance(seconds=2)
    start = len(app.session.requests)
    outbox = OutboxWorker(app.bot, app.sessions, clock=clock, sleep=clock.sleep)
    while (wait := await outbox.deliver_due()) is not None:
        await clock.sleep(wait)
    client._apply_new_requests()
    return [m.text for m in app.session.requests[start:] if isinstance(m, SendMessage) and int(m.chat_id) == USER]


async def ready_case(app: App, clock: FakeClock, locale: str) -> tuple[str, ChatClient]:
    await add_user(app, USER, locale)
    client = app.client(user_id=USER, language_code=locale)
    number = await submit(app)
    async with service(app) as cases:
        await cases.transition(number, Action.ACCEPT, "clerk:1")
    await deliver(app, clock, client)
    clock.advance(days=1)
    async with service(app) as cases:
        await cases.transition(number, Action.READY, "clerk:1")
    (text,) = await deliver(app, clock, client)
    assert number in text
    return number, client


@pytest.mark.parametrize("locale", ["kk", "ru"])
async def test_a_ready_notice_offers_the_next_steps_and_each_button_works(
    app: App, clock: FakeClock, locale: str
) -> None:
    number, client = await ready_case(app, clock, locale)
    notice = client.last
    labels = LABELS[locale]
    assert [t.split(" ", 1)[1] for t in notice.button_texts] == [
        labels["open"], labels["book"], labels["hours"], labels["complain"]]
    assert "📍" in notice.text and notice.text.count("📍") == 1, "the address once"

    await client.click(labels["open"], notice)
    assert number in client.last.text, "the case's screen"

    await client.click(labels["book"], notice)
    assert client.last.text.startswith("📅 <b>"), "the booking calendar of the case's office"
    assert any(t.isdigit() for t in client.last.button_texts), "days to pick"

    await client.click(labels["hours"], notice)
    assert SCREENS[locale]["hours"] in client.last.text and "🏢" in client.last.text

    await client.click(labels["complain"], notice)
    assert number in client.last.text, "a complaint about this application"

    assert len(client.answers) == 4, "each press answered once"


async def test_the_address_is_not_repeated_when_the_standard_gives_it(app: App, clock: FakeClock) -> None:
    """The foreign-media certificate's «how to collect» already names the street and room."""
    await add_user(app, USER, "ru")
    client = app.client(user_id=USER, language_code="ru")
    number = await submit(app, standard="almaty_oblast_foreign_media", office="almaty_oblast_dvp_634")
    async with service(app) as cases:
        await cases.transition(number, Action.ACCEPT, "clerk:1")
        await cases.transition(number, Action.READY, "clerk:1")
    texts = await deliver(app, clock, client)
    ready = next(t for t in texts if "готов результат" in t)
    assert ready.count("ул. Тауелсиздик, 38") == 1, ready


async def test_someone_elses_case_is_not_opened_from_a_forged_button(app: App, clock: FakeClock) -> None:
    number, owner = await ready_case(app, clock, "ru")
    stranger = app.client(user_id=7999, language_code="ru")
    await add_user(app, 7999, "ru")
    await stranger.click_data(CaseNoticeAction(action="hours", number=number).pack(), owner.last)
    assert stranger.answers[-1].show_alert and "не найдено" in (stranger.answers[-1].text or "")


async def test_acceptance_and_refusal_notices_lead_somewhere(app: App, clock: FakeClock) -> None:
    await add_user(app, USER, "kk")
    client = app.client(user_id=USER, language_code="kk")
    number = await submit(app, standard="almaty_oblast_foreign_media", office="almaty_oblast_dvp_634")
    async with service(app) as cases:
        await cases.transition(number, Action.ACCEPT, "clerk:1")
    (accepted,) = await deliver(app, clock, client)
    assert "Нәтиже дайын болғанда осы жерге хабарлаймыз." in accepted
    assert [t.split(" ", 1)[1] for t in client.last.button_texts] == ["Менің өтінішім", "Шағым беру"]
    clock.advance(days=1)
    async with service(app) as cases:
        await cases.transition(number, Action.REFUSE, "clerk:1", ground=0)
    (refused,) = await deliver(app, clock, client)
    assert "«Шағым беру»" in refused
    await client.click("Шағым беру")
    assert number in client.last.text
