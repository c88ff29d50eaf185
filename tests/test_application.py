"""Applying online through the real dispatcher: validation, scans, review and edits, the receipt."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Case
from tests.conftest import App, FakeClock
from tests.telegram import ChatClient

VALID_IIN = "900101300126"
VALID_BIN = "040840001231"


async def open_psc_application(kk: ChatClient) -> None:
    await kk.start_in("Қазақша")
    await kk.click("Қызметтер")
    await kk.click("Әскери")
    await kk.click("Ақтау")
    await kk.click("Онлайн өтініш беру")


async def cases(app: App) -> list[Case]:
    async with app.sessions() as session:
        return list(await session.scalars(select(Case).order_by(Case.id)))


async def test_psc_application_in_kazakh(app: App, kk: ChatClient, clock: FakeClock) -> None:
    await open_psc_application(kk)
    assert "мұрағаттық анықтама қажет пе" in kk.last.text and "8 қадамның 1-сі" in kk.last.text
    await kk.click("Жоқ, қажет емес")
    assert "Аты-жөніңіз, жеке куәлігіңіздегідей:" in kk.last.text
    await kk.send("А")
    assert "⚠️ " + "Атын әріптермен жазыңыз (2-ден 150 таңбаға дейін)." in kk.last.text
    await kk.send("Ахметов Ерлан Серикұлы")
    await kk.send("900101300125")
    assert "⚠️ " + "Бұл дұрыс ЖСН емес: онда 12 сан болады" in kk.last.text
    await kk.send("9001 0130 0126")
    assert kk.reply_keyboard is not None
    assert kk.reply_keyboard.keyboard[0][0].request_contact
    await kk.share_contact("+77011234567", own=False)
    assert "⚠️ " + "Өз телефон нөміріңізді жіберіңіз немесе жазыңыз." in kk.last.text
    await kk.share_contact("+7 701 123 45 67")
    assert kk.reply_keyboard is None, "the contact keyboard is removed after the phone step"

    assert "<b>Белгіленген үлгідегі арыз</b>" in kk.last.text
    await kk.send_document("scan.zip", "application/zip")
    assert "⚠️ " + "Мұндай файлды қабылдай алмаймын." in kk.last.text
    await kk.send_document("huge.pdf", "application/pdf", size=11 * 1024 * 1024)
    assert "⚠️ " + "Бұл файл 10 МБ-тан үлкен. Кішірек көшірме немесе сурет жіберіңіз." in kk.last.text
    await kk.send_sticker()
    assert "⚠️ " + "Құжаттың суретін немесе PDF файлын жіберіңіз" in kk.last.text
    await kk.send_document("aryz.pdf", "application/pdf")
    await kk.send_photo()
    assert "✅ Алынған файлдар: 2" in kk.last.text
    await kk.click("Әрі қарай")
    assert "Әскери билет немесе әскери билеттің орнына" in kk.last.text
    await kk.send_photo()
    await kk.click("Әрі қарай")
    assert "Жеке куәліктің көшірмесі" in kk.last.text
    await kk.click("Өткізіп жіберу")

    review = kk.last.text
    assert review.startswith("📝 <b>Өтінішіңізді тексеріңіз</b>")
    assert "Аты-жөні: Ахметов Ерлан Серикұлы" in review and f"ЖСН: {VALID_IIN}" in review
    assert "Телефон: +77011234567" in review
    assert "✅ Белгіленген үлгідегі арыз — 2 файл" in review
    assert "⬜ Жеке куәліктің көшірмесі — тіркелмеген: мекемеге өзіңіз әкелесіз" in review
    assert "Мұрағаттық" not in review, "the archive certificate does not apply"

    await kk.click("Өтінішті жіберу")
    receipt = kk.last.text
    (case,) = await cases(app)
    assert len(receipt) <= 600, "the first read fits one phone screen"
    assert receipt.startswith(f"🧾 <b>№ {case.number} қолхат</b>")
    assert "Берілген уақыты: 2026\u202fж. 23 қараша, 10:00 (Алматы уақыты)" in receipt
    assert "Қызмет: Әскери қызметтен өткенін растау туралы анықтама" in receipt
    assert ("Мәртебесі: берілді; оны Ақтау қаласының Халыққа қызмет көрсету орталығы қарайды, "
            "қабылданған кезде сізге хабарлаймын.") in receipt
    assert "Қабылда" not in receipt, "nobody has accepted it yet"
    assert "Дайын болу мерзімі: 2026\u202fж. 26 қараша" in receipt
    assert "2 құжат тіркелді. 1 құжатты мекемеге өзіңіз әкелесіз." in receipt
    assert f"/status {case.number}" in receipt
    assert kk.last.button_texts == ["ℹ️ Толығырақ", "📂 Менің өтініштерім", "🏠 Басты мәзір"]
    await kk.click("Толығырақ")
    receipt = kk.last.text
    assert "(3 жұмыс күні)" in receipt
    assert "Мекеме: Ақтау қаласының Халыққа қызмет көрсету орталығы, Ақтау қ., 15 шағын аудан, 67 «б» үй" in receipt
    assert "Қоса берілген құжаттар (2):" in receipt
    assert "1. Белгіленген үлгідегі арыз — 2 файл" in receipt
    assert "• Жеке куәліктің көшірмесі" in receipt
    assert kk.last.button_texts == ["📂 Менің өтініштерім", "🏠 Басты мәзір"]

    assert case.applicant == {"name": "Ахметов Ерлан Серикұлы", "iin": VALID_IIN, "phone": "+77011234567",
                              "phone_confirmed": True, "kind": "individual"}
    assert case.details["answers"] == {"archive": "no"}
    assert [(a.document_id, a.kind, a.mime_type) for a in case.attachments] == [
        ("application", "document", "application/pdf"),
        ("application", "photo", "image/jpeg"),
        ("military_id", "photo", "image/jpeg"),
    ]
    assert all(a.file_id and a.file_unique_id for a in case.attachments)

    await kk.click("Менің өтініштерім")
    assert case.number in kk.last.button_texts[0] and "тапсырылды" in kk.last.button_texts[0]
    assert receipt == kk.chat[-2].text and kk.chat[-2].buttons == [], "the receipt stays to keep"


async def test_double_submit_makes_one_case(app: App, kk: ChatClient, clock: FakeClock) -> None:
    await open_psc_application(kk)
    await kk.click("Жоқ")
    await kk.send("Ахметов Ерлан")
    await kk.send(VALID_IIN)
    await kk.send("87011234567")
    for _ in range(3):
        await kk.click("Өткізіп жіберу")
    await kk.double_click("Өтінішті жіберу")
    assert len(await cases(app)) == 1
    assert kk.last.text.startswith("🧾")


async def test_legal_entity_with_two_publications_ru(app: App, ru: ChatClient, clock: FakeClock) -> None:
    await ru.start_in("Русский")
    await ru.click("Подать онлайн")
    await ru.click("СМИ")
    await ru.click("Мангистауская")
    await ru.click("Юрлицо")
    assert "Наименование юридического лица" in ru.last.text
    await ru.send("ТОО «Каспий Пресс»")
    assert "ФИО представителя:" in ru.last.text
    await ru.send("Иванова Мария")
    assert "БИН юридического лица (12 цифр):" in ru.last.text
    await ru.send(VALID_IIN[:-1] + "5")
    assert "⚠️ " + "Это неверный БИН" in ru.last.text
    await ru.send(VALID_BIN)
    await ru.send("+1 202 555 0100")
    assert "⚠️ " + "Напишите казахстанский номер" in ru.last.text
    await ru.send("+7 (7292) 50-10-10")
    assert "Статус и организационно-правовая форма распространителя" in ru.last.text
    await ru.send("юридическое лицо, ТОО")
    await ru.send("ТОО «Каспий Пресс»")
    await ru.send("г. Актау, 14 мкр, 5")
    # The Mangystau standard's form lists no periodicity (the Almaty city one does): not asked.
    answers = ["Newsweek", "Мангистауская область", "английский", "общественно-политическая"]
    for answer in answers:
        await ru.send(answer)
    assert "Издание 1: Предполагаемое количество" in ru.last.text
    await ru.send("много")
    assert "⚠️ " + "Напишите целое число, например 500." in ru.last.text
    await ru.send("1 500")
    assert "Издание 1 записано. Добавить ещё одно издание?" in ru.last.text
    await ru.click("Добавить издание")
    for answer in ["The Economist", "Актау", "английский", "экономика", "300"]:
        await ru.send(answer)
    await ru.click("Нет, дальше")
    assert "Заявление об учёте иностранного СМИ" in ru.last.text  # the first scan
    await ru.send_document("zayavlenie.pdf", "application/pdf")
    await ru.click("Далее")
    await ru.send_photo()
    await ru.click("Далее")

    review = ru.last.text
    assert "Юридическое лицо: ТОО «Каспий Пресс»" in review and f"БИН: {VALID_BIN}" in review
    assert "Представитель: Иванова Мария" in review and "Телефон: +77292501010" in review
    assert "1. Название: Newsweek; Территория: Мангистауская область" in review
    assert "Предполагаемый тираж: 1500" in review
    assert "2. Название: The Economist" in review

    await ru.click("✏️ Телефон")
    assert "Сейчас: <b>+77292501010</b>" in ru.last.text
    await ru.send("+77012223344")
    assert ru.last.text.startswith("📝 <b>Проверьте заявление</b>"), "back to the review after an edit"
    assert "Телефон: +77012223344" in ru.last.text
    await ru.click("Отправить заявление")
    (case,) = await cases(app)
    assert case.applicant["kind"] == "legal" and case.applicant["bin"] == VALID_BIN
    assert [p["title"] for p in case.details["publications"]] == ["Newsweek", "The Economist"]
    assert case.details["fields"]["distributor_address"] == "г. Актау, 14 мкр, 5"
    assert "Приложено 2 документа." in ru.last.text
    assert "Срок исполнения: 8 декабря 2026\u202fг." in ru.last.text  # 15 calendar days
    assert "Статус: подано; его рассмотрит" in ru.last.text and "Принят" not in ru.last.text
    assert len(ru.last.text) <= 600 and ru.last.button_texts[0] == "ℹ️ Подробнее"
    assert case.applicant["phone_confirmed"] is False, "a typed phone is not confirmed"


async def test_going_back_keeps_what_was_typed(ru: ChatClient, clock: FakeClock) -> None:
    await ru.start_in("Русский")
    await ru.click("Подать онлайн")
    await ru.click("миссионеров")
    await ru.click("Мангистауская")
    await ru.send("Джон Смит")
    await ru.send(VALID_IIN)
    await ru.send("+77011234567")
    await ru.send("христианство")
    assert "Территория миссионерской деятельности:" in ru.last.text
    await ru.click("Назад")
    assert "Сейчас: <b>христианство</b>" in ru.last.text
    await ru.click("Назад")
    assert "Сейчас: <b>+77011234567</b>" in ru.last.text
    await ru.press("Назад")  # the phone step has a reply keyboard
    assert "Сейчас: <b>" + VALID_IIN + "</b>" in ru.last.text
    await ru.click("Оставить")
    await ru.press("Оставить")  # the phone step has a reply keyboard
    await ru.click("Оставить")
    assert "Территория миссионерской деятельности:" in ru.last.text


async def test_cancel_sends_nothing(app: App, ru: ChatClient, clock: FakeClock) -> None:
    await ru.start_in("Русский")
    await ru.click("Подать онлайн")
    await ru.click("льготников")
    await ru.click("Атырау")
    await ru.click("Отмена")
    assert "Заявление не отправлено." in [a.text for a in ru.answers]
    assert await cases(app) == []


async def test_apply_after_the_checklist_keeps_the_answers(app: App, ru: ChatClient, clock: FakeClock) -> None:
    await ru.start_in("Русский")
    await ru.click("Проверить мои документы")
    await ru.click("миссионеров")
    await ru.click("Атырауская")
    await ru.click("Иностранец")
    await ru.click("Показать итог")
    await ru.click("Подать онлайн")
    assert "ФИО" in ru.last.text or "фамилия" in ru.last.text, "no question asked again"
    await ru.send("John Smith")
    await ru.send(VALID_IIN)
    await ru.send("+77011234567")
    for answer in ("христианство", "Атырауская область", "2027 год"):
        await ru.send(answer)
    for _ in range(6):  # five documents and the visa
        await ru.click("Пропустить")
    assert "Виза на пребывание" in ru.last.text
    await ru.click("Отправить заявление")
    (case,) = await cases(app)
    assert case.details["answers"] == {"citizenship": "foreigner"} and case.office_id == "atyrau_dvp"
