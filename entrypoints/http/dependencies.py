"""What handlers may ask for by name, each from the container (one instance per app)."""

from __future__ import annotations

from litestar.di import Provide

from entrypoints.container import Container

SERVICES = (
    "inventory",
    "commands",
    "agents",
    "attestation",
    "enrolment",
    "policies",
    "compliance",
    "bulk",
    "sealing",
    "alerts",
    "uptime",
    "event_policies",
    "groups",
    "rollouts",
)


def _provide(provider) -> Provide:
    return Provide(lambda: provider(), sync_to_thread=False)


def dependencies(container: Container) -> dict[str, Provide]:
    settings = container.settings()
    provided = {name: _provide(getattr(container.services, name)) for name in SERVICES}
    return provided | {
        "settings": Provide(lambda: settings, sync_to_thread=False),
        "gateway": _provide(container.gateways.device_gateway),
        "audit_log": _provide(container.gateways.audit_log),
        "live_stream": _provide(container.core.live_stream),
        "tokens": _provide(container.core.tokens),
    }
