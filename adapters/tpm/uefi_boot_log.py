"""Realistic UEFI boot event logs for simulated devices: the records real firmware writes, in its order.

PCR 0 firmware (CRTM version, firmware blobs), PCR 7 Secure Boot state and PK/KEK/db/dbx, PCR 1 boot
variables, PCR 2 option ROMs, separators on PCRs 0-7, PCR 5 the GPT and ExitBootServices, PCR 4 the
boot applications (bootloader, kernel) and PCR 7 the db certificate that verified them. Everything is
derived from the model, firmware version and image names, so devices of one model and firmware share
a log, and a device with another bootloader ("swapped bootloader") differs in exactly one event.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from domain.attestation.evidence import HashAlg
from domain.measured_boot.log_builder import LogBuilder
from domain.measured_boot.tcg import EventType as T
from domain.measured_boot.uefi import (
    EFI_CERT_SHA256,
    EFI_CERT_X509,
    EFI_GLOBAL_VARIABLE,
    EFI_IMAGE_SECURITY_DATABASE,
    encode_blob,
    encode_image_load,
    encode_signature_list,
    encode_variable,
)

OWNER = uuid.UUID("77fa9abd-0359-4d32-bd60-28f4e78f784b")
SEPARATOR = bytes(4)


@dataclass(frozen=True)
class BootConfig:
    model: str
    firmware_version: str
    bootloader: str = "shimx64-15.7"
    kernel: str = "vmlinuz-6.1.0"
    secure_boot: bool = True
    option_roms: int = 1
    boot_entries: int = 3
    banks: tuple[HashAlg, ...] = (HashAlg.SHA1, HashAlg.SHA256)


def image(kind: str, name: str) -> bytes:
    """The bytes standing for an image: its measurement is the hash of these."""
    return f"edgefleet-simulated-{kind}:{name}".encode()


def _fake(label: str, size: int) -> bytes:
    out, counter = b"", 0
    while len(out) < size:
        out += hashlib.sha256(f"{label}/{counter}".encode()).digest()
        counter += 1
    return out[:size]


def boot_log(config: BootConfig) -> bytes:
    fw = f"{config.model}/{config.firmware_version}"
    log = LogBuilder(config.banks)
    log.event(0, T.EV_S_CRTM_VERSION, config.firmware_version.encode("utf-16-le") + b"\0\0")
    log.event(
        0,
        T.EV_EFI_PLATFORM_FIRMWARE_BLOB,
        encode_blob(0x820000, 0xE0000),
        measured=image("blob", fw + "/pei"),
    )
    log.event(
        0,
        T.EV_EFI_PLATFORM_FIRMWARE_BLOB,
        encode_blob(0x900000, 0xC00000),
        measured=image("blob", fw + "/dxe"),
    )
    secure = b"\x01" if config.secure_boot else b"\x00"
    log.event(7, T.EV_EFI_VARIABLE_DRIVER_CONFIG, encode_variable(EFI_GLOBAL_VARIABLE, "SecureBoot", secure))
    for name, vendor, entries in (
        ("PK", EFI_GLOBAL_VARIABLE, 1),
        ("KEK", EFI_GLOBAL_VARIABLE, 1),
        ("db", EFI_IMAGE_SECURITY_DATABASE, 2),
    ):
        certs = b"".join(
            encode_signature_list(EFI_CERT_X509, OWNER, [_fake(f"{config.model}/{name}/{k}", 600)])
            for k in range(entries)
        )
        log.event(7, T.EV_EFI_VARIABLE_DRIVER_CONFIG, encode_variable(vendor, name, certs))
    revoked = [hashlib.sha256(f"revoked/{k}".encode()).digest() for k in range(8)]
    log.event(
        7,
        T.EV_EFI_VARIABLE_DRIVER_CONFIG,
        encode_variable(
            EFI_IMAGE_SECURITY_DATABASE, "dbx", encode_signature_list(EFI_CERT_SHA256, OWNER, revoked)
        ),
    )
    log.event(7, T.EV_SEPARATOR, SEPARATOR)
    order = b"".join(k.to_bytes(2, "little") for k in range(config.boot_entries))
    log.event(
        1, T.EV_EFI_VARIABLE_BOOT, encode_variable(EFI_GLOBAL_VARIABLE, "BootOrder", order), measured=order
    )
    for k in range(config.boot_entries):
        option = _fake(f"{fw}/boot/{k}", 96)
        log.event(
            1,
            T.EV_EFI_VARIABLE_BOOT,
            encode_variable(EFI_GLOBAL_VARIABLE, f"Boot{k:04X}", option),
            measured=option,
        )
    for k in range(config.option_roms):
        log.event(
            2,
            T.EV_EFI_BOOT_SERVICES_DRIVER,
            encode_image_load(0x7E000000 + k * 0x10000, 0x10000, b"\x7f\xff\x04\x00"),
            measured=image("rom", f"{fw}/rom{k}"),
        )
    log.event(4, T.EV_EFI_ACTION, b"Calling EFI Application from Boot Option")
    for pcr in range(7):
        log.event(pcr, T.EV_SEPARATOR, SEPARATOR)
    log.event(5, T.EV_EFI_GPT_EVENT, _fake(f"{config.model}/gpt", 92 + 8 + 128 * 2))
    device_path = "\\EFI\\BOOT\\BOOTX64.EFI".encode("utf-16-le") + b"\0\0\x7f\xff\x04\x00"
    log.event(
        4,
        T.EV_EFI_BOOT_SERVICES_APPLICATION,
        encode_image_load(0x9F64D018, 1334816, device_path),
        measured=image("bootloader", config.bootloader),
    )
    if config.secure_boot:
        cert = _fake(f"{config.model}/db/0", 600)
        log.event(
            7,
            T.EV_EFI_VARIABLE_AUTHORITY,
            encode_variable(EFI_IMAGE_SECURITY_DATABASE, "db", OWNER.bytes_le + cert),
        )
    log.event(
        4,
        T.EV_EFI_BOOT_SERVICES_APPLICATION,
        encode_image_load(0x9E000000, 11_534_336, b"\x7f\xff\x04\x00"),
        measured=image("kernel", config.kernel),
    )
    log.event(5, T.EV_EFI_ACTION, b"Exit Boot Services Invocation")
    log.event(5, T.EV_EFI_ACTION, b"Exit Boot Services Returned with Success")
    return log.build()
