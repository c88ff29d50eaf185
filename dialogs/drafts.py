"""Drafts: a half-filled application or complaint is not thrown away without a word.

/start or /menu in the middle of a form asks first: continue, keep it as a draft, or discard
it. A draft is stored in the database (it survives restarts), is offered again in the main
menu and when the same service's application is opened again (from its card or the
catalog), and expires :data:`DRAFT_LIFETIME` after it was kept (the user is told until when).
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, ErrorEvent, Message
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import Dialog, DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.api.exceptions import NoContextError
from aiogram_dialog.widgets.kbd import Button
from aiogram_dialog.widgets.text import Format

from dialogs.common import catalog_of, locale_of, renderer_of
from dialogs.form_engine import POS, TOTAL, FormEngine
from dialogs.states import ApplicationSG, ComplaintSG, LeaveFormSG, MenuSG
from dialogs.widgets import I18nFormat
from storage.repositories import Repositories

DRAFT_LIFETIME = timedelta(days=7)
APPLICATION, COMPLAINT = "application", "complaint"
FORMS = {ApplicationSG: APPLICATION, ComplaintSG: COMPLAINT}
STARTS = {APPLICATION: ApplicationSG.choice, COMPLAINT: ComplaintSG.choice}
DRAFT = "draft"  # start data: {"draft": form} continues the user's draft of that form
OFFER = "offer"  # dialog data: the draft offered when the same application is opened again
# Windows a form is not "in the middle" in: nothing typed yet, or already sent.
NOT_IN_PROGRESS = {ApplicationSG.receipt, ApplicationSG.receipt_full, ApplicationSG.draft,
                   ComplaintSG.about, ComplaintSG.talon, ComplaintSG.draft}


def _repositories(manager: DialogManager) -> Repositories:
    repositories: Repositories = manager.middleware_data["repositories"]
    return repositories


def _user(manager: DialogManager) -> int | None:
    """Whose drafts: the update's sender (also when an error handler shows the menu)."""
    user = manager.middleware_data.get("event_from_user") or getattr(manager.event, "from_user", None)
    return int(user.id) if user is not None else None


def _user_id(manager: DialogManager) -> int:
    user_id = _user(manager)
    assert user_id is not None, "drafts are kept for a user"
    return user_id


def form_of(manager: DialogManager) -> str | None:
    """The form the user's top dialog is, if it is one."""
    try:
        context = manager.current_context()
    except NoContextError:
        return None
    return FORMS.get(context.state.group)  # type: ignore[call-overload]


def title(manager: DialogManager, form: str, standard_id: str | None) -> str:
    """What the draft is: the service's name (an application) or «Complaint»."""
    if form == COMPLAINT or standard_id is None:
        return _("Complaint")
    catalog = catalog_of(manager)
    return catalog.service(catalog.standard(standard_id).service).name.get(locale_of(manager))


async def ask_before_leaving(manager: DialogManager, then: str) -> bool:
    """If the user is in the middle of a form, ask what to do with it (and say True)."""
    form = form_of(manager)
    if form is None:
        return False
    context = manager.current_context()
    data = context.dialog_data
    if context.state in NOT_IN_PROGRESS or (data.get(POS, 0) == 0 and not data.get("reviewing")):
        return False
    # The question takes the form's message (the command typed is removed), so the chat does
    # not gain a message; «Continue» turns it back into the form.
    if isinstance(manager.event, Message):
        with suppress(TelegramAPIError):
            await manager.event.delete()
    await manager.start(LeaveFormSG.ask, data={
        "form": form, "data": data, "then": then, "standard": data.get("standard"),
        "step": data.get(POS, 0) + 1, "total": data.get(TOTAL, 0),
    }, show_mode=ShowMode.EDIT)
    return True


def _refresh(manager: DialogManager, user: Any) -> None:
    """The update's ``user`` is the row as changed now (the menu shown next reads it)."""
    if user is not None:
        manager.middleware_data["user"] = user


async def save(manager: DialogManager, form: str, data: dict[str, Any]) -> Any:
    repositories = _repositories(manager)
    expires = repositories.now() + DRAFT_LIFETIME
    draft, user = await repositories.drafts.save(_user_id(manager), form, data.get("standard"), data, expires)
    await repositories.commit()
    _refresh(manager, user)
    return draft


async def _delete(manager: DialogManager, form: str) -> None:
    repositories = _repositories(manager)
    user = await repositories.drafts.delete(_user_id(manager), form)
    await repositories.commit()
    _refresh(manager, user)


async def forget(manager: DialogManager) -> None:
    """The form was sent or cancelled: its draft, if any, is gone too."""
    form = form_of(manager)
    if form is None or not _may_have_drafts(manager):
        return
    await _delete(manager, form)


async def load(manager: DialogManager, form: str) -> dict[str, Any] | None:
    draft = await _repositories(manager).drafts.get(_user_id(manager), form)
    return dict(draft.data) if draft is not None else None


def _may_have_drafts(manager: DialogManager) -> bool:
    """From the user's row (read or cached for every update anyway): no query for users
    without a draft that is still kept."""
    user = manager.middleware_data.get("user")
    until = getattr(user, "drafts_until", None)
    return until is not None and until > _repositories(manager).now()


async def menu_items(manager: DialogManager) -> list[tuple[str, str]]:
    """The menu's «Continue» buttons: one per draft that has not expired."""
    user_id = _user(manager)
    if user_id is None or isinstance(manager.event, ErrorEvent):
        return []  # the menu shown after an error: that update's session is already closed
    if not _may_have_drafts(manager):
        return []
    drafts = await _repositories(manager).drafts.of_user(user_id)
    renderer, locale = renderer_of(manager), locale_of(manager)
    return [(d.form, renderer.render("draft_button.j2", locale, title=title(manager, d.form, d.standard_id),
                                     expires=d.expires_at)) for d in drafts]


async def continue_from_menu(callback: CallbackQuery, widget: Any, manager: DialogManager, form: str) -> None:
    if form not in STARTS:
        return
    await manager.start(STARTS[form], data={DRAFT: form}, mode=StartMode.RESET_STACK)


async def started_from_draft(start_data: dict[str, Any], manager: DialogManager, form: str,
                             engine: FormEngine) -> bool:
    """A form started with ``{"draft": form}`` (the menu's «Continue»): carry on with the
    draft (or, if it expired meanwhile, close); say True if so."""
    if not start_data.get(DRAFT):
        return False
    saved = await load(manager, form)
    if saved is None:
        await manager.done()
    else:
        await resume(manager, engine, saved)
    return True


async def resume(manager: DialogManager, engine: FormEngine, data: dict[str, Any]) -> None:
    """Carry on with a draft's data where it was left."""
    manager.dialog_data.clear()
    manager.dialog_data.update(data)
    await engine.go(manager, data.get(POS, 0))


# --- the question on leaving ------------------------------------------------------------------


async def get_ask(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
    start = dialog_manager.start_data
    assert isinstance(start, dict)
    return {"text": renderer_of(dialog_manager).render(
        "draft_ask.j2", locale_of(dialog_manager), title=title(dialog_manager, start["form"], start["standard"]),
        step=start["step"], total=start["total"], days=DRAFT_LIFETIME.days)}


async def carry_on(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await manager.done(show_mode=ShowMode.EDIT)


async def keep_draft(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    start = manager.start_data
    assert isinstance(start, dict)
    draft = await save(manager, start["form"], start["data"])
    text = renderer_of(manager).render("draft_kept.j2", locale_of(manager), expires=draft.expires_at)
    await callback.answer(text, show_alert=True)
    await _then(manager, start["then"])


async def discard(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    start = manager.start_data
    assert isinstance(start, dict)
    await _delete(manager, start["form"])
    await callback.answer(_("The unfinished form is discarded."))
    await _then(manager, start["then"])


async def _then(manager: DialogManager, then: str) -> None:
    await manager.start(MenuSG.main, mode=StartMode.RESET_STACK, show_mode=ShowMode.EDIT)


def create_dialog() -> Dialog:
    return Dialog(Window(
        Format("{text}"),
        Button(I18nFormat("▶️ Continue filling it in"), id="continue", on_click=carry_on),
        Button(I18nFormat("💾 Keep it as a draft"), id="keep", on_click=keep_draft),
        Button(I18nFormat("🗑 Discard it"), id="discard", on_click=discard),
        state=LeaveFormSG.ask,
        getter=get_ask,
    ))


# --- the offer when the same application is opened again --------------------------------------


def windows(state: Any, engine: FormEngine | None = None) -> list[Window]:
    """The window offering a form's draft (``engine`` is set by the form's module)."""

    async def getter(dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
        offer = dialog_manager.dialog_data[OFFER]
        return {"text": renderer_of(dialog_manager).render(
            "draft_offer.j2", locale_of(dialog_manager), title=title(dialog_manager, offer["form"], offer["standard"]),
            saved=datetime.fromisoformat(offer["saved_at"]), expires=datetime.fromisoformat(offer["expires_at"]))}

    async def take(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
        offer = manager.dialog_data[OFFER]
        data = await load(manager, offer["form"])
        assert engine is not None
        if data is None:
            await callback.answer(_("That draft has expired."), show_alert=True)
            await engine.go(manager, 0)
            return
        await resume(manager, engine, data)

    async def anew(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
        offer = manager.dialog_data.pop(OFFER)
        await _delete(manager, offer["form"])
        assert engine is not None
        await engine.go(manager, 0)

    return [Window(
        Format("{text}"),
        Button(I18nFormat("▶️ Continue the draft"), id="take", on_click=take),
        Button(I18nFormat("🆕 Start anew"), id="anew", on_click=anew),
        state=state,
        getter=getter,
    )]


async def offer(manager: DialogManager, form: str, standard_id: str | None) -> bool:
    """Opening a form that has a draft (for the same service): offer it (and say True)."""
    if not _may_have_drafts(manager):
        return False
    draft = await _repositories(manager).drafts.get(_user_id(manager), form)
    if draft is None or draft.standard_id != standard_id:
        return False
    manager.dialog_data[OFFER] = {"form": form, "standard": standard_id, "saved_at": draft.saved_at.isoformat(),
                                  "expires_at": draft.expires_at.isoformat()}
    return True
