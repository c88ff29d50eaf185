"""Complaining about an office: which office (or which of one's cases), what about, the text,
files, name and phone, a review, then the talon; and «My complaints» to follow them.

Every step validates and explains; «Back» keeps what was typed; an edit started from the
review returns to it.
"""

from __future__ import annotations

from html import escape
from operator import itemgetter
from typing import Any

from aiogram.enums import ContentType
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import Dialog, DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.widgets.kbd import Button, Column, RequestContact, Row, ScrollingGroup, Select, Start, SwitchTo
from aiogram_dialog.widgets.markup.reply_keyboard import ReplyKeyboardFactory
from aiogram_dialog.widgets.text import Format

from dialogs.common import PURPOSE, PURPOSE_COMPLAIN, catalog_of, leave, locale_of, menu_button, renderer_of
from dialogs.forms import clean_name
from dialogs.states import CatalogSG, ComplaintSG, MyComplaintsSG
from dialogs.uploads import file_of, phone_of
from dialogs.widgets import I18nFormat, Input
from domain.complaints import MAX_NOTE, MAX_TEXT, MIN_TEXT, OPEN, TOPICS, ComplaintStatus, addressee
from domain.lifecycle import IllegalTransition
from presentation.labels import complaint_topic
from services.cases import CaseNotFound, CaseService, NewAttachment
from services.complaints import ComplaintNotFound, ComplaintService, NewComplaint

STANDARD, OFFICE, CASE, TOPIC, TEXT, FILES = "standard", "office", "case", "topic", "text", "files"
NAME, PHONE, NUMBER, REVIEWING, FIRST = "name", "phone", "number", "reviewing", "first"
MAX_FILES = 5
ORDER = (ComplaintSG.topic, ComplaintSG.text, ComplaintSG.files, ComplaintSG.name, ComplaintSG.phone,
         ComplaintSG.review)


def _complaints(manager: DialogManager) -> ComplaintService:
    return manager.middleware_data["complaints"]


def _cases(manager: DialogManager) -> CaseService:
    return manager.middleware_data["cases"]


async def _explain(manager: DialogManager, message: Message, text: str) -> None:
    manager.show_mode = ShowMode.SEND
    await message.answer(text)


# --- moving between steps ------------------------------------------------------------------


async def on_start(start_data: Any, manager: DialogManager) -> None:
    data = start_data if isinstance(start_data, dict) else {}
    manager.dialog_data.update({
        STANDARD: data.get(STANDARD), OFFICE: data.get(OFFICE), CASE: data.get(CASE), TOPIC: None, TEXT: None,
        FILES: [], NAME: None, PHONE: None, NUMBER: None, REVIEWING: False,
        FIRST: "topic" if data.get(STANDARD) else "about",
    })
    # The name and phone of the user's latest application, to keep with one press.
    cases = await _cases(manager).of_user(manager.event.from_user.id)
    if cases:
        manager.dialog_data[NAME] = cases[0].applicant.get("name")
        manager.dialog_data[PHONE] = cases[0].applicant.get("phone")


async def forward(manager: DialogManager) -> None:
    """The next step, or back to the review after an edit."""
    if manager.dialog_data[REVIEWING]:
        await manager.switch_to(ComplaintSG.review)
        return
    current = manager.current_context().state
    await manager.switch_to(ORDER[ORDER.index(current) + 1])


async def go_back(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    current: State = manager.current_context().state
    if current in ORDER and current is not ComplaintSG.topic:
        await manager.switch_to(ORDER[ORDER.index(current) - 1])
    elif current is ComplaintSG.topic and manager.dialog_data[FIRST] == "about":
        await manager.switch_to(ComplaintSG.about)
    else:
        await leave(manager)


async def keep(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await forward(manager)


def _header(manager: DialogManager) -> str:
    data = manager.dialog_data
    catalog, locale = catalog_of(manager), locale_of(manager)
    placement = catalog.placement(data[STANDARD], data[OFFICE])
    lines = [_("📣 <b>Complaint</b>"), f"🏢 {escape(placement.office.name.get(locale))}",
             _("To: {addressee}").format(addressee=escape(addressee(placement).get(locale)))]
    if data[CASE]:
        lines.append(_("About application {number}").format(number=data[CASE]))
    return "\n".join(lines)


# --- about what ----------------------------------------------------------------------------


async def get_about(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    manager = dialog_manager
    catalog, locale, renderer = catalog_of(manager), locale_of(manager), renderer_of(manager)
    cases = (await _cases(manager).of_user(manager.event.from_user.id))[:8]
    items = [(c.number, renderer.render("case_button.j2", locale, case=c, service=catalog.service(c.service_id)))
             for c in cases]
    return {"cases": items, "has_cases": bool(items)}


async def on_case(callback: CallbackQuery, widget: Any, manager: DialogManager, number: str) -> None:
    try:
        case = await _cases(manager).visible(number, callback.from_user.id, is_clerk=False)
    except CaseNotFound:
        await callback.answer(_("No application with this number was found."), show_alert=True)
        return
    manager.dialog_data.update({STANDARD: case.standard_id, OFFICE: case.office_id, CASE: case.number})
    await manager.switch_to(ComplaintSG.topic)


# --- the steps -------------------------------------------------------------------------------


async def get_step(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    data = dialog_manager.dialog_data
    state = dialog_manager.current_context().state
    current = {ComplaintSG.text: data[TEXT], ComplaintSG.name: data[NAME], ComplaintSG.phone: data[PHONE]}.get(state)
    files = data[FILES]
    return {
        "header": _header(dialog_manager),
        "topics": [(topic, complaint_topic(topic)) for topic in TOPICS],
        "current": escape(current) if current else "",
        "has_current": bool(current),
        "files_count": len(files),
        "has_files": bool(files),
        "min": MIN_TEXT, "max": MAX_TEXT, "max_files": MAX_FILES,
        "size": dialog_manager.middleware_data["settings"].max_upload_mb,
    }


async def on_topic(callback: CallbackQuery, widget: Any, manager: DialogManager, topic: str) -> None:
    if topic not in TOPICS:
        await callback.answer(_("This button is no longer active."), show_alert=True)
        return
    manager.dialog_data[TOPIC] = topic
    await forward(manager)


async def on_text(message: Message, widget: Input, manager: DialogManager) -> None:
    manager.show_mode = ShowMode.SEND  # the next window comes after the user's message
    text = (message.text or "").strip()
    if text.startswith("/") or not MIN_TEXT <= len(text) <= MAX_TEXT:
        await _explain(manager, message, _(
            "Please describe it in {min} to {max} characters (now: {count}).").format(
            min=MIN_TEXT, max=MAX_TEXT, count=len(text)))
        return
    manager.dialog_data[TEXT] = text
    await forward(manager)


async def on_file(message: Message, widget: Input, manager: DialogManager) -> None:
    manager.show_mode = ShowMode.SEND  # the next window comes after the user's message
    item, problem = file_of(message, manager.middleware_data["settings"].max_upload_mb)
    if item is None:
        await _explain(manager, message, problem or _(
            "Please send a photo or a PDF, JPEG or PNG file, or press «Skip»."))
        return
    files = manager.dialog_data[FILES]
    if len(files) >= MAX_FILES:
        await _explain(manager, message, _("That is the most files one complaint takes. Press «Next»."))
        return
    files.append(item)


async def clear_files(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    manager.dialog_data[FILES] = []


async def on_name(message: Message, widget: Input, manager: DialogManager) -> None:
    manager.show_mode = ShowMode.SEND  # the next window comes after the user's message
    name = clean_name(message.text or "")
    if name is None:
        await _explain(manager, message, _("Please type the name in letters (2 to 150 characters)."))
        return
    manager.dialog_data[NAME] = name
    await forward(manager)


async def on_phone(message: Message, widget: Input, manager: DialogManager) -> None:
    manager.show_mode = ShowMode.SEND  # the next window comes after the user's message
    phone, problem = phone_of(message)
    if phone is None:
        await _explain(manager, message, problem)
        return
    manager.dialog_data[PHONE] = phone
    await forward(manager)


async def other_input(message: Message, widget: Input, manager: DialogManager) -> None:
    await _explain(manager, message, _("Please use the buttons below the message."))


# --- review and registration -------------------------------------------------------------------


def missing(data: dict[str, Any]) -> bool:
    return not all(data[key] for key in (STANDARD, OFFICE, TOPIC, TEXT, NAME, PHONE))


async def get_review(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    data = dialog_manager.dialog_data
    text = renderer_of(dialog_manager).render(
        "complaint_review.j2", locale_of(dialog_manager), header=_header(dialog_manager), topic=data[TOPIC],
        text=data[TEXT], files=len(data[FILES]), name=data[NAME], phone=data[PHONE],
    )
    edits = [(ComplaintSG.topic.state, _("✏️ Subject")), (ComplaintSG.text.state, _("✏️ Text")),
             (ComplaintSG.files.state, _("✏️ Files")), (ComplaintSG.name.state, _("✏️ Name")),
             (ComplaintSG.phone.state, _("✏️ Phone"))]
    return {"text": text, "edits": edits}


async def on_edit(callback: CallbackQuery, widget: Any, manager: DialogManager, state: str) -> None:
    target = next((s for s in ORDER if s.state == state), None)
    if target is None:
        return
    manager.dialog_data[REVIEWING] = True
    await manager.switch_to(target)


async def register(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    """Register the complaint (once, even if pressed twice) and show the talon."""
    data = manager.dialog_data
    if data[NUMBER]:
        await manager.switch_to(ComplaintSG.talon)
        return
    if missing(data):
        await callback.answer(_("Some answers are missing; please complete them."), show_alert=True)
        return
    try:
        complaint = await _complaints(manager).register(NewComplaint(
            user_id=callback.from_user.id, standard_id=data[STANDARD], office_id=data[OFFICE], topic=data[TOPIC],
            text=data[TEXT], language=locale_of(manager), complainant={"name": data[NAME], "phone": data[PHONE]},
            case_number=data[CASE], attachments=[NewAttachment(document_id="complaint", **f) for f in data[FILES]],
        ))
    except (ComplaintNotFound, IllegalTransition):
        await callback.answer(_("Some answers are missing; please complete them."), show_alert=True)
        return
    data[NUMBER] = complaint.number
    await manager.switch_to(ComplaintSG.talon)


async def get_talon(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    service = _complaints(dialog_manager)
    complaint = await service.get(dialog_manager.dialog_data[NUMBER])
    placement = service.placement(complaint)
    text = renderer_of(dialog_manager).render(
        "complaint_talon.j2", locale_of(dialog_manager), complaint=complaint, office=placement.office,
        addressee=addressee(placement), days=service.review_days,
    )
    return {"text": text}


async def cancel(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await callback.answer(_("The complaint was not sent."))
    await leave(manager)


def _footer() -> Row:
    return Row(Button(I18nFormat("⬅️ Back"), id="back", on_click=go_back),
               Button(I18nFormat("✖️ Cancel"), id="cancel", on_click=cancel))


def _keep() -> Button:
    return Button(I18nFormat("Keep it ▶"), id="keep", on_click=keep, when="has_current")


def create_dialog() -> Dialog:
    return Dialog(
        Window(
            I18nFormat("📣 <b>Complaint</b>\n\nWhich of your applications is the complaint about?",
                       when="has_cases"),
            I18nFormat("📣 <b>Complaint</b>\n\nChoose the office you are complaining about.",
                       when=lambda d, w, m: not d["has_cases"]),
            Column(Select(Format("{item[1]}"), id="case", item_id_getter=itemgetter(0), items="cases",
                          on_click=on_case)),
            Start(I18nFormat("🏢 Another office"), id="office", state=CatalogSG.service,
                  data={PURPOSE: PURPOSE_COMPLAIN}, when="has_cases"),
            Start(I18nFormat("🏢 Choose the office"), id="office_only", state=CatalogSG.service,
                  data={PURPOSE: PURPOSE_COMPLAIN}, when=lambda d, w, m: not d["has_cases"]),
            Row(Button(I18nFormat("⬅️ Back"), id="back", on_click=go_back), menu_button()),
            Input(other_input),
            state=ComplaintSG.about,
            getter=get_about,
        ),
        Window(
            Format("{header}\n"),
            I18nFormat("What is the complaint about?"),
            Column(Select(Format("{item[1]}"), id="topic", item_id_getter=itemgetter(0), items="topics",
                          on_click=on_topic)),
            _footer(),
            Input(other_input),
            state=ComplaintSG.topic,
            getter=get_step,
        ),
        Window(
            Format("{header}\n"),
            I18nFormat("Describe what happened: when, where, who was involved, what went wrong and what you "
                       "expect. From {min} to {max} characters, in one message."),
            I18nFormat("\nNow: <i>{current}</i>", when="has_current"),
            Input(on_text, content_types=ContentType.TEXT),
            Input(other_input),
            _keep(),
            _footer(),
            state=ComplaintSG.text,
            getter=get_step,
        ),
        Window(
            Format("{header}\n"),
            I18nFormat("If you have photos or documents that support the complaint, send them now: photos, or "
                       "PDF, JPEG or PNG files up to {size} MB, at most {max_files}. Otherwise press «Skip»."),
            I18nFormat("\n✅ Files received: {files_count}", when="has_files"),
            Input(on_file, content_types=[ContentType.PHOTO, ContentType.DOCUMENT]),
            Input(on_file),
            Button(I18nFormat("Next ▶"), id="next", on_click=keep, when="has_files"),
            Button(I18nFormat("⏭ Skip"), id="skip", on_click=keep, when=lambda d, w, m: not d["has_files"]),
            Button(I18nFormat("🗑 Send again"), id="clear", on_click=clear_files, when="has_files"),
            _footer(),
            state=ComplaintSG.files,
            getter=get_step,
        ),
        Window(
            Format("{header}\n"),
            I18nFormat("Your full name, as in your identity document:"),
            I18nFormat("\nNow: <b>{current}</b>", when="has_current"),
            Input(on_name, content_types=ContentType.TEXT),
            Input(other_input),
            _keep(),
            _footer(),
            state=ComplaintSG.name,
            getter=get_step,
        ),
        Window(
            Format("{header}\n"),
            I18nFormat("A phone number to contact you about the complaint: press «Share my phone» or type it as "
                       "+7 701 123 45 67."),
            I18nFormat("\nNow: <b>{current}</b>", when="has_current"),
            Input(on_phone, content_types=[ContentType.CONTACT, ContentType.TEXT]),
            Input(other_input),
            RequestContact(I18nFormat("📱 Share my phone")),
            _keep(),
            _footer(),
            markup_factory=ReplyKeyboardFactory(resize_keyboard=True, one_time_keyboard=True),
            state=ComplaintSG.phone,
            getter=get_step,
        ),
        Window(
            Format("{text}"),
            Column(Select(Format("{item[1]}"), id="edit", item_id_getter=itemgetter(0), items="edits",
                          on_click=on_edit)),
            Button(I18nFormat("✅ Register the complaint"), id="register", on_click=register),
            Button(I18nFormat("✖️ Cancel"), id="cancel", on_click=cancel),
            Input(other_input),
            state=ComplaintSG.review,
            getter=get_review,
        ),
        Window(
            Format("{text}"),
            Start(I18nFormat("📣 My complaints"), id="mine", state=MyComplaintsSG.list, mode=StartMode.RESET_STACK,
                  show_mode=ShowMode.SEND),
            menu_button(ShowMode.SEND),
            state=ComplaintSG.talon,
            getter=get_talon,
        ),
        on_start=on_start,
    )


# --- my complaints ---------------------------------------------------------------------------


async def on_start_mine(start_data: Any, manager: DialogManager) -> None:
    data = start_data if isinstance(start_data, dict) else {}
    manager.dialog_data[NUMBER] = data.get(NUMBER)


async def get_mine(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    renderer, locale = renderer_of(dialog_manager), locale_of(dialog_manager)
    found = await _complaints(dialog_manager).of_user(dialog_manager.event.from_user.id)
    items = [(c.number, renderer.render("complaint_button.j2", locale, complaint=c)) for c in found[:30]]
    return {"items": items, "empty": not items}


async def on_mine(callback: CallbackQuery, widget: Any, manager: DialogManager, number: str) -> None:
    try:
        await _complaints(manager).visible(number, callback.from_user.id, is_clerk=False)
    except ComplaintNotFound:
        await callback.answer(_("No complaint with this number was found."), show_alert=True)
        return
    manager.dialog_data[NUMBER] = number
    await manager.switch_to(MyComplaintsSG.detail)


async def get_detail(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    service = _complaints(dialog_manager)
    try:
        complaint = await service.visible(dialog_manager.dialog_data[NUMBER] or "",
                                          dialog_manager.event.from_user.id, is_clerk=False)
    except ComplaintNotFound:
        return {"text": _("No complaint with this number was found."), "open": False}
    placement = service.placement(complaint)
    text = renderer_of(dialog_manager).render(
        "complaint_card.j2", locale_of(dialog_manager), complaint=complaint, office=placement.office, clerk=False,
        service=catalog_of(dialog_manager).service(placement.standard.service), addressee=addressee(placement),
        overdue=False,
    )
    return {"text": text, "open": ComplaintStatus(complaint.status) in OPEN}


async def on_info(message: Message, widget: Input, manager: DialogManager) -> None:
    manager.show_mode = ShowMode.SEND  # the next window comes after the user's message
    text = (message.text or "").strip()
    if not text or text.startswith("/") or len(text) > MAX_NOTE:
        await _explain(manager, message, _("Please write it as text, up to {limit} characters.").format(
            limit=MAX_NOTE))
        return
    try:
        await _complaints(manager).add_info(manager.dialog_data[NUMBER], message.from_user.id, text)
    except (ComplaintNotFound, IllegalTransition):
        await _explain(manager, message, _("Information can be added only while the complaint is being reviewed."))
        await manager.switch_to(MyComplaintsSG.detail)
        return
    await _explain(manager, message, _("Added to your complaint; the clerks will see it."))
    await manager.switch_to(MyComplaintsSG.detail)


async def get_number(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    return {"number": dialog_manager.dialog_data[NUMBER], "max": MAX_NOTE}


async def go_back_mine(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await leave(manager)


def create_my_complaints_dialog() -> Dialog:
    return Dialog(
        Window(
            I18nFormat("📣 <b>My complaints</b>", when=lambda d, w, m: not d["empty"]),
            I18nFormat("You have no complaints. To complain, press «Complain» in the menu.", when="empty"),
            ScrollingGroup(
                Select(Format("{item[1]}"), id="complaint", item_id_getter=itemgetter(0), items="items",
                       on_click=on_mine),
                id="complaints", width=1, height=8, hide_on_single_page=True,
            ),
            Row(Button(I18nFormat("⬅️ Back"), id="back", on_click=go_back_mine), menu_button()),
            state=MyComplaintsSG.list,
            getter=get_mine,
        ),
        Window(
            Format("{text}"),
            SwitchTo(I18nFormat("➕ Add information"), id="add", state=MyComplaintsSG.add_info, when="open"),
            Row(SwitchTo(I18nFormat("📣 My complaints"), id="all", state=MyComplaintsSG.list), menu_button()),
            state=MyComplaintsSG.detail,
            getter=get_detail,
        ),
        Window(
            I18nFormat("Complaint {number}: write what you want to add, in one message (up to {max} characters)."),
            Input(on_info, content_types=ContentType.TEXT),
            Input(other_input),
            SwitchTo(I18nFormat("⬅️ Back"), id="back", state=MyComplaintsSG.detail),
            state=MyComplaintsSG.add_info,
            getter=get_number,
        ),
        on_start=on_start_mine,
    )
