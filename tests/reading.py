"""Reading a long page as a user does: screen by screen, «Подробнее / Толығырақ» to its end."""

from __future__ import annotations

from tests.telegram import ChatClient

MORE = ("Подробнее ›", "Толығырақ ›")


async def read_page(client: ChatClient) -> str:
    """The whole page shown now (its screens joined by a blank line); leaves its last screen shown."""
    screens = [client.last.text]
    while more := next((label for label in MORE if label in client.last.button_texts), None):
        await client.click(more, exact=True)
        screens.append(client.last.text)
    return "\n\n".join(screens)
