"""The SQL repositories on SQLite and PostgreSQL (same tests, parametrized by the database fixture)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.memory.clock import FakeClock
from domain.devices import Device, DeviceStatus, MetricSample, Platform
from domain.errors import DeviceNotFound
from domain.pagination import PageRequest
from ports.repositories import DeviceFilter, TimeWindow

LOCATIONS = ["DC-East", "DC-West", None]


async def register(container, n: int, start: int = 0) -> None:
    inventory = container.services.inventory()
    for i in range(start, start + n):
        await inventory.register(
            Device(
                id=f"dev-{i:05d}",
                name=f"device {i}",
                platform=Platform.ATLAS if i % 3 else Platform.HISILICON,
                location=LOCATIONS[i % 3],
            )
        )


async def test_total_counts_every_match_not_the_page(container):
    await register(container, 30)
    page = await container.services.inventory().list(DeviceFilter(platform=Platform.ATLAS), PageRequest(5, 0))
    assert len(page.items) == 5
    assert page.total == 20


async def test_filters_combine(container):
    await register(container, 30)
    page = await container.services.inventory().list(
        DeviceFilter(platform=Platform.ATLAS, location="DC-West"), PageRequest(100)
    )
    assert page.total == 10
    assert all(d.platform is Platform.ATLAS and d.location == "DC-West" for d in page.items)


async def test_devices_round_trip_with_aware_utc_timestamps(container):
    await register(container, 1)
    device = await container.services.inventory().get("dev-00000")
    assert device.created_at.tzinfo is not None and device.created_at.utcoffset() == timedelta(0)
    assert device.platform is Platform.HISILICON and device.status is DeviceStatus.UNKNOWN


async def test_history_windows_and_orders_in_sql(container):
    await register(container, 1)
    clock = FakeClock()
    recorder = container.services.telemetry()
    start = clock.now()
    for minute in range(10):
        await recorder.record(
            MetricSample("dev-00000", start + timedelta(minutes=minute), cpu_usage=float(minute))
        )
    window = TimeWindow(start + timedelta(minutes=2), start + timedelta(minutes=7))
    history = await container.services.inventory().history("dev-00000", window, PageRequest(3, 1))
    assert [s.cpu_usage for s in history] == [6.0, 5.0, 4.0]
    device = await container.services.inventory().get("dev-00000")
    assert device.cpu_usage == 9.0 and device.status is DeviceStatus.ONLINE


async def test_telemetry_for_an_unknown_device_stores_nothing(container):
    with pytest.raises(DeviceNotFound):
        await container.services.telemetry().record(MetricSample("ghost", FakeClock().now(), cpu_usage=1.0))


fleet_filters = st.fixed_dictionaries(
    {
        "platform": st.sampled_from([None, Platform.ATLAS, Platform.HISILICON]),
        "location": st.sampled_from([None, *LOCATIONS[:2]]),
        # LIKE's own characters must match themselves, nothing more
        "search": st.sampled_from([None, "1", "DEV-0000", "ice 2", "%", "_", "/", "e_", "1%"]),
        "limit": st.integers(1, 100),
    }
)


def _name(i: int) -> str:
    return f"device {i}" + ("_%/" if i % 7 == 0 else "")


# Listings run on the synchronous SQLite driver, and on PostgreSQL through asyncpg directly: the same
# property holds on both.
@pytest.mark.parametrize(
    "database_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fleet_size=st.integers(0, 60), query=fleet_filters)
async def test_walking_all_pages_yields_every_match_exactly_once(container, fleet_size, query):
    inventory = container.services.inventory()
    existing = (await inventory.list(DeviceFilter(), PageRequest(1))).total
    for i in range(existing, fleet_size):
        await inventory.register(
            Device(
                id=f"dev-{i:05d}",
                name=_name(i),
                platform=Platform.ATLAS if i % 3 else Platform.HISILICON,
                location=LOCATIONS[i % 3],
            )
        )
    filters = DeviceFilter(platform=query["platform"], location=query["location"], search=query["search"])
    seen, offset, totals = [], 0, set()
    while True:
        page = await inventory.list(filters, PageRequest(query["limit"], offset))
        totals.add(page.total)
        if not page.items:
            break
        seen.extend(d.id for d in page.items)
        offset += query["limit"]
    registered = max(existing, fleet_size)
    term = (query["search"] or "").lower()
    expected = [
        f"dev-{i:05d}"
        for i in range(registered)
        if (filters.platform is None or filters.platform == (Platform.ATLAS if i % 3 else Platform.HISILICON))
        and (filters.location is None or filters.location == LOCATIONS[i % 3])
        and (term in f"dev-{i:05d}" or term in _name(i).lower())
    ]
    assert seen == expected
    assert totals == {len(expected)}
