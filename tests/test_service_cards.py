"""Choosing a service and an office, and reading the card page by page."""

from __future__ import annotations

from tests.reading import read_page
from tests.telegram import ChatClient


async def test_foreign_media_card_in_mangystau_ru(ru: ChatClient) -> None:
    await ru.start_in("Русский")
    await ru.click("Услуги")
    assert ru.last.text == "Какая услуга вам нужна?"
    assert ru.last.button_texts[:4] == [
        "📰 Учёт иностранных СМИ", "🕊 Регистрация миссионеров",
        "🎖 Справка о воинской службе", "🏅 Справка для льготников",
    ]
    await ru.click("СМИ")
    assert "Где вы будете обращаться?" in ru.last.text
    assert ru.last.button_texts[:3] == [
        "Алматинская область (Талдыкорган)", "Мангистауская область (Актау)",
        "город Алматы (электронная услуга)",
    ]
    await ru.click("Мангистауская")
    first = ru.last.text
    assert "⏱ 15 календарных дней" in first and "Бесплатно." in first, "the essentials come first"
    overview = await read_page(ru)
    assert "📍 Мангистауская область (Актау) · Управление внутренней политики Мангистауской области" in overview
    assert "Справка об учёте иностранного СМИ" in overview
    assert "⏱ 15 календарных дней" in overview
    assert "Не позднее 15 календарных дней с момента сдачи необходимых документов" in overview
    assert "Бесплатно." in overview and "10 минут" in overview

    await ru.click("Где и когда")
    where = await read_page(ru)
    assert "📍 г. Актау, 14 микрорайон, дом 1, кабинет 232" in where
    assert "☎️ 421300, 426610" in where and "✉️ dvpaktau@gmail.com" in where
    assert "🕘 понедельник – пятница, 09:00–18:30" in where
    assert "Перерыв на обед 12:30–14:00" in where
    assert "фамилии и инициалов лица, принявшего обращение" in where

    await ru.click("Документы")
    documents = await read_page(ru)
    assert documents.count("\n1. ") == 1 and "\n3. Копия свидетельства" in documents
    assert "— <i>если СМИ распространяет физическое лицо (ИП)</i>" in documents
    assert documents.count("\n• ") == 7, "the seven fields of the application"

    await ru.click("Отказ")
    assert "\n5. В отношении продукции иностранного СМИ имеется решение суда" in await read_page(ru)

    await ru.click("Жалобы")
    complaints = await read_page(ru)
    assert "На чьё имя: Начальник Управления" in complaints and "кабинет 235" in complaints

    await ru.click("Контакты")
    contacts = await read_page(ru)
    assert "☎️ 436138" in contacts and "Первая и третья пятница каждого месяца, 15:00–18:00" in contacts
    assert "⚠️ В казахском тексте стандарта часы приёма" in contacts

    await ru.click("Качество")
    first = ru.last.text
    assert first.count("\n• ") >= 2 and "—\xa0" not in first and " / " not in first, "plain lines, not a table"
    assert "• Доля случаев предоставления услуги в установленный срок с момента сдачи документов: " \
           "норматив — 95\xa0%, цель на следующий год — 95\xa0%, сейчас — 90\xa0%." in first
    quality = await read_page(ru)
    assert "• Доля обоснованных жалоб к общему количеству обслуженных потребителей по данному виду услуг: " \
           "норматив — 0,4\xa0%, цель на следующий год — 0,3\xa0%, сейчас — 0,4\xa0%." in quality
    assert "📊 Качество" not in ru.last.button_texts, "the current page has no button"


async def test_psc_certificate_city_then_centre_kk(kk: ChatClient) -> None:
    await kk.start_in("Қазақша")
    await kk.click("Қызметтер")
    await kk.click("Әскери қызмет туралы анықтама")
    assert "Қалаңызды таңдаңыз:" in kk.last.text
    cities = kk.last.button_texts
    assert cities[:4] == ["Ақтау", "Ақтөбе", "Алматы", "Астана"]
    assert "Қарағанды" in cities
    await kk.click("Қарағанды")
    assert "Қарағанды: мекемені таңдаңыз:" in kk.last.text
    assert kk.last.button_texts[:3] == [
        "Қарағанды қаласының N 1 Халыққа қызмет көрсету орталығы",
        "Қарағанды қаласының N 2 Халыққа қызмет көрсету орталығы",
        "Қарағанды қаласының N 3 Халыққа қызмет көрсету орталығы",
    ]
    await kk.click("N 2")
    assert "⏱ 3 жұмыс күні" in kk.last.text
    assert "Толығырақ ›" in kk.last.button_texts
    assert "Мерзім 1 айға дейін ұзартылуы мүмкін:" in await read_page(kk)
    assert "‹ Қысқаша" in kk.last.button_texts and "Толығырақ ›" not in kk.last.button_texts
    await kk.click("‹ Қысқаша")
    assert "⏱ 3 жұмыс күні" in kk.last.text, "back to the essentials"
    await kk.click("Қайда және қашан")
    where = await read_page(kk)
    assert "📍 Қарағанды қ., Қазыбек би ауданы, Чкалов к-сі, 7 үй" in where and "☎️ 41-63-03" in where
    assert "🕘 дүйсенбі – сенбі, 09:00–20:00" in where
    assert "Қабылдау алдын ала жазылусыз, (электрондық) кезек" in where
    assert "📅 Стандартта алдын ала жазылу жоқ: құжаттар кезек тәртібімен қабылданады. «Кеңес» сізге " \
           "таңдаған күн мен уақытқа сол кезектен орын брондайды." in where, "the booking button explained"
    assert "📅 Қабылдауға жазылу" in kk.last.button_texts
    await kk.click("Құжаттар")
    documents = await read_page(kk)
    assert "Әскери билет немесе әскери билеттің орнына берілген уақытша куәлік" in documents
    assert "— <i>сіздің жағдайыңызда мұрағаттық анықтама қажет болса" in documents
    assert "Иә, қажет / Білмеймін" not in documents, "the condition in words, not answers to an unasked question"


async def test_second_page_of_cities_and_back_navigation(ru: ChatClient) -> None:
    await ru.start_in("Русский")
    await ru.click("Услуги")
    await ru.click("льготников")
    assert "Шымкент" not in ru.last.button_texts
    assert ru.last.button_texts[-4:-2] == ["1/2", "›"], "the pager reads «1/2 ›»"
    assert "‹" not in ru.last.button_texts
    await ru.click("›", exact=True)
    assert "Шымкент" in ru.last.button_texts
    assert "‹" in ru.last.button_texts and "2/2" in ru.last.button_texts and "›" not in ru.last.button_texts
    await ru.click("Шымкент")
    assert len([t for t in ru.last.button_texts if "Шымкента" in t]) == 2
    await ru.click("№ 1")
    assert "Центр обслуживания населения № 1 г. Шымкента" in ru.last.text
    await ru.click("⬅️")
    assert "Шымкент: выберите, куда обратиться:" in ru.last.text, "back to the centres"
    await ru.click("⬅️")
    assert "Выберите город:" in ru.last.text
    await ru.click("⬅️")
    assert ru.last.text == "Какая услуга вам нужна?"
    await ru.click("⬅️")
    assert "Кеңес — ваш помощник" in ru.last.text


async def test_e_service_card_ru(ru: ChatClient) -> None:
    await ru.start_in("Русский")
    await ru.click("Услуги")
    await ru.click("СМИ")
    await ru.click("город Алматы")
    await ru.click("Где и когда")
    where = await read_page(ru)
    assert "www.egov.kz" in where and "☎️ 1414" in where
    assert "Статусы заявки" in where and "1. Поступило" in where
    await ru.click("Качество")
    quality = await read_page(ru)
    assert "В этом регламенте нет таблицы показателей." in quality
    assert "Опрос об удовлетворённости" in quality
    await ru.click("Отказ")
    assert "пунктом 6 постановления Правительства № 843" in await read_page(ru)


async def test_services_command(ru: ChatClient) -> None:
    await ru.send("/services")
    assert ru.last.text == "Какая услуга вам нужна?"
