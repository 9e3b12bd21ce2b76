"""Screenshots of each console page from a running `make run`, into docs/console/*.png.

.venv/bin/python docs/console/screenshots.py --url http://127.0.0.1:8000 --password <printed by make run>
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.e2e.console_browser import browser  # noqa: E402

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", required=True)
    parser.add_argument("--device", default="sim-001")
    args = parser.parse_args()
    pages = {
        "overview": "#/overview",
        "devices": "#/devices",
        "device": f"#/devices/{args.device}?range=24h",
        "alerts": "#/alerts?status=all",
        "audit": "#/audit",
    }
    with browser(1280, 1100) as page:
        page.sign_in(args.url, args.user, args.password)
        page.wait(lambda: page.all("fleet-total"), "the overview")
        page.open(f"{args.url}/console/#/login")
        page.sign_in(args.url, "admin", args.password)  # the login page itself, then back in
        for name, hash_ in pages.items():
            page.open(f"{args.url}/console/{hash_}")
            time.sleep(2.5)  # charts draw on the next frame; the stream settles
            height = page.script("return document.documentElement.scrollHeight")
            page.driver.set_window_size(
                1280, min(max(height + 140, 900), 1500)
            )  # the whole page, within reason
            time.sleep(0.5)
            page.driver.save_screenshot(str(HERE / f"{name}.png"))
        page.one("sign-out").click()
        page.wait(lambda: page.all("login-user"), "the sign-in form")
        page.driver.save_screenshot(str(HERE / "sign-in.png"))


if __name__ == "__main__":
    main()
