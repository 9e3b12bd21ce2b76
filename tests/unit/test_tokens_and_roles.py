"""Bearer tokens and the role permission matrix."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from adapters.auth.jwt_tokens import InvalidToken, TokenKeys, TokenService
from adapters.auth.key_material import load_token_keys
from adapters.memory.clock import FakeClock
from domain.access import Permission, Principal, Role
from entrypoints.settings import Settings

SECRET = "s" * 48


def hmac_forged_token(key: bytes) -> str:
    """HS256 token signed by hand, since PyJWT itself refuses to use a PEM key as an HMAC secret."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = (
        b64(b'{"alg":"HS256","typ":"JWT"}')
        + "."
        + b64(b'{"sub":"eve","role":"admin","iat":1,"exp":9999999999}')
    )
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64(signature)


NOW = FakeClock().now()  # the services below read this moment, so no token ages while the suite runs


def hs256() -> TokenService:
    return TokenService(TokenKeys("HS256", SECRET, SECRET), clock=FakeClock(NOW))


def test_an_issued_token_verifies_to_its_subject_and_role():
    token = hs256().issue("alice", Role.OPERATOR, timedelta(hours=1), NOW)
    assert hs256().verify(token) == Principal("alice", Role.OPERATOR)


def test_an_expired_token_is_rejected():
    token = hs256().issue("alice", Role.ADMIN, timedelta(minutes=1), NOW - timedelta(hours=2))
    with pytest.raises(InvalidToken, match="expired"):
        hs256().verify(token)


def test_a_token_signed_with_another_secret_is_rejected():
    token = TokenService(TokenKeys("HS256", "o" * 48, "o" * 48)).issue(
        "eve", Role.ADMIN, timedelta(hours=1), NOW
    )
    with pytest.raises(InvalidToken):
        hs256().verify(token)


def test_an_unsigned_alg_none_token_is_rejected():
    claims = {"sub": "eve", "role": "admin", "iat": int(NOW.timestamp()), "exp": int(NOW.timestamp()) + 600}
    token = jwt.encode(claims, key=None, algorithm="none")
    with pytest.raises(InvalidToken):
        hs256().verify(token)


@pytest.mark.parametrize("missing", ["exp", "iat", "sub", "role"])
def test_a_token_missing_a_required_claim_is_rejected(missing):
    claims = {"sub": "eve", "role": "admin", "iat": int(NOW.timestamp()), "exp": int(NOW.timestamp()) + 600}
    del claims[missing]
    with pytest.raises(InvalidToken):
        hs256().verify(jwt.encode(claims, SECRET, algorithm="HS256"))


def test_a_token_with_an_unknown_role_is_rejected():
    claims = {"sub": "eve", "role": "root", "iat": int(NOW.timestamp()), "exp": int(NOW.timestamp()) + 600}
    with pytest.raises(InvalidToken, match="role"):
        hs256().verify(jwt.encode(claims, SECRET, algorithm="HS256"))


def test_an_es256_key_pair_signs_and_verifies_and_rejects_hs256_confusion(tmp_path):
    private = ec.generate_private_key(ec.SECP256R1())
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    keys = load_token_keys(None, public_pem, private_pem, tmp_path)
    assert keys.algorithm == "ES256"
    service = TokenService(keys, clock=FakeClock(NOW))
    assert service.verify(service.issue("ops", Role.VIEWER, timedelta(hours=1), NOW)).role is Role.VIEWER
    # An attacker signing HS256 with the public key as the secret must not get in.
    forged = hmac_forged_token(public_pem.encode())
    with pytest.raises(InvalidToken):
        service.verify(forged)


def test_the_dev_secret_is_generated_once_and_reused(tmp_path):
    first = load_token_keys(None, None, None, tmp_path)
    second = load_token_keys(None, None, None, tmp_path)
    assert first.verify_key == second.verify_key and len(first.verify_key) >= 32
    assert (tmp_path / "jwt-secret").stat().st_mode & 0o777 == 0o600


def test_a_short_configured_secret_is_refused(tmp_path):
    with pytest.raises(ValueError):
        load_token_keys("short", None, None, tmp_path)


@pytest.mark.parametrize(
    "role,permission,allowed",
    [
        (Role.VIEWER, Permission.DEVICES_READ, True),
        (Role.VIEWER, Permission.COMMANDS_SAFE, False),
        (Role.VIEWER, Permission.ATTESTATION_READ, True),
        (Role.VIEWER, Permission.ATTESTATION_VERIFY, False),
        (Role.OPERATOR, Permission.ATTESTATION_VERIFY, True),
        (Role.AUDITOR, Permission.ATTESTATION_VERIFY, False),
        (Role.AUDITOR, Permission.SEALS_READ, True),
        (Role.OPERATOR, Permission.SEALS_READ, False),
        (Role.OPERATOR, Permission.COMMANDS_SAFE, True),
        (Role.OPERATOR, Permission.COMMANDS_PRIVILEGED, False),
        (Role.OPERATOR, Permission.DEVICES_WRITE, False),
        (Role.AUDITOR, Permission.AUDIT_READ, True),
        (Role.AUDITOR, Permission.COMPLIANCE_READ, True),
        (Role.AUDITOR, Permission.COMMANDS_SAFE, False),
        (Role.AUDITOR, Permission.DEVICES_WRITE, False),
        (Role.ADMIN, Permission.COMMANDS_PRIVILEGED, True),
        (Role.ADMIN, Permission.SEAL, True),
    ],
)
def test_the_permission_matrix(role, permission, allowed):
    assert Principal("x", role).may(permission) is allowed


def at_leeway_edge(leeway: int | None = None):
    clock = FakeClock()
    options = {} if leeway is None else {"leeway_seconds": leeway}
    service = TokenService(TokenKeys("HS256", SECRET, SECRET), clock=clock, **options)
    token = service.issue("alice", Role.ADMIN, timedelta(minutes=10), clock.now())
    return service, token, clock


@pytest.mark.parametrize("remembered", [False, True])
def test_an_expired_token_works_for_the_default_five_second_leeway_and_not_a_moment_more(remembered):
    service, token, clock = at_leeway_edge()
    if remembered:
        service.verify(token)  # verified once: later checks come from the cache
    clock.advance(minutes=10, seconds=4, microseconds=999_999)
    assert service.verify(token).subject == "alice"
    clock.advance(microseconds=1)
    with pytest.raises(InvalidToken, match="expired"):
        service.verify(token)


def test_the_leeway_is_what_is_configured():
    service, token, clock = at_leeway_edge(leeway=0)
    clock.advance(minutes=10, microseconds=-1)
    assert service.verify(token).subject == "alice"
    clock.advance(microseconds=1)
    with pytest.raises(InvalidToken, match="expired"):
        service.verify(token)


def test_a_token_issued_in_the_future_beyond_the_leeway_is_refused():
    clock = FakeClock()
    service = TokenService(TokenKeys("HS256", SECRET, SECRET), clock=clock)
    early = service.issue("alice", Role.ADMIN, timedelta(hours=1), clock.now() + timedelta(seconds=5))
    late = service.issue("bob", Role.ADMIN, timedelta(hours=1), clock.now() + timedelta(seconds=6))
    assert service.verify(early).subject == "alice"
    with pytest.raises(InvalidToken, match="not yet valid"):
        service.verify(late)


@pytest.mark.parametrize("exp", [float("inf"), "soon", True, None])
def test_an_expiry_that_is_not_a_finite_number_is_refused(exp):
    token = jwt.encode({"sub": "eve", "role": "admin", "iat": 1, "exp": exp}, SECRET, algorithm="HS256")
    with pytest.raises(InvalidToken):
        hs256().verify(token)


def test_the_leeway_setting_defaults_to_five_seconds_and_is_bounded():
    assert Settings.from_env({}).jwt_leeway_seconds == 5
    assert Settings.from_env({"EDGEFLEET_JWT_LEEWAY": "0"}).jwt_leeway_seconds == 0
    for bad in ("-1", "301", "5s"):
        with pytest.raises(SystemExit, match="EDGEFLEET_JWT_LEEWAY"):
            Settings.from_env({"EDGEFLEET_JWT_LEEWAY": bad})
