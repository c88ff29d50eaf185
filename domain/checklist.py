"""Document checklist: which questions matter, which documents apply, what is missing."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from domain.catalog import Document, Question, Standard


def relevant_questions(standard: Standard) -> list[Question]:
    """The standard's questions whose answer changes the list of documents, in order."""
    used = {question for document in standard.documents for question in document.when}
    return [q for q in standard.questions if q.id in used]


def next_question(standard: Standard, answers: dict[str, str]) -> Question | None:
    """The first relevant question not answered yet, or ``None`` when all are answered."""
    for question in relevant_questions(standard):
        if question.id not in answers:
            return question
    return None


def valid_answer(standard: Standard, question_id: str, option_id: str) -> bool:
    """Whether ``option_id`` is one of the options of that question of the standard."""
    return any(
        q.id == question_id and any(o.id == option_id for o in q.options)
        for q in relevant_questions(standard)
    )


@dataclass(frozen=True)
class ChecklistResult:
    """The outcome of a checklist: the documents that apply and which of them the user has."""

    standard: Standard
    answers: dict[str, str]
    documents: list[Document]
    have: frozenset[str]

    @property
    def missing(self) -> list[Document]:
        return [d for d in self.documents if d.id not in self.have]

    @property
    def present(self) -> list[Document]:
        return [d for d in self.documents if d.id in self.have]

    @property
    def ready(self) -> bool:
        return not self.missing


def evaluate(standard: Standard, answers: dict[str, str], have: Collection[str]) -> ChecklistResult:
    """Compute the checklist result; ids in ``have`` that do not apply are ignored."""
    documents = standard.documents_for(answers)
    applicable = {d.id for d in documents}
    return ChecklistResult(
        standard=standard,
        answers=dict(answers),
        documents=documents,
        have=frozenset(i for i in have if i in applicable),
    )
