"""Quotes made by the stock tpm2-tools CLI verify with our verifier once converted from its output
files, and tampered copies fail with the right reason: live against swtpm, and from the known-answer
vectors in tests/data/tpm2_quote (made by make_vectors.sh there), which need neither."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from adapters.tpm.pytss_tpm import PytssTpm
from adapters.tpm.tpm2_tools_evidence import (
    attestation_key_from_tpm2_public_file,
    evidence_from_tpm2_quote,
    evidence_from_tpm2_quote_files,
)
from adapters.verifiers.python_ref import PythonQuoteVerifier
from domain.attestation.evidence import (
    AttestationKey,
    QuoteCheck,
    QuoteEvidence,
    QuoteResult,
    Reason,
    SigScheme,
)

VECTORS = Path(__file__).parents[2] / "data" / "tpm2_quote"
NONCE_HEX = "00112233445566778899aabbccddeeff01020304"
QUOTED_PCRS = (0, 1, 7)


@dataclasses.dataclass(frozen=True)
class ToolsQuote:
    evidence: QuoteEvidence
    key: AttestationKey
    nonce: bytes


def verify(quote: ToolsQuote, evidence=None, nonce=None, policy=None) -> QuoteResult:
    check = QuoteCheck(evidence or quote.evidence, quote.key, quote.nonce if nonce is None else nonce, policy)
    return PythonQuoteVerifier().verify_batch([check])[0]


def flip_last_bit(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 0x01])


def with_pcr(evidence: QuoteEvidence, pcr: int, value: bytes) -> QuoteEvidence:
    return dataclasses.replace(evidence, pcr_values={**evidence.pcr_values, pcr: value})


# (what is changed, how, the reason the verifier must give)
TAMPERS = [
    (
        "a bit of the quote",
        lambda q: {"evidence": dataclasses.replace(q.evidence, quote=flip_last_bit(q.evidence.quote))},
        Reason.BAD_SIGNATURE,
    ),
    (
        "a bit of the signature",
        lambda q: {
            "evidence": dataclasses.replace(q.evidence, signature=flip_last_bit(q.evidence.signature))
        },
        Reason.BAD_SIGNATURE,
    ),
    (
        "a reported PCR value",
        lambda q: {"evidence": with_pcr(q.evidence, 7, b"\x77" * 32)},
        Reason.PCR_DIGEST_MISMATCH,
    ),
    ("the expected nonce", lambda q: {"nonce": flip_last_bit(q.nonce)}, Reason.NONCE_MISMATCH),
    (
        "the reference policy",
        lambda q: {"policy": {**q.evidence.pcr_values, 7: b"\x77" * 32}},
        Reason.POLICY_MISMATCH,
    ),
]
TAMPER_IDS = [what for what, _, _ in TAMPERS]


# -- live: tpm2_createek / tpm2_createak / tpm2_quote against swtpm ------------------------------
class Tools:
    """Runs tpm2-tools against one swtpm. With no resource manager they leave objects loaded, and
    swtpm holds only three, so every command is followed by a flush of all transient objects."""

    def __init__(self, tcti: str, workdir: Path) -> None:
        self.tcti, self.dir = tcti, workdir
        self.env = {**os.environ, "TPM2TOOLS_TCTI": tcti}

    def __call__(self, *args: str) -> str:
        out = subprocess.run(args, cwd=self.dir, env=self.env, capture_output=True, text=True, timeout=30)
        if out.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed: {out.stderr.strip()}")
        subprocess.run(
            ["tpm2_flushcontext", "-t"], cwd=self.dir, env=self.env, check=True, capture_output=True
        )
        return out.stdout


@pytest.fixture(scope="module")
def tools(start_swtpm, tmp_path_factory) -> Tools:
    """A TPM of its own (tpm2-tools flush every transient object) with an EK and a measured PCR 7."""
    run = Tools(start_swtpm().tcti, tmp_path_factory.mktemp("tpm2-tools"))
    run("tpm2_pcrextend", "7:sha256=" + hashlib.sha256(b"secure boot db").hexdigest())
    run("tpm2_createek", "-c", "ek.ctx", "-G", "rsa", "-u", "ek.pub")
    return run


@pytest.fixture(
    scope="module", params=[("ecc", "ecdsa"), ("rsa", "rsassa"), ("rsa", "rsapss")], ids=lambda p: p[1]
)
def live_quote(request, tools: Tools) -> ToolsQuote:
    kind, scheme = request.param
    tools(
        "tpm2_createak",
        "-C",
        "ek.ctx",
        "-c",
        f"ak-{scheme}.ctx",
        "-G",
        kind,
        "-g",
        "sha256",
        "-s",
        scheme,
        "-u",
        f"ak-{scheme}.pub",
    )
    tools(
        "tpm2_quote",
        "-c",
        f"ak-{scheme}.ctx",
        "-l",
        "sha256:0,1,7",
        "-q",
        NONCE_HEX,
        "-g",
        "sha256",
        "--scheme",
        scheme,  # the default, rsassa, would not fit an AK whose scheme is fixed to rsapss
        "-m",
        f"{scheme}.msg",
        "-s",
        f"{scheme}.sig",
        "-o",
        f"{scheme}.pcrs",
        "-F",
        "values",
    )
    evidence = evidence_from_tpm2_quote_files(
        tools.dir / f"{scheme}.msg", tools.dir / f"{scheme}.sig", tools.dir / f"{scheme}.pcrs"
    )
    key = attestation_key_from_tpm2_public_file(tools.dir / f"ak-{scheme}.pub")
    return ToolsQuote(evidence, key, bytes.fromhex(NONCE_HEX))


@pytest.mark.swtpm
def test_a_tpm2_quote_converted_from_its_output_files_verifies(live_quote):
    assert list(live_quote.evidence.pcr_values) == list(QUOTED_PCRS)
    assert (
        live_quote.evidence.pcr_values[7]
        == hashlib.sha256(bytes(32) + hashlib.sha256(b"secure boot db").digest()).digest()
    )
    assert verify(live_quote).ok


@pytest.mark.swtpm
@pytest.mark.parametrize(("what", "tamper", "reason"), TAMPERS, ids=TAMPER_IDS)
def test_a_tampered_copy_of_a_tpm2_quote_fails_with_the_right_reason(live_quote, what, tamper, reason):
    assert verify(live_quote, **tamper(live_quote)).reason is reason


@pytest.mark.swtpm
def test_pytss_tpm_derives_the_same_ek_as_tpm2_createek(tools):
    with PytssTpm(tools.tcti) as tpm:
        assert tpm.ek_public() == (tools.dir / "ek.pub").read_bytes()


# -- known-answer vectors: no TPM needed -----------------------------------------------------------
def vector(kind: str) -> ToolsQuote:
    d = VECTORS / kind
    evidence = evidence_from_tpm2_quote_files(d / "quote.msg", d / "quote.sig", d / "quote.pcrs")
    nonce = bytes.fromhex((d / "nonce.hex").read_text().strip())
    return ToolsQuote(evidence, attestation_key_from_tpm2_public_file(d / "ak.pub"), nonce)


@pytest.mark.parametrize(("kind", "scheme"), [("ecc", SigScheme.ECDSA), ("rsa", SigScheme.RSASSA)])
def test_the_saved_tpm2_quote_vectors_verify(kind, scheme):
    quote = vector(kind)
    assert quote.key.scheme is scheme
    assert list(quote.evidence.pcr_values) == list(QUOTED_PCRS)
    assert verify(quote).ok


@pytest.mark.parametrize("kind", ["ecc", "rsa"])
@pytest.mark.parametrize(("what", "tamper", "reason"), TAMPERS, ids=TAMPER_IDS)
def test_tampered_copies_of_the_saved_vectors_fail_with_the_right_reason(kind, what, tamper, reason):
    quote = vector(kind)
    assert verify(quote, **tamper(quote)).reason is reason


@pytest.mark.parametrize("cut", [-1, +1], ids=["short", "long"])
def test_a_pcr_file_that_does_not_fit_the_quoted_selection_is_refused(cut):
    d = VECTORS / "ecc"
    pcrs = (d / "quote.pcrs").read_bytes()
    pcrs = pcrs[:cut] if cut < 0 else pcrs + b"\x00"
    with pytest.raises(ValueError):
        evidence_from_tpm2_quote((d / "quote.msg").read_bytes(), (d / "quote.sig").read_bytes(), pcrs)


def test_a_message_that_is_not_a_tpms_attest_is_refused():
    with pytest.raises(ValueError):
        evidence_from_tpm2_quote(b"\xff\x54", b"", b"")
