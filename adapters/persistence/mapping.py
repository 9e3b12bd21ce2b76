"""Imperative mapping of the plain domain classes onto the tables (the domain never sees SQLAlchemy)."""
from __future__ import annotations

from sqlalchemy.orm import registry

from adapters.persistence import tables
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
    _started = True
