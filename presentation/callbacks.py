"""Every button's callback data outside aiogram-dialog, in one place (aiogram's ``CallbackData``).

Built with ``.pack()`` and matched with ``.filter()``: no handler splits strings by hand. The
packed forms (``sv:<number>:<question>:<answer>``, ``bk:cancel:<number>``, ...) are the ones the
outbox has stored under notices already sent, so they stay as they are. Data that does not
unpack (a forged or outdated button) matches no filter and reaches the polite fallback
(handlers/fallback.py). aiogram-dialog's own widgets keep their own ids.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class SurveyAnswer(CallbackData, prefix="sv"):
    """An answer to a case's satisfaction question (after the certificate is issued)."""

    number: str
    question: int
    answer: str


class ComplaintSurveyAnswer(CallbackData, prefix="sq"):
    """An answer to a complaint's satisfaction question (after the complaint is answered)."""

    number: str
    question: int
    answer: str


class VisitSurveyAnswer(CallbackData, prefix="vq"):
    """An answer about the staff's courtesy, asked when a visit is served (indicator 5.1)."""

    number: str
    answer: str


class BookingAction(CallbackData, prefix="bk"):
    """A button under a booking reminder (``action``: ``cancel``)."""

    action: str
    number: str


class HandoffAction(CallbackData, prefix="ho"):
    """Talk to a clerk (``start``) or go back to the bot (``end``)."""

    event: str


class ClerkAction(CallbackData, prefix="ck"):
    """A clerk's move on a case (``action``: a lifecycle action)."""

    number: str
    action: str


class ClerkGround(CallbackData, prefix="cg"):
    """The refusal ground a clerk picked (its index in the standard's list)."""

    number: str
    ground: int


class ClerkExtension(CallbackData, prefix="cx"):
    """The extension a clerk picked (months the standard allows)."""

    number: str
    months: int


class ClerkScan(CallbackData, prefix="cs"):
    """A scan of a case a clerk opens (``scan``: the attachment's id; it must be the case's)."""

    number: str
    scan: int


class VisitAction(CallbackData, prefix="vs"):
    """A clerk's mark on a visit (``event``: show, arrived, served, no_show ...)."""

    number: str
    event: str


class CaseNoticeAction(CallbackData, prefix="cn"):
    """A button under a notice about a case: what the applicant can do next.

    ``action``: ``open`` (the case's screen), ``book`` (book a visit to the office, e.g. to
    collect the result), ``hours`` (the office's hours today), ``complain`` (a complaint about
    the case).
    """

    action: str
    number: str


class ComplaintOpen(CallbackData, prefix="co"):
    """«My complaint» under a notice about a complaint: the complaint's screen."""

    number: str
