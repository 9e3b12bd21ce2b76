"""The web console in a real headless chromium against a real server process: sign-in, the fleet list and
its filters, a device's chart, a command run to success, an alert acknowledged, a live status change, and
what a viewer, a disabled account, a wrong password and an expired session get."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from adapters.auth.argon2_passwords import Argon2idPasswords
from adapters.auth.jwt_tokens import TokenKeys, TokenService
from adapters.clock import SystemClock
from adapters.persistence.engine import create_engine, sqlite_url
from adapters.persistence.migrate import upgrade
from adapters.persistence.users import SqlUserRepository
from domain.access import Role
from domain.services.user_accounts import UserAccounts
from tests.conftest import TEST_SECRET
from tests.e2e.console_browser import browser
from tests.e2e.server_process import ServerProcess

pytestmark = pytest.mark.e2e

FLEET = [
    ("cam-001", "atlas", "Lab-Munich"),
    ("cam-002", "atlas", "Lab-Munich"),
    ("cam-003", "hisilicon", "Store-017"),
    ("cam-004", "hisilicon", "Store-017"),
    ("cam-005", "atlas", "Factory-Shenzhen"),
]
PASSWORD = "correct horse battery"


class Fleet:
    """Devices enrolled through the agent API, with an hour of samples, driven by the test."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        tokens = TokenService(TokenKeys("HS256", TEST_SECRET, TEST_SECRET))
        self.admin = {
            "Authorization": "Bearer "
            + tokens.issue("ops", Role.ADMIN, timedelta(hours=1), datetime.now(UTC))
        }
        self.http = httpx.Client(base_url=server.base_url, timeout=30)
        self.credentials: dict[str, dict] = {}

    def enrol(self, device_id: str, platform: str, location: str) -> None:
        token = self.http.post("/api/v1/edge/enrollment-tokens", json={}, headers=self.admin).json()["token"]
        answer = self.http.post(
            "/api/v1/agent/enroll",
            json={
                "enrollment_token": token,
                "device": {
                    "id": device_id,
                    "name": f"{platform}-{device_id}",
                    "platform": platform,
                    "location": location,
                },
            },
        )
        assert answer.status_code == 201, answer.text
        self.credentials[device_id] = {"Authorization": f"Bearer {answer.json()['credential']}"}

    def heartbeat(self, device_id: str, minutes_of_history: int = 1, temperature: float = 48.0) -> None:
        now = datetime.now(UTC)
        samples = [
            {
                "timestamp": (now - timedelta(minutes=m)).isoformat(),
                "cpu_usage": 20.0 + m % 7,
                "memory_usage": 40.0 + m % 5,
                "temperature": temperature,
                "uptime_seconds": 3600 - m * 60,
            }
            for m in reversed(range(minutes_of_history))
        ]
        answer = self.http.post(
            f"/api/v1/agent/devices/{device_id}/heartbeat",
            json={"samples": samples},
            headers=self.credentials[device_id],
        )
        assert answer.status_code == 200, answer.text

    def answer_commands(self, device_id: str, stop: threading.Event) -> threading.Thread:
        """The device's side of a command: long-poll, report running, then succeeded."""

        def run() -> None:
            with httpx.Client(base_url=self.server.base_url, timeout=30) as http:
                while not stop.is_set():
                    try:
                        work = http.get(
                            f"/api/v1/agent/devices/{device_id}/work",
                            params={"wait": 1},
                            headers=self.credentials[device_id],
                        ).json()
                    except httpx.HTTPError:
                        continue
                    for command in work.get("commands", []):
                        for status in ("running", "succeeded"):
                            http.post(
                                f"/api/v1/agent/devices/{device_id}/commands/{command['id']}",
                                json={"status": status, "result": {"message": f"{command['command']} ok"}},
                                headers=self.credentials[device_id],
                            )

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread


async def create_users(database_url: str) -> None:
    """In-process (each CLI process would cost seconds here; tests/integration/test_users_cli.py runs the CLI)."""
    engine = create_engine(database_url)
    try:
        accounts = UserAccounts(SqlUserRepository(engine), Argon2idPasswords(), SystemClock())
        for name, role in (("olga", Role.OPERATOR), ("vera", Role.VIEWER), ("dora", Role.OPERATOR)):
            await accounts.create(name, role, PASSWORD)
        await accounts.disable("dora")
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    var = tmp_path_factory.mktemp("console")
    server = ServerProcess(var, sqlite_url(var / "edgefleet.db"), TEST_SECRET)
    upgrade(server.env["EDGEFLEET_DATABASE_URL"])
    asyncio.run(create_users(server.env["EDGEFLEET_DATABASE_URL"]))
    server.start()
    try:
        fleet = Fleet(server)
        for device_id, platform, location in FLEET:
            fleet.enrol(device_id, platform, location)
            fleet.heartbeat(device_id, minutes_of_history=30)
        fleet.heartbeat("cam-005", temperature=97.0)  # Atlas above 95 °C: a critical temperature alert
        yield server, fleet
    finally:
        server.stop()


def test_an_operator_works_the_fleet_from_sign_in_to_sign_out(console):
    server, fleet = console
    stop = threading.Event()
    fleet.answer_commands("cam-001", stop)
    try:
        with browser() as page:
            page.sign_in(server.base_url, "olga", "wrong password")
            assert "Wrong user name or password" in page.text("login-error")
            page.sign_in(server.base_url, "olga", PASSWORD)
            page.wait(lambda: page.all("fleet-total"), "the overview")
            assert page.one("fleet-total").text.startswith("5 devices")

            page.open(f"{server.base_url}/console/#/devices")
            page.wait(lambda: len(page.all("device-row")) == 5, "the whole fleet listed")
            statuses = {
                r.get_attribute("data-device-id"): page.one("device-status", r).text
                for r in page.all("device-row")
            }
            assert statuses == {
                "cam-001": "online",
                "cam-002": "online",
                "cam-003": "online",
                "cam-004": "online",
                "cam-005": "degraded",
            }  # too hot
            page.one("filter-platform").find_element("css selector", "option[value=hisilicon]").click()
            page.wait(lambda: len(page.all("device-row")) == 2, "the platform filter to narrow the list")
            page.one("filter-q").send_keys("cam-004")
            page.one("filter-apply").click()
            page.wait(
                lambda: [r.get_attribute("data-device-id") for r in page.all("device-row")] == ["cam-004"],
                "the search to find one device",
            )

            page.open(f"{server.base_url}/console/#/devices/cam-001?range=1h")
            chart = page.wait(
                lambda: next(
                    (c for c in page.all("device-chart") if c.find_elements("css selector", "canvas")), None
                ),
                "a drawn chart",
            )
            assert int(chart.get_attribute("data-points")) >= 30
            page.one("command-run").click()  # "status" is the first choice
            page.wait(
                lambda: page.all("command-status") and page.all("command-status")[0].text == "succeeded",
                "the status command to succeed",
            )

            page.open(f"{server.base_url}/console/#/alerts")
            row = page.wait(
                lambda: next(
                    (r for r in page.all("alert-row") if "cam-005" in r.text and page.all("alert-ack", r)),
                    None,
                ),
                "the alert",
            )
            page.one("alert-ack", row).click()
            page.wait(
                lambda: any("acknowledged by olga" in r.text for r in page.all("alert-row")),
                "the alert to show as acknowledged",
            )
            assert not page.all("alert-ack")

            fleet.enrol("late-1", "atlas", "Lab-Munich")  # known, never heard from: unknown
            page.open(f"{server.base_url}/console/#/devices?q=late")
            status = page.wait(lambda: page.all("device-status"), "the new device")[0]
            assert status.text == "unknown"
            page.script("window.stillTheSamePage = true")
            fleet.heartbeat("late-1")
            page.wait(
                lambda: page.all("device-status")[0].text == "online", "the status change to arrive live"
            )
            assert page.script("return window.stillTheSamePage") is True  # no reload happened

            page.one("sign-out").click()
            page.wait(lambda: page.all("login-user"), "the sign-in form")
            assert page.script("return sessionStorage.length + localStorage.length") == 0
            assert page.console_errors() == []
    finally:
        stop.set()


def test_viewers_disabled_accounts_and_expired_sessions_get_clear_limits(console):
    server, _ = console
    with browser() as page:
        page.sign_in(server.base_url, "dora", PASSWORD)
        assert "disabled" in page.text("login-error")

        page.sign_in(server.base_url, "vera", PASSWORD)
        page.wait(lambda: page.all("fleet-total"), "the overview")
        page.open(f"{server.base_url}/console/#/devices/cam-002")
        page.wait(lambda: page.all("device-chart"), "the device page")
        assert not page.all("command-run")
        page.open(f"{server.base_url}/console/#/alerts")
        page.wait(lambda: page.all("alert-row"), "the alerts")
        assert not page.all("alert-ack")

        page.open(f"{server.base_url}/console/#/devices/no-such-device")
        assert "no longer exists" in page.text("page-error")

        # The server restarts while the page is open: the page says so, then carries on.
        page.open(f"{server.base_url}/console/#/devices")
        page.wait(lambda: page.one("live-state").get_attribute("data-state") == "live", "the live stream")
        server.stop()
        page.wait(
            lambda: page.one("live-state").get_attribute("data-state") == "reconnecting", "the stream to drop"
        )
        page.one("filter-apply").click()
        assert "Cannot reach the server" in page.text("page-error")
        server.start()
        page.wait(
            lambda: page.one("live-state").get_attribute("data-state") == "live", "the stream to return", 40
        )
        page.one("page-error").find_element("css selector", "button").click()
        page.wait(lambda: len(page.all("device-row")) >= 5, "the list again")

        # A token the server no longer accepts (expired, or signed by another key): back to sign-in.
        page.script(
            "const s = JSON.parse(sessionStorage.getItem('edgefleet.session'));"
            "s.token = s.token.slice(0, -4) + 'AAAA';"
            "sessionStorage.setItem('edgefleet.session', JSON.stringify(s));"
        )
        page.open(f"{server.base_url}/console/#/devices")
        assert "sign in again" in page.text("login-error")
        assert page.console_errors() == []
