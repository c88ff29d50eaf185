"""Files and phone numbers people send into dialogs (applications, complaints), checked alike."""

from __future__ import annotations

from typing import Any

from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from domain.identifiers import normalize_phone

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
ALLOWED_MIME = (PDF, JPEG, PNG)


def file_of(message: Message, limit_mb: int) -> tuple[dict[str, Any] | None, str | None]:
    """The photo, or the PDF/JPEG/PNG document, of a message as it is stored (file id and
    metadata); or, instead, why it cannot be taken.

    What the sender's app claims is only a first sieve: a type or a size it tells that cannot
    be accepted is refused at once; a size it does not tell is accepted for now. The file's
    content and real size are checked when it is downloaded (jobs.scans)."""
    if message.photo:
        photo = message.photo[-1]
        item = {"file_id": photo.file_id, "file_unique_id": photo.file_unique_id, "kind": "photo",
                "mime_type": JPEG, "file_name": None, "file_size": photo.file_size}
    elif message.document:
        document = message.document
        if document.mime_type not in ALLOWED_MIME:
            return None, _("This file type cannot be accepted. Please send a photo, or a PDF, JPEG or PNG file.")
        item = {"file_id": document.file_id, "file_unique_id": document.file_unique_id, "kind": "document",
                "mime_type": document.mime_type, "file_name": document.file_name, "file_size": document.file_size}
    else:
        return None, None
    if (item["file_size"] or 0) > limit_mb * 1024 * 1024:
        return None, _("This file is larger than {size} MB. Please send a smaller scan or photo.").format(
            size=limit_mb)
    return item, None


def phone_of(message: Message) -> tuple[str | None, str]:
    """The sender's own Kazakhstan number from a shared contact or typed text; or why not."""
    contact = message.contact
    if contact is not None:
        if contact.user_id is not None and message.from_user and contact.user_id != message.from_user.id:
            return None, _("Please share your own phone number, or type it.")
        phone = normalize_phone(contact.phone_number)
        return phone, _("This is not a Kazakhstan number. Please type one as +7 701 123 45 67.")
    phone = normalize_phone(message.text or "")
    return phone, _("Please type a Kazakhstan number as +7 701 123 45 67, or press «Share my phone».")
