"""Free-text questions through the real dispatcher: the exact fact first, a question back only
where the answer differs, an honest answer outside the catalog, small talk."""

from __future__ import annotations

from tests.telegram import ChatClient

ELSEWHERE = "🙏 С этим я здесь помочь не могу: я знаю только эти услуги:"


async def test_a_centres_phone_by_its_district(ru: ChatClient) -> None:
    """The appendix gives every centre's phone; a district picks the centre; no "which service"."""
    await ru.start_in("Русский")
    await ru.send("телефон цона в Караганде Казыбек би")
    assert ru.last.text == "🏢 Центр обслуживания населения № 2 г. Караганды\n☎️ 41-63-03"
    assert ru.last.button_texts[0] == "☎️ Контакты", "the card page the fact comes from"


async def test_a_centre_by_its_number_in_latin_letters(ru: ChatClient) -> None:
    await ru.start_in("Русский")
    await ru.send("ust-kamenogorsk tson 2 telefon")
    assert "☎️ 29-61-28" in ru.last.text and "№ 2 г. Усть-Каменогорска" in ru.last.text


async def test_russian_in_latin_letters_and_two_centres_at_once(ru: ChatClient) -> None:
    await ru.start_in("Русский")
    await ru.send("gde tson v shymkente")
    text = ru.last.text
    assert "№ 1 г. Шымкента" in text and "№ 2 г. Шымкента" in text
    assert text.count("📍 г. Шымкент, ул. Мадели кожа, без номера") == 2


async def test_kazakh_typed_with_russian_letters(kk: ChatClient) -> None:
    await kk.start_in("Қазақша")
    await kk.send("миссионерлерди тиркеу кужаттары атырау")
    assert "Атырау облысының ішкі саясат департаменті" in kk.last.text
    assert "Қазақстан Республикасының аумағында болуға арналған виза" in kk.last.text


async def test_an_office_fact_needs_no_service(ru: ChatClient) -> None:
    """Aktau's department serves two services; its hours are the same for both."""
    await ru.start_in("Русский")
    await ru.send("часы работы управления внутренней политики в Актау")
    text = ru.last.text
    assert "Какая услуга вам нужна?" not in text
    assert "🕘 понедельник – пятница, 09:00–18:30, обед 12:30–14:00" in text
    assert "Центр обслуживания населения" not in text, "the type of office named is kept"


async def test_a_region_with_one_service_asks_nothing(kk: ChatClient) -> None:
    await kk.start_in("Қазақша")
    await kk.send("Атырау ішкі саясат департаменті директоры қашан қабылдайды")
    assert "👤 Департамент директоры: Әр айдың 3-ші бейсенбісі, 15:00–18:00, ☎️ 35-40-88" in kk.last.text


async def test_the_indicator_asked_not_the_procedure(ru: ChatClient) -> None:
    await ru.start_in("Русский")
    await ru.send("какой процент должен ждать в очереди не больше 40 минут в цоне")
    text = ru.last.text
    assert "📊 1.2 Доля потребителей, ожидавших получения услуги в очереди не более 40 минут: " \
           "норматив 90\u00a0%, цель на следующий год 50\u00a0%" in text
    assert "Время ожидания в очереди" not in text


async def test_facts_no_question_reached_before(ru: ChatClient, kk: ChatClient) -> None:
    await ru.start_in("Русский")
    await ru.send("справку о службе не успел забрать, сколько хранят")
    assert "Центр хранит их 1 месяц" in ru.last.text
    await ru.send("что пишут в расписке в цоне")
    assert ru.last.text == "Какая услуга вам нужна?", "the two certificates' receipts list different things"
    await ru.click("🎖 Справка о воинской службе")
    assert "Выдаётся расписка о приёме документов, в которой указаны" in ru.last.text
    await kk.start_in("Қазақша")
    await kk.send("егов арқылы шетелдік басылым тіркеуде статустар қандай")
    assert "1. Келіп түскен\n2. Жұмыста" in kk.last.text


async def test_several_facts_in_one_question(ru: ChatClient) -> None:
    await ru.start_in("Русский")
    await ru.send("адрес и телефон цона в Павлодаре")
    text = ru.last.text
    assert "<b>Адрес</b>\n📍 г. Павлодар, ул. Павлова, 48" in text and "<b>Телефон</b>\n☎️ 33-47-55" in text


async def test_indirect_questions(ru: ChatClient) -> None:
    await ru.start_in("Русский")
    await ru.send("если военный билет утерян")
    assert "за временным удостоверением взамен него обратитесь в местный орган военного управления" in ru.last.text
    await ru.send("что с собой взять миссионеру в атырау")
    assert "6. Виза на пребывание в Республике Казахстан" in ru.last.text


async def test_another_service_gets_the_honest_answer(ru: ChatClient, kk: ChatClient) -> None:
    await ru.start_in("Русский")
    for question in ("сколько стоит справка о несудимости в цоне", "цон в Актобе права поменять",
                     "медаль ветерану к 9 мая где получить"):
        await ru.send(question)
        assert ru.last.text.startswith(ELSEWHERE), question
        assert "egov.kz" in ru.last.text and "1414" in ru.last.text
        assert "💰" not in ru.last.text and "📍" not in ru.last.text, "no fact of the catalog"
        assert ru.last.button_texts == ["🌐 eGov.kz", "👩‍💼 Связаться с сотрудником", "🏠 Главное меню"]
    await kk.start_in("Қазақша")
    await kk.send("Павлодар ЦОН-да төлқұжатты қанша күнде жасайды")
    assert kk.last.text.startswith("🙏 Бұл сұрақ бойынша мұнда көмектесе алмаймын")


async def test_a_city_alone_is_not_a_question(ru: ChatClient) -> None:
    await ru.start_in("Русский")
    await ru.send("Шымкент")
    assert ru.last.text.startswith("🤔 Шымкент: что вы хотите узнать?")


async def test_small_talk(ru: ChatClient, kk: ChatClient) -> None:
    await kk.start_in("Қазақша")
    for text, reply in (("рахмет", "🙏 Оқасы жоқ!"), ("сәлем", "👋 Сәлеметсіз бе!"),
                        ("сау болыңыз", "👋 Сау болыңыз!")):
        await kk.send(text)
        assert kk.last.text.startswith(reply), text
    await ru.start_in("Русский")
    for text, reply in (("спасибо", "🙏 Пожалуйста!"), ("до свидания", "👋 До свидания!"),
                        ("ты кто?", "🤖 Я «Кеңес», бот")):
        await ru.send(text)
        assert ru.last.text.startswith(reply), text


async def test_a_question_back_only_where_answers_differ(kk: ChatClient, ru: ChatClient) -> None:
    await kk.start_in("Қазақша")
    await kk.send("ХҚО телефоны")
    assert "Қалаңызды таңдаңыз:" in kk.last.text
    await kk.click("Павлодар")
    assert "☎️ 33-47-55" in kk.last.text
    await ru.start_in("Русский")
    await ru.send("цон в субботу работает?")
    assert "🕘 понедельник – суббота, 09:00–20:00, без перерыва на обед" in ru.last.text
    assert "🏢 Одинаково во всех 27 учреждениях" in ru.last.text


async def test_no_office_in_the_named_city(ru: ChatClient) -> None:
    """Missionaries are not registered in Almaty city: said, then the three offices that do."""
    await ru.start_in("Русский")
    await ru.send("где регистрируют миссионеров в алмате")
    assert ru.chat[-2].text == "Для места «Алматы» у меня нет учреждения по этой услуге. Вот где её оказывают:"
    for office in ("кабинет 632, тел. 27-38-24", "г. Актау, 14 микрорайон, дом 1, кабинет 228",
                   "г. Атырау, ул. Айтеке би, 77, кабинет 109"):
        assert office in ru.last.text


async def test_not_understood_offers_the_menu(ru: ChatClient, kk: ChatClient) -> None:
    await ru.send("ммм ааа")
    assert ru.last.text.startswith("🤔 Извините, я не понял вопрос.")
    assert ru.last.button_texts == ["🏠 Главное меню"]
    await ru.click("Главное меню")
    assert "Кеңес — ваш помощник" in ru.last.text


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


# --- issue 13: the kinds of failure, each through the dispatcher, in both languages ----------------

async def test_documents_with_errors_are_returned_in_one_working_day(ru: ChatClient, kk: ChatClient) -> None:
    await kk.start_in("Қазақша")
    await kk.send("әскери анықтама құжаттарында қате болса не болады")
    assert "↩️ <b>1 жұмыс күні</b>: Құжаттарды ресімдеу кезінде қателіктер" in kk.last.text
    await ru.start_in("Русский")
    await ru.send("если в документах на справку льготнику ошибка, что будет")
    assert "↩️ <b>1 рабочий день</b>: Если при оформлении выявлены ошибки" in ru.last.text
    assert "🎖" not in ru.last.text, "only the certificate asked about"


async def test_an_uncollected_result_is_kept_a_month(kk: ChatClient) -> None:
    await kk.start_in("Қазақша")
    await kk.send("миссионер куәлігін Ақтауда уақытында алмасам қанша сақталады")
    assert "🗄 <b>1 айға дейін</b>: Белгіленген мерзімде алынбаған құжаттар бір ай бойы сақталады." in kk.last.text


async def test_kazakh_voiced_endings_name_the_one_service(kk: ChatClient) -> None:
    """«жеңілдігі» is a form of «жеңілдік»: the veterans' certificate alone, its term and extensions."""
    await kk.start_in("Қазақша")
    await kk.send("жеңілдігі бар адамдарға анықтама неше күнде дайын")
    text = kk.last.text
    assert "⏱ <b>3 жұмыс күні</b>" in text and "🎖" not in text
    assert "⏳ <b>3 айға дейін</b>: Жақын шетелдегі мемлекеттердің мұрағатынан" in text


async def test_a_term_with_a_missing_archive_answers_the_extension(ru: ChatClient) -> None:
    await ru.start_in("Русский")
    await ru.send("справку о службе делают сколько дней если архив не отвечает")
    text = ru.last.text
    assert "⏱ <b>3 рабочих дня</b>" in text and "⏳ <b>до 1 месяца</b>: Если нет сведений и информации" in text


async def test_another_ending_is_not_a_typo(kk: ChatClient) -> None:
    """«жазылып» (signing up) is not a misspelt «жазылым» (a subscription: another subject)."""
    await kk.start_in("Қазақша")
    await kk.send("ЦОН-ға онлайн жазылып барсам бола ма")
    assert "📅 Стандартта алдын ала жазылу жоқ" in kk.last.text


async def test_thanks_in_many_words_is_small_talk(ru: ChatClient, kk: ChatClient) -> None:
    await ru.start_in("Русский")
    await ru.send("спасибо большое")
    assert ru.last.text.startswith("🙏 Пожалуйста!")
    await kk.start_in("Қазақша")
    await kk.send("рахмет сізге")
    assert kk.last.text.startswith("🙏 Оқасы жоқ!")


async def test_e_service_statuses_and_where_to_follow_them(kk: ChatClient) -> None:
    await kk.start_in("Қазақша")
    await kk.send("егов арқылы өтінім мәртебесін қайдан көремін")
    text = kk.last.text
    assert "1. Келіп түскен\n2. Жұмыста" in text and "«Қызметті алу тарихы»" in text


async def test_every_web_site_the_standard_names(ru: ChatClient) -> None:
    await ru.start_in("Русский")
    await ru.send("на каком сайте почитать про справку о воинской службе")
    assert "🌐 www.minjust.kz, www.mod.kz" in ru.last.text


async def test_the_heads_reception_days_need_no_service(kk: ChatClient) -> None:
    await kk.start_in("Қазақша")
    await kk.send("Маңғыстау басқармасы бастығының қабылдау күндері")
    assert "👤 Басқарма бастығы: Әр айдың екінші және төртінші сәрсенбісі, 15:00–18:00" in kk.last.text


async def test_a_catalog_word_inside_another_subject_is_out_of_scope(kk: ChatClient) -> None:
    await kk.start_in("Қазақша")
    await kk.send("шетелдік журналистерді аккредиттеу")
    assert kk.last.text.startswith("🙏 Бұл сұрақ бойынша мұнда көмектесе алмаймын")
    assert "📍" not in kk.last.text and "🏢" not in kk.last.text


async def test_no_service_named_and_answers_differ_asks_which(kk: ChatClient) -> None:
    await kk.start_in("Қазақша")
    await kk.send("анықтамаға қандай құжаттар керек")
    assert kk.last.text == "Сізге қандай қызмет керек?"


async def test_a_lost_military_id_points_to_the_archive_certificate(ru: ChatClient) -> None:
    await ru.start_in("Русский")
    await ru.send("дедушке справка для ветеранов нужна, а военный билет потерян")
    text = ru.last.text
    assert "Если он утерян, обратитесь в местный орган военного управления" in text
    assert "📑 4. <b>Архивная справка из центрального архива Министерства обороны" in text


async def test_an_indicators_words_without_quality_ask_the_procedure(kk: ChatClient) -> None:
    await kk.start_in("Қазақша")
    await kk.send("шетел БАҚ Ақтауда шағымдану тәртібі")
    assert "📣 Шағымдану тәртібін түсіндіру және шағым дайындауға жәрдем көрсету басқармада" in kk.last.text
    assert "235 кабинет" in kk.last.text


async def test_a_complaints_registration(ru: ChatClient, kk: ChatClient) -> None:
    await ru.start_in("Русский")
    await ru.send("подал жалобу на сотрудника цона, как узнать что её зарегистрировали")
    assert "🗂 Принятая жалоба регистрируется в журнале учёта информации Центра" in ru.last.text
    await kk.start_in("Қазақша")
    await kk.send("шағымым тіркелді ме қалай білемін, ХҚО")
    assert "🗂 Қабылданған шағым Орталықтың ақпаратты есепке алу журналында тіркеледі" in kk.last.text


async def test_another_certificate_of_the_centre_gets_no_fact(ru: ChatClient, kk: ChatClient) -> None:
    """«справка о регистрации по месту жительства», «мекенжай туралы анықтама»: a ЦОН
    certificate, but not one of these two; no address or window of the catalog is given."""
    await ru.start_in("Русский")
    await ru.send("справка о регистрации по месту жительства в цоне")
    assert ru.last.text.startswith(ELSEWHERE) and "📥" not in ru.last.text
    await kk.start_in("Қазақша")
    await kk.send("ХҚО-дан мекенжай туралы анықтама")
    assert kk.last.text.startswith("🙏 Бұл сұрақ бойынша мұнда көмектесе алмаймын")
