"""Who made a change: recorded with each event of a case or a complaint as one string.

``user:<telegram id>`` (the applicant or complainant), ``clerk:<telegram id>:<name>`` (a
clerk in Telegram, with their name then), ``api:<name>`` (a back-office system, as it named
itself) and ``system`` (the bot itself, e.g. archiving uncollected results).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ActorKind = Literal["user", "clerk", "api", "system"]
LIMIT = 64  # the events' actor column


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: int | None = None
    name: str | None = None

    @classmethod
    def user(cls, user_id: int) -> Actor:
        return cls("user", user_id)

    @classmethod
    def clerk(cls, user_id: int, name: str | None = None) -> Actor:
        return cls("clerk", user_id, " ".join((name or "").split()) or None)

    @classmethod
    def api(cls, name: str) -> Actor:
        return cls("api", name=name)

    @classmethod
    def system(cls) -> Actor:
        return cls("system")

    def encode(self) -> str:
        """The stored form (at most 64 characters; a long name is shortened)."""
        if self.kind == "system":
            return "system"
        if self.kind == "api":
            return f"api:{self.name or ''}"[:LIMIT]
        head = f"{self.kind}:{self.id}"
        return f"{head}:{self.name}"[:LIMIT] if self.name else head

    @classmethod
    def parse(cls, text: str) -> Actor:
        """The actor of a stored string; anything unknown is taken as a system's name."""
        kind, _, rest = text.partition(":")
        if kind in ("user", "clerk"):
            number, _, name = rest.partition(":")
            if number.lstrip("-").isdigit():
                return cls(kind, int(number), name or None)  # type: ignore[arg-type]
        if kind == "api":
            return cls("api", name=rest or None)
        if text == "system":
            return cls("system")
        return cls("api", name=text)
