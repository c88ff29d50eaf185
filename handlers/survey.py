"""The two satisfaction questions asked when a case is issued (those its standard measures),
and the two asked when a complaint is answered (the standards' indicators 4.3 and 4.4)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiogram import Router
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from presentation.callbacks import ComplaintSurveyAnswer, SurveyAnswer
from presentation.notices import OutboxNotices, survey_markup
from presentation.rendering import Renderer
from services.cases import CaseNotFound, CaseService
from services.complaints import ComplaintNotFound, ComplaintService
from storage.models import Case, Complaint

T = TypeVar("T")
AnswerSurvey = Callable[[str, int, int, str], Awaitable[Any]]


async def _record_answer(callback: CallbackQuery, data: SurveyAnswer | ComplaintSurveyAnswer,
                         answer_survey: AnswerSurvey,
                         second_question: Callable[[T], tuple[str, InlineKeyboardMarkup]]) -> None:
    """Store the pressed answer; after the first question ask the second, after it thank."""
    question = data.question
    try:
        owner = await answer_survey(data.number, callback.from_user.id, question, data.answer)
    except (ValueError, CaseNotFound, ComplaintNotFound):
        await callback.answer(_("This survey is not available."), show_alert=True)
        return
    await callback.answer(_("Thank you!"))
    if not isinstance(callback.message, Message):
        return
    if question == 1:
        text, markup = second_question(owner)
        await callback.message.edit_text(text, reply_markup=markup)
    else:
        await callback.message.edit_text(_("Thank you for your answers! They help to improve the service."))


async def on_survey_answer(callback: CallbackQuery, callback_data: SurveyAnswer, cases: CaseService,
                           notices: OutboxNotices,
                           renderer: Renderer, i18n: I18n) -> None:
    locale = i18n.current_locale

    def second(case: Case) -> tuple[str, InlineKeyboardMarkup]:
        text = renderer.render("survey_question.j2", locale, number=case.number, question=2,
                               survey=notices.survey_texts(case.standard_id), **notices.context(case))
        return text, survey_markup(case.number or "", 2, notices.answer_labels(locale))

    await _record_answer(callback, callback_data, cases.answer_survey, second)


async def on_complaint_survey_answer(callback: CallbackQuery, callback_data: ComplaintSurveyAnswer,
                                     complaints: ComplaintService, notices: OutboxNotices,
                                     renderer: Renderer, i18n: I18n) -> None:
    locale = i18n.current_locale

    def second(complaint: Complaint) -> tuple[str, InlineKeyboardMarkup]:
        text = renderer.render("complaint_survey.j2", locale, number=complaint.number, question=2)
        return text, survey_markup(complaint.number or "", 2, notices.answer_labels(locale),
                                   ComplaintSurveyAnswer)

    await _record_answer(callback, callback_data, complaints.answer_survey, second)


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(on_survey_answer, SurveyAnswer.filter())
    router.callback_query.register(on_complaint_survey_answer, ComplaintSurveyAnswer.filter())
    return router
