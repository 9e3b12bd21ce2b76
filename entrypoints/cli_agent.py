"""The device-side sub-commands: ``edgefleet agent`` and ``edgefleet simulate`` (registered by cli.py),
and ``edgefleet-agent``, the same two for a device that installed only ``edgefleet[agent]``."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

PLATFORM_CHOICES = ("atlas", "hisilicon")
AK_CHOICES = ("ecc", "rsassa", "rsapss")


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def add_agent_commands(subparsers) -> None:
    agent = subparsers.add_parser("agent", help="run the device agent on this machine")
    agent.add_argument("--server", required=True, help="server URL, e.g. https://fleet.example:8000")
    agent.add_argument(
        "--enroll-token",
        default=os.environ.get("EDGEFLEET_ENROLL_TOKEN"),
        help="one-time enrolment token (or EDGEFLEET_ENROLL_TOKEN); first run only",
    )
    agent.add_argument(
        "--tpm",
        help="swtpm:host=..,port=.. | device:/dev/tpmrm0 | simulated | none "
        "(default: /dev/tpmrm0 when present, else none)",
    )
    agent.add_argument("--ak", choices=AK_CHOICES, default="ecc", help="attestation key algorithm")
    agent.add_argument(
        "--state-dir",
        type=Path,
        help="credential, device id and TPM key blobs (default /var/lib/edgefleet-agent as root)",
    )
    agent.add_argument("--device-id", help="id to enrol with (default: <hostname>-<random>)")
    agent.add_argument("--name")
    agent.add_argument("--location")
    agent.add_argument(
        "--platform",
        choices=PLATFORM_CHOICES,
        help="platform family (default: detected; a generic Linux host must say which)",
    )
    agent.add_argument("--reboot-command", help="e.g. 'systemctl reboot'; reboot is rejected without one")
    agent.add_argument("--halt-command", help="e.g. 'systemctl poweroff'; halt is rejected without one")
    agent.add_argument(
        "--update-command", help="firmware update hook; gets EDGEFLEET_UPDATE_VERSION, _URL and _SHA256"
    )
    agent.add_argument(
        "--update-public-key",
        help="Ed25519 public key (PEM file): install only updates whose sha256 it signed",
    )
    agent.add_argument("--heartbeat-interval", type=_positive, help="seconds (default: what the server says)")
    agent.add_argument("--buffer-size", type=int, default=1000, help="samples kept while the server is away")
    agent.add_argument("--log-level", default="info")
    agent.set_defaults(handler=_agent)

    sim = subparsers.add_parser("simulate", help="run a simulated fleet of agents against a server")
    sim.add_argument("--server", required=True)
    sim.add_argument("--devices", type=int, default=10)
    sim.add_argument("--seed", default="edgefleet", help="same seed, same fleet (models, keys, metrics)")
    sim.add_argument("--prefix", default="sim", help="device ids are <prefix>-001, <prefix>-002, ...")
    tokens = sim.add_mutually_exclusive_group()
    tokens.add_argument(
        "--admin-token",
        default=os.environ.get("EDGEFLEET_ADMIN_TOKEN"),
        help="operator JWT (admin) to create one enrolment token per device",
    )
    tokens.add_argument("--enroll-token-file", type=Path, help="single-use enrolment tokens, one per line")
    sim.add_argument("--enroll-token", action="append", default=[], help="an enrolment token (repeatable)")
    sim.add_argument("--state-dir", type=Path, help="keep credentials per device (reruns skip enrolment)")
    sim.add_argument("--ak", choices=AK_CHOICES, default="ecc")
    sim.add_argument("--heartbeat-interval", type=_positive, help="seconds (default: what the server says)")
    sim.add_argument("--duration", type=_positive, help="seconds to run, then summarise (default: forever)")
    sim.add_argument(
        "--offline-after", type=_positive, default=120.0, help="seconds until the offline device goes silent"
    )
    sim.add_argument("--ramp", type=float, default=5.0, help="seconds over which the agents start")
    sim.add_argument("--no-anomalies", action="store_true", help="no overheating, tampered or offline device")
    sim.add_argument(
        "--event-policies",
        action="store_true",
        help="with --admin-token, publish event policies per model + firmware instead of PCR values",
    )
    sim.add_argument(
        "--scenario",
        action="append",
        default=[],
        choices=["swapped_bootloader"],
        help="one more anomalous device: swapped_bootloader boots an unknown bootloader (PCR 4)",
    )
    sim.add_argument(
        "--no-reference-policies",
        action="store_true",
        help="with --admin-token, do not publish golden PCR values per model + firmware",
    )
    sim.add_argument(
        "--publish-firmware",
        action="append",
        default=[],
        metavar="VERSION",
        help="with --admin-token, also publish each model's golden values for this (next) firmware version",
    )
    sim.add_argument(
        "--bad-firmware",
        action="append",
        default=[],
        metavar="VERSION",
        help="updating to VERSION boots a foreign image on some devices (attestation fails after the update)",
    )
    sim.add_argument(
        "--bad-fraction",
        type=float,
        default=1.0,
        help="share of the devices (0-1, chosen from the seed) on which --bad-firmware is bad",
    )
    sim.add_argument(
        "--update-public-key", help="Ed25519 public key (PEM file) the agents check updates with"
    )
    sim.add_argument("--log-level", default="info")
    sim.set_defaults(handler=_simulate)


def _logging(level: str, quiet_agents: bool = False) -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request drowns everything else
    if quiet_agents:  # a thousand agents retrying during an outage would print a thousand lines each time
        logging.getLogger("edgefleet.agent").setLevel(logging.ERROR)


def _agent(args) -> int:
    from entrypoints.agent.bootstrap import AgentOptions
    from entrypoints.agent.main import run_agent

    _logging(args.log_level)
    options = AgentOptions(
        server=args.server,
        enroll_token=args.enroll_token,
        tpm=args.tpm,
        ak=args.ak,
        state_dir=args.state_dir,
        device_id=args.device_id,
        name=args.name,
        location=args.location,
        platform=args.platform,
        reboot_command=args.reboot_command,
        halt_command=args.halt_command,
        update_command=args.update_command,
        heartbeat_interval=args.heartbeat_interval,
        buffer_size=args.buffer_size,
        update_public_key=args.update_public_key,
    )
    import asyncio  # here, not at the top: every command's start-up pays for a module-level import

    return asyncio.run(run_agent(options))


def _simulate(args) -> int:
    from entrypoints.agent.fleet import SimulationConfig
    from entrypoints.agent.fleet_tokens import read_token_file
    from entrypoints.simulate import simulate

    if args.devices < 1:
        raise ValueError("--devices must be at least 1")
    _logging(args.log_level, quiet_agents=args.devices > 20)
    tokens = list(args.enroll_token)
    if args.enroll_token_file:
        tokens += read_token_file(args.enroll_token_file)
    if not args.admin_token and not args.state_dir and len(tokens) < args.devices:
        raise ValueError(
            f"{args.devices} devices need {args.devices} enrolment tokens (single-use), "
            f"got {len(tokens)}: pass --enroll-token-file or --admin-token"
        )
    config = SimulationConfig(
        server=args.server,
        devices=args.devices,
        seed=args.seed,
        prefix=args.prefix,
        ak=args.ak,
        anomalies=not args.no_anomalies,
        scenarios=tuple(args.scenario),
        offline_after=args.offline_after,
        heartbeat_interval=args.heartbeat_interval,
        ramp_seconds=args.ramp,
        state_dir=args.state_dir,
        reference_policies=not args.no_reference_policies,
        event_policies=args.event_policies,
        publish_firmware=tuple(args.publish_firmware),
        bad_firmware=tuple(args.bad_firmware),
        bad_fraction=args.bad_fraction,
        update_public_key=args.update_public_key,
    )
    admin = None if tokens else args.admin_token  # tokens given explicitly win over EDGEFLEET_ADMIN_TOKEN
    import asyncio

    return asyncio.run(simulate(config, tokens=tokens, admin_token=admin, duration=args.duration))


def main(argv: list[str] | None = None) -> int:
    """``edgefleet-agent``: imports nothing of the server, unlike ``edgefleet`` (serve, db, attest ...)."""
    parser = argparse.ArgumentParser(prog="edgefleet-agent", description="Edge fleet device agent")
    add_agent_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        return 130
    except (ValueError, OSError) as exc:
        print(f"edgefleet-agent: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
