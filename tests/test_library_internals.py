"""The library internals Kenes relies on, named in one place; each test fails when the library
changes under the override, so an upgrade is noticed here rather than by users.

Where a library offers a documented hook, Kenes uses it (aiogram's middlewares and shutdown
observers, the WebhookHandler's public ``close``, aiogram-dialog's ``Text._render_text`` and
the calendar's views through ``Calendar._init_views`` as its documentation shows). What
remains, and why:

1. The booking calendar (dialogs/booking.py) overrides three rendering steps of
   aiogram-dialog's ``CalendarDaysView``: a day without a free place is blank, a week without
   one is left out, and "today" is the application clock's (the library reads the machine's).
   It also overrides ``Calendar._handle_scope_months`` (no zooming out) and
   ``Calendar._get_user_config`` (the first and last bookable day).
2. The dialog ids (dialogs/widgets.py, ``unique_intent_ids``): aiogram-dialog draws them from
   the time in seconds and 0-99, so two dialogs opened in one second collided once in a hundred.
3. The shutdown order (bot/app.py): aiogram's Dispatcher registers closing the FSM storage as
   its only shutdown observer; Kenes moves its drain of the updates in hand before it.
4. The message manager (dialogs/widgets.py, ``KenesMessageManager``, given to
   ``setup_dialogs(message_manager=...)`` as aiogram-dialog allows): ``remove_reply_kbd`` says a
   word instead of "...", and ``remove_message_safe`` deletes that word with the phone step's
   window (it uses ``had_reply_keyboard`` and ``need_reply_keyboard``), so no «✔️ Got it.» stays;
   ``remove_inline_kbd`` leaves a notice's buttons in place when one of them is pressed.
5. The pager (dialogs/widgets.py, ``Pages``): ``ScrollingGroup._render_pager`` draws «1/2 ›»
   instead of the library's «1 < 1 > 2».
6. Reply keyboards (dialogs/widgets.py, ``PlainReplyKeyboard``): ``ReplyKeyboardFactory.
   render_markup`` leaves out the invisible characters aiogram-dialog appends to each label.
"""

from __future__ import annotations

import inspect

from aiogram import Dispatcher
from aiogram_dialog.api.entities import stack as dialog_stack
from aiogram_dialog.widgets.kbd import Calendar
from aiogram_dialog.widgets.kbd.calendar_kbd import CalendarDaysView

from dialogs.booking import BookableDaysView, BookingCalendar


def parameters(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


def test_the_calendar_steps_overridden_still_exist_with_the_same_parameters() -> None:
    expected = {
        (CalendarDaysView, "_render_date_button"): ["self", "selected_date", "today", "data", "manager"],
        (CalendarDaysView, "_render_days"): ["self", "config", "offset", "data", "manager"],
        (CalendarDaysView, "_render_pager"): ["self", "config", "offset", "data", "manager"],
        (Calendar, "_init_views"): ["self"],
        (Calendar, "_handle_scope_months"): ["self", "data", "manager"],
        (Calendar, "_get_user_config"): ["self", "data", "manager"],
    }
    for (library, name), names in expected.items():
        assert parameters(getattr(library, name)) == names, f"{library.__name__}.{name} changed"
    ours = {BookableDaysView: CalendarDaysView, BookingCalendar: Calendar}
    overridden = {(ours[cls], name) for cls in ours for name, value in vars(cls).items()
                  if name.startswith("_") and not name.startswith("__") and callable(value)}
    assert overridden == set(expected), "an override of the calendar is not named here"


def test_the_dialog_id_generator_is_still_where_it_is_replaced() -> None:
    assert callable(dialog_stack.new_id) and callable(dialog_stack.id_to_str)
    assert isinstance(dialog_stack.id_to_str(2**35 - 1), str)


def test_the_dispatcher_still_closes_the_fsm_storage_as_its_only_shutdown_observer() -> None:
    dp = Dispatcher()
    assert [h.callback for h in dp.shutdown.handlers] == [dp.fsm.close]


def test_the_message_manager_steps_overridden_still_exist_with_the_same_parameters() -> None:
    from aiogram_dialog.manager.message_manager import MessageManager

    expected = {
        "remove_reply_kbd": ["self", "bot", "old_message"],
        "remove_message_safe": ["self", "bot", "old_message", "new_message"],
        "had_reply_keyboard": ["self", "old_message"],
        "need_reply_keyboard": ["self", "new_message"],
        "remove_inline_kbd": ["self", "bot", "old_message"],
    }
    for name, params in expected.items():
        assert parameters(getattr(MessageManager, name)) == params, name


def test_the_pager_and_the_reply_keyboard_steps_overridden_still_exist() -> None:
    from aiogram_dialog.widgets.kbd import ScrollingGroup
    from aiogram_dialog.widgets.markup.reply_keyboard import ReplyKeyboardFactory

    from dialogs.widgets import Pages, PlainReplyKeyboard

    assert parameters(ScrollingGroup._render_pager) == ["self", "pages", "manager"]
    assert parameters(ReplyKeyboardFactory.render_markup) == ["self", "data", "manager", "keyboard"]
    assert {n for n, v in vars(Pages).items() if n.startswith("_") and not n.startswith("__") and callable(v)} \
        == {"_render_pager"}
    assert "render_markup" in vars(PlainReplyKeyboard)
