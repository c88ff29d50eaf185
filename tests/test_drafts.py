"""Drafts through the real dispatcher: /start or /menu in the middle of a form asks first;
a kept draft survives a restart, is offered from the menu and from the service's card, and
expires after the stated time (the clock is the injected one)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from storage.models import Case, Draft
from tests.conftest import App, FakeClock
from tests.telegram import ChatClient

VALID_IIN = "900101300126"


async def drafts(app: App) -> list[Draft]:
    async with app.sessions() as session:
        return list(await session.scalars(select(Draft)))


async def half_a_missionary_application(ru: ChatClient) -> None:
    await ru.start_in("Русский")
    await ru.click("Подать онлайн")
    await ru.click("миссионеров")
    await ru.click("Мангистауская")
    await ru.send("Джон Смит")
    await ru.send(VALID_IIN)
    await ru.send("+77011234567")
    await ru.send("христианство")
    assert "Шаг 5 из" in ru.last.text


async def test_menu_asks_and_a_draft_survives_a_restart(make_app: Callable[[], App], clock: FakeClock) -> None:
    before = make_app()
    ru = before.client(language_code="ru", user_id=5151)
    await half_a_missionary_application(ru)
    shown = len(ru.chat)
    await ru.send("/menu")
    ask = ru.last
    assert len(ru.chat) == shown, "the question takes the form's message"
    assert "У вас есть незаконченная форма" in ask.text and "шаг 5 из" in ask.text
    assert "он хранится 7 дней" in ask.text
    assert ask.button_texts == ["▶️ Продолжить заполнение", "💾 Сохранить как черновик", "🗑 Удалить"]
    await ru.click("Продолжить заполнение")
    assert "Территория миссионерской деятельности:" in ru.last.text, "back where it was left"
    await ru.send("/start")
    await ru.click("Сохранить как черновик")
    assert ru.answers[-1].text == ("Черновик сохранён до 30 ноября 2026\u202fг., 10:00 (время Алматы). "
                                   "Продолжить его можно из главного меню.")
    (draft,) = await drafts(before)
    assert draft.form == "application" and draft.data["applicant"]["iin"] == VALID_IIN
    assert draft.expires_at - draft.saved_at == timedelta(days=7)

    await before.storage.close()  # the process stops
    after = make_app()
    resumed = after.client(language_code="ru", user_id=5151)
    resumed.chat = ru.chat
    await resumed.send("/menu")
    assert resumed.last.button_texts[0].startswith("📝 Продолжить: ") and "(до 30.11.2026)" in \
        resumed.last.button_texts[0]
    await resumed.click("📝 Продолжить")
    assert "Территория миссионерской деятельности:" in resumed.last.text
    assert "Шаг 5 из" in resumed.last.text
    for answer in ("Мангистауская область", "2027 год"):
        await resumed.send(answer)
    while "Проверьте заявление" not in resumed.last.text:
        await resumed.click("Пропустить")
    assert "Джон Смит" in resumed.last.text and "христианство" in resumed.last.text, "nothing typed was lost"
    await resumed.click("Отправить заявление")
    async with after.sessions() as session:
        (case,) = list(await session.scalars(select(Case)))
    assert case.applicant["name"] == "Джон Смит" and case.details["fields"]["religion"] == "христианство"
    assert await drafts(after) == [], "a sent application leaves no draft"


async def test_discard_and_nothing_to_ask_before_a_step(app: App, kk: ChatClient, clock: FakeClock) -> None:
    await kk.start_in("Қазақша")
    await kk.click("Онлайн өтініш беру")
    await kk.click("Миссионер")
    await kk.click("Маңғыстау")
    await kk.send("/menu")
    assert "аяқталмаған" not in kk.last.text, "nothing typed yet: nothing to ask"
    await kk.click("Онлайн өтініш беру")
    await kk.click("Миссионер")
    await kk.click("Маңғыстау")
    await kk.send("Джон Смит")
    await kk.send("/start")
    assert "Сізде аяқталмаған өтініш бар" in kk.last.text and "12 қадамның 2-сі" in kk.last.text
    assert kk.last.button_texts == ["▶️ Толтыруды жалғастыру", "💾 Жоба ретінде сақтау", "🗑 Жою"]
    await kk.click("Жою")
    assert kk.answers[-1].text == "Аяқталмаған өтініш жойылды."
    assert await drafts(app) == []
    assert not any(b.startswith("📝 Жалғастыру") for b in kk.last.button_texts)


async def test_a_draft_is_offered_from_the_card_and_expires(app: App, kk: ChatClient, clock: FakeClock) -> None:
    await kk.start_in("Қазақша")
    await kk.click("Онлайн өтініш беру")
    await kk.click("Миссионер")
    await kk.click("Маңғыстау")
    await kk.send("Джон Смит")
    await kk.send("/menu")
    await kk.click("Жоба ретінде сақтау")
    assert "2026\u202fж. 30 қараша, 10:00" in kk.answers[-1].text
    await kk.click("Қызметтер")
    await kk.click("Миссионер")
    await kk.click("Маңғыстау")
    await kk.click("Онлайн өтініш беру")
    assert "Сізде осы өтініштің жобасы бар" in kk.last.text and "2026\u202fж. 30 қараша" in kk.last.text
    await kk.click("Жобаны жалғастыру")
    assert "Қазір: <b>Джон Смит</b>" in kk.last.text or "ЖСН" in kk.last.text

    await kk.send("/menu")
    await kk.click("Жоба ретінде сақтау")
    clock.advance(days=7, minutes=1)
    await kk.send("/menu")
    assert not any(b.startswith("📝 Жалғастыру") for b in kk.last.button_texts), "an expired draft is not offered"


async def test_complaint_draft(app: App, ru: ChatClient, clock: FakeClock) -> None:
    await ru.start_in("Русский")
    for label in ("Подать жалобу", "Выбрать учреждение", "воинской", "Актау", "Вежливость персонала"):
        await ru.click(label)
    await ru.send("Сотрудник ЦОН грубо разговаривал со мной и отказался принять документы.")
    await ru.send("/menu")
    assert "Жалоба — шаг 3 из 6" in ru.last.text
    await ru.click("Сохранить как черновик")
    await ru.click("📝 Продолжить: Жалоба")
    assert "Шаг 3 из 6" in ru.last.text and "не больше 5. Иначе нажмите «Пропустить»." in ru.last.text
