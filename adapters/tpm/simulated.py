"""A TPM 2.0 in pure Python: PCR banks, EK and AK, byte-exact signed quotes, ActivateCredential.

Deterministic from its seed, so tests and demos can build fleets of thousands of devices. The EK (RSA)
is derived lazily: a fleet that only quotes with ECC AKs never pays for RSA key generation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from enum import StrEnum

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from adapters.tpm import keygen, templates
from adapters.tpm.activation import activate_credential
from domain.attestation.evidence import ClockInfo, HashAlg, QuoteEvidence, SigScheme
from domain.attestation.tpm_wire import Attest, PcrSelect, Signature, build_attest, build_signature, tpm_name
from domain.measured_boot.eventlog import parse_log

PCR_COUNT = 24
BANKS = (HashAlg.SHA1, HashAlg.SHA256)
ENDORSEMENT_HIERARCHY = 0x4000000B
MAX_NONCE = 64  # TPM2B_DATA


class AkAlgorithm(StrEnum):
    ECC = "ecc"  # ECDSA P-256 / SHA-256
    RSASSA = "rsassa"  # RSA-2048 PKCS#1 v1.5 / SHA-256
    RSAPSS = "rsapss"  # RSA-2048 PSS / SHA-256


def _seed(seed: bytes | str | int) -> bytes:
    return seed if isinstance(seed, bytes) else str(seed).encode()


class SimulatedTpm:
    def __init__(
        self,
        seed: bytes | str | int = b"edgefleet",
        *,
        ak: AkAlgorithm | str = AkAlgorithm.ECC,
        firmware_version: int = 0x0002_0001_0000_0000,
        rsa_seed: bytes | str | int | None = None,
    ) -> None:
        """``rsa_seed`` lets many simulated TPMs share a few RSA keys (see fleet.build_fleet)."""
        self.seed = _seed(seed)
        self.ak_algorithm = AkAlgorithm(ak)
        self.firmware_version = firmware_version
        self._rsa_seed = _seed(rsa_seed) if rsa_seed is not None else self.seed
        self.clock_ms = 1_000_000 + int.from_bytes(hashlib.sha256(self.seed).digest()[:2], "big")
        self.reset_count = 0
        self.restart_count = 0
        self._pcrs = {bank: [bytes(bank.digest_size)] * PCR_COUNT for bank in BANKS}
        self._ak = (
            keygen.ecc_p256_key(self.seed, "ak")
            if self.ak_algorithm is AkAlgorithm.ECC
            else keygen.rsa_key(self._rsa_seed, "ak-" + self.ak_algorithm.value)
        )
        self._ak_public = templates.ak_public(self._ak, self.ak_algorithm)
        self.ak_name = tpm_name(self._ak_public)
        parent = ENDORSEMENT_HIERARCHY.to_bytes(4, "big")  # a hierarchy's qualified name is its handle
        self._qualified_name = self.ak_name[:2] + hashlib.sha256(parent + self.ak_name).digest()
        self._ek: rsa.RSAPrivateKey | None = None
        self._event_log: bytes | None = None
        self._logged_events = 0

    # -- keys ---------------------------------------------------------------------------------
    def _endorsement_key(self) -> rsa.RSAPrivateKey:
        if self._ek is None:
            self._ek = keygen.rsa_key(self._rsa_seed, "ek")
        return self._ek

    def ek_public(self) -> bytes:
        return templates.ek_public(self._endorsement_key().public_key())

    def ek_certificate(self) -> bytes | None:
        return None

    def ak_public(self) -> bytes:
        return self._ak_public

    # -- PCRs ---------------------------------------------------------------------------------
    def pcr_read(self, pcrs: Sequence[int], bank: HashAlg = HashAlg.SHA256) -> dict[int, bytes]:
        values = self._bank(bank)
        return {pcr: values[pcr] for pcr in sorted(set(self._indexes(pcrs)))}

    def pcr_extend(self, pcr: int, digest: bytes, bank: HashAlg = HashAlg.SHA256) -> None:
        values = self._bank(bank)
        [pcr] = self._indexes([pcr])
        if len(digest) != HashAlg(bank).digest_size:
            raise ValueError(f"a {HashAlg(bank).name} extend takes {HashAlg(bank).digest_size} bytes")
        values[pcr] = hashlib.new(HashAlg(bank).name.lower(), values[pcr] + digest).digest()

    # -- boot event log -----------------------------------------------------------------------
    def measure_log(self, records: bytes) -> None:
        """What firmware does at boot: append ``records`` to the platform's TCG event log (the first call
        gives the whole log, Spec ID event first) and extend each new event's digests into the banks."""
        combined = (self._event_log or b"") + bytes(records)
        events = parse_log(combined).events
        for event in events[self._logged_events :]:
            if event.extends:
                for alg, digest in event.digests.items():
                    if HashAlg(alg) in self._pcrs:
                        self.pcr_extend(event.pcr, digest, HashAlg(alg))
        self._event_log, self._logged_events = combined, len(events)

    def event_log(self) -> bytes | None:
        return self._event_log

    # -- attestation --------------------------------------------------------------------------
    def quote(self, nonce: bytes, pcrs: Sequence[int], bank: HashAlg = HashAlg.SHA256) -> QuoteEvidence:
        if len(nonce) > MAX_NONCE:
            raise ValueError(f"qualifying data is at most {MAX_NONCE} bytes")
        values = self.pcr_read(pcrs, bank)
        self.clock_ms += 1
        attest = Attest(
            qualified_signer=self._qualified_name,
            extra_data=bytes(nonce),
            clock=ClockInfo(self.clock_ms, self.reset_count, self.restart_count, True),
            firmware_version=self.firmware_version,
            pcr_selections=(PcrSelect.of(bank, values),),
            # The TPM hashes the selected PCRs with the signing scheme's hash (SHA-256 here).
            pcr_digest=hashlib.sha256(b"".join(values.values())).digest(),
        )
        quote = build_attest(attest)
        return QuoteEvidence(quote, self.sign(quote), values, HashAlg(bank), self._event_log)

    def sign(self, message: bytes) -> bytes:
        """TPMT_SIGNATURE by the AK over ``message``, padded and laid out as a TPM does."""
        sha256, ak = hashes.SHA256(), self._ak
        if isinstance(ak, ec.EllipticCurvePrivateKey):  # AkAlgorithm.ECC
            r, s = decode_dss_signature(ak.sign(message, ec.ECDSA(sha256)))
            sig = Signature(SigScheme.ECDSA, HashAlg.SHA256, r=r.to_bytes(32, "big"), s=s.to_bytes(32, "big"))
        elif self.ak_algorithm is AkAlgorithm.RSASSA:
            signed = ak.sign(message, padding.PKCS1v15(), sha256)
            sig = Signature(SigScheme.RSASSA, HashAlg.SHA256, sig=signed)
        else:
            pss = padding.PSS(mgf=padding.MGF1(sha256), salt_length=padding.PSS.DIGEST_LENGTH)
            sig = Signature(SigScheme.RSAPSS, HashAlg.SHA256, sig=ak.sign(message, pss, sha256))
        return build_signature(sig)

    def activate_credential(self, credential_blob: bytes, encrypted_secret: bytes) -> bytes:
        return activate_credential(self._endorsement_key(), self.ak_name, credential_blob, encrypted_secret)

    # -- lifecycle (test hooks) ---------------------------------------------------------------
    def reboot(self) -> None:
        """TPM Reset (power cycle): resetCount up, restartCount 0, PCRs back to zero."""
        self.reset_count += 1
        self.restart_count = 0
        self.clock_ms += 1000
        self._pcrs = {bank: [bytes(bank.digest_size)] * PCR_COUNT for bank in BANKS}
        self._event_log, self._logged_events = None, 0

    def resume(self) -> None:
        """TPM Resume from hibernation: restartCount up, PCRs kept."""
        self.restart_count += 1

    def advance_clock(self, ms: int) -> None:
        self.clock_ms += ms

    def set_counters(
        self, *, clock_ms: int | None = None, reset_count: int | None = None, restart_count: int | None = None
    ) -> None:
        """Force the clock state, e.g. to replay an older TPM state in rollback tests."""
        if clock_ms is not None:
            self.clock_ms = clock_ms
        if reset_count is not None:
            self.reset_count = reset_count
        if restart_count is not None:
            self.restart_count = restart_count

    def _bank(self, bank: HashAlg) -> list[bytes]:
        try:
            return self._pcrs[HashAlg(bank)]
        except (KeyError, ValueError):
            raise ValueError(f"no PCR bank {bank!r}; banks are SHA1 and SHA256") from None

    @staticmethod
    def _indexes(pcrs: Sequence[int]) -> list[int]:
        pcrs = list(pcrs)
        if any(not isinstance(p, int) or not 0 <= p < PCR_COUNT for p in pcrs):
            raise ValueError(f"PCR indexes are 0..{PCR_COUNT - 1}")
        return pcrs
