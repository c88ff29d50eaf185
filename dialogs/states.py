"""All dialog states, one group per dialog."""

from aiogram.fsm.state import State, StatesGroup


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
