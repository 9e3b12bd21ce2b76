"""Headless Debian chromium driven through /usr/bin/chromedriver (never a downloaded browser or driver)."""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def require_browser() -> None:
    """``make test`` installs chromium and sets EDGEFLEET_REQUIRE_BROWSER=1: no silent skips there."""
    if os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER):
        return
    if os.environ.get("EDGEFLEET_REQUIRE_BROWSER") == "1":
        pytest.fail("chromium and chromium-driver are required (apt-get install chromium chromium-driver)")
    pytest.skip("chromium or chromedriver not installed")


@contextmanager
def browser(width: int = 1400, height: int = 1000):
    require_browser()
    os.environ["SE_OFFLINE"] = "true"  # selenium-manager must never fetch a driver or browser
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={width},{height}",
        "--disable-extensions",
        "--no-first-run",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or CHROMEDRIVER), options=options)
    try:
        yield Page(driver)
    finally:
        driver.quit()


class Page:
    """A few waits and finders by data-testid, so tests read as what a person does."""

    def __init__(self, driver, timeout: float = 15) -> None:
        self.driver, self.timeout = driver, timeout

    def open(self, url: str) -> None:
        self.driver.get(url)

    def all(self, testid: str, within=None):
        return (within or self.driver).find_elements(By.CSS_SELECTOR, f"[data-testid='{testid}']")

    def one(self, testid: str, within=None):
        return self.wait(lambda: (self.all(testid, within) or [None])[0], f"element {testid}")

    def text(self, testid: str) -> str:
        """The visible text of the first such element, once it has some."""
        return self.wait(
            lambda: (self.all(testid) or [None])[0] is not None and self.all(testid)[0].text,
            f"text in {testid}",
        )

    def wait(self, condition, what: str, timeout: float | None = None):
        return WebDriverWait(self.driver, timeout or self.timeout).until(
            lambda _: condition(), message=f"timed out waiting for {what}"
        )

    def sign_in(self, base_url: str, user: str, password: str) -> None:
        self.open(f"{base_url}/console/#/login")
        for testid, text in (("login-user", user), ("login-password", password)):
            self.one(testid).clear()
            self.one(testid).send_keys(text)
        self.one("login-submit").click()

    def script(self, code: str, *args):
        return self.driver.execute_script(code, *args)

    def console_errors(self) -> list[str]:
        """Errors the page logged: CSP violations and uncaught exceptions show up here."""
        return [
            entry["message"]
            for entry in self.driver.get_log("browser")
            if entry["level"] == "SEVERE" and entry.get("source") != "network"
        ]  # refused requests are expected
