"""Complaints through the real dispatcher: the dialog, the talon, following it, clerks' moves,
the answer and the survey, privacy."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from jobs.daily import DeadlineWatch
from storage.models import Complaint, OutboxMessage
from tests.conftest import CLERK_CHAT_ID, App, FakeClock
from tests.telegram import ChatClient
from tests.test_case_loop import apply_for_benefits, clerk, deliver

TEXT = "Сотрудник ЦОН грубо разговаривал со мной и отказался принять документы 20 ноября."


async def stored(app: App) -> list[Complaint]:
    async with app.sessions() as session:
        return list(await session.scalars(select(Complaint).order_by(Complaint.id)))


async def complain_about_aktau_psc(ru: ChatClient) -> None:
    """From the menu, an office chosen in the catalog, to the review."""
    await ru.click("Подать жалобу")
    await ru.click("Выбрать учреждение")
    await ru.click("воинской")
    await ru.click("Актау")
    await ru.click("Вежливость персонала")
    await ru.send(TEXT)
    await ru.send_photo()
    await ru.click("Далее")
    await ru.send("Ахметов Ерлан")
    await ru.share_contact("+77011234567")


async def test_complaint_from_the_menu_with_a_talon(app: App, ru: ChatClient, clock: FakeClock) -> None:
    await ru.start_in("Русский")
    await ru.click("Подать жалобу")
    assert ru.last.text == "📣 <b>Жалоба</b>\n\nВыберите учреждение, на которое вы жалуетесь."
    await ru.click("Выбрать учреждение")
    await ru.click("воинской")
    await ru.click("Актау")
    header = ru.last.text
    assert "🏢 Центр обслуживания населения г. Актау" in header
    assert "Кому: Директор Центра обслуживания населения" in header and "На что вы жалуетесь?" in header
    assert ru.last.button_texts[:5] == ["Действия или бездействие должностного лица", "Качество обслуживания",
                                        "Нарушение срока", "Вежливость персонала", "Другое"]
    await ru.click("Вежливость персонала")
    await ru.send("Нагрубили")
    assert "⚠️ " + "Опишите, пожалуйста, в пределах от 20 до 3000 символов (сейчас: 9)." in ru.last.text
    await ru.send("х" * 3001)
    assert "(сейчас: 3001)" in ru.last.text
    await ru.send_sticker()
    assert "⚠️ " + "Пожалуйста, воспользуйтесь кнопками под сообщением." in ru.last.text
    await ru.send(TEXT)
    assert "не больше 5. Иначе нажмите «Пропустить»." in ru.last.text
    await ru.send_document("virus.exe", "application/x-msdownload")
    assert "⚠️ " + "Такой файл не принимается." in ru.last.text
    await ru.send_photo()
    await ru.send_document("akt.pdf", "application/pdf")
    assert "✅ Получено файлов: 2" in ru.last.text
    await ru.click("Далее")
    await ru.send("1234")
    assert "⚠️ " + "Напишите имя буквами (от 2 до 150 символов)." in ru.last.text
    await ru.send("Ахметов Ерлан")
    assert ru.reply_keyboard is not None and ru.reply_keyboard.keyboard[0][0].request_contact
    await ru.send("12345")
    assert "⚠️ " + "Напишите казахстанский номер" in ru.last.text
    await ru.share_contact("+77011234567")
    assert ru.reply_keyboard is None, "the contact keyboard is removed after the phone step"

    review = ru.last.text
    assert "<b>Проверьте жалобу</b>" in review and "Суть: Вежливость персонала" in review and TEXT in review
    assert "📎 Приложено 2 файла" in review and "ФИО: Ахметов Ерлан" in review and "Телефон: +77011234567" in review
    # An edit from the review comes back to it; nothing typed is lost.
    await ru.click("✏️ Суть")
    await ru.click("Качество обслуживания")
    assert "Суть: Качество обслуживания" in ru.last.text and TEXT in ru.last.text

    await ru.double_click("Зарегистрировать жалобу")
    talon = ru.last.text
    assert talon.startswith("🧾 <b>Жалоба № C-26-000001 зарегистрирована</b>")
    assert "Дата и время регистрации: 23 ноября 2026\u202fг., 10:00 (время Алматы)" in talon
    assert "Учреждение: Центр обслуживания населения г. Актау" in talon
    assert "На чьё имя: Директор Центра обслуживания населения" in talon
    assert "Зарегистрировал: канцелярия — Центр обслуживания населения г. Актау" in talon
    assert "Ответ должен быть дан до 30 ноября 2026\u202fг. (5 рабочих дней)." in talon
    assert "/complaint C-26-000001" in talon

    (complaint,) = await stored(app)
    assert (complaint.user_id, complaint.office_id, complaint.topic, complaint.text) == (
        ru.user_id, "psc_aktau", "quality", TEXT)
    assert complaint.complainant == {"name": "Ахметов Ерлан", "phone": "+77011234567", "phone_confirmed": True}
    assert [a.kind for a in complaint.attachments] == ["photo", "document"]


async def test_a_complaint_about_ones_case_in_kazakh(app: App, clock: FakeClock) -> None:
    kk = app.client(language_code="kk", user_id=4301)
    number = await apply_for_benefits(kk)
    await kk.send("/language")
    await kk.click("Қазақша")
    await kk.click("Шағым беру")
    assert "Шағым қай өтінішіңізге қатысты?" in kk.last.text
    await kk.click(number)
    assert f"{number} өтініш бойынша" in kk.last.text
    await kk.click("Мерзімнің бұзылуы")
    await kk.send("Анықтама уақытында берілмеді, мерзімі өтіп кетті, ешкім хабарласпады.")
    await kk.click("Өткізіп жіберу")
    assert "Қазір: <b>" in kk.last.text, "the name of the application is offered"
    await kk.click("Осылай қалдыру")
    await kk.press("Осылай қалдыру")
    await kk.click("Шағымды тіркеу")
    assert kk.last.text.startswith("🧾 <b>№ C-26-000001 шағым тіркелді</b>")
    assert f"{number} өтініш бойынша" in kk.last.text
    (complaint,) = await stored(app)
    assert complaint.case is not None and complaint.case.number == number and complaint.language == "kk"


async def test_review_answer_survey_and_privacy(app: App, ru: ChatClient, clock: FakeClock) -> None:
    await ru.start_in("Русский")
    await complain_about_aktau_psc(ru)
    await ru.click("Зарегистрировать жалобу")
    group_notice = [m for m in await outbox_rows(app) if m.chat_id == CLERK_CHAT_ID]
    assert "Жаңа шағым C-26-000001" in group_notice[0].text  # the clerks' chat gets DEFAULT_LOCALE

    # Another user sees nothing, the same as for a number that does not exist.
    stranger = app.client(language_code="ru", user_id=4999)
    await stranger.start_in("Русский")
    await stranger.send("/complaint C-26-000001")
    assert stranger.last.text == "Жалоба с таким номером не найдена."
    assert TEXT not in stranger.last.text
    await stranger.send("/complaints")
    assert stranger.last.text == "Извините, это доступно только сотрудникам."
    await stranger.click_data("cm:C-26-000001:take:")
    assert stranger.answers[-1].text == "Извините, это доступно только сотрудникам."

    # The complainant adds information while it is registered.
    await ru.send("/complaint C-26-000001")
    assert "📨 <b>Жалоба C-26-000001</b> — зарегистрирована" in ru.last.text
    await ru.click("Дополнить жалобу")
    await ru.send("Это было около 15:00, окно № 4.")
    assert ru.chat[-2].text == "Добавлено к вашей жалобе; сотрудники это увидят."
    assert "Заявитель дополнил жалобу" in ru.last.text and "окно № 4" in ru.last.text

    officer = clerk(app)
    await officer.send("/complaints")
    assert "<code>C-26-000001</code> зарегистрирована" in officer.last.text
    await officer.send("/complaint C-26-000001")
    card = officer.last.text
    assert "Ахметов Ерлан, Телефон: +77011234567" in card and TEXT in card and "<i>(заявитель)</i>" in card
    assert officer.last.button_texts == ["🔎 Принять на рассмотрение", "➡️ Перенаправить"]
    await officer.click("Принять на рассмотрение")
    assert officer.last.button_texts == ["✅ Удовлетворить", "◐ Удовлетворить частично",
                                         "✖️ Оставить без удовлетворения", "➡️ Перенаправить"]
    clock.advance(days=2)
    await officer.click("Удовлетворить частично")
    assert officer.last.text.startswith("Жалоба C-26-000001: напишите ответ.")
    await officer.send("Сотрудник предупреждён; документы примут без очереди.")
    assert "<b>Ответ: удовлетворена частично</b>" in officer.last.text and officer.last.button_texts == []

    texts = await deliver(app, clock, ru)
    assert texts[0].replace("\u202f", " ") == \
        "🔎 Ваша жалоба № C-26-000001 принята на рассмотрение. Ответ будет дан до 30 ноября 2026 г.", \
        "one full stop after «г.»"
    assert texts[1].startswith("📬 На вашу жалобу № C-26-000001 дан ответ: удовлетворена частично.")
    assert "Сотрудник предупреждён" in texts[1]
    assert "вопрос 1 из 2" in texts[2] and "порядком рассмотрения" in texts[2]
    await ru.click("Удовлетворён(а)", exact=True)
    assert "вопрос 2 из 2" in ru.last.text and "сроками рассмотрения" in ru.last.text
    await ru.click("Частично удовлетворён(а)")
    assert ru.last.text == "Спасибо за ответы! Они помогают улучшить услугу."

    await ru.send("/complaint C-26-000001")
    assert "Дополнить" not in " ".join(ru.last.button_texts), "an answered complaint takes no more information"


async def outbox_rows(app: App) -> list[OutboxMessage]:
    async with app.sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_clerk_forwards_and_cancels(app: App, ru: ChatClient, clock: FakeClock) -> None:
    await ru.start_in("Русский")
    await complain_about_aktau_psc(ru)
    await ru.click("Зарегистрировать жалобу")
    officer = clerk(app)
    await officer.send("/complaint c 26 000001")
    await officer.click("Перенаправить")
    await officer.send("/cancel")
    assert officer.last.text == "Отменено; жалоба не изменилась."
    assert (await stored(app))[0].status == "registered"
    await officer.click("Перенаправить", officer.chat[-3])
    await officer.send("Министерство юстиции РК: вопрос в его компетенции.")
    assert "<b>Перенаправлена: Министерство юстиции РК: вопрос в его компетенции.</b>" in officer.last.text
    texts = await deliver(app, clock, ru)
    assert texts == ["➡️ Ваша жалоба № C-26-000001 перенаправлена: Министерство юстиции РК: вопрос в его "
                     "компетенции. Ответ придёт оттуда."]
    await officer.send("/complaint C-26-000999")
    assert officer.last.text == "Жалобы C-26-000999 нет."


async def test_deep_link_and_my_complaints(app: App, ru: ChatClient, clock: FakeClock) -> None:
    await ru.start_in("Русский")
    await complain_about_aktau_psc(ru)
    await ru.click("Зарегистрировать жалобу")
    await ru.send("/start complaint_C-26-000001")
    assert "📨 <b>Жалоба C-26-000001</b> — зарегистрирована" in ru.last.text
    await ru.click("Мои жалобы")
    assert ru.last.button_texts[0] == "C-26-000001 · зарегистрирована · 23.11.2026"


async def test_overdue_complaints_in_the_morning_digest(app: App, ru: ChatClient, clock: FakeClock) -> None:
    await ru.start_in("Русский")
    await complain_about_aktau_psc(ru)
    await ru.click("Зарегистрировать жалобу")
    clock.now = clock.now.replace(day=1, month=12)  # Tuesday 1 December: due 30 November
    s = app.services
    watch = DeadlineWatch(s.units(app.sessions), s.renderer, clerk_chat_id=CLERK_CHAT_ID, locale="ru")
    assert await watch.run_once(date(2026, 12, 1))
    digest = next(m for m in await outbox_rows(app) if m.kind == "digest").text
    assert "Просроченные жалобы: 1" in digest and "C-26-000001" in digest
    officer = clerk(app)
    await officer.send("/complaints")
    assert "⚠️ <code>C-26-000001</code>" in officer.last.text
