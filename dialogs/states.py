"""All dialog states, one group per dialog."""

from aiogram.filters import BaseFilter
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message
from aiogram_dialog.api.entities import Context


class LanguageSG(StatesGroup):
    choose = State()


class MenuSG(StatesGroup):
    main = State()
    ask = State()


class CatalogSG(StatesGroup):
    service = State()
    region = State()
    city = State()
    office = State()


class CardSG(StatesGroup):
    overview = State()
    where = State()
    documents = State()
    refusal = State()
    complaints = State()
    contacts = State()
    quality = State()
    fact = State()


class ChecklistSG(StatesGroup):
    question = State()
    documents = State()
    result = State()


class ApplicationSG(StatesGroup):
    """A window per kind of step (see :mod:`dialogs.form_engine`), the review, the receipt."""

    choice = State()
    name = State()
    ident = State()
    phone = State()
    text = State()
    number = State()
    more = State()
    files = State()
    review = State()
    receipt = State()
    receipt_full = State()
    draft = State()


class CasesSG(StatesGroup):
    list = State()
    detail = State()


class BookingSG(StatesGroup):
    day = State()
    time = State()
    confirm = State()
    talon = State()
    refused = State()


class MyBookingsSG(StatesGroup):
    list = State()
    detail = State()
    cancel = State()


class ComplaintSG(StatesGroup):
    about = State()
    choice = State()
    longtext = State()
    files = State()
    name = State()
    phone = State()
    review = State()
    talon = State()
    draft = State()


class LeaveFormSG(StatesGroup):
    """/start or /menu in the middle of a form: continue, keep as a draft, or discard."""

    ask = State()


class MyComplaintsSG(StatesGroup):
    list = State()
    detail = State()
    add_info = State()


# Windows that take typed text or files: messages there go to the dialog, not to the
# free-text questions or the non-text hint.
INPUT_STATES = frozenset({
    ApplicationSG.choice, ApplicationSG.name, ApplicationSG.ident, ApplicationSG.phone, ApplicationSG.text,
    ApplicationSG.number, ApplicationSG.more, ApplicationSG.files, ApplicationSG.review,
    ComplaintSG.longtext, ComplaintSG.files, ComplaintSG.name, ComplaintSG.phone, MyComplaintsSG.add_info,
})


class NotTypingIntoDialog(BaseFilter):
    """False while the user's open dialog window expects this message (a name, a scan)."""

    async def __call__(self, message: Message, aiogd_context: Context | None = None) -> bool:
        return aiogd_context is None or aiogd_context.state not in INPUT_STATES
