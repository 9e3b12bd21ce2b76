"""Which trusted execution environment a Linux host exposes, told by the device node its driver makes."""

from __future__ import annotations

from adapters.platform.procfs import LinuxHost

# iTrustee (Huawei's TrustZone OS on Ascend and Kirin/Kunpeng boards) exposes tc_ns_client; the
# kernel's generic TEE subsystem exposes tee0, which on Arm edge boards is OP-TEE's client device.
TEE_DEVICES = (("dev/tc_ns_client", "iTrustee"), ("dev/tee0", "OP-TEE"))


def detect_tee(host: LinuxHost) -> str | None:
    """The TEE's name, or None when the host exposes none (then it has no usable TEE)."""
    return next((name for device, name in TEE_DEVICES if host.exists(device)), None)
