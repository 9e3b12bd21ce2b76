import stat

import pytest

from entrypoints.agent.bootstrap import resolve_device_id
from entrypoints.agent.enrolment import EnrolmentFailed
from entrypoints.agent.state import AgentState
from entrypoints.agent.tpm_choice import open_tpm, resolve_spec


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_credential_file_is_readable_by_the_agent_only(tmp_path):
    state = AgentState(tmp_path / "state")
    state.save_enrolment("dev-1", "dev-1.s3cret", 30)
    assert mode(tmp_path / "state" / "credential") == 0o600
    assert mode(tmp_path / "state" / "device.json") == 0o600
    assert mode(tmp_path / "state") == 0o700


def test_a_restarted_agent_finds_its_enrolment_again(tmp_path):
    AgentState(tmp_path).save_enrolment("dev-1", "dev-1.s3cret", 45)
    again = AgentState(tmp_path)
    assert again.credential == "dev-1.s3cret"
    remembered = (again.get("device_id"), again.get("heartbeat_interval"), again.get("tpm_activated"))
    assert remembered == ("dev-1", 45, False)


def test_a_stale_temporary_file_does_not_widen_the_credential_mode(tmp_path):
    stale = tmp_path / "credential.tmp"
    stale.write_text("old")
    stale.chmod(0o644)
    AgentState(tmp_path).save_enrolment("dev-1", "dev-1.s3cret", 30)
    assert mode(tmp_path / "credential") == 0o600 and not stale.exists()


def test_without_a_directory_the_state_lives_in_memory():
    state = AgentState()
    state.save_enrolment("dev-1", "dev-1.s3cret", 30)
    state.set("pending_command", {"id": 1})
    assert state.credential == "dev-1.s3cret" and state.tpm_dir is None
    assert state.get("pending_command") == {"id": 1}


def test_a_simulated_tpm_keeps_its_keys_across_restarts(tmp_path):
    first = open_tpm("simulated", AgentState(tmp_path))
    second = open_tpm("simulated", AgentState(tmp_path))
    assert first.ak_public() == second.ak_public()
    assert open_tpm("simulated", AgentState(tmp_path / "other")).ak_public() != first.ak_public()


def test_without_a_tpm_device_the_agent_enrols_without_attestation(tmp_path):
    assert resolve_spec(None, kernel_rm=str(tmp_path / "no-tpmrm0")) == "none"
    assert open_tpm("none", AgentState()) is None
    with pytest.raises(ValueError, match="unknown --tpm"):
        open_tpm("bogus:thing", AgentState())


def test_a_generated_device_id_is_kept_until_enrolment(tmp_path):
    first = resolve_device_id(AgentState(tmp_path), None)
    assert resolve_device_id(AgentState(tmp_path), None) == first
    assert resolve_device_id(AgentState(tmp_path), "chosen-id") == "chosen-id"


def test_an_enrolled_state_dir_refuses_a_different_device_id(tmp_path):
    AgentState(tmp_path).save_enrolment("dev-1", "dev-1.s3cret", 30)
    assert resolve_device_id(AgentState(tmp_path), None) == "dev-1"
    with pytest.raises(EnrolmentFailed, match="enrolled as dev-1"):
        resolve_device_id(AgentState(tmp_path), "dev-2")


def test_the_platform_family_given_at_enrolment_is_remembered_for_restarts(tmp_path):
    from entrypoints.agent.bootstrap import chosen_platform

    state = AgentState(tmp_path)
    assert chosen_platform(state, None) is None  # nothing given, nothing known: detect
    state.set("platform", "hisilicon")
    state.save_enrolment("dev-1", "dev-1.s3cret", 30)
    again = AgentState(tmp_path)
    assert chosen_platform(again, None) == "hisilicon"
    assert chosen_platform(again, "atlas") == "atlas"  # the flag wins
