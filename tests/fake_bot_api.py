"""A small fake Telegram Bot API server for end-to-end tests (``BOT_API_URL`` points here).

It answers the methods the bot uses, long-polls ``getUpdates`` from a queue the test fills,
and keeps each chat as the user would see it, so a test can press buttons by their text.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession, web

BOT = {"id": 987654321, "is_bot": True, "first_name": "Kenes", "username": "kenes_e2e_bot"}


@dataclass
class ShownMessage:
    message_id: int
    chat_id: int
    text: str
    markup: dict | None

    def buttons(self) -> list[dict]:
        rows = (self.markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]


@dataclass
class FakeBotAPI:
    """The server's state; ``calls`` is every (method, params) received, in order."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    messages: dict[int, ShownMessage] = field(default_factory=dict)
    _updates: list[dict] = field(default_factory=list)
    _new: asyncio.Event = field(default_factory=asyncio.Event)
    _called: asyncio.Event = field(default_factory=asyncio.Event)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _message_ids: itertools.count = field(default_factory=lambda: itertools.count(100))
    # Set by setWebhook: updates are then posted to the bot (with the secret) instead of polled.
    webhook: tuple[str, str | None] | None = None
    deliveries: list[int] = field(default_factory=list)  # the webhook's HTTP statuses
    _posts: set[asyncio.Task[None]] = field(default_factory=set)
    # Telegram's flood control, when set: sendMessage beyond ``limit_per_second`` in any second,
    # or to a chat within ``limit_chat_interval`` seconds of its last message, gets 429.
    limit_per_second: int | None = None
    limit_chat_interval: float | None = None
    throttled: int = 0  # the 429s given
    refuse_token: bool = False  # answer every request 401, as for a revoked token
    # Seconds before answering a sendMessage already accepted (a slow Telegram).
    answer_delay: float = 0.0
    _accepted: deque[float] = field(default_factory=deque)
    _chat_last: dict[int, float] = field(default_factory=dict)

    # --- what the test does -------------------------------------------------------------
    def push(self, **update: Any) -> dict[str, Any]:
        """Queue an update for getUpdates, or post it to the webhook when one is set; the update."""
        full = {"update_id": next(self._ids), **update}
        if self.webhook is not None:
            self.post(full)
        else:
            self._updates.append(full)
            self._new.set()
        return full

    def post(self, update: dict[str, Any], secret: str | None = None) -> None:
        """Post an update to the webhook, as Telegram does (``secret``: a different header value)."""
        task = asyncio.get_running_loop().create_task(self._post(update, secret))
        self._posts.add(task)
        task.add_done_callback(self._posts.discard)

    async def _post(self, update: dict[str, Any], secret: str | None) -> None:
        assert self.webhook is not None
        url, expected = self.webhook
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret if secret is not None else (expected or "")}
        async with ClientSession() as http, http.post(url, json=update, headers=headers) as response:
            self.deliveries.append(response.status)
            self._called.set()

    def user_message(self, user: dict, text: str) -> None:
        command = text.startswith("/")
        entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}] if command else None
        message = {"message_id": next(self._message_ids), "date": int(time.time()), "text": text,
                   "chat": {"id": user["id"], "type": "private", "first_name": user["first_name"]},
                   "from": user}
        if entities:
            message["entities"] = entities
        self.push(message=message)

    def user_photo(self, user: dict) -> None:
        n = next(self._message_ids)
        self.push(message={
            "message_id": n, "date": int(time.time()), "from": user,
            "chat": {"id": user["id"], "type": "private", "first_name": user["first_name"]},
            "photo": [{"file_id": f"photo{n}", "file_unique_id": f"up{n}", "width": 1280, "height": 960,
                       "file_size": 120000}],
        })

    def press(self, user: dict, label: str) -> None:
        """Press the button whose text contains ``label`` in the user's newest message with buttons."""
        shown = [m for m in self.messages.values() if m.chat_id == user["id"] and m.buttons()]
        assert shown, "no message with buttons"
        message = max(shown, key=lambda m: m.message_id)
        button = next((b for b in message.buttons() if label in b["text"]), None)
        assert button is not None, f"no {label!r} among {[b['text'] for b in message.buttons()]}"
        self.push(callback_query={
            "id": str(next(self._ids)), "from": user, "chat_instance": "e2e", "data": button["callback_data"],
            "message": {"message_id": message.message_id, "date": int(time.time()), "text": message.text,
                        "chat": {"id": user["id"], "type": "private"}, "from": BOT,
                        "reply_markup": message.markup},
        })

    async def wait_for(self, predicate: Any, timeout: float = 20.0,
                       since: int | None = None) -> tuple[str, dict[str, Any]]:
        """The first call (from now on, or from call number ``since``) for which
        ``predicate(method, params)`` is true."""
        start = len(self.calls) if since is None else since
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for method, params in self.calls[start:]:
                if predicate(method, params):
                    return method, params
            start = len(self.calls)
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(f"timed out; calls were: {[m for m, _ in self.calls[-10:]]}")
            self._called.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._called.wait(), remaining)

    async def wait_text(self, fragment: str, timeout: float = 20.0, since: int | None = None) -> str:
        """The next message sent or edited (from now on, or from call number ``since``) whose
        text contains ``fragment``."""
        _, params = await self.wait_for(
            lambda m, p: m in ("sendMessage", "editMessageText") and fragment in p.get("text", ""), timeout, since
        )
        return params["text"]

    def close(self) -> None:
        """Release a pending long poll, so the server can stop at once."""
        self._new.set()

    # --- the API ----------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        return app

    async def _file(self, request: web.Request) -> web.Response:
        self.calls.append(("download", {"path": request.match_info["path"]}))
        self._called.set()
        return web.Response(body=b"%PDF-1.4 e2e scan")

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if self.refuse_token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        form = await request.post() if request.content_type != "application/json" else await request.json()
        params = {key: _decode(value) for key, value in dict(form).items()}
        if method == "getUpdates":
            result: Any = await self._get_updates(params)
        else:
            if method == "sendMessage" and (retry_after := self._flood_wait(int(params["chat_id"]))):
                self.throttled += 1
                return web.json_response(
                    {"ok": False, "error_code": 429, "description": f"Too Many Requests: retry after {retry_after}",
                     "parameters": {"retry_after": retry_after}},
                    status=429,
                )
            self.calls.append((method, params))
            self._called.set()
            if "message_id" in params and method != "sendMessage" and int(params["message_id"]) not in self.messages:
                return web.json_response(  # what Telegram says, e.g. for a message from before
                    {"ok": False, "error_code": 400, "description": "Bad Request: message to edit not found"},
                    status=400,
                )
            result = self._answer(method, params)
            if method == "sendMessage" and self.answer_delay:
                await asyncio.sleep(self.answer_delay)
        return web.json_response({"ok": True, "result": result})

    def _flood_wait(self, chat_id: int) -> int:
        """Seconds to wait if this message breaks a limit (0: accepted and counted)."""
        now = time.monotonic()
        while self._accepted and now - self._accepted[0] >= 1.0:
            self._accepted.popleft()
        if self.limit_per_second is not None and len(self._accepted) >= self.limit_per_second:
            return 1
        last = self._chat_last.get(chat_id)
        if self.limit_chat_interval is not None and last is not None and now - last < self.limit_chat_interval:
            return max(1, math.ceil(self.limit_chat_interval - (now - last)))
        self._accepted.append(now)
        self._chat_last[chat_id] = now
        return 0

    async def _get_updates(self, params: dict[str, Any]) -> list[dict]:
        offset = int(params.get("offset") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates:
            self._new.clear()
            try:
                await asyncio.wait_for(self._new.wait(), float(params.get("timeout") or 0) or 0.1)
            except TimeoutError:
                return []
        return list(self._updates)

    def _answer(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT
        if method == "getFile":
            return {"file_id": params["file_id"], "file_unique_id": "u" + params["file_id"], "file_size": 17,
                    "file_path": f"photos/{params['file_id']}.jpg"}
        if method == "sendMessage":
            message = ShownMessage(next(self._message_ids), int(params["chat_id"]), params["text"],
                                   params.get("reply_markup"))
            self.messages[message.message_id] = message
            return self._message_json(message)
        if method in ("editMessageText", "editMessageReplyMarkup"):
            message = self.messages[int(params["message_id"])]
            if method == "editMessageText":
                message.text = params["text"]
            message.markup = params.get("reply_markup")
            return self._message_json(message)
        if method == "deleteMessage":
            self.messages.pop(int(params["message_id"]), None)
        if method == "setWebhook":
            self.webhook = (params["url"], params.get("secret_token"))
        if method == "deleteWebhook":
            self.webhook = None
        return True

    @staticmethod
    def _message_json(message: ShownMessage) -> dict[str, Any]:
        data = {"message_id": message.message_id, "date": int(time.time()), "text": message.text,
                "chat": {"id": message.chat_id, "type": "private"}, "from": BOT}
        if message.markup and "inline_keyboard" in message.markup:  # Telegram echoes only inline keyboards
            data["reply_markup"] = message.markup
        return data


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
