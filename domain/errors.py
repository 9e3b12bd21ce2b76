from typing import Any

"""Domain errors. Each carries a stable machine-readable ``code``; the HTTP edge maps codes to statuses."""


class DomainError(Exception):
    code = "DOMAIN_ERROR"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class ValidationFailed(DomainError):
    code = "VALIDATION_ERROR"


class DeviceNotFound(DomainError):
    code = "DEVICE_NOT_FOUND"

    def __init__(self, device_id: str) -> None:
        super().__init__("Device not found", details={"device_id": device_id})


class DeviceAlreadyExists(DomainError):
    code = "DEVICE_EXISTS"

    def __init__(self, device_id: str) -> None:
        super().__init__(f"Device already exists: {device_id}", details={"device_id": device_id})


class InvalidCommand(DomainError):
    code = "INVALID_COMMAND"


class TeeNotAvailable(DomainError):
    code = "TEE_NOT_AVAILABLE"


class AttestationFailed(DomainError):
    code = "ATTESTATION_FAILED"


class DeviceUnreachable(DomainError):
    code = "DEVICE_UNREACHABLE"


class Conflict(DomainError):
    code = "CONFLICT"


class StoreUnavailable(DomainError):
    """The database cannot be reached (down, restarting, out of connections; raised by adapters, so
    callers can say so, and health can, instead of failing): retry later."""

    code = "SERVICE_UNAVAILABLE"
