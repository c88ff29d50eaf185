"""The console in a real browser: Debian's Chromium (headless, through chromedriver and
selenium) against ``run_bot.py`` running as a process beside the fake Bot API server.

A clerk sends /console, reads the link from the bot's message, signs in, opens a case, moves
it (the applicant gets the notice through the Bot API), and opens its scan; then marks it ready
within its term, sees «served on time» (indicator 1.1) count it on the indicators page, and
downloads the XLSX report from the page, which is read back with openpyxl. Skipped only if
Chromium is absent and cannot be installed.
"""

from __future__ import annotations

import asyncio
import base64
import io
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import openpyxl
import pytest

from tests.fake_bot_api import FakeBotAPI
from tests.test_e2e import USER, api, apply_with_a_scan, bot_process, free_port  # noqa: F401 (fixtures)

pytestmark = [
    pytest.mark.e2e,
    # Chromium does not come up under libfaketime's LD_PRELOAD (the faked-date CI leg); the
    # browser tests run in the SQLite and the PostgreSQL + Redis legs.
    pytest.mark.skipif("faketime" in os.environ.get("LD_PRELOAD", ""), reason="Chromium under faketime"),
]
CONSOLE_PORT = free_port()
CONSOLE = f"http://127.0.0.1:{CONSOLE_PORT}"
CLERK = {"id": 900001, "is_bot": False, "first_name": "Асель", "language_code": "ru"}
T = TypeVar("T")


def chromium() -> tuple[str, str]:
    """The browser and its driver; installed with apt-get when missing (as .ci/run does)."""
    found = shutil.which("chromium"), shutil.which("chromedriver")
    if not all(found) and os.geteuid() == 0 and shutil.which("apt-get"):
        for step in (["apt-get", "install", "-y", "chromium", "chromium-driver"], ["apt-get", "update"],
                     ["apt-get", "install", "-y", "chromium", "chromium-driver"]):
            subprocess.run(step, capture_output=True, timeout=900, check=False)
            found = shutil.which("chromium"), shutil.which("chromedriver")
            if all(found):
                break
    if not all(found):
        pytest.skip("Chromium and chromedriver are not installed and could not be installed")
    return found[0] or "", found[1] or ""


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                 f"--user-data-dir={tmp_path / 'chromium-profile'}", "--window-size=1280,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


async def blocking(function: Callable[[], T]) -> T:
    """Selenium blocks: run it beside the event loop (the fake Bot API serves on the loop)."""
    return await asyncio.get_running_loop().run_in_executor(None, function)


@pytest.mark.parametrize("extra_env", [{
    "CONSOLE_ENABLED": "1", "CONSOLE_SECRET": "browser-test-console-secret-0123456789",
    "CONSOLE_PORT": str(CONSOLE_PORT), "CLERK_IDS": str(CLERK["id"]), "CLERK_OFFICES": f"{CLERK['id']}=*",
}])
async def test_a_clerk_signs_in_moves_a_case_and_opens_its_scan(
        api: tuple[FakeBotAPI, str], bot_process: asyncio.subprocess.Process, browser: Any) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    fake, _ = api
    await fake.wait_for(lambda m, p: m == "setMyCommands" and p.get("language_code") == "ru", 120)
    number = await apply_with_a_scan(fake)
    await fake.wait_for(lambda m, p: m == "download", 30, since=0)  # the scan is copied into the file store

    fake.user_message(CLERK, "/console")
    message = await fake.wait_text("работает один раз", 30)
    link = re.search(r"http://\S+", message)
    assert link and link.group(0).startswith(f"{CONSOLE}/console/signin?token=")

    def sign_in_and_open_the_case() -> str:
        wait = WebDriverWait(browser, 20)
        browser.get(link.group(0))
        wait.until(ec.element_to_be_clickable((By.ID, "signin"))).click()
        wait.until(ec.presence_of_element_located((By.ID, "cases")))
        browser.get(f"{CONSOLE}/console/language/ru")
        wait.until(ec.presence_of_element_located((By.LINK_TEXT, number))).click()
        wait.until(ec.presence_of_element_located((By.ID, "moves")))
        assert "Динара Ахметова" in browser.find_element(By.ID, "applicant").text
        browser.find_element(By.CSS_SELECTOR, "button.action-accept").click()
        wait.until(ec.presence_of_element_located((By.ID, "done")))
        return browser.find_element(By.ID, "status").text

    try:
        status = await blocking(sign_in_and_open_the_case)
    except Exception:
        print(browser.current_url, browser.page_source[:3000])  # shown when the test fails
        raise
    assert status == "в работе"
    notice = await fake.wait_text(f"Ваше заявление № {number} принято в работу.", 30, since=0)
    assert "Справка лицам, имеющим льготы" in notice

    def open_the_scan() -> dict[str, Any]:
        for _ in range(50):  # the scan is stored by the downloader in the background
            browser.get(f"{CONSOLE}/console/cases/{number}")
            links = browser.find_elements(By.CSS_SELECTOR, "#scans a")
            if links:
                break
            browser.implicitly_wait(0.2)
        assert links, "the scan was not stored"
        href = links[0].get_attribute("href")
        answer = browser.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch(arguments[0]).then(async r => done({status: r.status, type: r.headers.get('content-type'),"
            " disposition: r.headers.get('content-disposition'), nosniff: r.headers.get('x-content-type-options'),"
            " body: await r.text()}));", href)
        browser.get(href)  # opens in the browser's viewer, not as a download page
        return answer

    scan = await blocking(open_the_scan)
    assert scan["status"] == 200 and scan["type"] == "application/pdf" and scan["nosniff"] == "nosniff"
    assert scan["disposition"].startswith("inline") and scan["body"] == "%PDF-1.4 e2e scan"

    def on_a_phone() -> bool:
        browser.set_window_size(390, 844)
        browser.get(f"{CONSOLE}/console/cases")
        return bool(browser.find_element(By.CSS_SELECTOR, "table.list thead").is_displayed())

    assert not await blocking(on_a_phone)  # a phone gets each row as a card, without the header row


    def served_on_time() -> tuple[str, str, str, dict[str, Any]]:
        from selenium.webdriver.support.ui import Select

        wait = WebDriverWait(browser, 20)
        browser.set_window_size(1280, 900)

        def indicator() -> str:
            browser.get(f"{CONSOLE}/console/indicators")
            choose = Select(wait.until(ec.presence_of_element_located((By.NAME, "standard"))))
            choose.select_by_visible_text(next(o.text for o in choose.options if "льгот" in o.text))
            browser.find_element(By.CSS_SELECTOR, "form.filters button").click()
            row = wait.until(ec.presence_of_element_located((By.ID, "indicator-1.1")))
            return str(row.find_element(By.CLASS_NAME, "count").text)

        before = indicator()
        browser.get(f"{CONSOLE}/console/cases/{number}")
        wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "button.action-ready"))).click()
        wait.until(ec.presence_of_element_located((By.ID, "done")))
        after = indicator()
        page = browser.page_source
        href = browser.find_element(By.ID, "xlsx").get_attribute("href")
        # The browser downloads the file with its session (as a click on the link does).
        download = browser.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch(arguments[0]).then(async r => { const bytes = new Uint8Array(await r.arrayBuffer());"
            " let text = ''; for (const b of bytes) text += String.fromCharCode(b);"
            " done({status: r.status, type: r.headers.get('content-type'),"
            " disposition: r.headers.get('content-disposition'), body: btoa(text)}); });", href)
        return before, after, page, download

    try:
        before, after, page, download = await blocking(served_on_time)
    except Exception:
        print(browser.current_url, browser.page_source[:3000])  # shown when the test fails
        raise
    assert (before, after) == ("0 из 0", "1 из 1"), "the case served on time counts"
    assert "Динара" not in page and "900101300126" not in page, "no personal data on the indicators page"
    assert download["status"] == 200 and download["disposition"].startswith("attachment")
    assert download["type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(download["body"]))).worksheets[0]
    row = next(r for r in sheet.iter_rows(values_only=True) if r[0] == "1.1")
    assert row[6:9] == (100, 1, 1), row  # the share (percent), served on time, of all
