"""The catalog carries the standards' facts accurately: numbers checked against the sources."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from domain.catalog import CATALOG_DIR, Catalog, CatalogError, load_catalog
from domain.surveys import SURVEY_QUESTIONS, survey_questions

SOURCES = CATALOG_DIR / "sources"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def squeezed(text: str) -> str:
    """Text without any whitespace: the sources print some lines letter-spaced."""
    return re.sub(r"\s+", "", text)


def source_of(standard_id: str, catalog: Catalog) -> str:
    return squeezed((SOURCES / catalog.standard(standard_id).source_file).read_text(encoding="utf-8"))


# Read off the sources by hand: deadline, queue limits, the room and phones of the office,
# the documents (ids, in order) and the number of refusal grounds.
EXPECTED = {
    "almaty_oblast_foreign_media": dict(
        days=15, unit="calendar", queue=(40, 30), room="634", phones=["27-01-71"],
        documents=["application", "entrepreneur_document", "legal_registration"], refusals=5,
    ),
    "almaty_oblast_missionary": dict(
        days=7, unit="calendar", queue=(40, 30), room="632", phones=["27-38-24"],
        documents=["application", "power_of_attorney", "home_registration", "invitation", "materials",
                   "identity_citizen", "identity_foreigner"],
        refusals=2,
    ),
    "atyrau_missionary": dict(
        days=7, unit="calendar", queue=(40, 30), room="109", phones=["27-08-99"],
        documents=["application", "power_of_attorney", "home_registration", "invitation", "materials", "visa"],
        refusals=2,
    ),
    "mangystau_foreign_media": dict(
        days=15, unit="calendar", queue=(10, 10), room="232", phones=["421300", "426610"],
        documents=["application", "entrepreneur_document", "legal_registration"], refusals=5,
    ),
    "mangystau_missionary": dict(
        days=7, unit="calendar", queue=(10, 10), room="228", phones=["421300", "426610"],
        documents=["application", "power_of_attorney", "home_registration", "invitation", "materials"],
        refusals=0,
    ),
    "psc_military_service_certificate": dict(
        days=3, unit="working", queue=(30, None), room=None, phones=None,
        documents=["application", "military_id", "id_card_copy", "archive_certificate"], refusals=0,
    ),
    "psc_benefits_certificate": dict(
        days=3, unit="working", queue=(30, None), room=None, phones=None,
        documents=["application", "military_id", "id_card_copy", "archive_certificate", "power_of_attorney"],
        refusals=0,
    ),
    "almaty_city_foreign_periodicals": dict(
        days=15, unit="calendar", queue=(None, None), room=None, phones=["1414"],
        documents=["application", "entrepreneur_scan", "eds", "originals"], refusals=5,
    ),
}

# A phrase of each source that states the deadline, as printed there (whitespace ignored).
DEADLINE_IN_SOURCE = {
    "almaty_oblast_foreign_media": "тіркелген сәттен бастап -15 күн",
    "almaty_oblast_missionary": "тіркелген сәттен бастап- 7 күн",
    "atyrau_missionary": "тіркелген күннен бастап 7 күннің ішінде",
    "mangystau_foreign_media": "не позднее 15 календарных дней",
    "mangystau_missionary": "в течение 7 дней",
    "psc_military_service_certificate": "3 жұмыс күні",
    "psc_benefits_certificate": "3 күн",
    "almaty_city_foreign_periodicals": "15 күнтізбелік күн",
}


def test_every_standard_of_the_sources_is_in_the_catalog(catalog: Catalog) -> None:
    assert set(catalog.standards) == set(EXPECTED)
    assert {s.source_file for s in catalog.standards.values()} == {p.name for p in SOURCES.glob("*.txt")}
    assert [s.id for s in catalog.services] == [
        "foreign_media", "missionary", "military_service_certificate", "benefits_certificate",
    ]


@pytest.mark.parametrize("standard_id", sorted(EXPECTED))
def test_numbers_match_the_source(catalog: Catalog, standard_id: str) -> None:
    standard = catalog.standard(standard_id)
    expected = EXPECTED[standard_id]
    source = source_of(standard_id, catalog)
    assert (standard.deadline.days, standard.deadline.unit) == (expected["days"], expected["unit"])
    assert squeezed(DEADLINE_IN_SOURCE[standard_id]) in source
    assert (standard.queue.submit_minutes, standard.queue.collect_minutes) == expected["queue"]
    assert [d.id for d in standard.documents] == expected["documents"]
    assert len(standard.refusal_grounds) == expected["refusals"]
    if expected["room"] is not None:
        (office,) = catalog.offices_of(standard_id)
        assert office.room == expected["room"]
    if expected["phones"] is not None:
        (office,) = catalog.offices_of(standard_id)
        assert office.phones == expected["phones"]
    assert standard.free
    if standard_id != "almaty_city_foreign_periodicals":  # the e-service regulation is silent on cost
        assert "тегін" in source.lower() or "бесплатно" in source.lower()


def _numbers(text: str) -> set[str]:
    """Phone-like and multi-digit numbers (rooms, phones, postcodes, act numbers) in a text."""
    return {n for n in re.findall(r"\d[\d-]*\d", text) if len(n.replace("-", "")) >= 3}


@pytest.mark.parametrize("standard_id", sorted(EXPECTED))
def test_every_number_in_the_catalog_texts_is_in_the_source(catalog: Catalog, standard_id: str) -> None:
    """Rooms, phones, postcodes, dates: a typo in either language would show up here."""
    standard = catalog.standard(standard_id)
    source = source_of(standard_id, catalog)
    dump = standard.model_dump_json(exclude={"source_file"})
    missing = sorted(n for n in _numbers(dump) if n not in source)
    assert missing == []


def test_extensions_of_the_psc_deadlines(catalog: Catalog) -> None:
    for standard_id in ("psc_military_service_certificate", "psc_benefits_certificate"):
        months = [e.months for e in catalog.standard(standard_id).deadline.extensions]
        assert months == [1, 3]
    source = source_of("psc_military_service_certificate", catalog)
    assert squeezed("1 айға дейін ұзартылады") in source
    assert squeezed("3 айға дейін ұзартылады") in source


def test_the_27_public_service_centres(catalog: Catalog) -> None:
    centres = catalog.offices_of("psc_military_service_certificate")
    assert catalog.offices_of("psc_benefits_certificate") == centres
    assert [c.number for c in centres] == list(range(1, 28))
    source = source_of("psc_military_service_certificate", catalog)
    for centre in centres:
        for phone in centre.phones:
            assert squeezed(phone) in source, phone
        for number in re.findall(r"\d+", centre.address.kk):  # none for "б/н" (no number)
            assert number in source
    cities = {c.city_id for c in centres}
    assert len(cities) == 18
    karaganda = [c.number for c in centres if c.city_id == "karaganda"]
    assert karaganda == [14, 15, 16]
    assert next(c for c in centres if c.number == 17).city_id == "temirtau"
    assert next(c for c in centres if c.number == 27).city_id == "semey"


def test_schedules(catalog: Catalog) -> None:
    def hours(standard_id: str) -> tuple:
        s = catalog.standard(standard_id).schedule
        return (s.weekdays, str(s.opens), str(s.closes), tuple(str(t) for t in s.lunch or ()))

    weekdays = ["mon", "tue", "wed", "thu", "fri"]
    assert hours("almaty_oblast_foreign_media") == (weekdays, "09:00:00", "18:00:00", ("13:00:00", "14:00:00"))
    assert hours("atyrau_missionary") == (weekdays, "08:30:00", "18:00:00", ("12:30:00", "14:00:00"))
    assert hours("mangystau_missionary") == (weekdays, "09:00:00", "18:30:00", ("12:30:00", "14:00:00"))
    assert hours("psc_military_service_certificate") == ([*weekdays, "sat"], "09:00:00", "20:00:00", ())
    assert catalog.standard("almaty_city_foreign_periodicals").schedule.weekdays == []


def test_quality_tables(catalog: Catalog) -> None:
    table = {r.code: r for r in catalog.standard("mangystau_foreign_media").quality}
    assert [str(v) for v in (table["4.1"].normative, table["4.1"].target, table["4.1"].current)] == [
        "0.4", "0.3", "0.4",
    ]
    psc = catalog.standard("psc_military_service_certificate").quality
    assert all(row.current is None for row in psc)
    assert len(psc) == 12
    assert catalog.standard("almaty_city_foreign_periodicals").quality == []
    assert len(catalog.standard("almaty_city_foreign_periodicals").survey) == 2


def test_broken_file_is_named_with_its_field(tmp_path: Path) -> None:
    broken = tmp_path / "catalog"
    shutil.copytree(CATALOG_DIR, broken)
    path = broken / "standards" / "mangystau_missionary.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('ru = "В течение 7 дней с момента сдачи необходимых документов"\n', ""),
                    encoding="utf-8")
    with pytest.raises(CatalogError) as error:
        load_catalog(broken)
    assert str(error.value).startswith("catalog/standards/mangystau_missionary.toml: deadline.wording.ru:")


def test_unknown_reference_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "catalog"
    shutil.copytree(CATALOG_DIR, broken)
    path = broken / "standards" / "atyrau_missionary.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('when = { citizenship = ["foreigner"] }',
                                                             'when = { citizenship = ["alien"] }'),
                    encoding="utf-8")
    with pytest.raises(CatalogError, match=r"atyrau_missionary.toml: .*unknown options \['alien'\]"):
        load_catalog(broken)


def test_every_card_page_fits_a_telegram_message(services: object) -> None:
    """Every page of every card, in both languages, is translated and under 4096 characters."""
    from bot.app import Services

    assert isinstance(services, Services)
    catalog, renderer = services.catalog, services.renderer
    for placement in catalog.placements:
        standard = placement.standard
        context = dict(
            s=standard, office=placement.office, service=catalog.service(standard.service),
            region=catalog.regions[standard.region], indicators=catalog.indicators,
            groups=catalog.indicator_groups,
        )
        for page in ("overview", "where", "documents", "refusal", "complaints", "contacts", "quality"):
            for locale in ("kk", "ru"):
                text = renderer.render(f"card_{page}.j2", locale, **context)
                assert len(text) < 4096
                assert "What you get" not in text and "Working hours" not in text


def test_every_standard_has_a_survey_of_its_own() -> None:
    """After issuing, each service asks what its own standard measures (issue 15 item 2)."""
    catalog = load_catalog()
    for standard in catalog.standards.values():
        questions = survey_questions(standard, catalog.indicators)
        assert len(questions) == len(SURVEY_QUESTIONS), standard.id
        assert all(q.kk.endswith("?") and q.ru.endswith("?") for q in questions), standard.id
    paper = survey_questions(catalog.standard("mangystau_missionary"), catalog.indicators)
    assert [q.ru for q in paper] == ["Удовлетворены ли вы качеством процесса предоставления услуги?",
                                     "Удовлетворены ли вы качеством и информацией о порядке предоставления услуги?"]
    electronic = survey_questions(catalog.standard("almaty_city_foreign_periodicals"), catalog.indicators)
    assert "электронной государственной услуги" in electronic[0].ru
