"""Applying online: the applicant, the service's fields, the scans, a review, then the receipt.

The dialog walks a sequence of positions (see :func:`positions`): the checklist questions not
answered yet, the applicant (organisation name and BIN for a legal entity, full name and
IIN otherwise, phone), the service's fields, its publications (foreign media), one upload
step per document, and the review. Every step validates and explains; going back never
loses what was typed (each window shows the current value with «Keep»); an edit started
from the review returns to it.
"""

from __future__ import annotations

from html import escape
from operator import itemgetter
from typing import Any

from aiogram.enums import ContentType
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import Dialog, DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.widgets.kbd import Button, Column, RequestContact, Row, Select, Start
from aiogram_dialog.widgets.text import Format

from dialogs.common import catalog_of, leave, locale_of, menu_button, renderer_of
from dialogs.forms import FORMS, Field, clean_name, clean_number, clean_text
from dialogs.states import ApplicationSG, CasesSG
from dialogs.uploads import file_of, phone_of
from dialogs.widgets import I18nFormat, Input, PlainReplyKeyboard
from domain.catalog import Document, Standard
from domain.checklist import relevant_questions, valid_answer
from domain.identifiers import is_valid_iin_or_bin
from services.cases import CaseService, NewApplication, NewAttachment

STANDARD, OFFICE, ANSWERS, ASK = "standard", "office", "answers", "ask"
APPLICANT, FIELDS, PUBLICATIONS, FILES = "applicant", "fields", "publications", "files"
POS, REVIEWING, NUMBER = "pos", "reviewing", "number"
MAX_FILES = 10

Position = tuple[str, dict[str, Any]]


# --- where the user is ------------------------------------------------------------------


def _standard(manager: DialogManager) -> Standard:
    return catalog_of(manager).standard(manager.dialog_data[STANDARD])


def applicant_kind(standard: Standard, answers: dict[str, str]) -> str:
    """"legal" for a legal entity (BIN), "ie" for an entrepreneur, else "individual" (IIN)."""
    return {"legal": "legal", "ie": "ie"}.get(answers.get("applicant_kind", ""), "individual")


def uploads(standard: Standard, answers: dict[str, str]) -> list[Document]:
    """The documents to send scans of (those shown in person are not uploaded)."""
    return [d for d in standard.documents_for(answers) if d.kind != "show"]


def positions(manager: DialogManager) -> list[Position]:
    """Every step of this application, in order; it grows with the publications."""
    data = manager.dialog_data
    standard = _standard(manager)
    form = FORMS[standard.service]
    steps: list[Position] = [("question", {"q": q}) for q in data[ASK]]
    if applicant_kind(standard, data[ANSWERS]) == "legal":
        steps.append(("org", {}))
    steps += [("name", {}), ("ident", {}), ("phone", {})]
    steps += [("field", {"i": i}) for i in range(len(form.fields))]
    if form.publication_fields:
        for p in range(max(len(data[PUBLICATIONS]), 1)):
            steps += [("publication", {"p": p, "f": f}) for f in range(len(form.publication_fields))]
            steps.append(("more", {"p": p}))
    steps += [("upload", {"d": d}) for d in range(len(uploads(standard, data[ANSWERS])))]
    steps.append(("review", {}))
    return steps


def section(position: Position) -> str:
    """Steps edited together from the review."""
    kind, params = position
    if kind in ("org", "name", "ident", "phone"):
        return kind
    if kind == "field":
        return f"field:{params['i']}"
    if kind in ("publication", "more"):
        return "publications"
    return kind


def _here(manager: DialogManager) -> Position:
    steps = positions(manager)
    return steps[min(manager.dialog_data[POS], len(steps) - 1)]


async def _go(manager: DialogManager, pos: int) -> None:
    steps = positions(manager)
    pos = max(0, min(pos, len(steps) - 1))
    manager.dialog_data[POS] = pos
    kind, _params = steps[pos]
    await manager.switch_to(getattr(ApplicationSG, kind))


async def forward(manager: DialogManager) -> None:
    """The next step; after an edit started from the review, back to the review."""
    steps = positions(manager)
    pos = manager.dialog_data[POS]
    if manager.dialog_data.get(REVIEWING) and (
        pos + 1 >= len(steps) or section(steps[pos + 1]) != section(steps[pos])
    ):
        await _go(manager, len(steps) - 1)
        return
    await _go(manager, pos + 1)


async def go_back(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    if manager.dialog_data.get(REVIEWING):
        await _go(manager, len(positions(manager)) - 1)
    elif manager.dialog_data[POS] == 0:
        await leave(manager)
    else:
        await _go(manager, manager.dialog_data[POS] - 1)


async def keep(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await forward(manager)


async def on_start(start_data: Any, manager: DialogManager) -> None:
    data = start_data if isinstance(start_data, dict) else {}
    manager.dialog_data.update({
        STANDARD: data[STANDARD], OFFICE: data[OFFICE], ANSWERS: dict(data.get(ANSWERS) or {}),
        APPLICANT: {}, FIELDS: {}, PUBLICATIONS: [], FILES: {}, POS: 0,
    })
    standard = _standard(manager)
    manager.dialog_data[ASK] = [q.id for q in relevant_questions(standard) if q.id not in data.get(ANSWERS, {})]
    await _go(manager, 0)


# --- the windows' data --------------------------------------------------------------------


def _header(manager: DialogManager) -> str:
    catalog, locale = catalog_of(manager), locale_of(manager)
    placement = catalog.placement(manager.dialog_data[STANDARD], manager.dialog_data[OFFICE])
    service = catalog.service(placement.standard.service)
    steps = positions(manager)
    return (f"📝 <b>{escape(service.name.get(locale))}</b>\n📍 {escape(placement.office.name.get(locale))}\n"
            + _("Step {step} of {total}").format(step=manager.dialog_data[POS] + 1, total=len(steps)))


async def get_step(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    """The header, the prompt and the current value of the step the user is at."""
    manager = dialog_manager
    data = manager.dialog_data
    standard = _standard(manager)
    locale = locale_of(manager)
    kind, params = _here(manager)
    form = FORMS[standard.service]
    legal = applicant_kind(standard, data[ANSWERS]) == "legal"
    prompt, current, options = "", None, []
    if kind == "question":
        question = next(q for q in standard.questions if q.id == params["q"])
        prompt = question.text.get(locale)
        options = [(o.id, o.label.get(locale)) for o in question.options]
        chosen = data[ANSWERS].get(question.id)
        current = next((label for oid, label in options if oid == chosen), None)
    elif kind == "org":
        prompt = _("Name of the legal entity (branch, representative office):")
        current = data[APPLICANT].get("organisation")
    elif kind == "name":
        prompt = _("Full name of the representative:") if legal else _("Your full name, as in your identity document:")
        current = data[APPLICANT].get("name")
    elif kind == "ident":
        prompt = _("BIN of the legal entity (12 digits):") if legal else _("Your IIN (12 digits):")
        current = data[APPLICANT].get("bin" if legal else "iin")
    elif kind == "phone":
        prompt = _("Your phone number: press «Share my phone» or type it as +7 701 123 45 67.")
        current = data[APPLICANT].get("phone")
    elif kind == "field":
        field = form.fields[params["i"]]
        prompt, current = _(field.prompt), data[FIELDS].get(field.id)
    elif kind == "publication":
        field = form.publication_fields[params["f"]]
        publication = _publication(manager, params["p"])
        prompt = _("Publication {n}: {prompt}").format(n=params["p"] + 1, prompt=_(field.prompt))
        current = publication.get(field.id)
    elif kind == "more":
        prompt = _("Publication {n} is recorded. Add another publication?").format(n=params["p"] + 1)
    elif kind == "upload":
        document = uploads(standard, data[ANSWERS])[params["d"]]
        count = len(data[FILES].get(document.id, []))
        prompt = _("Send a photo or a PDF of: <b>{document}</b>\nYou can send several pages. "
                   "Photos, PDF, JPEG or PNG, up to {size} MB each.").format(
            document=escape(document.name.get(locale)), size=manager.middleware_data["settings"].max_upload_mb)
        current = _("{count} file(s) received").format(count=count) if count else None
    return {
        "header": _header(manager),
        "prompt": prompt if kind in ("upload", "more") else escape(prompt),
        "current": escape(str(current)) if current is not None else "",
        "has_current": current is not None,
        "options": options,
        "has_files": kind == "upload" and bool(current),
    }


def _publication(manager: DialogManager, index: int) -> dict[str, Any]:
    publications = manager.dialog_data[PUBLICATIONS]
    while len(publications) <= index:
        publications.append({})
    return publications[index]


# --- input --------------------------------------------------------------------------------


async def _explain(message: Message, text: str) -> None:
    await message.answer(text)


async def on_text(message: Message, widget: Input, manager: DialogManager) -> None:
    """A typed value for the current step, validated."""
    data = manager.dialog_data
    standard = _standard(manager)
    kind, params = _here(manager)
    text = message.text or ""
    manager.show_mode = ShowMode.SEND
    legal = applicant_kind(standard, data[ANSWERS]) == "legal"
    if kind in ("org", "name"):
        value = clean_name(text)
        if value is None:
            await _explain(message, _("Please type the name in letters (2 to 150 characters)."))
            return
        data[APPLICANT]["organisation" if kind == "org" else "name"] = value
    elif kind == "ident":
        if not is_valid_iin_or_bin(text):
            await _explain(message, _("This is not a valid BIN: it has 12 digits and the last one is a check digit. "
                                      "Please check it.") if legal else
                           _("This is not a valid IIN: it has 12 digits and the last one is a check digit. "
                             "Please check it."))
            return
        data[APPLICANT]["bin" if legal else "iin"] = "".join(text.split()).replace("-", "")
    elif kind == "phone":
        phone, problem = phone_of(message)
        if phone is None:
            await _explain(message, problem)
            return
        data[APPLICANT]["phone"] = phone
    elif kind in ("field", "publication"):
        form = FORMS[standard.service]
        field: Field = form.fields[params["i"]] if kind == "field" else form.publication_fields[params["f"]]
        value: Any = clean_number(text) if field.number else clean_text(text)
        if value is None:
            await _explain(message, _("Please type a whole number, for example 500.") if field.number else
                           _("Please type a short text answer (up to 300 characters)."))
            return
        target = data[FIELDS] if kind == "field" else _publication(manager, params["p"])
        target[field.id] = value
    else:
        await _explain(message, _("Please use the buttons below the message."))
        return
    await forward(manager)


async def on_contact(message: Message, widget: Input, manager: DialogManager) -> None:
    manager.show_mode = ShowMode.SEND
    phone, problem = phone_of(message)
    if phone is None:
        await _explain(message, problem)
        return
    manager.dialog_data[APPLICANT]["phone"] = phone
    await forward(manager)


async def on_answer(callback: CallbackQuery, widget: Any, manager: DialogManager, option: str) -> None:
    kind, params = _here(manager)
    if kind != "question" or not valid_answer(_standard(manager), params["q"], option):
        return
    manager.dialog_data[ANSWERS][params["q"]] = option
    files = manager.dialog_data[FILES]
    wanted = {d.id for d in uploads(_standard(manager), manager.dialog_data[ANSWERS])}
    for document_id in [d for d in files if d not in wanted]:
        files.pop(document_id)
    await forward(manager)


async def add_publication(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    publications = manager.dialog_data[PUBLICATIONS]
    _kind, params = _here(manager)
    if len(publications) >= 20:
        await callback.answer(_("That is the most publications one application takes."), show_alert=True)
        return
    if params["p"] + 1 >= len(publications):
        publications.append({})
    await forward(manager)


async def no_more_publications(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    _kind, params = _here(manager)
    del manager.dialog_data[PUBLICATIONS][params["p"] + 1:]
    steps = positions(manager)
    after = next(i for i, (kind, _p) in enumerate(steps) if kind in ("upload", "review"))
    if manager.dialog_data.get(REVIEWING):
        after = len(steps) - 1
    await _go(manager, after)


async def on_file(message: Message, widget: Input, manager: DialogManager) -> None:
    """A scan for the current document: a photo, or a PDF/JPEG/PNG file within the size limit."""
    manager.show_mode = ShowMode.SEND
    kind, params = _here(manager)
    limit_mb = manager.middleware_data["settings"].max_upload_mb
    if kind != "upload":
        await _explain(message, _("Please use the buttons below the message."))
        return
    item, problem = file_of(message, limit_mb)
    if item is None:
        await _explain(message, problem or _("Please send a photo or a PDF file of the document, or press «Skip»."))
        return
    document_id = uploads(_standard(manager), manager.dialog_data[ANSWERS])[params["d"]].id
    files = manager.dialog_data[FILES].setdefault(document_id, [])
    if len(files) >= MAX_FILES:
        await _explain(message, _("That is enough pages for this document. Press «Next»."))
        return
    files.append(item)


async def clear_files(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    _kind, params = _here(manager)
    document_id = uploads(_standard(manager), manager.dialog_data[ANSWERS])[params["d"]].id
    manager.dialog_data[FILES].pop(document_id, None)


async def skip_upload(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await forward(manager)


async def other_input(message: Message, widget: Input, manager: DialogManager) -> None:
    manager.show_mode = ShowMode.SEND
    await _explain(message, _("Please use the buttons below the message."))


# --- review and submission ----------------------------------------------------------------


async def get_review(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    manager = dialog_manager
    data = manager.dialog_data
    catalog, locale = catalog_of(manager), locale_of(manager)
    standard = _standard(manager)
    placement = catalog.placement(data[STANDARD], data[OFFICE])
    documents = uploads(standard, data[ANSWERS])
    text = renderer_of(manager).render(
        "application_review.j2", locale, s=standard, office=placement.office,
        service=catalog.service(standard.service), applicant=data[APPLICANT],
        kind=applicant_kind(standard, data[ANSWERS]), form=FORMS[standard.service],
        fields=data[FIELDS], publications=data[PUBLICATIONS], documents=documents, files=data[FILES],
        answers=data[ANSWERS],
    )
    steps = positions(manager)
    edits, seen = [], set()
    for index, position in enumerate(steps[:-1]):
        name = section(position)
        if name in seen or position[0] in ("question", "more"):
            continue
        seen.add(name)
        edits.append((str(index), _edit_label(manager, position)))
    return {"text": text, "edits": edits}


def _edit_label(manager: DialogManager, position: Position) -> str:
    kind, params = position
    standard = _standard(manager)
    labels = {
        "org": _("✏️ Legal entity"), "name": _("✏️ Name"), "ident": _("✏️ IIN / BIN"), "phone": _("✏️ Phone"),
        "publication": _("✏️ Publications"), "upload": _("✏️ Scans"),
    }
    if kind == "field":
        field = FORMS[standard.service].fields[params["i"]]
        return "✏️ " + _(field.label)
    return labels[kind]


async def on_edit(callback: CallbackQuery, widget: Any, manager: DialogManager, index: str) -> None:
    manager.dialog_data[REVIEWING] = True
    await _go(manager, int(index))


async def submit(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    """Hand the application to the registry (once, even if pressed twice) and show the receipt."""
    data = manager.dialog_data
    if data.get(NUMBER):
        await manager.switch_to(ApplicationSG.receipt)
        return
    standard = _standard(manager)
    if missing_answers(manager):
        await callback.answer(_("Some answers are missing; please complete them."), show_alert=True)
        return
    service: CaseService = manager.middleware_data["cases"]
    attachments = [
        NewAttachment(document_id=document_id, **item)
        for document_id, items in data[FILES].items() for item in items
    ]
    applicant = {**data[APPLICANT], "kind": applicant_kind(standard, data[ANSWERS])}
    details = {"answers": data[ANSWERS], "fields": data[FIELDS], "publications": data[PUBLICATIONS]}
    case = await service.submit(NewApplication(
        user_id=callback.from_user.id, standard_id=standard.id, office_id=data[OFFICE],
        language=locale_of(manager), applicant=applicant, details=details, attachments=attachments,
    ))
    data[NUMBER] = case.number
    await manager.switch_to(ApplicationSG.receipt)


def missing_answers(manager: DialogManager) -> list[str]:
    """What the applicant has not given yet (a step skipped with «Keep» on an empty value cannot be)."""
    data = manager.dialog_data
    standard = _standard(manager)
    legal = applicant_kind(standard, data[ANSWERS]) == "legal"
    needed = ["organisation", "name", "bin", "phone"] if legal else ["name", "iin", "phone"]
    missing = [k for k in needed if not data[APPLICANT].get(k)]
    form = FORMS[standard.service]
    missing += [f.id for f in form.fields if f.id not in data[FIELDS]]
    if form.publication_fields:
        publications = data[PUBLICATIONS] or [{}]
        missing += [f.id for p in publications for f in form.publication_fields if f.id not in p]
    return missing


async def get_receipt(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    manager = dialog_manager
    service: CaseService = manager.middleware_data["cases"]
    case = await service.get(manager.dialog_data[NUMBER])
    catalog = catalog_of(manager)
    placement = catalog.placement(case.standard_id, case.office_id)
    standard = placement.standard
    documents = {d.id: d for d in standard.documents}
    attached: dict[str, int] = {}
    for attachment in case.attachments:
        attached[attachment.document_id] = attached.get(attachment.document_id, 0) + 1
    text = renderer_of(manager).render(
        "receipt.j2", locale_of(manager), case=case, s=standard, office=placement.office,
        service=catalog.service(standard.service),
        attached=[(documents[d], n) for d, n in attached.items()],
        not_attached=[d for d in uploads(standard, manager.dialog_data[ANSWERS]) if d.id not in attached],
    )
    return {"text": text}


async def cancel(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await callback.answer(_("The application was not sent."))
    await leave(manager)


# --- the dialog ---------------------------------------------------------------------------


def _footer() -> Row:
    return Row(Button(I18nFormat("⬅️ Back"), id="back", on_click=go_back),
               Button(I18nFormat("✖️ Cancel"), id="cancel", on_click=cancel))


def _keep() -> Button:
    return Button(I18nFormat("Keep it ▶"), id="keep", on_click=keep, when="has_current")


def _text_window(state: Any) -> Window:
    return Window(
        Format("{header}\n\n{prompt}"),
        I18nFormat("\nNow: <b>{current}</b>", when="has_current"),
        Input(on_text, content_types=ContentType.TEXT),
        Input(other_input),
        _keep(),
        _footer(),
        state=state,
        getter=get_step,
    )


def create_dialog() -> Dialog:
    return Dialog(
        Window(
            Format("{header}\n\n<b>{prompt}</b>"),
            Column(Select(Format("{item[1]}"), id="answer", item_id_getter=itemgetter(0), items="options",
                          on_click=on_answer)),
            Input(other_input),
            _footer(),
            state=ApplicationSG.question,
            getter=get_step,
        ),
        *(_text_window(state) for state in (ApplicationSG.org, ApplicationSG.name, ApplicationSG.ident,
                                            ApplicationSG.field, ApplicationSG.publication)),
        Window(
            Format("{header}\n\n{prompt}"),
            I18nFormat("\nNow: <b>{current}</b>", when="has_current"),
            Input(on_contact, content_types=ContentType.CONTACT),
            Input(on_text, content_types=ContentType.TEXT),
            Input(other_input),
            RequestContact(I18nFormat("📱 Share my phone")),
            _keep(),
            _footer(),
            markup_factory=PlainReplyKeyboard(resize_keyboard=True, one_time_keyboard=True),
            state=ApplicationSG.phone,
            getter=get_step,
        ),
        Window(
            Format("{header}\n\n{prompt}"),
            Button(I18nFormat("➕ Add a publication"), id="more", on_click=add_publication),
            Button(I18nFormat("➡️ No, continue"), id="enough", on_click=no_more_publications),
            Input(other_input),
            _footer(),
            state=ApplicationSG.more,
            getter=get_step,
        ),
        Window(
            Format("{header}\n\n{prompt}"),
            I18nFormat("\n✅ {current}", when="has_current"),
            Input(on_file, content_types=[ContentType.PHOTO, ContentType.DOCUMENT]),
            Input(on_file),
            Button(I18nFormat("Next ▶"), id="next", on_click=keep, when="has_files"),
            Button(I18nFormat("⏭ Skip: I will bring it"), id="skip", on_click=skip_upload,
                   when=lambda d, w, m: not d["has_files"]),
            Button(I18nFormat("🗑 Send again"), id="clear", on_click=clear_files, when="has_files"),
            _footer(),
            state=ApplicationSG.upload,
            getter=get_step,
        ),
        Window(
            Format("{text}"),
            Column(Select(Format("{item[1]}"), id="edit", item_id_getter=itemgetter(0), items="edits",
                          on_click=on_edit)),
            Button(I18nFormat("✅ Submit the application"), id="submit", on_click=submit),
            Button(I18nFormat("✖️ Cancel"), id="cancel", on_click=cancel),
            Input(other_input),
            state=ApplicationSG.review,
            getter=get_review,
        ),
        Window(
            Format("{text}"),
            Start(I18nFormat("📂 My cases"), id="my_cases", state=CasesSG.list, mode=StartMode.RESET_STACK,
                  show_mode=ShowMode.SEND),
            menu_button(ShowMode.SEND),
            state=ApplicationSG.receipt,
            getter=get_receipt,
        ),
        on_start=on_start,
    )

