"""Parameter types shared by controllers; bounds keep every value inside what the databases store."""

from __future__ import annotations

from typing import Annotated

from litestar.params import PathParameter, QueryParameter

INT64_MAX = 2**63 - 1

Offset = Annotated[int, QueryParameter(ge=0, le=1_000_000_000, description="items to skip")]
CommandId = Annotated[int, PathParameter(ge=1, le=INT64_MAX)]
