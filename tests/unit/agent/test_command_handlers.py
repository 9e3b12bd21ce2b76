import asyncio
import hashlib

from domain.attestation.tpm_wire import parse_attest
from domain.attestation.verdict import rolled_back
from entrypoints.agent.handlers import CommandHandlers
from entrypoints.agent.machine import HostMachine, Outcome
from entrypoints.agent.simulated import golden_pcrs
from tests.unit.agent.conftest import HI3559A, make_machine


def extend(value: bytes, digest: bytes) -> bytes:
    return hashlib.sha256(value + digest).digest()


async def test_status_reports_platform_facts_and_current_metrics():
    handlers = CommandHandlers(make_machine(), agent_info=lambda: {"version": "test"})
    outcome = await handlers.run("status", {"timeout": 5})
    assert outcome.status == "succeeded" and outcome.result["message"]
    assert outcome.result["facts"]["model"] == "Atlas 500" and outcome.result["agent"] == {"version": "test"}
    assert outcome.result["metrics"]["ai_core_usage"] is not None


async def test_diagnose_returns_the_probes_report():
    outcome = await CommandHandlers(make_machine()).run("diagnose", {})
    assert outcome.status == "succeeded"
    assert {"disk", "memory", "thermal", "npu"} <= set(outcome.result["report"])


async def test_an_unknown_command_is_rejected():
    outcome = await CommandHandlers(make_machine()).run("self-destruct", {})
    assert outcome.status == "rejected" and "unsupported" in outcome.result["message"]


async def test_a_handler_that_overruns_its_timeout_fails():
    machine = make_machine(work_seconds=5)
    outcome = await CommandHandlers(machine).run("reboot", {"timeout": 0.05})
    assert outcome.status == "failed" and "did not finish within 0.05 s" in outcome.result["message"]


async def test_a_crashing_handler_is_reported_as_a_failure():
    machine = make_machine()
    machine.probe.diagnostics = lambda: 1 / 0
    outcome = await CommandHandlers(machine).run("diagnose", {})
    assert outcome.status == "failed" and "ZeroDivisionError" in outcome.result["message"]


async def test_a_simulated_update_reboots_into_the_new_firmwares_measured_boot():
    machine = make_machine()
    before = machine.tpm.reset_count
    outcome = await CommandHandlers(machine).run("update", {"version": "2.2.0", "timeout": 5})
    assert outcome.status == "succeeded" and outcome.result["version"] == "2.2.0"
    assert machine.probe.facts().firmware_version == "2.2.0" and machine.tpm.reset_count == before + 1
    model = machine.probe.model.name
    assert machine.tpm.pcr_read(range(8)) == golden_pcrs(model, "2.2.0") != golden_pcrs(model, "2.1.0")


async def test_a_version_bad_on_this_device_boots_a_foreign_image():
    machine = make_machine()
    machine.bad_firmware = frozenset({"2.2.0"})
    await CommandHandlers(machine).run("update", {"version": "2.2.0", "timeout": 5})
    golden = golden_pcrs(machine.probe.model.name, "2.2.0")
    assert machine.tpm.pcr_read([0])[0] != golden[0]


async def test_an_update_without_a_version_is_rejected():
    outcome = await CommandHandlers(make_machine()).run("update", {"url": "https://x"})
    assert outcome.status == "rejected"


async def test_a_simulated_reboot_resets_the_tpm_and_uptime_and_measures_the_boot_again():
    machine = make_machine()
    booted = machine.tpm.pcr_read(range(8))
    machine.tpm.pcr_extend(3, hashlib.sha256(b"runtime event").digest())
    resets = machine.tpm.reset_count
    outcome = await CommandHandlers(machine).run("reboot", {})
    assert outcome.status == "succeeded" and machine.tpm.reset_count == resets + 1
    assert machine.tpm.pcr_read(range(8)) == booted
    assert machine.probe.metrics().uptime_seconds < 5


async def test_devices_of_one_model_and_firmware_measure_the_same_boot_unless_tampered():
    a, b = make_machine(seed="a"), make_machine(seed="b")
    tampered = make_machine(seed="c", tampered=True)
    assert a.tpm.pcr_read(range(8)) == b.tpm.pcr_read(range(8))
    assert tampered.tpm.pcr_read([0]) != a.tpm.pcr_read([0])
    assert make_machine(HI3559A, seed="d").tpm.pcr_read([1]) != a.tpm.pcr_read([1])


async def test_a_simulated_halt_stops_the_device():
    outcome = await CommandHandlers(make_machine()).run("halt", {})
    assert outcome == Outcome("succeeded", outcome.result, stop=True)


async def test_a_real_reboot_is_rejected_unless_a_command_is_configured():
    machine = HostMachine(make_machine().probe)
    outcome = await CommandHandlers(machine).run("reboot", {})
    assert outcome.status == "rejected" and "--reboot-command" in outcome.result["message"]


async def test_a_configured_reboot_command_decides_success_by_its_exit_code():
    probe = make_machine().probe
    ok = await CommandHandlers(HostMachine(probe, reboot_command="true")).run("reboot", {})
    failing = HostMachine(probe, reboot_command="sh -c 'echo no; exit 3'")
    bad = await CommandHandlers(failing).run("reboot", {})
    assert ok.status == "succeeded"
    assert bad.status == "failed" and "exited 3" in bad.result["message"] and "no" in bad.result["output"]


async def test_the_update_hook_receives_the_version_in_its_environment():
    hook = "sh -c 'echo installing $EDGEFLEET_UPDATE_VERSION from $EDGEFLEET_UPDATE_URL'"
    machine = HostMachine(make_machine().probe, update_command=hook)
    outcome = await CommandHandlers(machine).run("update", {"version": "3.0", "url": "https://u/fw.bin"})
    assert outcome.status == "succeeded"
    assert "installing 3.0 from https://u/fw.bin" in outcome.result["output"]


async def test_a_hook_that_overruns_its_timeout_is_killed():
    machine = HostMachine(make_machine().probe, halt_command="sleep 30")
    started = asyncio.get_running_loop().time()
    outcome = await CommandHandlers(machine).run("halt", {"timeout": 0.2})
    assert outcome.status == "failed" and asyncio.get_running_loop().time() - started < 5


def test_a_rebuilt_simulated_tpm_never_looks_rolled_back_to_the_verifier():
    first = make_machine(seed="same").tpm
    for _ in range(5):
        last = parse_attest(first.quote(b"n", [0]).quote).clock
    current = parse_attest(make_machine(seed="same").tpm.quote(b"n", [0]).quote).clock
    assert not rolled_back(last, current)
