"""The trigger-maintained device counts always equal a brute-force COUNT(*), on both databases."""

from __future__ import annotations

from itertools import product

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from adapters.memory.clock import FakeClock
from adapters.persistence.tables import edge_devices
from domain.devices import Device, DeviceStatus, MetricSample, Platform
from domain.errors import DeviceAlreadyExists, DeviceNotFound
from domain.pagination import PageRequest
from ports.repositories import DeviceFilter

IDS = [f"d{i}" for i in range(8)]
LOCATIONS = [None, "east", "west"]

operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("register"),
            st.sampled_from(IDS),
            st.sampled_from(list(Platform)),
            st.sampled_from(LOCATIONS),
        ),
        st.tuples(st.just("move"), st.sampled_from(IDS), st.sampled_from(LOCATIONS)),
        st.tuples(st.just("heartbeat"), st.sampled_from(IDS), st.sampled_from(list(DeviceStatus))),
        st.tuples(st.just("decommission"), st.sampled_from(IDS)),
    ),
    max_size=12,
)


async def apply(container, operation) -> None:
    inventory, telemetry = container.services.inventory(), container.services.telemetry()
    kind, device_id, *args = operation
    try:
        if kind == "register":
            await inventory.register(Device(id=device_id, name=device_id, platform=args[0], location=args[1]))
        elif kind == "move":
            await inventory.update(device_id, {"location": args[0]})
        elif kind == "heartbeat":
            await telemetry.record(MetricSample(device_id, FakeClock().now(), cpu_usage=1.0), args[0])
        else:
            await inventory.decommission(device_id)
    except (DeviceAlreadyExists, DeviceNotFound):
        pass


async def brute_force_count(container, filters: DeviceFilter) -> int:
    c = edge_devices.c
    statement = select(func.count()).select_from(edge_devices)
    if not filters.include_decommissioned:
        statement = statement.where(c.decommissioned_at.is_(None))
    for column, value in (
        (c.platform, filters.platform),
        (c.status, filters.status),
        (c.location, filters.location),
    ):
        if value is not None:
            statement = statement.where(column == value)
    async with container.gateways.engine().connect() as connection:
        return await connection.scalar(statement)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
async def test_totals_match_count_star_for_every_filter(container, ops):
    for operation in ops:
        await apply(container, operation)
    inventory = container.services.inventory()
    for platform, status, location, retired in product(
        [None, *Platform], [None, *DeviceStatus], [None, "east", "west"], [False, True]
    ):
        filters = DeviceFilter(platform, status, location, retired)
        page = await inventory.list(filters, PageRequest(100))
        expected = await brute_force_count(container, filters)
        assert page.total == expected == len(page.items), filters
