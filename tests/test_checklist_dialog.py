"""The interactive checklist through the real dispatcher, in both languages."""

from __future__ import annotations

from tests.telegram import ChatClient


async def start_checklist(client: ChatClient, language: str, check: str, service: str) -> None:
    await client.start_in(language)
    await client.click(check)
    await client.click(service)


async def test_entrepreneur_misses_one_document_ru(ru: ChatClient) -> None:
    await start_checklist(ru, "Русский", "Проверить мои документы", "СМИ")
    await ru.click("Алматинская область")
    assert "Вопрос 1 из 1" in ru.last.text and "Кто распространяет иностранное СМИ?" in ru.last.text
    await ru.click("Физическое лицо (ИП)")
    assert "Отметьте документы, которые у вас уже есть" in ru.last.text
    assert ru.last.button_texts[:2] == [
        "⬜ 1. Заявление установленного образца",
        "⬜ 2. Копия документа, подтверждающего право на…",
    ], "a long label ends at a word, with an ellipsis"
    assert "2. Копия документа, подтверждающего право на занятие предпринимательской деятельностью" \
           in ru.last.text, "the whole name is in the message"
    assert "юридического лица" not in ru.last.text, "the legal entity's copy does not apply"
    await ru.click("1. Заявление")
    assert ru.last.button_texts[0] == "✅ 1. Заявление установленного образца"
    await ru.click("Показать итог")

    summary = ru.last.text
    assert summary.startswith("📋 <b>Проверка документов</b>")
    assert "❌ <b>Пока не готово: не хватает 1 документа.</b>" in summary
    assert "• Копия документа, подтверждающего право на занятие предпринимательской деятельностью" in summary
    assert "➜ Сделайте копию вашего документа о регистрации в качестве индивидуального предпринимателя" in summary
    assert "☑️ Заявление установленного образца" in summary
    assert "▫️ Полный перечень названий распространяемых иностранных СМИ" in summary
    assert "Заявление и документы сдаются специалистам отдела" in summary and "кабинет 634" in summary
    assert ru.last.button_texts == ["📝 Подать онлайн", "📄 Карточка услуги", "🔁 Проверить заново", "🏠 Главное меню"]
    summary_message = ru.last
    await ru.click("Карточка услуги")
    assert "⏱ 15 календарных дней" in ru.last.text
    assert summary_message.text == summary and summary_message.buttons == [], (
        "the summary stays in the chat, without buttons, to keep or forward"
    )


async def test_foreign_missionary_in_atyrau_is_ready_kk(kk: ChatClient) -> None:
    await start_checklist(kk, "Қазақша", "Құжаттарымды тексеру", "Миссионерлерді тіркеу")
    await kk.click("Атырау")
    await kk.click("Шетелдікпін")
    labels = kk.last.button_texts
    assert len([label for label in labels if label.startswith("⬜")]) == 6
    assert "Қазақстан Республикасының аумағында болуға арналған виза" in kk.last.text
    for number in range(1, 7):
        await kk.click(f"{number}. ")
    await kk.click("Қорытындыны көрсету")
    summary = kk.last.text
    assert "✅ <b>Тапсыруға дайын: барлық 6 құжат бар.</b>" in summary
    assert "104 кабинет, тел. 35-40-88" in summary
    assert "⏱ 7 күнтізбелік күн · Тегін: жеке тұлғаларға ақысыз көрсетіледі." in summary


async def test_citizen_needs_no_visa(kk: ChatClient) -> None:
    await start_checklist(kk, "Қазақша", "Құжаттарымды тексеру", "Миссионерлерді тіркеу")
    await kk.click("Атырау")
    await kk.click("Иә, ҚР азаматымын")
    assert "виза" not in kk.last.text.lower()
    assert len([label for label in kk.last.button_texts if label.startswith("⬜")]) == 5


async def test_going_back_changes_the_answer(ru: ChatClient) -> None:
    await start_checklist(ru, "Русский", "Проверить мои документы", "СМИ")
    await ru.click("Мангистауская")
    await ru.click("Физическое лицо")
    assert "предпринимательской" in ru.last.text
    await ru.click("⬅️")
    assert "Кто распространяет иностранное СМИ?" in ru.last.text
    await ru.click("Юрлицо")
    assert "регистрации юридического лица" in ru.last.text
    assert "предпринимательской" not in ru.last.text


async def test_no_questions_when_nothing_depends_on_them(ru: ChatClient) -> None:
    await start_checklist(ru, "Русский", "Проверить мои документы", "миссионеров")
    await ru.click("Мангистауская")
    assert "Отметьте документы" in ru.last.text
    assert len([label for label in ru.last.button_texts if label.startswith("⬜")]) == 5


async def test_checklist_from_a_psc_card_knows_the_centre(ru: ChatClient) -> None:
    await ru.start_in("Русский")
    await ru.click("Услуги")
    await ru.click("льготников")
    await ru.click("Актау")
    await ru.click("Проверить мои документы")
    assert "Центр обслуживания населения г. Актау" in ru.last.text
    assert "Вопрос 1 из 2" in ru.last.text
    await ru.click("Нет, не нужна")
    assert "Вопрос 2 из 2" in ru.last.text and "Кто получает справку?" in ru.last.text
    await ru.click("Представитель по доверенности")
    assert "Доверенность на имя представителя" in ru.last.text
    await ru.click("Показать итог")
    summary = ru.last.text
    assert "не хватает 4 документов" in summary
    assert "📍 По всему Казахстану (центры обслуживания населения) · Центр обслуживания населения г. Актау" in summary
    assert "➜ Справка выдаётся самому льготнику или его представителю по доверенности" in summary


async def test_check_again_clears_the_ticks(ru: ChatClient) -> None:
    await start_checklist(ru, "Русский", "Проверить мои документы", "миссионеров")
    await ru.click("Мангистауская")
    await ru.click("1. ")
    await ru.click("Показать итог")
    await ru.click("Проверить заново")
    assert "Отметьте документы" in ru.last.text
    assert all(label.startswith("⬜") for label in ru.last.button_texts if ". " in label)
    assert ru.chat[-2].text.startswith("📋"), "the earlier summary is still there"


async def test_double_click_on_done_gives_one_summary(ru: ChatClient) -> None:
    await start_checklist(ru, "Русский", "Проверить мои документы", "миссионеров")
    await ru.click("Мангистауская")
    await ru.double_click("Показать итог")
    assert [m.text.startswith("📋") for m in ru.chat].count(True) == 1
    assert ru.last.text.startswith("📋") and "🔁 Проверить заново" in ru.last.button_texts


async def test_forged_answer_is_ignored(ru: ChatClient) -> None:
    await start_checklist(ru, "Русский", "Проверить мои документы", "СМИ")
    await ru.click("Алматинская область")
    _, button = ru.button("Физическое лицо")
    forged = button.callback_data.rsplit(":", 1)[0] + ":hacker"
    await ru.click_data(forged)
    assert "Кто распространяет иностранное СМИ?" in ru.last.text
    await ru.click("Юрлицо")
    assert "регистрации юридического лица" in ru.last.text


async def test_checklist_labels_end_at_a_word_kk(kk: ChatClient) -> None:
    await start_checklist(kk, "Қазақша", "Құжаттарымды тексеру", "Әскери")
    await kk.click("Иә, қажет")
    documents = [t[2:] for t in kk.last.button_texts if t.startswith("⬜ ")]
    assert len(documents) == 4
    for label in documents:
        assert len(label) <= 48
        if label.endswith("…"):
            start = label[:-1]
            assert start in kk.last.text and kk.last.text.split(start, 1)[1][0] in " ,(", label
