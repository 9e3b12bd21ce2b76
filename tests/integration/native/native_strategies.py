"""Hypothesis strategies for the differential tests: honest quotes, then mutations of every input."""

from __future__ import annotations

from dataclasses import dataclass, replace

from hypothesis import strategies as st

from adapters.tpm.simulated import AkAlgorithm, SimulatedTpm
from domain.attestation.evidence import (
    TPM_GENERATED_VALUE,
    TPM_ST_ATTEST_QUOTE,
    AttestationKey,
    HashAlg,
    KeyType,
    QuoteCheck,
    QuoteEvidence,
    SigScheme,
)
from domain.attestation.tpm_wire import PcrSelect, build_attest, parse_attest

algorithms = st.sampled_from(list(AkAlgorithm))
banks = st.sampled_from([HashAlg.SHA256, HashAlg.SHA256, HashAlg.SHA1])
pcr_lists = st.lists(st.integers(0, 23), max_size=10, unique=True).map(sorted)
nonces = st.binary(max_size=64)
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


@dataclass
class Case:
    """A check under construction, with the TPM that can re-sign an edited quote."""

    tpm: SimulatedTpm
    algorithm: AkAlgorithm
    quote: bytes
    signature: bytes
    pcrs: dict
    bank: object
    key: AttestationKey
    nonce: bytes
    policy: object

    def check(self) -> QuoteCheck:
        return QuoteCheck(
            QuoteEvidence(self.quote, self.signature, self.pcrs, self.bank), self.key, self.nonce, self.policy
        )


def flip(data: bytes, bit: int) -> bytes:
    if not data:
        return data
    out = bytearray(data)
    bit %= len(out) * 8
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


@st.composite
def honest_cases(draw, devices) -> Case:
    algorithm = draw(algorithms)
    tpm = devices.tpms[algorithm]
    nonce, bank = draw(nonces), draw(banks)
    evidence = tpm.quote(nonce, draw(pcr_lists), bank)
    policy = draw(st.sampled_from(["same", "none", "empty"]))
    policy = {"same": dict(evidence.pcr_values), "none": None, "empty": {}}[policy]
    return Case(
        tpm,
        algorithm,
        evidence.quote,
        evidence.signature,
        dict(evidence.pcr_values),
        evidence.hash_alg,
        devices.keys[algorithm],
        nonce,
        policy,
    )


# -- mutations: each takes (draw, case, devices) and edits the case in place ---------------------------
def flip_quote(draw, case, devices):
    for bit in draw(st.lists(st.integers(0, 1 << 16), min_size=1, max_size=3)):
        case.quote = flip(case.quote, bit)


def flip_signature(draw, case, devices):
    for bit in draw(st.lists(st.integers(0, 1 << 16), min_size=1, max_size=3)):
        case.signature = flip(case.signature, bit)


def truncate(draw, case, devices):
    if draw(st.booleans()):
        case.quote = case.quote[: draw(st.integers(0, max(0, len(case.quote) - 1)))]
    else:
        case.signature = case.signature[: draw(st.integers(0, max(0, len(case.signature) - 1)))]


def extend(draw, case, devices):
    extra = draw(st.binary(min_size=1, max_size=8))
    if draw(st.booleans()):
        case.quote += extra
    else:
        case.signature += extra


def random_bytes(draw, case, devices):
    target = draw(st.sampled_from(["quote", "signature", "both"]))
    if target in ("quote", "both"):
        case.quote = draw(st.binary(max_size=300))
    if target in ("signature", "both"):
        prefix = draw(st.sampled_from([b"", b"\x00\x18\x00\x0b", b"\x00\x14\x00\x0b", b"\x00\x16\x00\x0b"]))
        case.signature = prefix + draw(st.binary(max_size=300))


def resigned_edit(draw, case, devices):
    """An attest field changed and signed again, as a TPM (or a forger with the AK) would."""
    try:
        attest = parse_attest(case.quote)
    except ValueError:
        return
    field = draw(st.sampled_from(["magic", "type", "extra", "selection", "digest", "signer", "clock"]))
    if field == "magic":
        attest = replace(attest, magic=draw(st.sampled_from([0, TPM_GENERATED_VALUE ^ 1, 0xFFFFFFFF])))
    elif field == "type":
        attest = replace(attest, type=draw(st.sampled_from([0x8014, 0x8017, TPM_ST_ATTEST_QUOTE ^ 0x100])))
    elif field == "extra":
        attest = replace(attest, extra_data=draw(nonces))
    elif field == "selection":
        alg = st.sampled_from([HashAlg.SHA1, HashAlg.SHA256, HashAlg.SHA384, 0x0010, 0])
        sels = draw(st.lists(st.tuples(alg, st.binary(max_size=4)), max_size=4))
        attest = replace(attest, pcr_selections=tuple(PcrSelect(int(a), b) for a, b in sels))
    elif field == "digest":
        attest = replace(attest, pcr_digest=draw(st.binary(max_size=70)))
    elif field == "signer":
        attest = replace(attest, qualified_signer=draw(st.binary(max_size=80)))
    else:
        clock = attest.clock
        attest = replace(
            attest,
            clock=clock._replace(clock=draw(st.integers(0, 2**64 - 1)), safe=draw(st.booleans())),
            firmware_version=draw(st.integers(0, 2**64 - 1)),
        )
    case.quote = build_attest(attest)
    case.signature = case.tpm.sign(case.quote)


def edit_pcrs(draw, case, devices):
    kind = draw(st.sampled_from(["flip", "drop", "add", "resize", "far", "bank"]))
    pcrs = dict(case.pcrs)
    if kind == "flip" and pcrs:
        pcr = draw(st.sampled_from(sorted(pcrs)))
        pcrs[pcr] = flip(pcrs[pcr], draw(st.integers(0, 511)))
    elif kind == "drop" and pcrs:
        del pcrs[draw(st.sampled_from(sorted(pcrs)))]
    elif kind == "add":
        size = len(next(iter(pcrs.values()), bytes(32)))
        pcrs[draw(st.integers(0, 40))] = draw(st.binary(min_size=size, max_size=size))
    elif kind == "resize" and pcrs:
        pcr = draw(st.sampled_from(sorted(pcrs)))
        pcrs[pcr] = draw(st.binary(max_size=70))
    elif kind == "far":
        pcrs[draw(st.sampled_from([-1, 32, 255, 256, 1000]))] = bytes(
            len(next(iter(pcrs.values()), bytes(32)))
        )
    elif kind == "bank":
        case.bank = draw(st.sampled_from([HashAlg.SHA1, HashAlg.SHA256, HashAlg.SHA384, HashAlg.SHA512]))
    case.pcrs = pcrs


def edit_nonce(draw, case, devices):
    kind = draw(st.sampled_from(["flip", "truncate", "other"]))
    if kind == "flip" and case.nonce:
        case.nonce = flip(case.nonce, draw(st.integers(0, 511)))
    elif kind == "truncate":
        case.nonce = case.nonce[:-1]
    else:
        case.nonce = draw(nonces)


def edit_policy(draw, case, devices):
    size = len(next(iter(case.pcrs.values()), bytes(32)))
    policy = dict(case.policy or case.pcrs)
    kind = draw(st.sampled_from(["value", "unquoted", "far", "wrong_size", "drop", "none", "bytearray"]))
    if kind == "value" and policy:
        pcr = draw(st.sampled_from(sorted(policy)))
        policy[pcr] = flip(policy[pcr], draw(st.integers(0, 511)))
    elif kind == "unquoted":
        policy[draw(st.integers(0, 31))] = draw(st.binary(min_size=size, max_size=size))
    elif kind == "far":
        policy[draw(st.sampled_from([32, 40, 255, 300, -3]))] = bytes(size)
    elif kind == "wrong_size" and policy:
        policy[draw(st.sampled_from(sorted(policy)))] = draw(st.binary(max_size=70))
    elif kind == "drop" and policy:
        del policy[draw(st.sampled_from(sorted(policy)))]
    elif kind == "bytearray":
        policy = {i: bytearray(v) for i, v in policy.items()}
    case.policy = None if kind == "none" else policy


def wrong_key(draw, case, devices):
    key = case.key
    kind = draw(st.sampled_from(["other", "other_type", "garbage", "mislabel", "scheme", "hash", "trailing"]))
    if kind == "other":
        case.key = devices.others[case.algorithm]
    elif kind == "other_type":
        case.key = devices.keys[draw(st.sampled_from([a for a in AkAlgorithm if a != case.algorithm]))]
    elif kind == "garbage":
        case.key = replace(key, spki_der=draw(st.binary(max_size=120)))
    elif kind == "mislabel":
        case.key = replace(key, key_type=KeyType.ECC if key.key_type == KeyType.RSA else KeyType.RSA)
    elif kind == "scheme":
        case.key = replace(key, scheme=draw(st.sampled_from([None, *SigScheme])))
    elif kind == "hash":
        case.key = replace(key, hash_alg=draw(st.sampled_from(list(HashAlg))))
    else:
        case.key = replace(key, spki_der=key.spki_der + b"\x00")


def ecdsa_edge(draw, case, devices):
    """r or s of zero, the group order, or past it, and leading zero bytes, on the ECC key."""
    if case.algorithm != AkAlgorithm.ECC:
        return
    value = draw(st.sampled_from([0, 1, P256_ORDER - 1, P256_ORDER, P256_ORDER + 1, 2**256 - 1]))
    width = draw(st.sampled_from([32, 33, 1 if value < 256 else 32]))
    try:
        raw = value.to_bytes(width, "big")
    except OverflowError:
        raw = value.to_bytes(32, "big")
    r_len = int.from_bytes(case.signature[4:6], "big")
    r, s = case.signature[6 : 6 + r_len], case.signature[8 + r_len :]
    r, s = (raw, s) if draw(st.booleans()) else (r, raw)
    case.signature = case.signature[:4] + len(r).to_bytes(2, "big") + r + len(s).to_bytes(2, "big") + s


MUTATIONS = {
    f.__name__: f
    for f in (
        flip_quote,
        flip_signature,
        truncate,
        extend,
        random_bytes,
        resigned_edit,
        edit_pcrs,
        edit_nonce,
        edit_policy,
        wrong_key,
        ecdsa_edge,
    )
}


@st.composite
def mutated_checks(draw, devices, kinds=tuple(MUTATIONS), max_mutations=2) -> QuoteCheck:
    case = draw(honest_cases(devices))
    for name in draw(st.lists(st.sampled_from(kinds), min_size=1, max_size=max_mutations)):
        MUTATIONS[name](draw, case, devices)
    return case.check()


def honest_checks(devices):
    return honest_cases(devices).map(Case.check)
