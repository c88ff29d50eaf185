"""The two satisfaction questions asked when a case is issued (e-service regulation, appendix 7),
and the two asked when a complaint is answered (the standards' indicators 4.3 and 4.4)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.notifier import COMPLAINT_SURVEY_PREFIX, SURVEY_PREFIX, OutboxNotices, survey_markup
from bot.rendering import Renderer
from registry.cases import CaseNotFound, CaseService
from registry.complaints import ComplaintNotFound, ComplaintService


async def on_survey_answer(callback: CallbackQuery, cases: CaseService, notices: OutboxNotices,
                           renderer: Renderer, i18n: I18n) -> None:
    try:
        _prefix, number, question_text, answer = (callback.data or "").split(":")
        question = int(question_text)
        case = await cases.answer_survey(number, callback.from_user.id, question, answer)
    except (ValueError, CaseNotFound):
        await callback.answer(_("This survey is not available."), show_alert=True)
        return
    await callback.answer(_("Thank you!"))
    if not isinstance(callback.message, Message):
        return
    locale = i18n.current_locale
    if question == 1:
        placement = notices.context(case)
        text = renderer.render("survey_question.j2", locale, number=case.number, question=2,
                               survey=notices.survey_texts(), **placement)
        await callback.message.edit_text(text, reply_markup=survey_markup(case.number or "", 2,
                                                                          notices.answer_labels(locale)))
    else:
        await callback.message.edit_text(_("Thank you for your answers! They help to improve the service."))


async def on_complaint_survey_answer(callback: CallbackQuery, complaints: ComplaintService, notices: OutboxNotices,
                                     renderer: Renderer, i18n: I18n) -> None:
    try:
        _prefix, number, question_text, answer = (callback.data or "").split(":")
        question = int(question_text)
        complaint = await complaints.answer_survey(number, callback.from_user.id, question, answer)
    except (ValueError, ComplaintNotFound):
        await callback.answer(_("This survey is not available."), show_alert=True)
        return
    await callback.answer(_("Thank you!"))
    if not isinstance(callback.message, Message):
        return
    locale = i18n.current_locale
    if question == 1:
        text = renderer.render("complaint_survey.j2", locale, number=complaint.number, question=2)
        await callback.message.edit_text(text, reply_markup=survey_markup(
            complaint.number or "", 2, notices.answer_labels(locale), COMPLAINT_SURVEY_PREFIX))
    else:
        await callback.message.edit_text(_("Thank you for your answers! They help to improve the service."))


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(on_survey_answer, F.data.startswith(f"{SURVEY_PREFIX}:"))
    router.callback_query.register(on_complaint_survey_answer, F.data.startswith(f"{COMPLAINT_SURVEY_PREFIX}:"))
    return router
