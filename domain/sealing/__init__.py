"""Sealing keys to device TPMs: the seal record, its PCR policy and the import blob's format.

Design: the server builds a TPM2_Import (duplication) blob; the device only imports and unseals.
A sealed key must come back only on one device and only while its boot measurements are the expected
ones, and the server must never hold a device's private keys. So the server makes the sealed data
object itself: a KEYEDHASH object whose sensitive part is a fresh 32-byte key and whose authPolicy is
the TPM2_PolicyPCR digest over the chosen PCRs and their expected values (computed here, hashlib
only). tpm2-pytss ``wrap`` duplicates it to the device's EK: a seed RSA-OAEP-encrypted to the EK
("DUPLICATE"), the sensitive area AES-CFB-encrypted and HMAC-bound to the object's Name with keys
derived from that seed. The EK, a restricted decryption key from the standard template, serves as the
import parent, so nothing new is enrolled: its public area is on file and the AK enrolment
(ActivateCredential) proved the device holds it. Another TPM cannot decrypt the seed, a changed byte
fails the HMAC, changed PCRs fail PolicyPCR at TPM2_Unseal; userWithAuth is clear, so no password
path exists. sealed_data is public material only (safe to store, list and return); the key lives in
server memory for one request and is never stored, logged or returned. Rejected: the agent running
TPM2_Create under a PolicyPCR session, which needs the key sent to the device (over TLS) or chosen
by it, leaving the server unable to say what was sealed under which policy. Limit: exact PCR values
mean a firmware update needs a new seal (sealed to the future values, ``replace``) before the reboot;
PolicyAuthorize (signed policies) would remove that and is the next step.
"""

from domain.sealing.blob import SealedBlob
from domain.sealing.pcr_policy import (
    PcrPolicy,
    format_policy,
    parse_pcr_values,
    parse_policy,
    pcr_selection,
    policy_pcr_digest,
    values_from_reference,
)
from domain.sealing.seal import (
    KEY_ID_PATTERN,
    NotEnrolled,
    Seal,
    SealStatus,
    UnsealFailed,
    check_key_id,
    device_seal_status,
    new_seal_id,
)

__all__ = [
    "KEY_ID_PATTERN",
    "NotEnrolled",
    "PcrPolicy",
    "Seal",
    "SealStatus",
    "SealedBlob",
    "UnsealFailed",
    "check_key_id",
    "device_seal_status",
    "format_policy",
    "new_seal_id",
    "parse_pcr_values",
    "parse_policy",
    "pcr_selection",
    "policy_pcr_digest",
    "values_from_reference",
]
