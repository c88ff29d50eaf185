"""Understanding questions: spellings, places, facts, other subjects (no Telegram)."""

from __future__ import annotations

import pytest

from domain.catalog import load_catalog
from domain.facts import FACTS, Focus, group
from understanding.engine import Understanding, candidates
from understanding.normalize import to_cyrillic, words


@pytest.fixture(scope="module")
def understanding() -> Understanding:
    return Understanding(load_catalog())


@pytest.mark.parametrize(("text", "expected"), [
    ("gde tson v shymkente", ("где", "цон", "в", "шымкенте")),
    ("zapisatsya zaranee", ("записатся", "заранее")),
    ("tson semey telefon", ("цон", "семеи", "телефон")),
    ("Қазыбек би ауданындағы ЦОН", ("казыбек", "би", "ауданындагы", "цон")),
    ("№2 ЦОН", ("2", "цон")),
    ("электронная почта управления dvpaktau@gmail.com", ("електронная", "почта", "управления", "dvpaktau",
                                                        "gmail", "com")),  # mostly Cyrillic: Latin kept
])
def test_words(text: str, expected: tuple[str, ...]) -> None:
    assert words(text) == expected


def test_kazakh_latin() -> None:
    assert to_cyrillic("qujattar qandai kerek") == "кужаттар кандаи керек"


@pytest.mark.parametrize(("text", "facts", "offices"), [
    ("телефон ЦОН в Караганде Казыбек би", ("phone",), {"psc_karaganda_2"}),
    ("Өскемен 3-ші ХҚО мекенжайы", ("address",), {"psc_oskemen_3"}),
    ("второй цон алматинского района астаны телефон", ("phone",), {"psc_astana_almaty_2"}),
    ("алмалы ауданы халыкка кызмет корсету орталыгы кай жерде", ("address",), {"psc_almaty_almaly"}),
    ("где цон в шымкенте и до скольки работает", ("address", "hours"), {"psc_shymkent_1", "psc_shymkent_2"}),
])
def test_centres_and_facts(understanding: Understanding, text: str, facts: tuple[str, ...], offices: set[str]) -> None:
    query = understanding.parse(text)
    assert query.kind == "facts" and set(facts) <= set(query.facts)
    assert {p.office.id for p in candidates(understanding.catalog, query).placements} == offices


@pytest.mark.parametrize("text", [
    "сколько стоит справка о несудимости в цоне", "погода в Шымкенте завтра", "как получить гражданство Казахстана",
    "пособие на ребенка через цон как оформить", "миссионерлер туралы реферат жазып берші",
    "пароль от эцп забыл", "бақ отырғызу үшін рұқсат керек пе",
])
def test_other_subjects(understanding: Understanding, text: str) -> None:
    assert understanding.parse(text).kind == "out_of_scope"


@pytest.mark.parametrize("text", [
    "мы ИП, продаём иностранные журналы в магазинах, нужен учёт?",  # "магазин" beside a service
    "в актау иностранцы без гражданства могут регистрироваться миссионерами?",
    "справка ВОВ ардагеріне документы керек қандай",  # "қандай" is no typo of "қандас"
])
def test_a_word_of_another_subject_beside_a_service(understanding: Understanding, text: str) -> None:
    assert understanding.parse(text).kind == "facts"


def test_an_indicator_not_the_procedure(understanding: Understanding) -> None:
    query = understanding.parse("какая доля должна ждать в очереди не более 40 минут в ЦОН")
    assert query.facts == ("quality",) and query.focus.indicators == ("1.2",)


def test_small_talk(understanding: Understanding) -> None:
    assert [understanding.parse(t).smalltalk for t in ("рахмет", "привет", "до свидания", "ты кто")] == [
        "thanks", "hello", "bye", "who"]


def test_the_fact_index_groups_equal_answers() -> None:
    catalog = load_catalog()
    centres = [p for p in catalog.placements if p.office.kind == "psc"]
    assert len(group(centres, ["hours"])) == 1, "every centre has the same hours"
    assert len(group(centres, ["phone"])) == 27, "and a phone of its own"
    assert len(group(centres, ["deadline"])) == 1
    aktau = [p for p in catalog.placements if p.office.id == "psc_aktau"]
    assert FACTS["quality"].value_of(aktau[0], Focus(indicators=("1.2",))) != FACTS["quality"].value_of(aktau[0])


def test_endings_typos_and_voiced_consonants() -> None:
    """A Kazakh stem's voiced ending is the same word; a different last letter is another
    ending, not a typo; a typo inside a long stem is still forgiven."""
    from understanding.phrases import StemMatcher

    match = StemMatcher()
    assert match("женилдик", "женилдиги") and match("китап", "китабы")
    assert not match("тапсыру", "тапсырдым") and not match("жазылым", "жазылып")
    assert match("миссионер", "мисионерлер") and match("получит", "получт")


@pytest.mark.parametrize(("text", "facts"), [
    ("сдал документы в цон неделю назад, справки до сих пор нет", ("deadline", "extension")),
    ("әскери анықтамаға тапсырған құжатта қате болса", ("returns",)),
    ("подал жалобу в цон, её зарегистрировали?", ("complaint", "complaint_registration")),
    ("в цоне очередь уже час, это нормально?", ("queue", "quality")),
])
def test_context_is_not_the_question(understanding: Understanding, text: str, facts: tuple[str, ...]) -> None:
    assert set(understanding.parse(text).facts) == set(facts)


def test_no_service_named_is_remembered(understanding: Understanding) -> None:
    assert not understanding.parse("анықтамаға қандай құжаттар керек").service_named
    assert understanding.parse("әскери анықтамаға қандай құжаттар керек").service_named


def test_every_fact_of_every_placement_can_be_grouped() -> None:
    """Answers are grouped by their values: each must be comparable (the application's fields
    hold lists since the form engine)."""
    catalog = load_catalog()
    for fact in FACTS:
        assert group(catalog.placements, [fact]), fact
