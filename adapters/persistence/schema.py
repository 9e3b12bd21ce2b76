"""Every table of the schema on one MetaData: what migrations are compared with."""

from __future__ import annotations

from adapters.persistence import (  # noqa: F401  (importing a table module registers its tables)
    alert_tables,
    challenge_tables,
    event_policy_tables,
    rollout_tables,
    rollup_tables,
    seal_tables,
    tables,
    user_tables,
)
from adapters.persistence.metadata import metadata

__all__ = ["metadata"]
