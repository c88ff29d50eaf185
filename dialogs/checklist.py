"""The document checklist: a few questions, then each document as a tick box, then a summary.

The summary replaces the checklist message; whatever the user does next opens in a new
message, so the summary stays in the chat, without buttons, to keep or forward.
"""

from __future__ import annotations

from html import escape
from operator import itemgetter
from typing import Any

from aiogram.types import CallbackQuery
from aiogram_dialog import Dialog, DialogManager, ShowMode, Window
from aiogram_dialog.widgets.kbd import Button, Column, Multiselect, Row, Select, SwitchTo
from aiogram_dialog.widgets.text import Format

from dialogs.common import (
    PURPOSE_APPLY,
    PURPOSE_CARD,
    catalog_of,
    leave,
    locale_of,
    menu_button,
    renderer_of,
)
from dialogs.navigation import open_placements
from dialogs.states import ChecklistSG
from dialogs.widgets import I18nFormat
from domain.catalog import Office, Standard
from domain.checklist import evaluate, next_question, relevant_questions, valid_answer
from presentation.screens import short_label

ANSWERS = "answers"
STANDARD = "standard"
OFFICE = "office"
HAVE = "have"


def _standard(manager: DialogManager) -> Standard:
    return catalog_of(manager).standard(manager.dialog_data[STANDARD])


def _office(manager: DialogManager) -> Office | None:
    office_id = manager.dialog_data.get(OFFICE)
    if office_id is None:
        return None
    return catalog_of(manager).placement(manager.dialog_data[STANDARD], office_id).office


def _header(manager: DialogManager) -> str:
    catalog, locale = catalog_of(manager), locale_of(manager)
    standard = _standard(manager)
    service = catalog.service(standard.service)
    office = _office(manager)
    where = catalog.regions[standard.region].name.get(locale)
    if office is not None:
        where = f"{where} · {office.name.get(locale)}"
    return f"{service.icon} <b>{escape(service.name.get(locale))}</b>\n📍 {escape(where)}"


async def on_start(start_data: Any, manager: DialogManager) -> None:
    data = start_data if isinstance(start_data, dict) else {}
    manager.dialog_data.update({STANDARD: data[STANDARD], OFFICE: data.get(OFFICE), ANSWERS: {}})
    if next_question(_standard(manager), {}) is None:
        await manager.switch_to(ChecklistSG.documents)


async def get_question(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    locale = locale_of(dialog_manager)
    standard = _standard(dialog_manager)
    answers = dialog_manager.dialog_data[ANSWERS]
    question = next_question(standard, answers)
    if question is None:  # every question answered (e.g. after a restart): nothing to ask
        return {"header": _header(dialog_manager), "question": "", "options": [], "number": 0, "total": 0}
    return {
        "header": _header(dialog_manager),
        "number": len(answers) + 1,
        "total": len(relevant_questions(standard)),
        "question": escape(question.text.get(locale)),
        "options": [(o.id, o.label.get(locale)) for o in question.options],
    }


async def on_answer(callback: CallbackQuery, widget: Any, manager: DialogManager, option_id: str) -> None:
    standard = _standard(manager)
    answers = manager.dialog_data[ANSWERS]
    question = next_question(standard, answers)
    if question is None or not valid_answer(standard, question.id, option_id):
        return
    answers[question.id] = option_id
    if next_question(standard, answers) is None:
        await manager.switch_to(ChecklistSG.documents)


async def get_documents(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    locale = locale_of(dialog_manager)
    documents = _standard(dialog_manager).documents_for(dialog_manager.dialog_data[ANSWERS])
    listing = "\n".join(f"{i}. {escape(d.name.get(locale))}" for i, d in enumerate(documents, 1))
    return {
        "header": _header(dialog_manager),
        "listing": listing,
        "documents": [(d.id, short_label(f"{i}. {d.name.get(locale)}")) for i, d in enumerate(documents, 1)],
    }


async def get_result(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    catalog = catalog_of(dialog_manager)
    standard = _standard(dialog_manager)
    have = dialog_manager.find(HAVE).get_checked()
    result = evaluate(standard, dialog_manager.dialog_data[ANSWERS], have)
    summary = renderer_of(dialog_manager).render(
        "checklist_summary.j2",
        locale_of(dialog_manager),
        result=result,
        s=standard,
        service=catalog.service(standard.service),
        region=catalog.regions[standard.region],
        office=_office(dialog_manager),
    )
    return {"summary": summary}


def _in_new_message(manager: DialogManager) -> None:
    """Leave the summary where it is: the next window comes in a new message."""
    manager.show_mode = ShowMode.SEND


async def back_from_documents(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    answers = manager.dialog_data[ANSWERS]
    if answers:
        answers.pop(list(answers)[-1])
        await manager.switch_to(ChecklistSG.question)
    else:
        await leave(manager)


async def back_from_question(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    answers = manager.dialog_data[ANSWERS]
    if answers:
        answers.pop(list(answers)[-1])
    else:
        await leave(manager)


async def restart(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    _in_new_message(manager)
    manager.dialog_data[ANSWERS] = {}
    await manager.find(HAVE).reset_checked()
    if next_question(_standard(manager), {}) is None:
        await manager.switch_to(ChecklistSG.documents)
    else:
        await manager.switch_to(ChecklistSG.question)


def _keys(manager: DialogManager) -> list[list[str]]:
    """The checked standard at the chosen office, or at each of its offices if none was chosen."""
    standard_id = manager.dialog_data[STANDARD]
    office = manager.dialog_data.get(OFFICE)
    if office:
        return [[standard_id, office]]
    return [[standard_id, o.id] for o in catalog_of(manager).offices_of(standard_id)]


async def open_application(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    _in_new_message(manager)
    await open_placements(manager, _keys(manager), purpose=PURPOSE_APPLY,
                          answers=dict(manager.dialog_data[ANSWERS]))


async def open_card(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    _in_new_message(manager)
    await open_placements(manager, _keys(manager), purpose=PURPOSE_CARD)


def create_dialog() -> Dialog:
    return Dialog(
        Window(
            Format("{header}\n"),
            I18nFormat("Question {number} of {total}", when="total"),
            Format("<b>{question}</b>"),
            Column(
                Select(Format("{item[1]}"), id="answer", item_id_getter=itemgetter(0), items="options",
                       on_click=on_answer),
            ),
            Row(Button(I18nFormat("⬅️ Back"), id="back", on_click=back_from_question), menu_button()),
            state=ChecklistSG.question,
            getter=get_question,
        ),
        Window(
            Format("{header}\n"),
            I18nFormat("Tick each document you already have, then press «Done»:"),
            Format("{listing}"),
            Column(
                Multiselect(
                    Format("✅ {item[1]}"), Format("⬜ {item[1]}"), id=HAVE,
                    item_id_getter=itemgetter(0), items="documents",
                ),
            ),
            SwitchTo(I18nFormat("✔️ Done"), id="done", state=ChecklistSG.result),
            Row(Button(I18nFormat("⬅️ Back"), id="back", on_click=back_from_documents), menu_button()),
            state=ChecklistSG.documents,
            getter=get_documents,
        ),
        Window(
            Format("{summary}"),
            Button(I18nFormat("📝 Apply online"), id="apply", on_click=open_application),
            Button(I18nFormat("📄 Service card"), id="card", on_click=open_card),
            Button(I18nFormat("🔁 Check again"), id="again", on_click=restart),
            menu_button(ShowMode.SEND),
            state=ChecklistSG.result,
            getter=get_result,
        ),
        on_start=on_start,
    )
