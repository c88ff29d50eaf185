"""One engine for the long forms (an application, a complaint, any future one).

A form is data: :meth:`FormSpec.steps` lists its steps in order (it may grow, as the
publications of a foreign-media application do), each a :class:`Step` of a *kind* that names
the window it is asked in and the type its typed answer must have. The engine owns what every
form shares, on aiogram-dialog's own patterns:

- one window per kind; a typed answer goes through a ``TextInput`` whose ``type_factory``
  checks it (``ValueError`` → ``on_error`` explains in the window itself);
- forward and back (``Back`` never loses a value: each window shows it with «Keep»), and the
  review-then-edit pattern (an edit started from the review returns to it once its section
  is done);
- one message per form: the window is edited in place, the user's typed answer is deleted
  once taken (bots may delete incoming messages in a private chat for 48 hours; the value is
  shown in the window and in the review), and the step counter is the only line that moves.
  Scans stay in the chat (their file ids are downloaded later); after each one the window is
  sent again below them, the previous copy deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from html import escape
from operator import itemgetter
from typing import Any, Protocol

from aiogram.enums import ContentType
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram_dialog import DialogManager, ShowMode, Window
from aiogram_dialog.widgets.input import ManagedTextInput, TextInput
from aiogram_dialog.widgets.kbd import Button, Column, RequestContact, Row, Select
from aiogram_dialog.widgets.text import Format

from dialogs.forms import clean_name, clean_number, clean_text
from dialogs.uploads import file_of, phone_of
from dialogs.widgets import I18nFormat, Input, PlainReplyKeyboard
from domain.identifiers import is_valid_iin_or_bin, normalize_phone
from presentation.i18n import N_

POS, REVIEWING, ERROR, TOTAL = "pos", "reviewing", "error", "total"

# The kinds of step, each with its window (a state of the form's group of the same name).
CHOICE, NAME, IDENT, PHONE, TEXT, NUMBER, LONGTEXT, FILES, MORE = (
    "choice", "name", "ident", "phone", "text", "number", "longtext", "files", "more")

ERRORS = {
    NAME: N_("Please type the name in letters (2 to 150 characters)."),
    IDENT: N_("This is not a valid IIN: it has 12 digits and the last one is a check digit. Please check it."),
    PHONE: N_("Please type a Kazakhstan number as +7 701 123 45 67, or press «Share my phone»."),
    TEXT: N_("Please type a short text answer (up to 300 characters)."),
    NUMBER: N_("Please type a whole number, for example 500."),
    LONGTEXT: N_("Please describe it in {min} to {max} characters (now: {count})."),
}


@dataclass(frozen=True)
class Step:
    """One step of a form: what kind of answer, where it is kept (``key``), and the section
    it is edited in from the review (steps of one section are walked together)."""

    kind: str
    key: str
    section: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # a gettext msgid, when the kind's usual one does not fit

    @property
    def part(self) -> str:
        return self.section or self.key


@dataclass
class Shown:
    """What a step's window says: the prompt (HTML), the current value, the choices."""

    prompt: str
    current: str | None = None
    options: list[tuple[str, str]] = field(default_factory=list)


def _checked(clean: Callable[[str], Any]) -> Callable[[str], Any]:
    """A type factory from a cleaner that says ``None`` for what it cannot take."""

    def factory(text: str) -> Any:
        value = clean(text)
        if value is None:
            raise ValueError
        return value

    return factory


def _ident(text: str) -> str | None:
    return "".join(text.split()).replace("-", "") if is_valid_iin_or_bin(text) else None


def _longtext(text: str) -> str | None:
    value = text.strip()
    return value if value and not value.startswith("/") else None


_phone = _checked(normalize_phone)

TYPES: dict[str, Callable[[str], Any]] = {
    NAME: _checked(clean_name), IDENT: _checked(_ident), TEXT: _checked(clean_text),
    NUMBER: _checked(clean_number), PHONE: _phone, LONGTEXT: _checked(_longtext),
}


class FormSpec(Protocol):
    """What a form tells the engine; the rest (windows, moves, review edits) is the engine's."""

    states: Any  # the form's StatesGroup: a state per kind the form uses, plus ``review``

    def steps(self, manager: DialogManager) -> list[Step]: ...

    def header(self, manager: DialogManager) -> str: ...

    def show(self, manager: DialogManager, step: Step) -> Shown: ...

    def store(self, manager: DialogManager, step: Step, value: Any) -> str | None:
        """Keep a valid answer; or say why it cannot be taken (a translated text)."""

    def files(self, manager: DialogManager, step: Step) -> list[dict[str, Any]]:
        """The scans of a ``files`` step (the list kept in dialog data, changed in place)."""

    def edit_label(self, manager: DialogManager, step: Step) -> str: ...

    async def before_first(self, manager: DialogManager) -> None:
        """«Back» at the first step."""


class FormEngine:
    """The moves and windows of one form."""

    def __init__(self, spec: FormSpec) -> None:
        self.spec = spec

    # --- where the user is ----------------------------------------------------------------

    def here(self, manager: DialogManager) -> Step:
        steps = self.spec.steps(manager)
        return steps[min(manager.dialog_data.get(POS, 0), len(steps) - 1)]

    async def go(self, manager: DialogManager, pos: int) -> None:
        steps = self.spec.steps(manager)
        pos = max(0, min(pos, len(steps)))
        manager.dialog_data[POS] = pos
        manager.dialog_data[TOTAL] = len(steps) + 1
        manager.dialog_data[ERROR] = None
        state = self.spec.states.review if pos >= len(steps) else getattr(self.spec.states, steps[pos].kind)
        await manager.switch_to(state)

    async def review(self, manager: DialogManager) -> None:
        await self.go(manager, len(self.spec.steps(manager)))

    async def forward(self, manager: DialogManager) -> None:
        """The next step; after an edit started from the review, back to the review once the
        section edited is done."""
        steps = self.spec.steps(manager)
        pos = manager.dialog_data.get(POS, 0)
        if manager.dialog_data.get(REVIEWING) and (pos + 1 >= len(steps) or steps[pos + 1].part != steps[pos].part):
            await self.review(manager)
            return
        await self.go(manager, pos + 1)

    async def back(self, callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
        if manager.dialog_data.get(REVIEWING):
            await self.review(manager)
        elif manager.dialog_data.get(POS, 0) == 0:
            await self.spec.before_first(manager)
        else:
            await self.go(manager, manager.dialog_data[POS] - 1)

    async def keep(self, callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
        await self.forward(manager)

    def progress(self, manager: DialogManager) -> tuple[int, int]:
        """(step, of how many), counted from 1; the review is the last."""
        total = len(self.spec.steps(manager)) + 1
        return min(manager.dialog_data.get(POS, 0) + 1, total), total

    # --- the windows' data ----------------------------------------------------------------

    async def get_step(self, dialog_manager: DialogManager, **_kwargs: Any) -> dict[str, Any]:
        manager = dialog_manager
        step = self.here(manager)
        shown = self.spec.show(manager, step)
        files = self.spec.files(manager, step) if step.kind == FILES else []
        step_no, total = self.progress(manager)
        error = manager.dialog_data.get(ERROR)
        return {
            "header": self.spec.header(manager),
            "step": _("Step {step} of {total}").format(step=step_no, total=total),
            "prompt": shown.prompt,
            "current": escape(str(shown.current)) if shown.current is not None else "",
            "has_current": shown.current is not None,
            "options": shown.options,
            "files_count": len(files),
            "has_files": bool(files),
            "error": escape(error) if error else "",
            "has_error": bool(error),
            "skip": _(step.params.get("skip") or N_("⏭ Skip")),
        }

    # --- input ------------------------------------------------------------------------------

    async def _taken(self, message: Message, manager: DialogManager) -> None:
        """The user's typed answer is in the window now: remove it from the chat."""
        manager.show_mode = ShowMode.EDIT
        with suppress(TelegramAPIError):
            await message.delete()

    async def _refuse(self, message: Message, manager: DialogManager, text: str) -> None:
        manager.dialog_data[ERROR] = text
        await self._taken(message, manager)

    async def on_value(self, message: Message, widget: ManagedTextInput[Any], manager: DialogManager,
                       value: Any) -> None:
        step = self.here(manager)
        problem = self.spec.store(manager, step, value)
        if problem:
            await self._refuse(message, manager, problem)
            return
        await self._taken(message, manager)
        await self.forward(manager)

    async def on_error(self, message: Message, widget: ManagedTextInput[Any], manager: DialogManager,
                       error: ValueError) -> None:
        step = self.here(manager)
        text = _(step.error or ERRORS.get(step.kind, N_("Please use the buttons below the message.")))
        await self._refuse(message, manager, text.format(count=len(message.text or ""), **step.params))

    async def on_contact(self, message: Message, widget: Any, manager: DialogManager) -> None:
        """A phone shared with the button: taken only if it is the sender's own contact."""
        contact = message.contact
        phone, problem = phone_of(message)
        sender = message.from_user
        if contact is None or sender is None or contact.user_id != sender.id:
            phone, problem = None, _("Please share your own phone number, or type it.")
        if phone is None:
            await self._refuse(message, manager, problem)
            return
        self.spec.store(manager, self.here(manager), (phone, True))
        await self._taken(message, manager)
        await self.forward(manager)

    async def on_phone_text(self, message: Message, widget: ManagedTextInput[Any], manager: DialogManager,
                            value: str) -> None:
        await self.on_value(message, widget, manager, (value, False))

    async def on_choice(self, callback: CallbackQuery, widget: Any, manager: DialogManager, option: str) -> None:
        step = self.here(manager)
        if step.kind != CHOICE:
            return
        problem = self.spec.store(manager, step, option)
        if problem:
            await callback.answer(problem, show_alert=True)
            return
        await self.forward(manager)

    async def on_file(self, message: Message, widget: Any, manager: DialogManager) -> None:
        """A scan: a photo, or a PDF/JPEG/PNG file within the size limit. The window follows it."""
        manager.show_mode = ShowMode.DELETE_AND_SEND
        manager.dialog_data[ERROR] = None
        step = self.here(manager)
        item, problem = file_of(message, manager.middleware_data["settings"].max_upload_mb)
        if item is None:
            manager.dialog_data[ERROR] = problem or _(step.error or N_(
                "Please send a photo or a PDF, JPEG or PNG file, or press «Skip»."))
            return
        files = self.spec.files(manager, step)
        if len(files) >= step.params.get("max", 10):
            manager.dialog_data[ERROR] = _(step.params.get("full") or N_("That is enough files here. Press «Next»."))
            return
        files.append(item)

    async def clear_files(self, callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
        self.spec.files(manager, self.here(manager)).clear()

    async def other_input(self, message: Message, widget: Any, manager: DialogManager) -> None:
        await self._refuse(message, manager, _("Please use the buttons below the message."))

    # --- review edits -----------------------------------------------------------------------

    def edits(self, manager: DialogManager) -> list[tuple[str, str]]:
        """A button per section, each opening the section's first step."""
        result, seen = [], set()
        for index, step in enumerate(self.spec.steps(manager)):
            if step.part in seen or (step.kind in (CHOICE, MORE) and not step.params.get("editable")):
                continue
            seen.add(step.part)
            result.append((str(index), self.spec.edit_label(manager, step)))
        return result

    async def on_edit(self, callback: CallbackQuery, widget: Any, manager: DialogManager, index: str) -> None:
        if not index.isdigit():
            return
        manager.dialog_data[REVIEWING] = True
        await self.go(manager, int(index))

    def edit_buttons(self) -> Column:
        return Column(Select(Format("{item[1]}"), id="edit", item_id_getter=itemgetter(0), items="edits",
                             on_click=self.on_edit))

    # --- the windows ------------------------------------------------------------------------

    def footer(self, cancel: Callable[..., Any]) -> Row:
        return Row(Button(I18nFormat("⬅️ Back"), id="back", on_click=self.back),
                   Button(I18nFormat("✖️ Cancel"), id="cancel", on_click=cancel))

    def _keep(self) -> Button:
        return Button(I18nFormat("Keep it ▶"), id="keep", on_click=self.keep, when="has_current")

    def _texts(self) -> tuple[Any, ...]:
        return (Format("{header}\n{step}\n\n{prompt}"),
                I18nFormat("\nNow: <b>{current}</b>", when="has_current"),
                Format("\n⚠️ {error}", when="has_error"))

    def windows(self, kinds: tuple[str, ...], cancel: Callable[..., Any]) -> list[Window]:
        """A window for each kind of step this form uses."""
        states = self.spec.states
        getter = self.get_step
        made: list[Window] = []
        for kind in kinds:
            state: State = getattr(states, kind)
            if kind == CHOICE:
                made.append(Window(
                    *self._texts(),
                    Column(Select(Format("{item[1]}"), id="answer", item_id_getter=itemgetter(0), items="options",
                                  on_click=self.on_choice)),
                    Input(self.other_input), self.footer(cancel), state=state, getter=getter))
            elif kind == PHONE:
                made.append(Window(
                    *self._texts(),
                    Input(self.on_contact, content_types=ContentType.CONTACT),
                    TextInput("phone", type_factory=_phone, on_success=self.on_phone_text, on_error=self.on_error),
                    Input(self.other_input),
                    RequestContact(I18nFormat("📱 Share my phone")), self._keep(), self.footer(cancel),
                    markup_factory=PlainReplyKeyboard(resize_keyboard=True, one_time_keyboard=True),
                    state=state, getter=getter))
            elif kind == FILES:
                made.append(Window(
                    Format("{header}\n{step}\n\n{prompt}"),
                    I18nFormat("\n✅ Files received: {files_count}", when="has_files"),
                    Format("\n⚠️ {error}", when="has_error"),
                    Input(self.on_file),
                    Button(I18nFormat("Next ▶"), id="next", on_click=self.keep, when="has_files"),
                    Button(Format("{skip}"), id="skip", on_click=self.keep,
                           when=lambda d, w, m: not d["has_files"]),
                    Button(I18nFormat("🗑 Send again"), id="clear", on_click=self.clear_files, when="has_files"),
                    self.footer(cancel), state=state, getter=getter))
            elif kind in TYPES:
                made.append(Window(
                    *self._texts(),
                    TextInput(kind, type_factory=TYPES[kind], on_success=self.on_value, on_error=self.on_error),
                    Input(self.other_input), self._keep(), self.footer(cancel), state=state, getter=getter))
        return made
