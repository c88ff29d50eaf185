"""Checklist rules as plain domain code: which questions matter, what applies, what is missing."""

from __future__ import annotations

import pytest

from domain.catalog import Catalog, load_catalog
from domain.checklist import evaluate, next_question, relevant_questions, valid_answer


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def ids(documents: list) -> list[str]:
    return [d.id for d in documents]


def test_entrepreneur_or_legal_entity_decides_the_copy(catalog: Catalog) -> None:
    media = catalog.standard("almaty_oblast_foreign_media")
    assert [q.id for q in relevant_questions(media)] == ["applicant_kind"]
    assert ids(media.documents_for({"applicant_kind": "ie"})) == ["application", "entrepreneur_document"]
    assert ids(media.documents_for({"applicant_kind": "legal"})) == ["application", "legal_registration"]


def test_foreigner_in_atyrau_needs_a_visa(catalog: Catalog) -> None:
    atyrau = catalog.standard("atyrau_missionary")
    assert "visa" in ids(atyrau.documents_for({"citizenship": "foreigner"}))
    assert "visa" not in ids(atyrau.documents_for({"citizenship": "citizen"}))


def test_mangystau_missionaries_have_no_question(catalog: Catalog) -> None:
    standard = catalog.standard("mangystau_missionary")
    assert relevant_questions(standard) == []
    assert next_question(standard, {}) is None
    assert len(standard.documents_for({})) == 5


def test_archive_certificate_only_when_needed(catalog: Catalog) -> None:
    military = catalog.standard("psc_military_service_certificate")
    assert "archive_certificate" not in ids(military.documents_for({"archive": "no"}))
    assert "archive_certificate" in ids(military.documents_for({"archive": "yes"}))
    assert "archive_certificate" in ids(military.documents_for({"archive": "unsure"}))


def test_questions_come_in_order(catalog: Catalog) -> None:
    eservice = catalog.standard("almaty_city_foreign_periodicals")
    assert next_question(eservice, {}).id == "applicant_kind"
    assert next_question(eservice, {"applicant_kind": "ie"}).id == "channel"
    assert next_question(eservice, {"applicant_kind": "ie", "channel": "portal"}) is None
    assert valid_answer(eservice, "channel", "portal")
    assert not valid_answer(eservice, "channel", "fax")
    assert not valid_answer(eservice, "nonsense", "portal")


def test_result_names_what_is_missing(catalog: Catalog) -> None:
    benefits = catalog.standard("psc_benefits_certificate")
    answers = {"archive": "no", "proxy": "representative"}
    result = evaluate(benefits, answers, {"application", "military_id", "not_a_document"})
    assert not result.ready
    assert ids(result.missing) == ["id_card_copy", "power_of_attorney"]
    assert ids(result.present) == ["application", "military_id"]
    assert "not_a_document" not in result.have
    complete = evaluate(benefits, answers, {"application", "military_id", "id_card_copy", "power_of_attorney"})
    assert complete.ready and complete.missing == []
