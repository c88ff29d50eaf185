"""Complaining about an office: which office (or which of one's cases), what about, the text,
files, name and phone, a review, then the talon. The steps are data for the form engine
(:mod:`dialogs.form_engine`); «My complaints» is :mod:`dialogs.my_complaints`.
"""

from __future__ import annotations

from html import escape
from operator import itemgetter
from typing import Any

from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import Dialog, DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.widgets.kbd import Button, Column, Row, Select, Start
from aiogram_dialog.widgets.text import Format

from dialogs import drafts
from dialogs.common import PURPOSE, PURPOSE_COMPLAIN, catalog_of, leave, locale_of, menu_button, renderer_of
from dialogs.form_engine import CHOICE, FILES, LONGTEXT, NAME, PHONE, POS, FormEngine, Shown, Step
from dialogs.states import CatalogSG, ComplaintSG, MyComplaintsSG
from dialogs.widgets import I18nFormat, Input
from domain.complaints import MAX_TEXT, MIN_TEXT, TOPICS, addressee
from domain.lifecycle import IllegalTransition
from presentation.i18n import N_
from presentation.labels import complaint_topic
from services.cases import CaseNotFound, CaseService, NewAttachment
from services.complaints import ComplaintNotFound, ComplaintService, NewComplaint

STANDARD, OFFICE, CASE, TOPIC, TEXT_KEY, FILES_KEY = "standard", "office", "case", "topic", "text", "files"
NAME_KEY, PHONE_KEY, NUMBER, FIRST = "name", "phone", "number", "first"
MAX_FILES = 5


def _complaints(manager: DialogManager) -> ComplaintService:
    return manager.middleware_data["complaints"]


def _cases(manager: DialogManager) -> CaseService:
    return manager.middleware_data["cases"]


class Complaint:
    """The complaint form, as data for the engine."""

    states = ComplaintSG

    def steps(self, manager: DialogManager) -> list[Step]:
        return [
            Step(CHOICE, TOPIC, params={"editable": True}),
            Step(LONGTEXT, TEXT_KEY, params={"min": MIN_TEXT, "max": MAX_TEXT}),
            Step(FILES, FILES_KEY, params={"max": MAX_FILES, "full": N_(
                "That is the most files one complaint takes. Press «Next».")}),
            Step(NAME, NAME_KEY),
            Step(PHONE, PHONE_KEY),
        ]

    def header(self, manager: DialogManager) -> str:
        data = manager.dialog_data
        catalog, locale = catalog_of(manager), locale_of(manager)
        placement = catalog.placement(data[STANDARD], data[OFFICE])
        lines = [_("📣 <b>Complaint</b>"), f"🏢 {escape(placement.office.name.get(locale))}",
                 _("To: {addressee}").format(addressee=escape(addressee(placement).get(locale)))]
        if data[CASE]:
            lines.append(_("About application {number}").format(number=data[CASE]))
        return "\n".join(lines)

    def show(self, manager: DialogManager, step: Step) -> Shown:
        data = manager.dialog_data
        if step.kind == CHOICE:
            return Shown(escape(_("What is the complaint about?")),
                         complaint_topic(data[TOPIC]) if data[TOPIC] else None,
                         [(topic, complaint_topic(topic)) for topic in TOPICS])
        if step.kind == LONGTEXT:
            return Shown(escape(_("Describe what happened: when, where, who was involved, what went wrong and what "
                                  "you expect. From {min} to {max} characters, in one message.").format(
                min=MIN_TEXT, max=MAX_TEXT)), data[TEXT_KEY])
        if step.kind == FILES:
            return Shown(escape(_("If you have photos or documents that support the complaint, send them now: "
                                  "photos, or PDF, JPEG or PNG files up to {size} MB, at most {max_files}. "
                                  "Otherwise press «Skip».").format(
                size=manager.middleware_data["settings"].max_upload_mb, max_files=MAX_FILES)))
        if step.kind == NAME:
            return Shown(escape(_("Your full name, as in your identity document:")), data[NAME_KEY])
        return Shown(escape(_("A phone number to contact you about the complaint: press «Share my phone» or type "
                              "it as +7 701 123 45 67.")), data[PHONE_KEY])

    def store(self, manager: DialogManager, step: Step, value: Any) -> str | None:
        data = manager.dialog_data
        if step.kind == CHOICE:
            if value not in TOPICS:
                return _("This button is no longer active.")
            data[TOPIC] = value
        elif step.kind == LONGTEXT:
            if not MIN_TEXT <= len(value) <= MAX_TEXT:
                return _("Please describe it in {min} to {max} characters (now: {count}).").format(
                    min=MIN_TEXT, max=MAX_TEXT, count=len(value))
            data[TEXT_KEY] = value
        elif step.kind == PHONE:
            data[PHONE_KEY], data["phone_confirmed"] = value
        else:
            data[step.key] = value
        return None

    def files(self, manager: DialogManager, step: Step) -> list[dict[str, Any]]:
        files: list[dict[str, Any]] = manager.dialog_data[FILES_KEY]
        return files

    def edit_label(self, manager: DialogManager, step: Step) -> str:
        return {CHOICE: _("✏️ Subject"), LONGTEXT: _("✏️ Text"), FILES: _("✏️ Files"), NAME: _("✏️ Name"),
                PHONE: _("✏️ Phone")}[step.kind]

    async def before_first(self, manager: DialogManager) -> None:
        if manager.dialog_data[FIRST] == "about":
            await manager.switch_to(ComplaintSG.about)
        else:
            await leave(manager)


FORM = Complaint()
ENGINE = FormEngine(FORM)


async def on_start(start_data: Any, manager: DialogManager) -> None:
    data = start_data if isinstance(start_data, dict) else {}
    if await drafts.started_from_draft(data, manager, drafts.COMPLAINT, ENGINE):
        return
    manager.dialog_data.update({
        STANDARD: data.get(STANDARD), OFFICE: data.get(OFFICE), CASE: data.get(CASE), TOPIC: None, TEXT_KEY: None,
        FILES_KEY: [], NAME_KEY: None, PHONE_KEY: None, NUMBER: None, POS: 0,
        FIRST: "topic" if data.get(STANDARD) else "about",
    })
    # The name and phone of the user's latest application, to keep with one press.
    cases = await _cases(manager).of_user(manager.event.from_user.id)
    if cases:
        manager.dialog_data[NAME_KEY] = cases[0].applicant.get("name")
        manager.dialog_data[PHONE_KEY] = cases[0].applicant.get("phone")
        manager.dialog_data["phone_confirmed"] = cases[0].applicant.get("phone_confirmed", False)
    if data.get(STANDARD):
        await ENGINE.go(manager, 0)


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
    await ENGINE.go(manager, 0)


async def about_back(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await leave(manager)


# --- review and registration -------------------------------------------------------------------


def missing(data: dict[str, Any]) -> bool:
    return not all(data[key] for key in (STANDARD, OFFICE, TOPIC, TEXT_KEY, NAME_KEY, PHONE_KEY))


async def get_review(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    data = dialog_manager.dialog_data
    text = renderer_of(dialog_manager).render(
        "complaint_review.j2", locale_of(dialog_manager), header=FORM.header(dialog_manager), topic=data[TOPIC],
        text=data[TEXT_KEY], files=len(data[FILES_KEY]), name=data[NAME_KEY], phone=data[PHONE_KEY],
    )
    return {"text": text, "edits": ENGINE.edits(dialog_manager)}


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
            text=data[TEXT_KEY], language=locale_of(manager),
            complainant={"name": data[NAME_KEY], "phone": data[PHONE_KEY],
                         "phone_confirmed": bool(data.get("phone_confirmed"))},
            case_number=data[CASE],
            attachments=[NewAttachment(document_id="complaint", **f) for f in data[FILES_KEY]],
        ))
    except (ComplaintNotFound, IllegalTransition):
        await callback.answer(_("Some answers are missing; please complete them."), show_alert=True)
        return
    data[NUMBER] = complaint.number
    await drafts.forget(manager)
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
    await drafts.forget(manager)
    await leave(manager)


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
            Row(Button(I18nFormat("⬅️ Back"), id="back", on_click=about_back), menu_button()),
            Input(ENGINE.other_input),
            state=ComplaintSG.about,
            getter=get_about,
        ),
        *ENGINE.windows((CHOICE, LONGTEXT, FILES, NAME, PHONE), cancel),
        Window(
            Format("{text}"),
            ENGINE.edit_buttons(),
            Button(I18nFormat("✅ Register the complaint"), id="register", on_click=register),
            Button(I18nFormat("✖️ Cancel"), id="cancel", on_click=cancel),
            Input(ENGINE.other_input),
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
        *drafts.windows(ComplaintSG.draft, ENGINE),
        on_start=on_start,
    )
