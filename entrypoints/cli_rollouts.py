"""``edgefleet rollout create|status|pause|resume|cancel``: firmware rollouts through the server's API."""

from __future__ import annotations

import json
import os
import sys

import httpx


def add_rollout_commands(subparsers) -> None:
    rollout = subparsers.add_parser(
        "rollout", help="firmware rollouts gated by attestation (through the server)"
    )
    rollout.add_argument("--server", default="http://127.0.0.1:8000")
    rollout.add_argument(
        "--token", help="operator token (admin to change, operator/auditor to read); default EDGEFLEET_TOKEN"
    )
    rollout.add_argument("--json", action="store_true", help="print the server's JSON answer")
    actions = rollout.add_subparsers(dest="rollout_command", required=True)

    create = actions.add_parser("create", help="start a rollout of a firmware version to a device group")
    create.add_argument("--name", required=True)
    create.add_argument("--group", required=True)
    create.add_argument("--version", required=True, help="the firmware version to install")
    create.add_argument(
        "--url", help="artifact URL (omit all three to use the version's registered artifact)"
    )
    create.add_argument("--sha256")
    create.add_argument("--size", type=int)
    create.add_argument("--signature", help="base64 Ed25519 over the sha256 (else the server's key signs)")
    create.add_argument("--canary", type=int, default=1)
    create.add_argument(
        "--phases", default="100", help="cumulative percentages after the canary, e.g. 50,100"
    )
    create.add_argument("--max-in-flight", type=int, default=10)
    create.add_argument("--rate", type=int, default=60, help="devices sent the update per minute")
    create.add_argument("--deadline", type=int, default=1800, help="seconds a device has to prove the update")
    create.add_argument("--max-failures", type=int, help="abort when a phase has more failed devices")
    create.add_argument(
        "--max-failure-percent", type=float, help="abort when a larger share of a phase failed"
    )
    create.add_argument("--force", action="store_true", help="start without a reference policy (audited)")
    create.set_defaults(handler=_reaching(_create))
    for name, what in (
        ("status", "progress per phase"),
        ("pause", "pause"),
        ("resume", "resume"),
        ("cancel", "cancel"),
    ):
        action = actions.add_parser(name, help=f"{what} of a rollout")
        action.add_argument("rollout_id", type=int)
        if name == "status":
            action.add_argument("--devices", action="store_true", help="also each device's state")
        action.set_defaults(handler=_reaching(_status if name == "status" else _action))


def _reaching(handler):
    """The server unreachable is a message and exit status 1, not a traceback."""

    def run(args) -> int:
        try:
            return handler(args)
        except httpx.HTTPError as exc:
            print(f"edgefleet rollout: cannot reach {args.server}: {exc}", file=sys.stderr)
            return 1

    return run


def _client(args) -> httpx.Client:
    token = args.token or os.environ.get("EDGEFLEET_TOKEN")
    if not token:
        raise SystemExit("edgefleet rollout: give --token or set EDGEFLEET_TOKEN")
    return httpx.Client(base_url=args.server, headers={"Authorization": f"Bearer {token}"}, timeout=60.0)


def _answer(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        body = {"error": response.text}
    if response.status_code >= 400:
        details = f" {json.dumps(body['details'])}" if body.get("details") else ""
        print(f"edgefleet rollout: {response.status_code} {body.get('error')}{details}", file=sys.stderr)
        raise SystemExit(1)
    return body


def _create(args) -> int:
    body = {
        "name": args.name,
        "group": args.group,
        "firmware_version": args.version,
        "phases": {
            "canary": args.canary,
            "percentages": [int(p) for p in args.phases.split(",") if p.strip()],
        },
        "max_in_flight": args.max_in_flight,
        "rate_per_minute": args.rate,
        "device_deadline_seconds": args.deadline,
        "thresholds": {"max_failures": args.max_failures, "max_failure_percent": args.max_failure_percent},
        "force": args.force,
    }
    if args.max_failures is None and args.max_failure_percent is None:
        body["thresholds"] = {"max_failures": 0}
    if args.url or args.sha256 or args.size:
        artifact = {"url": args.url, "sha256": args.sha256, "size": args.size}
        body["artifact"] = {k: v for k, v in artifact.items() if v is not None}
        if args.signature:
            body["artifact"]["signature"] = args.signature
    with _client(args) as http:
        return _show(args, _answer(http.post("/api/v1/edge/rollouts", json=body)))


def _status(args) -> int:
    with _client(args) as http:
        rollout = _answer(http.get(f"/api/v1/edge/rollouts/{args.rollout_id}"))
        devices = (
            _answer(http.get(f"/api/v1/edge/rollouts/{args.rollout_id}/devices"))["devices"]
            if args.devices
            else None
        )
    if args.json:
        print(json.dumps(rollout | ({"device_states": devices} if devices is not None else {}), indent=2))
        return 0
    _show(args, rollout)
    for device in devices or []:
        why = f" {device['reason']}: {device['message']}" if device["reason"] else ""
        print(f"  {device['device_id']:<24} phase {device['phase']}  {device['state']}{why}")
    return 0


def _action(args) -> int:
    with _client(args) as http:
        return _show(
            args, _answer(http.post(f"/api/v1/edge/rollouts/{args.rollout_id}/{args.rollout_command}"))
        )


def _show(args, rollout: dict) -> int:
    if args.json:
        print(json.dumps(rollout, indent=2))
        return 0
    reason = f" ({rollout['reason']})" if rollout.get("reason") else ""
    print(
        f"rollout {rollout['id']} {rollout['name']!r}: {rollout['firmware_version']} to group {rollout['group']}, "
        f"{rollout['state']}{reason}, phase {rollout['phase']} of {len(rollout['phases'] or [])}"
    )
    for phase in rollout["phases"] or []:
        states = ", ".join(f"{k} {v}" for k, v in phase["devices"].items() if v)
        print(
            f"  phase {phase['index']}: {phase['size']} devices{' (done)' if phase['done'] else ''}: {states}"
        )
    return 0
