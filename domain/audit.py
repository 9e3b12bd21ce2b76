"""The audit trail: one append-only record per mutating call, secrets redacted before they are stored."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

REDACTED = "***"
# Field names that carry secrets anywhere in a request body (enrolment tokens, credentials, key material).
SECRET_FIELD = re.compile(r"(token|secret|credential|password|passphrase|private|key_material|seed)", re.I)
MAX_DEPTH = 6


def redact(value: Any, depth: int = 0) -> Any:
    """A copy of ``value`` with secret-looking fields masked, nested structures included."""
    if depth > MAX_DEPTH:
        return REDACTED
    if isinstance(value, dict):
        return {
            k: REDACTED if SECRET_FIELD.search(str(k)) else redact(v, depth + 1) for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v, depth + 1) for v in value[:100]]
    if isinstance(value, str) and len(value) > 1024:
        return value[:1024] + "…"
    return value


@dataclass(eq=False)
class AuditRecord:
    at: datetime
    actor: str
    role: str
    action: str
    method: str
    path: str
    outcome: int  # HTTP status of the answer
    device_id: str | None = None
    target: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, Any] | list[Any] | None = None
    client_address: str | None = None
    request_id: str | None = None
    id: int | None = None  # given by the log when appended

    @property
    def saved_id(self) -> int:
        if self.id is None:
            raise ValueError("the audit record has not been appended yet")
        return self.id

    @property
    def succeeded(self) -> bool:
        return self.outcome < 400
