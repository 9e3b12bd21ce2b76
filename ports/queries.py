"""Read side: fleet views served straight from the store, without loading aggregates for change."""
from __future__ import annotations

from typing import Protocol

from domain.devices import DeviceRecord
from domain.pagination import Page, PageRequest
from ports.repositories import DeviceFilter


class FleetQueries(Protocol):
    async def devices(self, filters: DeviceFilter, page: PageRequest) -> Page[DeviceRecord]:
        """Devices matching ``filters`` ordered by id; ``total`` counts every match."""
        ...

    def invalidate(self) -> None:
        """Forget cached views; called after a write that changes the inventory."""
        ...
