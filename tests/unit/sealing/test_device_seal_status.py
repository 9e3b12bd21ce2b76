"""A device's seal state in its detail: active while a usable key is sealed, revoked once none is."""

from __future__ import annotations

import pytest

from domain.sealing import SealStatus, device_seal_status


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ((), "none"),
        ((SealStatus.ACTIVE,), "active"),
        ((SealStatus.REVOKED, SealStatus.ACTIVE), "active"),
        ((SealStatus.REVOKED,), "revoked"),
        ((SealStatus.FAILED,), "revoked"),
        (("revoked", "failed"), "revoked"),
    ],
)
def test_device_seal_status(statuses, expected):
    assert device_seal_status(statuses) == expected
