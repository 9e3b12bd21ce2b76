"""The compliance scoring rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from domain.compliance import WEIGHTS, ComplianceFacts, assess

NOW = datetime(2026, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def facts(**kw) -> ComplianceFacts:
    base = dict(
        device_id="d",
        tee_enabled=True,
        tpm_enabled=True,
        ak_enrolled=True,
        ak_activated=True,
        last_attestation_ok=True,
        last_attestation_at=NOW - timedelta(hours=1),
        firmware_approved=True,
        sealed=True,
    )
    return ComplianceFacts(**base | kw)


def test_a_fully_compliant_device_scores_100():
    report = assess(facts(), NOW, DAY)
    assert (report.compliance_score, report.failing, report.tpm_status) == (100, (), "active")


def test_a_stale_attestation_loses_its_weight():
    report = assess(facts(last_attestation_at=NOW - 2 * DAY), NOW, DAY)
    assert report.compliance_score == 100 - WEIGHTS["attested"] and report.failing == ("attested",)


def test_a_device_without_tpm_can_only_earn_tee_points():
    report = assess(
        facts(
            tpm_enabled=False,
            ak_enrolled=False,
            ak_activated=False,
            last_attestation_ok=None,
            last_attestation_at=None,
            firmware_approved=False,
            sealed=False,
        ),
        NOW,
        DAY,
    )
    assert (report.compliance_score, report.tpm_status, report.encryption_status) == (
        15,
        "absent",
        "disabled",
    )


def test_an_enrolled_but_unactivated_key_is_enrolling():
    assert assess(facts(ak_activated=False), NOW, DAY).tpm_status == "enrolling"


@given(
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.one_of(st.none(), st.booleans()),
    st.booleans(),
    st.booleans(),
)
def test_the_score_is_the_sum_of_passed_weights(tee, tpm, activated, attested, approved, sealed):
    report = assess(
        facts(
            tee_enabled=tee,
            tpm_enabled=tpm,
            ak_activated=activated,
            last_attestation_ok=attested,
            firmware_approved=approved,
            sealed=sealed,
        ),
        NOW,
        DAY,
    )
    assert 0 <= report.compliance_score <= 100
    assert report.compliance_score == 100 - sum(WEIGHTS[name] for name in report.failing)
