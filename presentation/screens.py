"""Long texts cut into phone screens: what a user reads first fits one screen, the rest follows
on «Подробнее / Толығырақ».

A card page is made of blocks (a bold heading and its lines) separated by a blank line; its
first block is the header (service and office); its first line (the service) opens every
further screen, so that a screen edited in place still says what it is about. Blocks are packed into screens in their
order, so a template puts the essentials first. A block too long for a screen is cut between
lines, a line between sentences, a sentence between words; nothing is dropped or reworded
(the standards' texts must reach users exactly).
"""

from __future__ import annotations

import html
import re

# About one phone screen of text (issue 15: the first message a user reads fits one screen).
SCREEN_LIMIT = 600

_TAG = re.compile(r"<[^>]+>")
_SENTENCE_END = re.compile(r"(?<=[.;:!?])\s+")
_WRAPPING = ("<i>", "</i>")


def visible_length(text: str) -> int:
    """The characters a user sees of a Telegram HTML text (tags dropped, entities decoded)."""
    return len(html.unescape(_TAG.sub("", text)))


def split_screens(text: str, limit: int = SCREEN_LIMIT) -> list[str]:
    """``text`` as screens of at most ``limit`` visible characters (see the module docstring)."""
    if visible_length(text) <= limit:
        return [text]
    header, _, body = text.partition("\n\n")
    if visible_length(header) > limit // 3:  # a header that leaves no room is no header
        header, body = "", text
    again = header.split("\n")[0]
    room = limit - visible_length(header) - 2
    screens: list[str] = []
    current: list[str] = []
    used = 0
    for block in _blocks(body, room):
        size = visible_length(block) + (2 if current else 0)
        if current and used + size > room:
            screens.append(_screen(header if not screens else again, current))
            current, used = [], 0
            room = limit - visible_length(again) - 2
            size = visible_length(block)
        current.append(block)
        used += size
    if current:
        screens.append(_screen(header if not screens else again, current))
    return screens


def _screen(header: str, blocks: list[str]) -> str:
    return "\n\n".join([header, *blocks] if header else blocks)


def _blocks(body: str, room: int) -> list[str]:
    """The body's blocks, each cut to fit ``room``."""
    out: list[str] = []
    for block in body.split("\n\n"):
        if visible_length(block) <= room:
            out.append(block)
        else:
            out.extend(_pack(_lines(block.split("\n"), room), room, "\n"))
    return out


def _lines(lines: list[str], room: int) -> list[str]:
    out: list[str] = []
    for line in lines:
        if visible_length(line) <= room:
            out.append(line)
            continue
        opening, closing = ("", "")
        if line.startswith(_WRAPPING[0]) and line.endswith(_WRAPPING[1]):
            opening, closing = _WRAPPING
            line = line[len(opening):-len(closing)]
        pieces = _pack(_words(_SENTENCE_END.split(line), room - 4), room - 4, " ")
        out.extend(f"{opening}{piece}{closing}" for piece in pieces)
    return out


def _words(sentences: list[str], room: int) -> list[str]:
    out: list[str] = []
    for sentence in sentences:
        if visible_length(sentence) <= room:
            out.append(sentence)
        else:
            out.extend(sentence.split(" "))
    return out


def _pack(parts: list[str], room: int, joiner: str) -> list[str]:
    """Consecutive ``parts`` joined into as few pieces of at most ``room`` as keep their order."""
    pieces: list[str] = []
    for part in parts:
        if pieces and visible_length(pieces[-1]) + len(joiner) + visible_length(part) <= room:
            pieces[-1] = f"{pieces[-1]}{joiner}{part}"
        else:
            pieces.append(part)
    return pieces


# About what a phone shows of a button in one line.
LABEL_LIMIT = 48
_TRAILING = " ,;:—–-(/«"


def short_label(text: str, limit: int = LABEL_LIMIT) -> str:
    """``text`` cut to ``limit`` characters at the end of a word, with «…» (the whole text is
    in the message above the buttons): «Военный билет или временное удостоверение…»."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if text[limit - 1] != " " and " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(_TRAILING) + "…"
