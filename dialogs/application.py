"""Applying online: the applicant, the service's fields, the scans, a review, then the receipt.

The form's steps (see :meth:`Application.steps`): the checklist questions not answered yet,
the applicant (organisation name and BIN for a legal entity, full name and IIN otherwise,
phone), the fields the standard's application form lists (``application_fields`` in its
TOML), its publications (foreign media), one upload step per document, and the review. The
moves, the checks and the review edits are the form engine's (:mod:`dialogs.form_engine`).
"""

from __future__ import annotations

from html import escape
from typing import Any

from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import Dialog, DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.widgets.kbd import Button, Start, SwitchTo
from aiogram_dialog.widgets.text import Format

from dialogs import drafts
from dialogs.common import catalog_of, leave, locale_of, menu_button, renderer_of
from dialogs.form_engine import (
    CHOICE,
    FILES,
    IDENT,
    MORE,
    NAME,
    NUMBER,
    PHONE,
    POS,
    REVIEWING,
    TEXT,
    FormEngine,
    Shown,
    Step,
)
from dialogs.states import ApplicationSG, CasesSG
from dialogs.widgets import I18nFormat, Input
from domain.catalog import ApplicationForm, Document, Standard
from domain.checklist import relevant_questions, valid_answer
from presentation.i18n import N_
from services.cases import CaseService, NewApplication, NewAttachment

STANDARD, OFFICE, ANSWERS, ASK = "standard", "office", "answers", "ask"
APPLICANT, FIELDS, PUBLICATIONS, FILES_KEY, NUMBER_KEY = "applicant", "fields", "publications", "files", "number"
MAX_FILES = 10
MAX_PUBLICATIONS = 20


def _standard(manager: DialogManager) -> Standard:
    return catalog_of(manager).standard(manager.dialog_data[STANDARD])


def applicant_kind(standard: Standard, answers: dict[str, str]) -> str:
    """"legal" for a legal entity (BIN), "ie" for an entrepreneur, else "individual" (IIN)."""
    return {"legal": "legal", "ie": "ie"}.get(answers.get("applicant_kind", ""), "individual")


def uploads(standard: Standard, answers: dict[str, str]) -> list[Document]:
    """The documents to send scans of (those shown in person are not uploaded)."""
    return [d for d in standard.documents_for(answers) if d.kind != "show"]


def _publication(manager: DialogManager, index: int) -> dict[str, Any]:
    publications = manager.dialog_data[PUBLICATIONS]
    while len(publications) <= index:
        publications.append({})
    return publications[index]


class Application:
    """The application form, as data for the engine."""

    states = ApplicationSG

    def steps(self, manager: DialogManager) -> list[Step]:
        """Every step of this application, in order; it grows with the publications."""
        data = manager.dialog_data
        standard = _standard(manager)
        form: ApplicationForm = standard.application
        legal = applicant_kind(standard, data[ANSWERS]) == "legal"
        steps = [Step(CHOICE, f"q:{q}", params={"q": q}) for q in data[ASK]]
        if legal:
            steps.append(Step(NAME, "organisation", "org"))
        steps += [
            Step(NAME, "name"),
            Step(IDENT, "bin" if legal else "iin", "ident", error=N_(
                "This is not a valid BIN: it has 12 digits and the last one is a check digit. Please check it.")
                if legal else None),
            Step(PHONE, "phone"),
        ]
        steps += [Step(NUMBER if f.number else TEXT, f"field:{f.ask}", params={"i": i})
                  for i, f in enumerate(form.fields)]
        if form.publication_fields:
            for p in range(max(len(data[PUBLICATIONS]), 1)):
                steps += [Step(NUMBER if f.number else TEXT, f"pub:{p}:{f.ask}", "publications", {"p": p, "f": i})
                          for i, f in enumerate(form.publication_fields)]
                steps.append(Step(MORE, f"more:{p}", "publications", {"p": p}))
        steps += [Step(FILES, f"upload:{d.id}", "upload", {
            "d": d.id, "max": MAX_FILES, "skip": N_("⏭ Skip: I will bring it"),
            "full": N_("That is enough pages for this document. Press «Next»."),
        }, error=N_("Please send a photo or a PDF file of the document, or press «Skip»."))
            for d in uploads(standard, data[ANSWERS])]
        return steps

    def header(self, manager: DialogManager) -> str:
        catalog, locale = catalog_of(manager), locale_of(manager)
        placement = catalog.placement(manager.dialog_data[STANDARD], manager.dialog_data[OFFICE])
        service = catalog.service(placement.standard.service)
        return (f"📝 <b>{escape(service.name.get(locale))}</b>\n"
                f"📍 {escape(placement.office.name.get(locale))}")

    def show(self, manager: DialogManager, step: Step) -> Shown:
        data = manager.dialog_data
        standard = _standard(manager)
        locale = locale_of(manager)
        legal = applicant_kind(standard, data[ANSWERS]) == "legal"
        form = standard.application
        if step.kind == CHOICE:
            question = next(q for q in standard.questions if q.id == step.params["q"])
            options = [(o.id, o.label.get(locale)) for o in question.options]
            chosen = data[ANSWERS].get(question.id)
            return Shown(f"<b>{escape(question.text.get(locale))}</b>",
                         next((label for oid, label in options if oid == chosen), None), options)
        if step.part == "org":
            return Shown(escape(_("Name of the legal entity (branch, representative office):")),
                         data[APPLICANT].get("organisation"))
        if step.kind == NAME:
            return Shown(escape(_("Full name of the representative:") if legal else
                                _("Your full name, as in your identity document:")), data[APPLICANT].get("name"))
        if step.kind == IDENT:
            return Shown(escape(_("BIN of the legal entity (12 digits):") if legal else _("Your IIN (12 digits):")),
                         data[APPLICANT].get(step.key))
        if step.kind == PHONE:
            return Shown(escape(_("Your phone number: press «Share my phone» or type it as +7 701 123 45 67.")),
                         data[APPLICANT].get("phone"))
        if step.kind == MORE:
            return Shown(_("Publication {n} is recorded. Add another publication?").format(n=step.params["p"] + 1))
        if step.kind == FILES:
            document = next(d for d in standard.documents if d.id == step.params["d"])
            return Shown(_("Send a photo or a PDF of: <b>{document}</b>\nYou can send several pages. "
                           "Photos, PDF, JPEG or PNG, up to {size} MB each.").format(
                document=escape(document.name.get(locale)), size=manager.middleware_data["settings"].max_upload_mb))
        if step.part == "publications":
            part = form.publication_fields[step.params["f"]]
            return Shown(escape(_("Publication {n}: {prompt}").format(n=step.params["p"] + 1,
                                                                     prompt=part.prompt.get(locale))),
                         _publication(manager, step.params["p"]).get(part.ask))
        part = form.fields[step.params["i"]]
        return Shown(escape(part.prompt.get(locale)), data[FIELDS].get(part.ask))

    def store(self, manager: DialogManager, step: Step, value: Any) -> str | None:
        data = manager.dialog_data
        standard = _standard(manager)
        if step.kind == CHOICE:
            if not valid_answer(standard, step.params["q"], value):
                return _("This button is no longer active.")
            data[ANSWERS][step.params["q"]] = value
            wanted = {d.id for d in uploads(standard, data[ANSWERS])}
            for document_id in [d for d in data[FILES_KEY] if d not in wanted]:
                data[FILES_KEY].pop(document_id)
        elif step.kind == PHONE:
            data[APPLICANT]["phone"], data[APPLICANT]["phone_confirmed"] = value
        elif step.kind in (NAME, IDENT):
            data[APPLICANT][step.key] = value
        elif step.part == "publications":
            part = standard.application.publication_fields[step.params["f"]]
            _publication(manager, step.params["p"])[part.ask] = value
        else:
            data[FIELDS][standard.application.fields[step.params["i"]].ask] = value
        return None

    def files(self, manager: DialogManager, step: Step) -> list[dict[str, Any]]:
        files: list[dict[str, Any]] = manager.dialog_data[FILES_KEY].setdefault(step.params["d"], [])
        return files

    def edit_label(self, manager: DialogManager, step: Step) -> str:
        labels = {"org": _("✏️ Legal entity"), "name": _("✏️ Name"), "ident": _("✏️ IIN / BIN"),
                  "phone": _("✏️ Phone"), "publications": _("✏️ Publications"), "upload": _("✏️ Scans")}
        if step.part in labels:
            return labels[step.part]
        part = _standard(manager).application.fields[step.params["i"]]
        return "✏️ " + part.short.get(locale_of(manager))

    async def before_first(self, manager: DialogManager) -> None:
        await leave(manager)


FORM = Application()
ENGINE = FormEngine(FORM)


async def on_start(start_data: Any, manager: DialogManager) -> None:
    data = start_data if isinstance(start_data, dict) else {}
    if await drafts.started_from_draft(data, manager, drafts.APPLICATION, ENGINE):
        return
    manager.dialog_data.update({
        STANDARD: data[STANDARD], OFFICE: data[OFFICE], ANSWERS: dict(data.get(ANSWERS) or {}),
        APPLICANT: {}, FIELDS: {}, PUBLICATIONS: [], FILES_KEY: {}, POS: 0,
    })
    standard = _standard(manager)
    manager.dialog_data[ASK] = [q.id for q in relevant_questions(standard) if q.id not in data.get(ANSWERS, {})]
    if await drafts.offer(manager, drafts.APPLICATION, standard.id):
        await manager.switch_to(ApplicationSG.draft)
        return
    await ENGINE.go(manager, 0)


async def add_publication(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    publications = manager.dialog_data[PUBLICATIONS]
    step = ENGINE.here(manager)
    if len(publications) >= MAX_PUBLICATIONS:
        await callback.answer(_("That is the most publications one application takes."), show_alert=True)
        return
    if step.params["p"] + 1 >= len(publications):
        publications.append({})
    await ENGINE.forward(manager)


async def no_more_publications(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    step = ENGINE.here(manager)
    del manager.dialog_data[PUBLICATIONS][step.params["p"] + 1:]
    steps = FORM.steps(manager)
    after = next((i for i, s in enumerate(steps) if s.kind == FILES), len(steps))
    if manager.dialog_data.get(REVIEWING):
        after = len(steps)
    await ENGINE.go(manager, after)


# --- review and submission ----------------------------------------------------------------


async def get_review(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    manager = dialog_manager
    data = manager.dialog_data
    catalog, locale = catalog_of(manager), locale_of(manager)
    standard = _standard(manager)
    placement = catalog.placement(data[STANDARD], data[OFFICE])
    text = renderer_of(manager).render(
        "application_review.j2", locale, s=standard, office=placement.office,
        service=catalog.service(standard.service), applicant=data[APPLICANT],
        kind=applicant_kind(standard, data[ANSWERS]), form=standard.application,
        fields=data[FIELDS], publications=data[PUBLICATIONS], documents=uploads(standard, data[ANSWERS]),
        files=data[FILES_KEY], answers=data[ANSWERS],
    )
    return {"text": text, "edits": ENGINE.edits(manager)}


async def submit(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    """Hand the application to the registry (once, even if pressed twice) and show the receipt."""
    data = manager.dialog_data
    if data.get(NUMBER_KEY):
        await manager.switch_to(ApplicationSG.receipt)
        return
    standard = _standard(manager)
    if missing_answers(manager):
        await callback.answer(_("Some answers are missing; please complete them."), show_alert=True)
        return
    service: CaseService = manager.middleware_data["cases"]
    attachments = [
        NewAttachment(document_id=document_id, **item)
        for document_id, items in data[FILES_KEY].items() for item in items
    ]
    applicant = {**data[APPLICANT], "kind": applicant_kind(standard, data[ANSWERS])}
    details = {"answers": data[ANSWERS], "fields": data[FIELDS], "publications": data[PUBLICATIONS]}
    case = await service.submit(NewApplication(
        user_id=callback.from_user.id, standard_id=standard.id, office_id=data[OFFICE],
        language=locale_of(manager), applicant=applicant, details=details, attachments=attachments,
    ))
    data[NUMBER_KEY] = case.number
    await drafts.forget(manager)
    await manager.switch_to(ApplicationSG.receipt)


def missing_answers(manager: DialogManager) -> list[str]:
    """What the applicant has not given yet (a step skipped with «Keep» on an empty value cannot be)."""
    data = manager.dialog_data
    standard = _standard(manager)
    legal = applicant_kind(standard, data[ANSWERS]) == "legal"
    needed = ["organisation", "name", "bin", "phone"] if legal else ["name", "iin", "phone"]
    missing = [k for k in needed if not data[APPLICANT].get(k)]
    form = standard.application
    missing += [f.ask for f in form.fields if f.ask not in data[FIELDS]]
    if form.publication_fields:
        publications = data[PUBLICATIONS] or [{}]
        missing += [f.ask for p in publications for f in form.publication_fields if f.ask not in p]
    return missing


async def get_receipt(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    manager = dialog_manager
    service: CaseService = manager.middleware_data["cases"]
    case = await service.get(manager.dialog_data[NUMBER_KEY])
    catalog = catalog_of(manager)
    placement = catalog.placement(case.standard_id, case.office_id)
    standard = placement.standard
    documents = {d.id: d for d in standard.documents}
    attached: dict[str, int] = {}
    for attachment in case.attachments:
        attached[attachment.document_id] = attached.get(attachment.document_id, 0) + 1
    full = manager.current_context().state == ApplicationSG.receipt_full
    text = renderer_of(manager).render(
        "receipt.j2", locale_of(manager), case=case, s=standard, office=placement.office,
        service=catalog.service(standard.service), full=full,
        attached=[(documents[d], n) for d, n in attached.items()],
        not_attached=[d for d in uploads(standard, manager.dialog_data[ANSWERS]) if d.id not in attached],
    )
    return {"text": text}


async def cancel(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await callback.answer(_("The application was not sent."))
    await drafts.forget(manager)
    await leave(manager)


# --- the dialog ---------------------------------------------------------------------------


def _receipt_window(state: Any, more: bool) -> Window:
    return Window(
        Format("{text}"),
        SwitchTo(I18nFormat("ℹ️ More"), id="more", state=ApplicationSG.receipt_full, when=lambda d, w, m: more),
        Start(I18nFormat("📂 My cases"), id="my_cases", state=CasesSG.list, mode=StartMode.RESET_STACK,
              show_mode=ShowMode.SEND),
        menu_button(ShowMode.SEND),
        state=state,
        getter=get_receipt,
    )


def create_dialog() -> Dialog:
    return Dialog(
        *ENGINE.windows((CHOICE, NAME, IDENT, PHONE, TEXT, NUMBER, FILES), cancel),
        Window(
            Format("{header}\n{step}\n\n{prompt}"),
            Button(I18nFormat("➕ Add a publication"), id="more", on_click=add_publication),
            Button(I18nFormat("➡️ No, continue"), id="enough", on_click=no_more_publications),
            Input(ENGINE.other_input),
            ENGINE.footer(cancel),
            state=ApplicationSG.more,
            getter=ENGINE.get_step,
        ),
        Window(
            Format("{text}"),
            ENGINE.edit_buttons(),
            Button(I18nFormat("✅ Submit the application"), id="submit", on_click=submit),
            Button(I18nFormat("✖️ Cancel"), id="cancel", on_click=cancel),
            Input(ENGINE.other_input),
            state=ApplicationSG.review,
            getter=get_review,
        ),
        _receipt_window(ApplicationSG.receipt, more=True),
        _receipt_window(ApplicationSG.receipt_full, more=False),
        *drafts.windows(ApplicationSG.draft, ENGINE),
        on_start=on_start,
    )
