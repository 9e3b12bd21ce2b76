"""Offset pagination shared by every listing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from domain.errors import ValidationFailed

T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    limit: int
    offset: int = 0

    @classmethod
    def checked(cls, limit: int, offset: int, max_limit: int) -> PageRequest:
        if not 1 <= limit <= max_limit:
            raise ValidationFailed(f"limit must be between 1 and {max_limit}")
        if offset < 0:
            raise ValidationFailed("offset must not be negative")
        return cls(limit=limit, offset=offset)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
