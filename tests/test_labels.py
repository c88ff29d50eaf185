"""Every member of every status type has a label, translated in Kazakh and in Russian, and the
labels of one type are distinct (a clerk and an applicant can tell the statuses apart)."""

from __future__ import annotations

from enum import StrEnum

import pytest

from domain.complaints import ComplaintAction, ComplaintStatus, Outcome
from domain.lifecycle import Action, Status
from domain.slots import BookingStatus
from presentation.i18n import create_i18n
from presentation.labels import (
    LABELS,
    complaint_event,
    complaint_outcome,
    complaint_status,
    event_name,
    status_name,
    visit_status,
)

LABEL_OF = {Status: status_name, Action: event_name, BookingStatus: visit_status,
            ComplaintStatus: complaint_status, Outcome: complaint_outcome, ComplaintAction: complaint_event}


def test_every_status_type_is_labelled() -> None:
    assert set(LABELS) == set(LABEL_OF)
    for enum, names in LABELS.items():
        assert set(names) == set(enum), f"{enum.__name__}: members without a label"


@pytest.mark.parametrize("locale", ["kk", "ru"])
@pytest.mark.parametrize("enum", list(LABEL_OF), ids=lambda e: e.__name__)
def test_every_member_has_a_translated_label(enum: type[StrEnum], locale: str) -> None:
    i18n = create_i18n("ru")
    with i18n.context(), i18n.use_locale(locale):
        labels = {member: LABEL_OF[enum](member) for member in enum}
        stored = {member: LABEL_OF[enum](member.value) for member in enum}  # as read from a string
    for member, label in labels.items():
        assert label and label != LABELS[enum][member], f"{locale}: {member!r} is not translated"
        assert label != member.value
    assert stored == labels
    assert len(set(labels.values())) == len(labels), f"{locale}: two members of {enum.__name__} read alike"
