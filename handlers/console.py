"""``/console``: a member of staff asks the bot for a one-time sign-in link to the web console.

Only in a private chat (a link posted in a group could be opened by anyone there), only for
staff (``CLERK_IDS``, ``SUPERVISOR_IDS``), and only when the console is on. The link works
once, for ``CONSOLE_LINK_MINUTES``; the request is written to the audit log.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.enums import ChatType
from aiogram.filters import Command
from aiogram.types import LinkPreviewOptions, Message
from aiogram.utils.i18n import gettext as _

from config import Settings
from services.staff import AuditTrail, SignInLinks, roles_from
from storage.repositories import Repositories


async def console_command(message: Message, settings: Settings, repositories: Repositories,
                          console_links: SignInLinks | None = None) -> None:
    user = message.from_user
    staff = roles_from(settings).of(user.id) if user else None
    if staff is None:
        await message.answer(_("Sorry, this is for clerks only."))
        return
    if message.chat.type != ChatType.PRIVATE:
        await message.answer(_("Send /console to me in a private chat: the link is personal."))
        return
    if console_links is None:
        await message.answer(_("The web console is not turned on."))
        return
    token = await console_links.issue(repositories, staff.user_id)
    AuditTrail(console_links.clock).record(repositories, source="telegram", actor=staff.actor, origin="telegram",
                                           action="console.link")
    await repositories.commit()
    url = f"{settings.console_base_url}/console/signin?token={token}"
    minutes = settings.console_link_minutes
    await message.answer(
        _("Your sign-in link to the console. It works once, within {minutes} min; do not forward it.").format(
            minutes=minutes) + f"\n\n{url}",
        link_preview_options=LinkPreviewOptions(is_disabled=True))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(console_command, Command("console"))
    return router
