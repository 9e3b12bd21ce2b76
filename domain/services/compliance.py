"""Fleet compliance: a page of devices, each assessed by the one scoring rule."""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from domain.compliance import ComplianceFacts, ComplianceReport, assess
from domain.devices import DeviceRecord
from domain.pagination import Page, PageRequest
from ports.clock import Clock
from ports.queries import FleetQueries
from ports.repositories import DeviceFilter


class ComplianceFactSource(Protocol):
    async def facts(self, devices: list[DeviceRecord]) -> list[ComplianceFacts]: ...


class ComplianceReview:
    def __init__(
        self, queries: FleetQueries, facts: ComplianceFactSource, clock: Clock, max_age: timedelta
    ) -> None:
        self._queries, self._facts, self._clock, self._max_age = queries, facts, clock, max_age

    async def review(self, filters: DeviceFilter, page: PageRequest) -> Page[ComplianceReport]:
        devices = await self._queries.devices(filters, page)
        now = self._clock.now()
        reports = [assess(f, now, self._max_age) for f in await self._facts.facts(devices.items)]
        return Page(reports, devices.total, devices.limit, devices.offset)
