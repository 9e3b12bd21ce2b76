"""Fleet-wide attestation through the server: list the matching devices, then attest them in chunks
with the bulk endpoint (which challenges the agents and verifies each chunk as one batch)."""

from __future__ import annotations

import os
import time

import httpx
from rich.console import Console

from entrypoints.attest.report import Tally, elapsed_since, progress

CHUNK = 256  # devices per bulk call: the server challenges them together and verifies their quotes in chunks


def _device_ids(http: httpx.Client, args) -> list[str]:
    if args.device:
        return list(dict.fromkeys(args.device))
    params = {"limit": 100, "offset": 0}
    if args.platform:
        params["platform"] = args.platform
    if args.location:
        params["location"] = args.location
    ids: list[str] = []
    while True:
        page = _ok(http.get("/api/v1/edge/devices", params=params)).json()
        ids += [d["id"] for d in page["devices"] if d["tpm_attestation"] is not None]
        params["offset"] += params["limit"]
        if params["offset"] >= page["total"]:
            return ids


def _ok(response: httpx.Response) -> httpx.Response:
    if response.status_code >= 400:
        try:
            message = response.json().get("error", response.text)
        except ValueError:
            message = response.text
        raise SystemExit(f"edgefleet attest: server said {response.status_code}: {message}")
    return response


def attest_remote(args, console: Console) -> tuple[Tally, float]:
    token = args.token or os.environ.get("EDGEFLEET_TOKEN")
    if not token:
        raise SystemExit("edgefleet attest: give --token or set EDGEFLEET_TOKEN (an admin or auditor token)")
    headers = {"Authorization": f"Bearer {token}"}
    tally = Tally()
    with httpx.Client(base_url=args.server, headers=headers, timeout=httpx.Timeout(120.0)) as http:
        ids = _device_ids(http, args)
        started = time.perf_counter()
        bar, task = progress(console, len(ids))
        with bar:
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start : start + CHUNK]
                body = _ok(
                    http.post("/api/v1/edge/devices/bulk", json={"operation": "attest", "device_ids": chunk})
                )
                for result in body.json()["results"]:
                    status = (
                        result["status"]
                        if result["status"] in ("success", "failed", "unreachable")
                        else "error"
                    )
                    tally.add(status, result["reasons"])
                bar.advance(task, len(chunk))
    return tally, elapsed_since(started)
