"""EK certificates are checked against the configured CA bundle and must certify the presented EK."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from adapters.tpm import keygen
from adapters.tpm.ek_certificates import BundleEkCertificateVerifier
from adapters.tpm.simulated import SimulatedTpm

NOW = datetime(2024, 1, 1, tzinfo=UTC)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject: str, public, issuer: str, signer) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW)
        .not_valid_after(NOW + timedelta(days=1))
    )
    return builder.sign(signer, hashes.SHA256())


@pytest.fixture(scope="module")
def pki():
    root_key, mid_key = keygen.ecc_p256_key(b"pki", "root"), keygen.ecc_p256_key(b"pki", "mid")
    root = _cert("Vendor Root", root_key.public_key(), "Vendor Root", root_key)
    mid = _cert("Vendor EK CA", mid_key.public_key(), "Vendor Root", root_key)
    tpm = SimulatedTpm("ekcert")
    ek = tpm._endorsement_key().public_key()  # noqa: SLF001 - the test plays the manufacturer
    ek_cert = _cert("ek", ek, "Vendor EK CA", mid_key).public_bytes(serialization.Encoding.DER)
    return root, mid, tpm, ek_cert


def test_an_ek_certificate_chaining_to_a_bundled_root_is_accepted(pki, tmp_path):
    root, mid, tpm, ek_cert = pki
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (root, mid)))
    BundleEkCertificateVerifier.from_pem_file(bundle).verify(tpm.ek_public(), ek_cert)


def test_an_ek_certificate_without_its_issuing_ca_in_the_bundle_is_rejected(pki):
    root, _, tpm, ek_cert = pki
    with pytest.raises(ValueError, match="no trusted CA"):
        BundleEkCertificateVerifier([root]).verify(tpm.ek_public(), ek_cert)


def test_an_ek_certificate_for_another_key_is_rejected(pki):
    root, mid, _, ek_cert = pki
    with pytest.raises(ValueError, match="another key"):
        other_ek = SimulatedTpm("x", rsa_seed="other").ek_public()
        BundleEkCertificateVerifier([root, mid]).verify(other_ek, ek_cert)


def test_a_missing_certificate_is_rejected_when_a_bundle_is_configured(pki):
    root, mid, tpm, _ = pki
    with pytest.raises(ValueError, match="required"):
        BundleEkCertificateVerifier([root, mid]).verify(tpm.ek_public(), None)


def test_an_impostor_ca_with_the_same_name_does_not_count(pki):
    _, mid, tpm, ek_cert = pki
    fake_key = ec.generate_private_key(ec.SECP256R1())
    fake_mid = _cert("Vendor EK CA", fake_key.public_key(), "Vendor EK CA", fake_key)
    with pytest.raises(ValueError, match="no trusted CA"):
        BundleEkCertificateVerifier([fake_mid]).verify(tpm.ek_public(), ek_cert)
