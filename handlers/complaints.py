"""/complaint NUMBER and /complaints: clerks review complaints (take, answer, forward), and a
complainant opens their own.

Moves go through :class:`services.complaints.ComplaintService`, like the registry API's. An
answer's text and the body a complaint is forwarded to are typed by the clerk (``/cancel`` stops).
"""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager, StartMode

from dialogs.states import MyComplaintsSG
from domain.complaints import MAX_NOTE, MAX_TEXT, ComplaintAction, Outcome, addressee
from domain.lifecycle import IllegalTransition
from handlers.clerks import Clerk, ClerkPlace, not_allowed_button, not_allowed_message
from presentation.filters import PRIVATE, Is, clerk_actor
from presentation.labels import complaint_status
from presentation.rendering import Renderer
from services.complaints import ComplaintNotFound, ComplaintService, parse_number
from storage.models import Complaint

logger = logging.getLogger(__name__)


class ComplaintMove(CallbackData, prefix="cm"):
    number: str
    action: str
    outcome: str = ""


class ComplaintClerkSG(StatesGroup):
    text = State()


def render_complaint(complaint: Complaint, service: ComplaintService, renderer: Renderer, locale: str,
                     clerk: bool) -> str:
    placement = service.placement(complaint)
    return renderer.render(
        "complaint_card.j2", locale, complaint=complaint, office=placement.office, clerk=clerk,
        service=service.catalog.service(placement.standard.service), addressee=addressee(placement),
        overdue=service.is_overdue(complaint),
    )


def complaint_markup(complaint: Complaint, service: ComplaintService) -> InlineKeyboardMarkup | None:
    number = complaint.number or ""
    buttons: list[InlineKeyboardButton] = []
    for action in service.actions(complaint):
        if action is ComplaintAction.TAKE:
            buttons.append(InlineKeyboardButton(
                text=_("🔎 Take under review"), callback_data=ComplaintMove(number=number, action=action).pack()))
        elif action is ComplaintAction.ANSWER:
            labels = {Outcome.UPHELD: _("✅ Upheld"), Outcome.PARTLY: _("◐ Partly upheld"),
                      Outcome.REJECTED: _("✖️ Rejected")}
            buttons.extend(InlineKeyboardButton(
                text=label, callback_data=ComplaintMove(number=number, action=action, outcome=outcome).pack())
                for outcome, label in labels.items())
        elif action is ComplaintAction.FORWARD:
            buttons.append(InlineKeyboardButton(
                text=_("➡️ Forward"), callback_data=ComplaintMove(number=number, action=action).pack()))
    if not buttons:
        return None
    return InlineKeyboardMarkup(inline_keyboard=[buttons[i:i + 2] for i in range(0, len(buttons), 2)])


def explain(error: IllegalTransition) -> str:
    if error.code == "status":
        return _("this complaint is already «{status}»; that move is not possible now.").format(
            status=complaint_status(str(error.details.get("status", ""))))
    messages = {
        "needs_answer": _("write the text of the answer."),
        "needs_outcome": _("choose whether the complaint is upheld, partly upheld or rejected."),
        "needs_body": _("write where the complaint is forwarded."),
        "too_long": _("the text is too long."),
        "concurrent": _("someone changed the complaint at the same moment; open it again."),
    }
    return messages.get(error.code, str(error))


async def clerk_complaint(message: Message, command: CommandObject, complaints: ComplaintService,
                          renderer: Renderer, i18n: I18n) -> None:
    number = parse_number(command.args or "")
    if number is None:
        await message.answer(_("Send the complaint number: /complaint C-26-000042"))
        return
    try:
        complaint = await complaints.get(number)
    except ComplaintNotFound:
        await message.answer(_("No complaint {number}.").format(number=number))
        return
    await message.answer(render_complaint(complaint, complaints, renderer, i18n.current_locale, clerk=True),
                         reply_markup=complaint_markup(complaint, complaints))


async def clerk_list(message: Message, complaints: ComplaintService, renderer: Renderer, i18n: I18n) -> None:
    found = await complaints.open_complaints()
    overdue = {c.number for c in found if complaints.is_overdue(c)}
    await message.answer(renderer.render("clerk_complaints.j2", i18n.current_locale, complaints=found[:100],
                                         overdue=overdue, catalog=complaints.catalog))


async def own_complaint(message: Message, command: CommandObject, dialog_manager: DialogManager) -> None:
    """A complainant's /complaint NUMBER (or /complaint: the list)."""
    await open_own(message, dialog_manager, command.args or "")


async def open_own(message: Message, dialog_manager: DialogManager, text: str) -> None:
    if not text.strip():
        await dialog_manager.start(MyComplaintsSG.list, mode=StartMode.RESET_STACK)
        return
    number = parse_number(text)
    if number is None:
        await message.answer(_("Please send the number as it is on your talon, for example: "
                               "/complaint C-26-000042"))
        return
    await dialog_manager.start(MyComplaintsSG.detail, data={"number": number}, mode=StartMode.RESET_STACK)


async def _move(event: CallbackQuery | Message, complaints: ComplaintService, renderer: Renderer, i18n: I18n,
                number: str, action: ComplaintAction, *, comment: str | None = None,
                outcome: str | None = None) -> None:
    actor = clerk_actor(event.from_user)
    reply = event.message if isinstance(event, CallbackQuery) else event
    try:
        complaint = await complaints.transition(number, action, actor, comment=comment, outcome=outcome)
    except (ComplaintNotFound, IllegalTransition) as error:
        reason = explain(error) if isinstance(error, IllegalTransition) else _("No complaint {number}.").format(
            number=number)
        if isinstance(event, CallbackQuery):
            await event.answer(_("Not done: {reason}").format(reason=reason), show_alert=True)
        else:
            await event.answer(_("Not done: {reason}").format(reason=reason))
        return
    logger.info("complaint %s: %s by %s", number, action.value, actor)
    if isinstance(event, CallbackQuery):
        await event.answer(_("Complaint {number}: now «{status}».").format(
            number=complaint.number, status=complaint_status(complaint.status)))
    if isinstance(reply, Message):
        text = render_complaint(complaint, complaints, renderer, i18n.current_locale, clerk=True)
        markup = complaint_markup(complaint, complaints)
        if isinstance(event, CallbackQuery):
            await reply.edit_text(text, reply_markup=markup)
        else:
            await reply.answer(text, reply_markup=markup)


async def on_move(callback: CallbackQuery, callback_data: ComplaintMove, state: FSMContext,
                  complaints: ComplaintService, renderer: Renderer, i18n: I18n) -> None:
    try:
        action = ComplaintAction(callback_data.action)
        complaint = await complaints.get(callback_data.number)
    except (ValueError, ComplaintNotFound):
        await callback.answer(_("This button is no longer active."), show_alert=True)
        return
    if action not in complaints.actions(complaint):
        reason = _("this complaint is already «{status}»; that move is not possible now.").format(
            status=complaint_status(complaint.status))
        await callback.answer(_("Not done: {reason}").format(reason=reason), show_alert=True)
        return
    if action is ComplaintAction.TAKE:
        await _move(callback, complaints, renderer, i18n, complaint.number or "", action)
        return
    await state.set_state(ComplaintClerkSG.text)
    await state.update_data(number=complaint.number, action=action.value, outcome=callback_data.outcome or None)
    await callback.answer()
    if isinstance(callback.message, Message):
        if action is ComplaintAction.ANSWER:
            prompt = _("Complaint {number}: write the answer. The complainant will read it. /cancel to stop.")
        else:
            prompt = _("Complaint {number}: write where it is forwarded (the body and why). The complainant will "
                       "read it. /cancel to stop.")
        await callback.message.answer(prompt.format(number=complaint.number))


async def on_text(message: Message, state: FSMContext, complaints: ComplaintService, renderer: Renderer,
                  i18n: I18n) -> None:
    data = await state.get_data()
    limit = MAX_TEXT if data.get("action") == ComplaintAction.ANSWER.value else MAX_NOTE
    text = (message.text or "").strip()
    if not text or text.startswith("/") or len(text) > limit:
        await message.answer(_("Please write it as text (up to {limit} characters), or /cancel.").format(limit=limit))
        return
    await state.clear()
    await _move(message, complaints, renderer, i18n, data["number"], ComplaintAction(data["action"]),
                comment=text, outcome=data.get("outcome"))


async def cancel_text(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("Cancelled; the complaint is unchanged."))


def create_router() -> Router:
    """Placed before the dialogs and the free-text questions."""
    router = Router(name=__name__)
    place = ClerkPlace()
    clerk = Clerk()
    router.message.register(cancel_text, place, clerk, StateFilter(ComplaintClerkSG.text), Command("cancel"))
    router.message.register(on_text, place, clerk, StateFilter(ComplaintClerkSG.text), Is(F.text))
    router.message.register(clerk_complaint, place, clerk, Command("complaint"))
    router.message.register(clerk_list, place, clerk, Command("complaints"))
    router.message.register(own_complaint, PRIVATE, Command("complaint"))
    router.message.register(not_allowed_message, place, Command("complaints", "complaint"))
    router.callback_query.register(on_move, clerk, ComplaintMove.filter())
    router.callback_query.register(not_allowed_button, Is(F.data.startswith("cm:")))
    return router
