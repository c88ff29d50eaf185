"""Clerks open an application's scans with a tap: the bot sends them the file (issue 15 item 11);
nobody else can have it sent, whatever button they forge."""

from __future__ import annotations

from aiogram.methods import SendDocument, SendPhoto
from sqlalchemy import select

from presentation.callbacks import ClerkScan
from storage.models import Attachment
from tests.conftest import CLERK_ID, App, FakeClock
from tests.telegram import ChatClient
from tests.test_case_loop import apply_for_benefits, clerk
from tests.test_scans import apply


async def scans(app: App) -> list[Attachment]:
    async with app.sessions() as session:
        return list(await session.scalars(select(Attachment).order_by(Attachment.id)))


def sent_files(app: App) -> list[SendPhoto | SendDocument]:
    return [m for m in app.session.requests if isinstance(m, (SendPhoto, SendDocument))]


async def test_a_clerk_opens_a_photo_scan_ru(app: App, clock: FakeClock) -> None:
    applicant = app.client(user_id=4701, language_code="ru")
    number = await apply_for_benefits(applicant)
    (scan,) = await scans(app)
    officer = clerk(app)
    await officer.send(f"/case {number}")
    assert "📎 Нажмите кнопку скана ниже — бот пришлёт вам файл." in officer.last.text
    assert officer.last.button_texts[-1] == "📎 1. Заявление установленного образца"
    await officer.click("📎 1.")
    (sent,) = sent_files(app)
    assert isinstance(sent, SendPhoto) and sent.photo == scan.file_id and int(sent.chat_id) == CLERK_ID
    assert sent.caption == f"Дело № {number}, скан 1: Заявление установленного образца"


async def test_a_clerk_opens_a_document_scan_kk(app: App, kk: ChatClient, clock: FakeClock) -> None:
    number = await apply(kk, lambda: kk.send_document("application.pdf", "application/pdf"))
    (scan,) = await scans(app)
    officer = app.client(user_id=CLERK_ID, language_code="kk", first_name="Асель")
    await officer.send(f"/case {number}")
    assert "📎 Төмендегі скан батырмасын басыңыз — бот файлды сізге жібереді." in officer.last.text
    (button,) = [t for t in officer.last.button_texts if t.startswith("📎 ")]
    assert button == "📎 1. Белгіленген үлгідегі арыз"
    await officer.click("📎 1.")
    (sent,) = sent_files(app)
    assert isinstance(sent, SendDocument) and sent.document == scan.file_id and int(sent.chat_id) == CLERK_ID
    assert sent.caption == f"№ {number} іс, 1-скан: Белгіленген үлгідегі арыз"


async def test_a_forged_scan_button_is_refused_politely(app: App, clock: FakeClock) -> None:
    applicant = app.client(user_id=4702, language_code="ru")
    number = await apply_for_benefits(applicant)
    (scan,) = await scans(app)
    forged = ClerkScan(number=number, scan=scan.id).pack()

    await applicant.click_data(forged)
    assert applicant.answers[-1].text == "Извините, это доступно только сотрудникам."
    assert applicant.answers[-1].show_alert
    stranger = app.client(user_id=4703, language_code="kk")
    await stranger.start_in("Қазақша")
    await stranger.click_data(forged)
    assert stranger.answers[-1].text == "Кешіріңіз, бұл тек қызметкерлерге арналған."
    assert sent_files(app) == [], "no file for anyone but clerks"

    officer = clerk(app)
    await officer.send(f"/case {number}")
    await officer.click_data(ClerkScan(number=number, scan=scan.id + 1000).pack())
    assert officer.answers[-1].text == f"В деле № {number} нет такого скана."
    assert sent_files(app) == []
