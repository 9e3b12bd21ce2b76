"""Imperative mapping of the plain domain classes onto the tables (the domain never sees SQLAlchemy)."""

from __future__ import annotations

from sqlalchemy.orm import registry

from adapters.persistence import tables
from domain.agents import DeviceCredential, EnrollmentToken
from domain.commands import Command
from domain.devices import Device, MetricSample

mapper_registry = registry()
_started = False


def start_mappers() -> None:
    """Idempotent; called once by the composition root (and by tests)."""
    global _started
    if _started:
        return
    mapper_registry.map_imperatively(Device, tables.edge_devices)
    mapper_registry.map_imperatively(MetricSample, tables.device_metrics)
    mapper_registry.map_imperatively(EnrollmentToken, tables.enrollment_tokens)
    mapper_registry.map_imperatively(DeviceCredential, tables.device_credentials)
    # The version column makes two workers racing on one command fail loudly instead of both winning.
    mapper_registry.map_imperatively(
        Command, tables.device_commands, version_id_col=tables.device_commands.c.version
    )
    _started = True
