"""Scans: applicants send them through the real dialogs, the real downloader copies them from the
fake Telegram (tests/telegram.py RecordingSession) into the file store. The content decides the
type, the size is counted while downloading, and a file is retried until it is stored."""

from __future__ import annotations

import ast
import asyncio
import itertools
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError
from aiogram.methods import GetFile, SendMessage
from sqlalchemy import select

from config import Settings
from jobs.scans import MB, AttachmentDownloader
from storage.models import Attachment, OutboxMessage
from tests.conftest import CLERK_CHAT_ID, START, App, FakeClock
from tests.telegram import FILE_CONTENT, ChatClient
from tests.test_application import VALID_IIN, open_psc_application
from tests.test_case_loop import apply_for_benefits, clerk, deliver
from tests.test_case_service import add_user, submit

ROOT = Path(__file__).resolve().parent.parent
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(600)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(MB)  # a Windows program
BIG_PDF = b"%PDF-1.7\n" + bytes(15 * MB)
CUT_OFF = "HTTP Client says - ClientConnectorError: Cannot connect to host api.telegram.org:443"


def downloader(app: App, clock: FakeClock, settings: Settings) -> AttachmentDownloader:
    """The job as bot/app.py's run() builds it."""
    return AttachmentDownloader(app.bot, app.sessions, settings.file_store_dir, app.services.notices, clock=clock,
                                max_bytes=settings.max_upload_mb * MB)


async def keep_downloading(job: AttachmentDownloader, clock: FakeClock, duration: timedelta) -> None:
    """Let the job run for ``duration``: a pass at each moment an attempt is due (as its loop does)."""
    end = clock.now + duration
    while True:
        wait = (await job.download_due()).wait
        if wait is None or clock.now + timedelta(seconds=wait) > end:
            break
        clock.advance(seconds=wait)
    clock.now = end


async def attachments(app: App) -> list[Attachment]:
    async with app.sessions() as session:
        return list(await session.scalars(select(Attachment).order_by(Attachment.id)))


async def outbox_kinds(app: App) -> list[str]:
    async with app.sessions() as session:
        return list(await session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)))


def stored_files(settings: Settings) -> list[Path]:
    return sorted(p for p in Path(settings.file_store_dir).rglob("*") if p.is_file())


def downloads_at(app: App) -> list[float]:
    """When the job asked Telegram for a file, in seconds from the test's start."""
    return [(at - START).total_seconds() for method, at in zip(app.session.requests, app.session.times, strict=True)
            if isinstance(method, GetFile) and at is not None]


async def apply(client: ChatClient, upload: Callable[[], Awaitable[object]]) -> str:
    """An application with one scan, sent by ``upload`` (ru: the benefits certificate in Atyrau,
    kk: the military service certificate in Aktau); the case number."""
    if client.language_code == "kk":
        await open_psc_application(client)
        await client.click("Жоқ")
        await client.send("Ахметов Ерлан")
        await client.send(VALID_IIN)
        await client.send("87011234567")
        await upload()
        assert "✅ Алынған файлдар: 1" in client.last.text
        await client.click("Әрі қарай")
        while "Өткізіп жіберу" in "".join(client.last.button_texts):
            await client.click("Өткізіп жіберу")
        await client.click("Өтінішті жіберу")
        assert "қолхат</b>" in client.last.text
        return client.last.text.split("№ ")[1].split(" ")[0]
    await client.start_in("Русский")
    await client.click("Подать онлайн")
    await client.click("льготников")
    await client.click("Атырау")
    await client.click("Нет, не нужна")
    await client.click("Я сам(а)")
    await client.send("Садыков Бауыржан")
    await client.send(VALID_IIN)
    await client.share_contact("+77011234567")
    await upload()
    assert "✅ Получено файлов: 1" in client.last.text
    await client.click("Далее")
    while "Пропустить" in "".join(client.last.button_texts):
        await client.click("Пропустить")
    await client.click("Отправить заявление")
    assert client.last.text.startswith("🧾 <b>Расписка № ")
    return client.last.text.split("№ ")[1].split("<")[0]


async def test_a_program_sent_as_a_pdf_is_refused_and_the_applicant_told_ru(
        app: App, ru: ChatClient, clock: FakeClock, settings: Settings) -> None:
    number = await apply(ru, lambda: ru.send_document("invoice.pdf", "application/pdf", content=EXE))
    result = await downloader(app, clock, settings).download_due()
    assert (result.stored, result.refused, result.failed) == (0, 1, 0)
    (attachment,) = await attachments(app)
    assert (attachment.rejected, attachment.content_type, attachment.stored_path) == (
        "type", "application/x-msdownload", None)
    assert stored_files(settings) == [], "the partial copy is deleted"
    assert app.session.served == [64 * 1024], "the download stopped after its first bytes"

    (notice,) = await deliver(app, clock, ru)
    assert notice == (
        f"⚠️ <b>Файл не принят</b>\nЗаявление № {number} · Заявление установленного образца\n"
        "Файл: invoice.pdf\n\n"
        "Как бы ни назывался файл, по содержимому это не фотография и не файл PDF, JPEG или PNG.\n"
        "Заявление остаётся в силе; принесите, пожалуйста, оригинал этого документа в учреждение:\n"
        "📍 Центр обслуживания населения г. Атырау, г. Атырау, ул. Баймуханова, 16"
    )
    officer = clerk(app)
    await officer.send(f"/case {number}")
    assert ("• Заявление установленного образца (документ, invoice.pdf) ❌ отклонён: не JPEG, PNG и не PDF "
            "(application/x-msdownload)") in officer.last.text
    assert (await downloader(app, clock, settings).download_due()).refused == 0, "not tried again"


async def test_a_program_sent_as_a_pdf_is_refused_and_the_applicant_told_kk(
        app: App, kk: ChatClient, clock: FakeClock, settings: Settings) -> None:
    number = await apply(kk, lambda: kk.send_document("шот <1>.pdf", "application/pdf", content=EXE))
    await downloader(app, clock, settings).download_due()
    assert [a.rejected for a in await attachments(app)] == ["type"]
    assert stored_files(settings) == []
    (notice,) = await deliver(app, clock, kk)
    assert notice.startswith(f"⚠️ <b>Файл қабылданбады</b>\n№ {number} өтініш · Белгіленген үлгідегі арыз\n"
                             "Файл: шот &lt;1&gt;.pdf\n\n"), "the name is shown as sent, HTML-escaped"
    assert "Атауы қандай болса да, мазмұны бойынша бұл сурет те, PDF, JPEG немесе PNG файлы да емес." in notice
    assert "Өтініш күшінде қалады; осы құжаттың түпнұсқасын мекемеге әкеліңіз:" in notice
    assert "📍 Ақтау қаласының Халыққа қызмет көрсету орталығы" in notice


async def test_a_png_named_page_html_is_stored_as_a_png(app: App, ru: ChatClient, clock: FakeClock,
                                                        settings: Settings) -> None:
    number = await apply(ru, lambda: ru.send_document("page.html", "image/png", content=PNG))
    assert (await downloader(app, clock, settings).download_due()).stored == 1
    (attachment,) = await attachments(app)
    assert attachment.stored_path == f"{number}/{attachment.id}-{attachment.document_id}.png"
    assert attachment.content_type == "image/png" and attachment.rejected is None
    assert stored_files(settings) == [Path(settings.file_store_dir) / attachment.stored_path]
    assert stored_files(settings)[0].read_bytes() == PNG
    assert await deliver(app, clock, ru) == [], "nothing to tell"
    officer = clerk(app)
    await officer.send(f"/case {number}")
    assert "• Заявление установленного образца (документ, page.html) — сохранён" in officer.last.text


async def test_a_document_without_a_size_is_measured_while_downloading(
        app: App, ru: ChatClient, clock: FakeClock, settings: Settings) -> None:
    number = await apply(ru, lambda: ru.send_document("big.pdf", "application/pdf", size=None, content=BIG_PDF))
    (attachment,) = await attachments(app)
    assert attachment.file_size is None, "accepted for now: the downloader measures it"
    assert (await downloader(app, clock, settings).download_due()).refused == 1
    (attachment,) = await attachments(app)
    assert (attachment.rejected, attachment.content_type) == ("size", "application/pdf")
    assert stored_files(settings) == []
    (served,) = app.session.served
    assert 10 * MB < served <= 10 * MB + 64 * 1024, "cut off once past the limit, not read to the end"
    (notice,) = await deliver(app, clock, ru)
    assert f"Заявление № {number} · Заявление установленного образца\nФайл: big.pdf\n\nФайл больше 10 МБ." in notice
    officer = clerk(app)
    await officer.send(f"/case {number}")
    assert "(документ, big.pdf) ❌ отклонён: больше допустимого размера" in officer.last.text


async def test_a_file_telegram_says_is_too_big_is_refused_for_its_size(
        app: App, ru: ChatClient, clock: FakeClock, settings: Settings) -> None:
    await apply(ru, lambda: ru.send_document("scan.pdf", "application/pdf", size=None))
    app.session.add_result_for(GetFile, TelegramBadRequest(method=GetFile(file_id="x"),
                                                           message="Bad Request: file is too big"))
    assert (await downloader(app, clock, settings).download_due()).refused == 1
    assert [a.rejected for a in await attachments(app)] == ["size"]
    assert app.session.downloads == [], "nothing to download"
    (notice,) = await deliver(app, clock, ru)
    assert "Файл: scan.pdf\n\nФайл больше 10 МБ." in notice


async def test_25_seconds_of_trouble_end_with_the_file_stored(app: App, ru: ChatClient, clock: FakeClock,
                                                              settings: Settings) -> None:
    await apply_for_benefits(ru)
    app.session.clock = clock
    trouble_ends = clock.now + timedelta(seconds=25)
    app.session.download_error = lambda url: (TelegramNetworkError(method=GetFile(file_id="x"), message=CUT_OFF)
                                              if clock.now < trouble_ends else None)
    await keep_downloading(downloader(app, clock, settings), clock, timedelta(minutes=2))
    (attachment,) = await attachments(app)
    assert attachment.stored_path is not None and attachment.content_type == "image/jpeg"
    assert stored_files(settings)[0].read_bytes() == FILE_CONTENT
    assert downloads_at(app) == [0, 5, 15, 35], "tried again after 5, 10, then 20 seconds"
    assert attachment.download_attempts == 3 and attachment.last_error is None
    assert attachment.failing_since is None and attachment.next_attempt_at is None
    assert "scan_refused" not in await outbox_kinds(app) and "clerks_scan_failing" not in await outbox_kinds(app)


async def test_two_hours_of_a_broken_file_store_end_with_the_file_stored(
        app: App, ru: ChatClient, clock: FakeClock, settings: Settings) -> None:
    number = await apply_for_benefits(ru)
    app.session.clock = clock
    blocked = Path(settings.file_store_dir) / number
    blocked.parent.mkdir(parents=True)
    blocked.write_bytes(b"")  # the case's folder cannot be made: every write fails (even as root)
    job = downloader(app, clock, settings)
    await keep_downloading(job, clock, timedelta(hours=2))
    (attachment,) = await attachments(app)
    assert attachment.stored_path is None and attachment.rejected is None
    assert attachment.failing_since == START and attachment.last_error == "FileExistsError: File exists"
    gaps = [b - a for a, b in itertools.pairwise(downloads_at(app))]
    assert gaps[:9] == [5, 10, 20, 40, 80, 160, 320, 600, 600] and max(gaps) == 600, "at most ten minutes apart"

    blocked.unlink()
    await keep_downloading(job, clock, timedelta(minutes=10))
    (attachment,) = await attachments(app)
    assert attachment.stored_path == f"{number}/{attachment.id}-{attachment.document_id}.jpg"
    assert attachment.failing_since is None and attachment.last_error is None
    assert stored_files(settings)[0].read_bytes() == FILE_CONTENT
    assert "clerks_scan_failing" not in await outbox_kinds(app), "not a day: the clerks are not bothered"


async def test_a_day_of_failures_is_reported_once_and_shown_in_the_card(
        app: App, ru: ChatClient, clock: FakeClock, settings: Settings) -> None:
    number = await apply_for_benefits(ru)
    await deliver(app, clock, ru)  # the clerks' group hears of the new application
    start = clock.now
    broken = True
    app.session.download_error = lambda url: (
        TelegramNetworkError(method=GetFile(file_id="x"), message=CUT_OFF) if broken else None)
    job = downloader(app, clock, settings)
    await keep_downloading(job, clock, timedelta(hours=23, minutes=59))
    assert "clerks_scan_failing" not in await outbox_kinds(app)
    officer = clerk(app)
    await officer.send(f"/case {number}")
    assert ("• Заявление установленного образца (фото) ⏳ ещё не сохранён, ошибки с 23 ноября 2026\u202fг., 10:00"
            in officer.last.text)

    await keep_downloading(job, clock, timedelta(minutes=30))
    assert (await outbox_kinds(app)).count("clerks_scan_failing") == 1
    first = len(app.session.requests)
    await deliver(app, clock, ru)
    (report,) = [m.text for m in app.session.requests[first:]
                 if isinstance(m, SendMessage) and m.chat_id == CLERK_CHAT_ID]
    assert report == (  # in the clerks' group's language (DEFAULT_LOCALE)
        "⚠️ <b>Скан бір тәуліктен бері сақталмай тұр</b>\n"
        f"№ {number} іс · Белгіленген үлгідегі арыз\n"
        "Оны Telegram-нан көшіру сәтсіз болып тұр (алғашқы қате: 2026\u202fж. 23 қараша, 10:00); "
        "бот әрекетін жалғастыруда.\n"
        f"Соңғы қате: {CUT_OFF}\n"
        f"/case {number}"
    )
    assert not any(secret in report for secret in ("Садыков", VALID_IIN, "+7701")), "nothing personal"
    await keep_downloading(job, clock, timedelta(hours=2))
    assert (await outbox_kinds(app)).count("clerks_scan_failing") == 1, "one report, however long it fails"
    assert (await attachments(app))[0].reported_at is not None and clock.now - start > timedelta(days=1)

    broken = False
    await keep_downloading(job, clock, timedelta(minutes=10))
    await officer.send(f"/case {number}")
    assert "• Заявление установленного образца (фото) — сохранён" in officer.last.text
    assert (await outbox_kinds(app)).count("clerks_scan_failing") == 1


async def test_a_refused_file_of_a_complaint(app: App, ru: ChatClient, clock: FakeClock,
                                             settings: Settings) -> None:
    await ru.start_in("Русский")
    await ru.click("Подать жалобу")
    await ru.click("Выбрать учреждение")
    await ru.click("воинской")
    await ru.click("Актау")
    await ru.click("Вежливость персонала")
    await ru.send("Сотрудник ЦОН грубо разговаривал со мной и отказался принять документы.")
    await ru.send_document("akt.pdf", "application/pdf", content=EXE)
    await ru.send_photo()
    await ru.click("Далее")
    await ru.send("Ахметов Ерлан")
    await ru.share_contact("+77011234567")
    await ru.click("Зарегистрировать жалобу")
    number = "C-26-000001"
    result = await downloader(app, clock, settings).download_due()
    assert (result.stored, result.refused) == (1, 1)
    notices = await deliver(app, clock, ru)
    assert notices == [
        f"⚠️ <b>Файл не принят</b>\nЖалоба № {number}\nФайл: akt.pdf\n\n"
        "Как бы ни назывался файл, по содержимому это не фотография и не файл PDF, JPEG или PNG.\n"
        "Если он важен для жалобы, принесите, пожалуйста, оригинал в учреждение:\n"
        "📍 Центр обслуживания населения г. Актау, г. Актау, 15 микрорайон, 67 «б»"
    ]
    officer = clerk(app)
    await officer.send(f"/complaint {number}")
    card = officer.last.text
    assert "📎 Приложено 2 файла\n• документ, akt.pdf ❌ отклонён: не JPEG, PNG и не PDF" in card
    assert "• фото — сохранён" in card


async def test_two_downloaders_copy_a_file_once(app: App, clock: FakeClock, settings: Settings) -> None:
    await add_user(app, 7001, "ru")
    await submit(app)
    passes = await asyncio.gather(*(downloader(app, clock, settings).download_due() for _ in range(2)))
    assert sorted(p.stored for p in passes) == [0, 1]
    assert len(app.session.downloads) == 1 and len(stored_files(settings)) == 1


async def test_scans_are_downloaded_into_the_file_store(app: App, clock: FakeClock, settings: Settings) -> None:
    await add_user(app, 7001, "ru")
    number = await submit(app)
    job = downloader(app, clock, settings)
    assert (await job.download_due()).stored == 1
    (attachment,) = await attachments(app)
    assert attachment.stored_path == f"{number}/{attachment.id}-military_id.jpg"
    assert (Path(settings.file_store_dir) / attachment.stored_path).read_bytes() == FILE_CONTENT
    assert app.session.downloads == [f"https://api.telegram.org/file/bot{settings.bot_token.get_secret_value()}/"
                                     "documents/file-1.bin"]
    clock.advance(days=1)
    assert (await job.download_due()).stored == 0, "nothing is downloaded twice"
    assert len(app.session.downloads) == 1


async def test_a_download_cut_off_leaves_no_half_file(app: App, clock: FakeClock, settings: Settings,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    await add_user(app, 7001, "ru")
    await submit(app)
    real = app.session.stream_content

    async def cut_off(url: str, *args: object, **kwargs: object) -> AsyncGenerator[bytes, None]:
        yield FILE_CONTENT[:5]
        raise TelegramNetworkError(method=GetFile(file_id="x"), message="connection reset")

    monkeypatch.setattr(app.session, "stream_content", cut_off)
    job = downloader(app, clock, settings)
    result = await job.download_due()
    assert (result.stored, result.failed, result.wait) == (0, 1, 5.0)
    assert stored_files(settings) == [], "nothing half-written"
    (attachment,) = await attachments(app)
    assert attachment.last_error == "connection reset", "the error is kept (without the bot's token)"
    monkeypatch.setattr(app.session, "stream_content", real)
    assert (await job.download_due()).stored == 0, "not before its time"
    clock.advance(seconds=5)
    assert (await job.download_due()).stored == 1, "tried again"
    (file,) = stored_files(settings)
    assert file.read_bytes() == FILE_CONTENT


def test_jobs_import_no_presentation() -> None:
    """jobs/ sits below the entry point and beside handlers/ and dialogs/: it imports none of them."""
    imported = {
        (path.name, (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name)
        for path in (ROOT / "jobs").rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    upward = [(file, name) for file, name in imported if name.split(".")[0] in ("bot", "handlers", "dialogs")]
    assert upward == []
