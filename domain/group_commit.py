"""Group commit: concurrent calls coalesced into one batch, run as one transaction.

While a batch runs, new calls queue; when it ends, everything queued runs as the next batch. An idle
caller runs at once (no waiting window), a busy one waits at most one batch, and nobody gets an answer
before the batch holding their item has committed. Each item gets its own result or error: an item
the batch refuses (a domain error) fails alone and the batch goes on, and should the whole batch be
refused with a domain error, its items run again one by one so one bad item cannot fail the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from domain.errors import DomainError, StoreUnavailable

T = TypeVar("T")
R = TypeVar("R")

# What a batch returns for each of its items, in order: the item's result or the error it failed with.
BatchRunner = Callable[[Sequence[T]], Awaitable[Sequence[R | DomainError]]]


class GroupCommit(Generic[T, R]):
    def __init__(self, run_batch: BatchRunner[T, R], max_batch: int = 256) -> None:
        self._run_batch = run_batch
        self._max_batch = max_batch
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._draining = False

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if not self._draining:
            self._draining = True
            asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
                await self._settle(batch)
        finally:
            self._draining = False

    async def _settle(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            outcomes = await self._run_batch([item for item, _ in batch])
        except BaseException as exc:
            if isinstance(exc, DomainError) and not isinstance(exc, StoreUnavailable) and len(batch) > 1:
                for one in batch:  # the batch as a whole was refused: find the item that did it
                    await self._settle([one])
                return
            for _, future in batch:  # the store is down, say: every caller hears it now, none hangs
                _resolve(future, exc)
            if not isinstance(exc, Exception):
                raise
            return
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            _resolve(future, outcome)


def _resolve(future: asyncio.Future[R], outcome: R | BaseException) -> None:
    if future.done():  # the caller went away (its request was cancelled)
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
