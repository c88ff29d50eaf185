"""Booking a visit through the real dispatcher: calendar, times, talon, my bookings, reminders, clerks."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from storage.models import Booking
from tests.conftest import App, FakeClock
from tests.telegram import ChatClient
from tests.test_bookings import AKIMAT, TUESDAY, at, book, service, users
from tests.test_case_loop import clerk, deliver

RU_AKIMAT = "Управление внутренней политики Мангистауской области"


async def open_missionary_booking(client: ChatClient) -> None:
    await client.start_in("Русский")
    await client.click("Записаться на приём")
    await client.click("Регистрация миссионеров")
    await client.click("Мангистауская область")


def days(client: ChatClient) -> list[str]:
    """The day numbers the calendar lets one choose."""
    return [b.text.strip("•") for b in client.last.buttons
            if b.callback_data and b.text.strip("•").isdigit()]


def times(client: ChatClient) -> list[str]:
    return [t for t in client.last.button_texts if len(t) == 5 and t[2] == ":"]


async def stored(app: App) -> list[Booking]:
    async with app.sessions() as session:
        return list(await session.scalars(select(Booking).order_by(Booking.id)))


async def test_booking_a_visit_in_russian(app: App, ru: ChatClient, clock: FakeClock) -> None:
    await open_missionary_booking(ru)
    assert RU_AKIMAT in ru.last.text
    assert "Выберите день; можно выбрать только дни со свободными местами:" in ru.last.text
    assert "🗓 ноябрь 2026" in ru.last.button_texts and "декабрь »" in ru.last.button_texts
    assert ru.last.button_texts[1:8] == ["пн", "вт", "ср", "чт", "пт", "сб", "вс"]
    # Monday 23 November, 10:00: today still has times; no weekend; the calendar ends with November.
    assert days(ru) == ["23", "24", "25", "26", "27", "30"]

    await ru.click("24", exact=True)
    assert "<b>вторник, 24 ноября 2026\u202fг.</b>" in ru.last.text and "Выберите время:" in ru.last.text
    slots = times(ru)
    assert slots[0] == "09:00" and slots[-1] == "18:15" and len(slots) == 32
    assert "12:15" in slots and "12:30" not in slots and "13:45" not in slots and "14:00" in slots, "lunch"

    await ru.click("10:00")
    assert "🗓 <b>вторник, 24 ноября 2026\u202fг., 10:00</b>" in ru.last.text
    assert "Записаться на это время?" in ru.last.text
    await ru.double_click("Подтвердить")  # both presses handled at once: one booking
    talon = ru.last.text
    assert talon.startswith("🎫 <b>Талон № T-000001</b>")
    assert RU_AKIMAT in talon and "📍 г. Актау, 14 микрорайон, дом 1, кабинет 228" in talon
    assert "🗓 24 ноября 2026\u202fг., 10:00" in talon
    assert "<b>Что принести</b>" in talon and "• Вызов религиозного объединения" in talon
    assert "Отменить или перенести приём можно в «Мои записи»" in talon and "за 60 минут" in talon
    assert ru.last.button_texts == ["🎫 Мои записи", "🏠 Главное меню"]

    (booking,) = await stored(app)
    assert (booking.user_id, booking.office_id, booking.starts_at, booking.status, booking.language) == (
        ru.user_id, "mangystau_uvp_228", at(TUESDAY, 10), "active", "ru")


async def test_booking_a_psc_in_kazakh_on_saturday(app: App, kk: ChatClient, clock: FakeClock) -> None:
    await kk.start_in("Қазақша")
    await kk.click("Қабылдауға жазылу")
    await kk.click("Әскери")
    await kk.click("Ақтау")
    assert "🗓 Қараша 2026" in kk.last.button_texts
    assert kk.last.button_texts[1:8] == ["дс", "сс", "ср", "бс", "жм", "сб", "жс"]
    assert days(kk) == ["23", "24", "25", "26", "27", "28", "30"], "centres work on Saturdays"
    await kk.click("28", exact=True)
    assert "<b>2026\u202fж. 28 қараша, сенбі</b>" in kk.last.text
    slots = times(kk)
    assert slots[0] == "09:00" and slots[-1] == "19:45" and "13:00" in slots, "no lunch break at a centre"
    await kk.click("19:45")
    await kk.click("Растау")
    assert kk.last.text.startswith("🎫 <b>№ T-000001 талон</b>")
    assert "🗓 2026\u202fж. 28 қараша, 19:45" in kk.last.text


async def test_today_begins_an_hour_from_now_and_ends_in_the_evening(app: App, ru: ChatClient,
                                                                      clock: FakeClock) -> None:
    await open_missionary_booking(ru)
    await ru.click("•23•", exact=True)  # today (the application's clock), marked
    assert times(ru)[0] == "11:00"
    clock.now = at(date(2026, 11, 23), 17, 30)
    await ru.click("Другой день")
    assert "23" not in days(ru), "nothing left today"
    assert days(ru)[0] == "24"


async def test_a_full_day_and_a_full_time_are_not_offered(app: App, ru: ChatClient, clock: FakeClock) -> None:
    wednesday = TUESDAY + timedelta(days=1)
    await users(app, *range(10_000, 10_100), 7001, 7002)
    async with service(app) as bookings:
        placement = bookings.placement(*AKIMAT)
        for n, (start, _free) in enumerate(await bookings.free_slots(*AKIMAT, wednesday)):
            for seat in range(2):
                bookings.session.add(Booking(
                    user_id=10_000 + 2 * n + seat, service_id=placement.standard.service, standard_id=AKIMAT[0],
                    office_id=AKIMAT[1], starts_at=start, seat=seat, status="active", language="ru",
                    created_at=clock.now, updated_at=clock.now))
        await bookings.repositories.commit()
    await book(app, 7001, AKIMAT, at(TUESDAY, 10))
    await book(app, 7002, AKIMAT, at(TUESDAY, 10))

    await open_missionary_booking(ru)
    assert "25" not in days(ru) and "24" in days(ru)
    await ru.click("24", exact=True)
    assert "10:00" not in times(ru) and "10:15" in times(ru)


async def test_the_last_place_taken_while_confirming(app: App, ru: ChatClient, clock: FakeClock) -> None:
    await open_missionary_booking(ru)
    await ru.click("24", exact=True)
    await ru.click("10:00")
    await users(app, 7001, 7002)
    await book(app, 7001, AKIMAT, at(TUESDAY, 10))
    await book(app, 7002, AKIMAT, at(TUESDAY, 10))
    await ru.click("Подтвердить")
    assert ru.answers[-1].text == "Извините, это время только что заняли. Выберите другое."
    assert ru.answers[-1].show_alert
    assert "Выберите время:" in ru.last.text and "10:00" not in times(ru)
    assert [b.user_id for b in await stored(app)] == [7001, 7002]


async def test_a_second_booking_for_the_same_service_is_refused(app: App, ru: ChatClient, clock: FakeClock) -> None:
    await open_missionary_booking(ru)
    await ru.click("24", exact=True)
    await ru.click("10:00")
    await ru.click("Подтвердить")
    await ru.click("Главное меню")
    await ru.click("Записаться на приём")
    await ru.click("Регистрация миссионеров")
    await ru.click("Атырауская область")
    assert "У вас уже есть запись на эту услугу, талон № T-000001." in ru.last.text
    assert "calendar" not in str(ru.last.buttons), "no calendar is offered"
    assert ru.last.button_texts == ["⬅️ Назад", "🏠 Главное меню"]


async def test_a_blocked_user_is_told_why_in_kazakh(app: App, kk: ChatClient, clock: FakeClock) -> None:
    await users(app, kk.user_id, language="kk")
    for visit in (at(date(2026, 11, 2), 10), at(date(2026, 11, 12), 10), at(date(2026, 11, 20), 10)):
        async with app.sessions() as session:
            session.add(Booking(user_id=kk.user_id, number=f"T-{visit.day:06d}", service_id="missionary",
                                standard_id=AKIMAT[0], office_id=AKIMAT[1], starts_at=visit, seat=0,
                                status="no_show", language="kk", created_at=visit - timedelta(days=1),
                                updated_at=visit))
            await session.commit()
    await kk.send("/start")
    await kk.click("Қабылдауға жазылу")
    await kk.click("Әскери")
    await kk.click("Ақтау")
    text = kk.last.text
    assert "2026\u202fж. 4 желтоқсан дейін" in text and "3" in text and "30" in text, text
    assert not days(kk)


async def test_my_bookings_cancel(app: App, ru: ChatClient, clock: FakeClock) -> None:
    await users(app, ru.user_id)
    await book(app, ru.user_id, AKIMAT, at(TUESDAY, 10))
    await ru.send("/start")
    await ru.click("Мои записи")
    assert ru.last.text == "🎫 <b>Мои записи</b>"
    assert ru.last.button_texts[0] == "🎫 T-000001 · 🕊 24.11.2026 10:00"
    await ru.click("T-000001")
    assert ru.last.text.startswith("🎫 <b>Талон № T-000001</b>")
    await ru.click("Отменить запись")
    assert ru.last.text == "Отменить талон № T-000001? Место достанется другому."
    await ru.click("Нет, оставить")
    assert (await stored(app))[0].status == "active"
    await ru.click("Отменить запись")
    await ru.click("Да, отменить")
    assert ru.answers[-1].text == "Запись отменена, место освободилось для других."
    assert ru.last.button_texts[0] == "🎫 T-000001 · 🕊 24.11.2026 10:00 · отменена"
    assert (await stored(app))[0].status == "cancelled"
    await ru.click("T-000001")
    assert "Перенести" not in " ".join(ru.last.button_texts) and "Отменить" not in " ".join(ru.last.button_texts)


async def test_my_bookings_move_keeps_the_number(app: App, ru: ChatClient, clock: FakeClock) -> None:
    await users(app, ru.user_id)
    await book(app, ru.user_id, AKIMAT, at(TUESDAY, 10))
    await ru.send("/bookings")
    await ru.click("T-000001")
    await ru.click("Перенести на другое время")
    assert "Перенос талона № T-000001." in ru.last.text
    await ru.click("26", exact=True)
    await ru.click("15:15")
    assert "Перенести талон № T-000001 на это время?" in ru.last.text
    await ru.click("Подтвердить")
    assert ru.last.text.startswith("🎫 <b>Талон № T-000001</b>")
    assert "🗓 26 ноября 2026\u202fг., 15:15" in ru.last.text
    (booking,) = await stored(app)
    assert booking.starts_at == at(date(2026, 11, 26), 15, 15) and booking.status == "active"


async def test_too_late_to_cancel(app: App, ru: ChatClient, clock: FakeClock) -> None:
    await users(app, ru.user_id)
    await book(app, ru.user_id, AKIMAT, at(date(2026, 11, 23), 11, 30))
    clock.advance(minutes=45)
    await ru.send("/bookings")
    await ru.click("T-000001")
    await ru.click("Отменить запись")
    await ru.click("Да, отменить")
    assert ru.answers[-1].text == "Изменить или отменить запись можно не позднее чем за 60 минут до приёма."
    assert (await stored(app))[0].status == "active"


async def test_cancel_from_the_reminder(app: App, ru: ChatClient, clock: FakeClock) -> None:
    await users(app, ru.user_id, 7002)
    await book(app, ru.user_id, AKIMAT, at(TUESDAY, 10))
    await book(app, 7002, AKIMAT, at(TUESDAY, 11))
    clock.now = at(date(2026, 11, 23), 18)
    (reminder,) = await deliver(app, clock, ru)
    assert reminder.startswith("⏰ <b>Завтра ваш приём, талон № T-000001</b>")
    assert ru.last.button_texts == ["🕘 Часы работы сегодня", "❌ Отменить запись"]
    reminder_message = ru.last
    await ru.click("Часы работы сегодня")  # Monday evening: the office's hours today, the address once
    assert "Сегодня, 23 ноября 2026" in ru.last.text.replace("\u202f", " ") and ru.last.text.count("📍") == 1
    # A forged button for someone else's talon reveals nothing.
    await ru.click_data("bk:cancel:T-000002")
    assert ru.answers[-1].text == "Запись с таким номером не найдена."
    await ru.click("Отменить запись", reminder_message)
    assert ru.last.text == "Отменить талон № T-000001? Место достанется другому."
    await ru.click("Да, отменить")
    statuses = [b.status for b in await stored(app)]
    assert statuses == ["cancelled", "active"]
    clock.now = at(TUESDAY, 9)
    assert await deliver(app, clock, ru) == [], "no hour-before reminder after the cancel"


async def test_reminders_follow_a_change_of_language(app: App, ru: ChatClient, clock: FakeClock) -> None:
    await users(app, ru.user_id)
    await book(app, ru.user_id, AKIMAT, at(TUESDAY, 10))  # booked in Russian
    await ru.send("/language")
    await ru.click("Қазақша")
    await ru.send("/language")
    await ru.click("Қазақша")  # the same language again: nothing written twice
    clock.now = at(date(2026, 11, 23), 18)
    (reminder,) = await deliver(app, clock, ru)
    assert reminder.startswith("⏰ <b>Ертең сіздің келу уақытыңыз, № T-000001 талон</b>")
    assert ru.last.button_texts == ["🕘 Бүгінгі жұмыс уақыты", "❌ Жазылуды болдырмау"]
    clock.now = at(TUESDAY, 9)
    (reminder,) = await deliver(app, clock, ru)
    assert reminder.startswith("⏰ <b>Бір сағаттан кейін сіздің келу уақытыңыз, № T-000001 талон</b>")
    assert await deliver(app, clock, ru) == [], "each reminder once, in one language"


async def test_clerk_day_list_and_visit_marks(app: App, clock: FakeClock) -> None:
    await users(app, 7001, 7002, 7003)
    await book(app, 7001, AKIMAT, at(TUESDAY, 10))
    await book(app, 7002, AKIMAT, at(TUESDAY, 10))
    await book(app, 7003, AKIMAT, at(TUESDAY, 11, 30))
    desk = clerk(app)
    await desk.send("/schedule mangystau_uvp_228 24.11.2026")
    text = desk.last.text
    assert text.startswith(f"📅 <b>{RU_AKIMAT}</b>\n24 ноября 2026")
    assert "10:00 <code>T-000001</code> 🕊 записан" in text and "11:30 <code>T-000003</code>" in text
    assert desk.last.button_texts == ["10:00 T-000001", "10:00 T-000002", "11:30 T-000003"]

    clock.now = at(TUESDAY, 9, 55)
    await desk.click("T-000001")
    assert desk.last.text.startswith("🎫 <b>Талон № T-000001</b> — записан")
    assert desk.last.button_texts == ["👋 Пришёл", "✅ Обслужен", "❌ Не пришёл"]
    await desk.click("Пришёл")
    assert "Пришёл: 09:55" in desk.last.text and desk.last.button_texts == ["✅ Обслужен"]
    clock.now = at(TUESDAY, 10, 20)
    await desk.click("Обслужен")
    assert "Обслужен: 10:20" in desk.last.text and desk.last.button_texts == []

    await desk.send("/visit T-000002")
    clock.now = at(TUESDAY, 9, 58)
    await desk.click("Не пришёл")
    assert desk.answers[-1].text == "Не выполнено: время приёма ещё не наступило."
    clock.now = at(TUESDAY, 10, 50)
    await desk.click("Не пришёл")
    assert "не пришёл" in desk.last.text.split("\n")[0]

    await desk.send("/schedule mangystau_uvp_228 2026-11-24")
    text = desk.last.text
    assert "10:00 <code>T-000001</code> 🕊 обслужен · ждал 20 мин" in text
    assert "Обслужено: 1; ждали не более 10 минут: 0 (0\u00a0%)." in text
    assert desk.last.button_texts == ["11:30 T-000003"]
    async with app.sessions() as session:
        first = await session.scalar(select(Booking).where(Booking.number == "T-000001"))
        assert first.arrived_at == at(TUESDAY, 9, 55) and first.served_at == at(TUESDAY, 10, 20)

    await desk.send("/schedule nowhere")
    assert desk.last.text.startswith("Укажите учреждение и, если не сегодня, дату")


async def test_visitors_cannot_use_clerk_commands(app: App, ru: ChatClient, clock: FakeClock) -> None:
    await users(app, 7001)
    await book(app, 7001, AKIMAT, at(TUESDAY, 10))
    await ru.start_in("Русский")
    await ru.send("/schedule mangystau_uvp_228 2026-11-24")
    assert "T-000001" not in ru.last.text and "только сотрудникам" in ru.last.text
    clock.now = at(TUESDAY, 11)
    await ru.click_data("vs:T-000001:no_show")
    assert "только сотрудникам" in ru.answers[-1].text
    assert (await stored(app))[0].status == "active"


async def test_the_card_offers_booking_where_the_office_receives_visitors(app: App, ru: ChatClient,
                                                                         clock: FakeClock) -> None:
    await ru.start_in("Русский")
    await ru.click("Услуги")
    await ru.click("Регистрация миссионеров")
    await ru.click("Мангистауская область")
    await ru.click("Записаться на приём")
    assert RU_AKIMAT in ru.last.text and days(ru)[0] == "23"


async def test_next_month_ends_at_the_horizon(app: App, ru: ChatClient, clock: FakeClock) -> None:
    await open_missionary_booking(ru)
    await ru.click("декабрь »")
    assert "🗓 декабрь 2026" in ru.last.button_texts and "« ноябрь" in ru.last.button_texts
    assert days(ru) == ["1", "2", "3", "4", "7", "8", "9", "10", "11", "14", "15", "17", "18", "21", "22", "23"]
    assert "16" not in days(ru), "Independence Day"
    assert not any("январь" in t for t in ru.last.button_texts), "nothing beyond 30 days"
    await ru.click("15", exact=True)
    assert "<b>вторник, 15 декабря 2026\u202fг.</b>" in ru.last.text
    await ru.click("Другой день")
    await ru.click("« ноябрь")
    assert days(ru)[0] == "23"


async def test_forged_times_and_talons_are_refused(app: App, ru: ChatClient, clock: FakeClock) -> None:
    await users(app, 7001)
    await book(app, 7001, AKIMAT, at(TUESDAY, 11))
    await open_missionary_booking(ru)
    await ru.click("24", exact=True)
    _, ten = ru.button("10:00")
    assert ten.callback_data and "2026-11-24T10:00:00+05:00" in ten.callback_data
    for forged in ("garbage", "2026-11-24T13:00:00+05:00", "2026-11-29T10:00:00+05:00"):
        await ru.click_data(ten.callback_data.replace("2026-11-24T10:00:00+05:00", forged))
        assert ru.answers[-1].text == "Извините, это время только что заняли. Выберите другое."
        assert "Выберите время:" in ru.last.text
    await ru.click("10:00")
    await ru.click("Подтвердить")
    await ru.click("Мои записи")
    _, mine = ru.button("T-000002")
    assert mine.callback_data
    await ru.click_data(mine.callback_data.replace("T-000002", "T-000001"))
    assert ru.answers[-1].text == "Запись с таким номером не найдена."
    assert "11:00" not in ru.last.text, "someone else's talon is not shown"
    assert [b.status for b in await stored(app)] == ["active", "active"]


async def test_a_psc_talon_names_the_documents_that_apply_in_words_kk(kk: ChatClient, clock: FakeClock) -> None:
    """The talon lists a conditional document with its condition in words, not with the answers
    to a question the user was never asked (issue 15 item 2)."""
    await kk.start_in("Қазақша")
    await kk.click("Қабылдауға жазылу")
    await kk.click("Әскери")
    await kk.click("Атырау")
    await kk.click("24", exact=True)
    await kk.click("10:00")
    await kk.click("Растау")
    talon = kk.last.text
    assert talon.startswith("🎫 <b>№ T-000001 талон</b>") or "T-000001" in talon.split("\n")[0]
    assert "• Қорғаныс министрлігінің орталық мұрағатынан" in talon
    assert "— <i>сіздің жағдайыңызда мұрағаттық анықтама қажет болса (немесе қажет-қажет еместігін " \
           "білмесеңіз)</i>" in talon
    assert "Иә, қажет" not in talon and "Білмеймін" not in talon and "тек егер" not in talon
