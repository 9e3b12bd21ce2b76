"""Group commit: concurrent submissions share one batch; each caller gets its own outcome."""

from __future__ import annotations

import asyncio

import pytest

from domain.errors import Conflict, DeviceNotFound
from domain.group_commit import GroupCommit


class Store:
    """A batch runner that records its batches and can be told to refuse or fail."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.committed: list[int] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.refuse_with: int | None = None  # a batch holding this item is refused as a whole
        self.down = False

    async def run(self, items):
        self.batches.append(list(items))
        await self.gate.wait()
        if self.down:
            raise ConnectionError("database unreachable")
        if self.refuse_with in items:
            raise Conflict("refused")
        outcomes = [DeviceNotFound(str(i)) if i < 0 else i * 10 for i in items]
        self.committed.extend(i for i in items if i >= 0)
        return outcomes


async def test_an_idle_caller_runs_at_once_alone():
    store = Store()
    assert await GroupCommit(store.run).submit(1) == 10
    assert store.batches == [[1]]


async def test_callers_arriving_while_a_batch_runs_share_the_next_batch():
    store = Store()
    group = GroupCommit(store.run)
    store.gate.clear()
    first = asyncio.ensure_future(group.submit(1))
    await asyncio.sleep(0)  # the first batch starts and waits on the gate
    others = [asyncio.ensure_future(group.submit(n)) for n in (2, 3, 4)]
    await asyncio.sleep(0)
    assert not any(task.done() for task in (first, *others))  # nobody answered before the commit
    store.gate.set()
    assert await asyncio.gather(first, *others) == [10, 20, 30, 40]
    assert store.batches == [[1], [2, 3, 4]]


async def test_batches_never_exceed_the_limit():
    store = Store()
    group = GroupCommit(store.run, max_batch=2)
    store.gate.clear()
    tasks = [asyncio.ensure_future(group.submit(n)) for n in range(5)]
    await asyncio.sleep(0)
    store.gate.set()
    assert await asyncio.gather(*tasks) == [0, 10, 20, 30, 40]
    assert max(len(b) for b in store.batches) == 2


async def test_an_item_the_batch_refuses_fails_alone():
    store = Store()
    group = GroupCommit(store.run)
    store.gate.clear()
    tasks = [asyncio.ensure_future(group.submit(n)) for n in (1, -2, 3)]
    await asyncio.sleep(0)
    store.gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert results[0] == 10 and results[2] == 30
    assert isinstance(results[1], DeviceNotFound)


async def test_a_batch_refused_as_a_whole_is_retried_item_by_item():
    store = Store()
    store.refuse_with = 2
    group = GroupCommit(store.run)
    store.gate.clear()
    tasks = [asyncio.ensure_future(group.submit(n)) for n in (1, 2, 3)]
    await asyncio.sleep(0)
    store.gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert results[0] == 10 and results[2] == 30
    assert isinstance(results[1], Conflict)
    assert sorted(store.committed) == [1, 3]


async def test_a_store_that_is_down_fails_every_caller_of_the_batch_at_once():
    store = Store()
    store.down = True
    group = GroupCommit(store.run)
    results = await asyncio.gather(*(group.submit(n) for n in (1, 2)), return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    assert len(store.batches) <= 2  # no retry one by one against a store that is down
    store.down = False
    assert await group.submit(5) == 50  # and the next call works again


async def test_a_cancelled_caller_does_not_break_the_batch():
    store = Store()
    group = GroupCommit(store.run)
    store.gate.clear()
    first = asyncio.ensure_future(group.submit(1))
    second = asyncio.ensure_future(group.submit(2))
    await asyncio.sleep(0)
    second.cancel()
    store.gate.set()
    assert await first == 10
    with pytest.raises(asyncio.CancelledError):
        await second
