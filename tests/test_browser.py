"""The example app (``examples/journal``) in a real browser.

Selenium drives the system's headless Chromium (Debian's ``chromium`` and
``chromium-driver`` packages; no browser is downloaded) against the app served by
Werkzeug's server on a free local port: a member's whole visit, then the
interactive debugger's page in debug mode. The tests are skipped, saying why, only
where Selenium, the browser or its driver is missing; ``.ci/run`` installs them.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
DRIVERS = ("chromedriver",)
#: Where Debian puts them, when they are not on PATH.
FALLBACK_DIRS = ("/usr/bin", "/usr/lib/chromium")
#: How long one page may take to show what a step waits for, in seconds.
WAIT = 10


def find_program(names: tuple[str, ...]) -> str | None:
    for name in names:
        found = shutil.which(name) or shutil.which(
            name, path=os.pathsep.join(FALLBACK_DIRS)
        )
        if found:
            return found
    return None


try:
    from selenium import webdriver
except ModuleNotFoundError:
    pytest.skip(
        "Selenium is not installed (pip install selenium; the test extra has it)",
        allow_module_level=True,
    )
CHROMIUM = find_program(BROWSERS)
CHROMEDRIVER = find_program(DRIVERS)
if CHROMIUM is None or CHROMEDRIVER is None:
    missing = [
        what
        for what, path in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER))
        if path is None
    ]
    pytest.skip(
        f"no {' and no '.join(missing)} on this machine (on Debian: apt-get install "
        "chromium chromium-driver, as .ci/run does)",
        allow_module_level=True,
    )
if not (EXAMPLES / "journal" / "__init__.py").is_file():
    pytest.skip(
        f"the example app is not at {EXAMPLES / 'journal'}", allow_module_level=True
    )
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

from journal import create_app  # noqa: E402
from journal.db import init_db  # noqa: E402
from selenium.common.exceptions import (  # noqa: E402
    WebDriverException,
)
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402
from werkzeug.debug import DebuggedApplication  # noqa: E402
from werkzeug.serving import WSGIRequestHandler, make_server  # noqa: E402


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's request handler, without a log line per request (errors are
    still logged)."""

    def log(self, type: str, message: str, *args: Any) -> None:
        if type != "info":
            super().log(type, message, *args)


@contextmanager
def serve(wsgi_app: Any) -> Iterator[str]:
    """Serve *wsgi_app* on a free local port in a thread; give its base URL."""
    server = make_server(
        "127.0.0.1",
        0,
        wsgi_app,
        threaded=True,
        request_handler=QuietRequestHandler,
    )
    thread = threading.Thread(target=server.serve_forever, name="journal-server")
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=WAIT)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium, the system's own, through its chromedriver."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # as root, and in containers
        "--disable-dev-shm-usage",
        "--window-size=1200,900",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(
        service=Service(executable_path=CHROMEDRIVER), options=options
    )
    driver.set_page_load_timeout(WAIT * 3)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def journal(tmp_path: Path) -> Any:
    app = create_app(
        {"SECRET_KEY": "browser", "DATABASE": str(tmp_path / "journal.sqlite")}
    )
    with app.app_context():
        init_db()
    return app


def wait_for(browser: Any, title: str, text: str = "") -> str:
    """Wait until the page is titled *title* and shows *text*; give its text."""

    def shown(driver: Any) -> str | bool:
        if driver.title != title:
            return False
        page = driver.find_element(By.TAG_NAME, "body").text
        return page if text in page else False

    # Reading a page while it is being replaced can fail (a stale element, or
    # Chrome's "unhandled inspector error"): the next poll reads the new page.
    waiting = WebDriverWait(browser, WAIT, ignored_exceptions=(WebDriverException,))
    try:
        return str(waiting.until(shown))
    except Exception as exc:
        body = browser.find_element(By.TAG_NAME, "body").text
        raise AssertionError(
            f"waited for {title!r} showing {text!r}; the page is {browser.title!r}:\n"
            f"{body}"
        ) from exc


def fill(browser: Any, **fields: str) -> None:
    """Type into the form's fields (by name), then submit the form."""
    element = None
    for name, value in fields.items():
        element = browser.find_element(By.NAME, name)
        element.clear()
        element.send_keys(value)
    assert element is not None
    browser.find_element(By.CSS_SELECTOR, "form.card button[type=submit]").click()


def click_link(browser: Any, text: str) -> None:
    browser.find_element(By.LINK_TEXT, text).click()


def test_a_members_visit(browser: Any, journal: Any) -> None:
    """Register, log in, write, read, edit and delete an entry, log out."""
    with serve(journal) as base:
        browser.get(f"{base}/")
        wait_for(browser, "Entries · Journal", "Nothing here yet.")
        # The stylesheet is served and applied.
        background = browser.execute_script(
            "return getComputedStyle(document.body).backgroundColor"
        )
        assert background == "rgb(251, 248, 241)"

        click_link(browser, "Register")
        wait_for(browser, "Register · Journal", "Join the journal")
        fill(browser, username="ada", password="short")
        page = wait_for(
            browser, "Register · Journal", "A password has at least 8 characters."
        )
        assert browser.find_element(By.NAME, "username").get_attribute("value") == "ada"
        fill(browser, username="ada", password="analytical-engine")
        wait_for(browser, "Log in · Journal", "Welcome, ada! You can log in now.")

        fill(browser, username="ada", password="not-the-password")
        wait_for(browser, "Log in · Journal", "Wrong username or password.")
        fill(browser, username="ada", password="analytical-engine")
        page = wait_for(browser, "Entries · Journal", "Hello again, ada.")
        assert "Log out" in page and "Register" not in page

        click_link(browser, "New entry")
        wait_for(browser, "New entry · Journal", "Title")
        fill(browser, title="")
        wait_for(browser, "New entry · Journal", "Give the entry a title.")
        fill(
            browser,
            title="Notes on the engine",
            body="It weaves algebraic patterns\nas the loom weaves flowers.",
        )
        page = wait_for(browser, "Entries · Journal", "Your entry is saved.")
        headings = browser.find_elements(By.CSS_SELECTOR, "article.entry h2")
        assert [heading.text for heading in headings] == ["Notes on the engine"]
        assert "by ada on" in page
        assert "as the loom weaves flowers." in page

        click_link(browser, "Edit")
        wait_for(browser, "Edit entry · Journal", "Delete this entry")
        assert (
            browser.find_element(By.NAME, "title").get_attribute("value")
            == "Notes on the engine"
        )
        fill(browser, title="Note G")
        page = wait_for(browser, "Entries · Journal", "Your changes are saved.")
        assert "Note G" in page and "Notes on the engine" not in page
        assert "edited" in page

        click_link(browser, "Edit")
        wait_for(browser, "Edit entry · Journal", "Delete this entry")
        browser.find_element(By.CSS_SELECTOR, "button.danger").click()
        page = wait_for(browser, "Entries · Journal", "“Note G” is deleted.")
        assert "Nothing here yet." in page

        browser.find_element(By.XPATH, "//button[text()='Log out']").click()
        page = wait_for(browser, "Entries · Journal", "You have logged out.")
        assert "Log in" in page and "New entry" not in page

        browser.get(f"{base}/no/such/page")
        wait_for(browser, "404 Not Found · Journal", "This page is not in the journal.")


def test_debug_mode_shows_the_debugger(browser: Any, journal: Any) -> None:
    """In debug mode an error shows Werkzeug's debugger, as ``app.run(debug=True)``
    serves it."""

    def crash() -> str:
        raise RuntimeError("forced for the debugger")

    journal.add_url_rule("/crash", view_func=crash)
    journal.debug = True
    with serve(DebuggedApplication(journal, evalex=True)) as base:
        browser.get(f"{base}/crash")
        WebDriverWait(browser, WAIT).until(
            lambda driver: "Werkzeug Debugger" in driver.title
        )
        assert browser.title.startswith("RuntimeError: forced for the debugger")
        message = browser.find_element(By.CSS_SELECTOR, "p.errormsg").text
        assert message == "RuntimeError: forced for the debugger"
        frames = browser.find_elements(By.CSS_SELECTOR, ".traceback code.function")
        assert "crash" in [frame.text for frame in frames]
        # The interactive console is on (evalex), behind the PIN.
        assert browser.execute_script("return EVALEX") is True
