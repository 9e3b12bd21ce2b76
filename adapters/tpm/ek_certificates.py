"""EkCertificateVerifier over a PEM bundle of TPM manufacturer CAs (``EDGEFLEET_EK_CA_BUNDLE``)."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from adapters.verifiers.keys import public_key
from domain.attestation.tpm_public import parse_public

MAX_CHAIN = 5


class BundleEkCertificateVerifier:
    """Accepts an EK certificate that chains, through CAs in the bundle, to a self-signed root in it and
    certifies exactly the EK public key presented. Validity dates are not enforced: an EK certificate names
    the chip for its whole life, and manufacturers issue them with dates that do not track that."""

    def __init__(self, cas: list[x509.Certificate]) -> None:
        if not cas:
            raise ValueError("the EK CA bundle holds no certificates")
        self._cas = cas

    @classmethod
    def from_pem_file(cls, path: str | Path) -> BundleEkCertificateVerifier:
        return cls(x509.load_pem_x509_certificates(Path(path).read_bytes()))

    def verify(self, ek_public: bytes, ek_certificate: bytes | None) -> None:
        if not ek_certificate:
            raise ValueError("an EK certificate is required")
        try:
            cert = x509.load_der_x509_certificate(ek_certificate)
        except ValueError:
            cert = x509.load_pem_x509_certificate(ek_certificate)
        certified = cert.public_key()
        if (
            not isinstance(certified, rsa.RSAPublicKey | ec.EllipticCurvePublicKey)
            or certified.public_numbers() != public_key(parse_public(ek_public)).public_numbers()
        ):
            raise ValueError("the EK certificate certifies another key")
        self._chain_to_root(cert)

    def _chain_to_root(self, cert: x509.Certificate) -> None:
        for _ in range(MAX_CHAIN):
            issuer = self._issuer_of(cert)
            if issuer is None:
                raise ValueError(f"no trusted CA issued the certificate of {cert.subject.rfc4514_string()}")
            if issuer.issuer == issuer.subject:
                return
            cert = issuer
        raise ValueError("EK certificate chain too long")

    def _issuer_of(self, cert: x509.Certificate) -> x509.Certificate | None:
        for ca in self._cas:
            if ca.subject != cert.issuer:
                continue
            try:
                cert.verify_directly_issued_by(ca)
            except (InvalidSignature, ValueError, TypeError):
                continue
            return ca
        return None
