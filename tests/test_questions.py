"""Free-text questions through the real dispatcher: the card, the exact fact, or a question back."""

from __future__ import annotations

from tests.telegram import ChatClient


async def test_documents_for_a_missionary_asks_the_region(ru: ChatClient) -> None:
    await ru.start_in("Русский")
    await ru.send("какие документы нужны миссионеру")
    assert "Где вы будете обращаться?" in ru.last.text
    assert ru.last.button_texts[:3] == [
        "Алматинская область (Талдыкорган)", "Мангистауская область (Актау)", "Атырауская область (Атырау)",
    ]
    await ru.click("Атырауская")
    answer = ru.last.text
    assert answer.startswith("🕊 <b>Учётная регистрация (перерегистрация) лиц")
    assert "📍 Департамент внутренней политики Атырауской области" in answer
    assert "6. Виза на пребывание в Республике Казахстан — <i>только если: Иностранец / без гражданства</i>" in answer
    assert ru.last.button_texts[:2] == ["📄 Полная карточка", "✅ Проверить мои документы"]
    await ru.click("Полная карточка")
    assert "⏱ 7 календарных дней" in ru.last.text


async def test_days_for_a_certificate_answered_at_once(ru: ChatClient) -> None:
    await ru.start_in("Русский")
    await ru.send("сколько дней делают справку")
    answer = ru.last.text
    assert "🎖 <b>Справка о воинской службе</b>" in answer and "🏅 <b>Справка для льготников</b>" in answer
    assert "📍 Одинаково во всех местах обслуживания (27)" in answer
    assert "⏱ 3 рабочих дня" in answer
    assert "может быть продлён до 1 месяца" in answer and "может быть продлён до 3 месяцев" in answer


async def test_aktau_hours_lists_both_offices_kk(kk: ChatClient) -> None:
    await kk.start_in("Қазақша")
    await kk.send("Ақтау жұмыс уақыты")
    answer = kk.last.text
    assert "📍 Маңғыстау облыстық ішкі саясат басқармасы" in answer
    assert "🕘 дүйсенбі – жұма, 09:00–18:30, түскі үзіліс 12:30–14:00" in answer
    assert "📍 Ақтау қаласының Халыққа қызмет көрсету орталығы" in answer
    assert "🕘 дүйсенбі – сенбі, 09:00–20:00" in answer


async def test_military_certificate_asks_the_city_kk(kk: ChatClient) -> None:
    await kk.start_in("Қазақша")
    await kk.send("әскери қызмет туралы анықтама")
    assert "Әскери қызметтен өткенін растау туралы анықтама" in kk.last.text
    assert "Қалаңызды таңдаңыз:" in kk.last.text
    await kk.click("Павлодар")
    assert "Павлодар қаласының Халыққа қызмет көрсету орталығы" in kk.last.text
    assert "⏱ 3 жұмыс күні" in kk.last.text


async def test_psc_address_in_karaganda(ru: ChatClient) -> None:
    await ru.start_in("Русский")
    await ru.send("адрес ЦОНа в Караганде")
    assert "Караганда: выберите, куда обратиться:" in ru.last.text
    await ru.click("№ 3")
    answer = ru.last.text
    assert "📍 г. Караганда, Октябрьский район, 21 микрорайон, 67" in answer
    assert "☎️ 42-72-60 (вн. 137)" in answer
    assert "🎖" in answer and "🏅" in answer, "the address is the same for both certificates"


async def test_no_office_in_the_named_city(ru: ChatClient) -> None:
    await ru.start_in("Русский")
    await ru.send("где регистрируют миссионеров в алмате")
    assert "Для места «Алматы» у меня нет учреждения по этой услуге. Вот где её оказывают:" in ru.chat[-2].text
    assert "Где вы будете обращаться?" in ru.last.text


async def test_a_question_without_a_service_asks_for_it(kk: ChatClient) -> None:
    await kk.start_in("Қазақша")
    await kk.send("шағымды қайда беремін")
    assert kk.last.text == "Сізге қандай қызмет керек?"
    await kk.click("Миссионерлерді тіркеу")
    await kk.click("Маңғыстау")
    assert "Кімнің атына: Басқарма бастығы" in kk.last.text


async def test_not_understood_offers_the_menu(ru: ChatClient, kk: ChatClient) -> None:
    await ru.send("продам гараж недорого")
    assert ru.last.text.startswith("Извините, я не понял вопрос.")
    assert ru.last.button_texts == ["🏠 Главное меню"]
    await ru.click("Главное меню")
    assert "Кеңес — ваш помощник" in ru.last.text
    await kk.send("ертең ауа райы қандай")
    assert kk.last.text.startswith("Кешіріңіз, сұрақты түсінбедім.")


async def test_a_question_in_the_middle_of_a_checklist_keeps_it(ru: ChatClient) -> None:
    await ru.start_in("Русский")
    await ru.click("Проверить мои документы")
    await ru.click("миссионеров")
    await ru.click("Мангистауская")
    await ru.click("1. ")
    await ru.send("сколько стоит регистрация миссионера")
    assert "💰 Бесплатно" in ru.last.text
    await ru.click("⬅️")
    assert "Отметьте документы" in ru.last.text
    assert ru.last.button_texts[0].startswith("✅ 1."), "the tick is still there"
