"""Roles and what each may do: the permission matrix the README documents."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    VIEWER = "viewer"
    AUDITOR = "auditor"


class Permission(StrEnum):
    DEVICES_READ = "devices:read"
    DEVICES_WRITE = "devices:write"
    DECOMMISSIONED_READ = "devices:read-decommissioned"
    METRICS_READ = "metrics:read"
    ALERTS_READ = "alerts:read"
    ALERTS_ACK = "alerts:acknowledge"
    COMMANDS_READ = "commands:read"
    COMMANDS_SAFE = "commands:run-safe"
    COMMANDS_PRIVILEGED = "commands:run-privileged"
    ATTESTATION_READ = "attestation:read"
    ATTESTATION_VERIFY = "attestation:verify"
    POLICIES_READ = "policies:read"
    POLICIES_WRITE = "policies:write"
    COMPLIANCE_READ = "compliance:read"
    AUDIT_READ = "audit:read"
    SEAL = "keys:seal"
    SEALS_READ = "keys:read-seals"
    ENROLMENT_ADMIN = "enrolment:manage"
    ROLLOUTS_READ = "rollouts:read"
    ROLLOUTS_WRITE = "rollouts:write"


# By the API contract: viewers read device information (attestation status included); operators also
# run safe commands and trigger verification (it challenges the device); auditors read logs and
# compliance data but change nothing on a device.
_VIEWER = {
    Permission.DEVICES_READ,
    Permission.METRICS_READ,
    Permission.ALERTS_READ,
    Permission.ATTESTATION_READ,
}
_OPERATOR = _VIEWER | {
    Permission.ALERTS_ACK,
    Permission.COMMANDS_READ,
    Permission.COMMANDS_SAFE,
    Permission.ATTESTATION_VERIFY,
    Permission.ROLLOUTS_READ,
}
_AUDITOR = _VIEWER | {
    Permission.DECOMMISSIONED_READ,
    Permission.COMMANDS_READ,
    Permission.POLICIES_READ,
    Permission.COMPLIANCE_READ,
    Permission.AUDIT_READ,
    Permission.SEALS_READ,
    Permission.ROLLOUTS_READ,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset(_VIEWER),
    Role.OPERATOR: frozenset(_OPERATOR),
    Role.AUDITOR: frozenset(_AUDITOR),
    Role.ADMIN: frozenset(Permission),
}


@dataclass(frozen=True)
class Principal:
    """An authenticated operator (from a bearer token)."""

    subject: str
    role: Role

    def may(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]
