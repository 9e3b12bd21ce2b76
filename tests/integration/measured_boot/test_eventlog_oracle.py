"""Known answers: our replay of real firmware logs equals tpm2_eventlog's on every log it reads.

tpm2-tools 5.4 differs from the TCG profile in two ways, so generated logs compared with it carry no
EV_NO_ACTION record after the Spec ID event: it extends later EV_NO_ACTION records with their (zero)
digests and ignores StartupLocality. tests/unit/measured_boot covers both rules against hashlib.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.measured_boot.native_replay import NativeEventLogReplayer
from adapters.tpm.uefi_boot_log import BootConfig, boot_log
from domain.attestation.evidence import HashAlg
from domain.measured_boot.eventlog import EventLogError
from domain.measured_boot.log_builder import LogBuilder
from domain.measured_boot.replay import replay_bytes
from domain.measured_boot.tcg import EventType
from tests.integration.measured_boot.tpm2_eventlog_oracle import oracle_pcrs, require_tool

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "eventlogs"
NATIVE = NativeEventLogReplayer(threads=1)


def ours(data: bytes) -> dict[str, dict[str, str]]:
    """Banks the log touched, as the oracle prints them (it leaves out banks nothing extended)."""
    return {bank: pcrs for bank, pcrs in replay_bytes(data).as_dict().items() if pcrs}


def test_every_real_log_replays_to_the_pcrs_tpm2_eventlog_prints():
    tool = require_tool()
    paths = sorted(FIXTURES.glob("*.bin"))
    assert len(paths) == 10
    for path in paths:
        expected = oracle_pcrs(tool, path)
        assert expected, f"tpm2_eventlog could not read {path.name}"
        assert ours(path.read_bytes()) == expected, path.name
        [native] = NATIVE.replay_batch([path.read_bytes()])
        assert {b: p for b, p in native.as_dict().items() if p} == expected, path.name


def test_simulated_uefi_logs_replay_as_tpm2_eventlog_replays_them(tmp_path):
    tool = require_tool()
    for config in (
        BootConfig("atlas-500", "1.2.0"),
        BootConfig("hi3559", "2.0", bootloader="evil-shim", banks=(HashAlg.SHA256, HashAlg.SHA384)),
    ):
        path = tmp_path / "sim.bin"
        path.write_bytes(boot_log(config))
        assert ours(path.read_bytes()) == oracle_pcrs(tool, path)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(
        st.tuples(st.integers(0, 23), st.sampled_from([1, 4, 5, 13, 0x80000007]), st.binary(max_size=24)),
        min_size=1,
        max_size=10,
    ),
    st.lists(st.sampled_from([int(a) for a in HashAlg]), min_size=1, max_size=4, unique=True),
)
def test_generated_logs_replay_as_tpm2_eventlog_replays_them(tmp_path, records, banks):
    tool = require_tool()
    log = LogBuilder(banks)
    for pcr, kind, data in records:
        log.event(pcr, kind, data)
    path = tmp_path / "gen.bin"
    path.write_bytes(log.build())
    expected = oracle_pcrs(tool, path)  # None: it could not read the log (random data in a typed event)
    assert expected is None or ours(path.read_bytes()) == expected


def test_logs_the_oracle_cannot_read_are_refused_by_us_without_a_crash(tmp_path):
    """Cut real logs mid-record: whatever tpm2_eventlog does with them (it may crash), we name the fault."""
    tool = require_tool()
    for path in sorted(FIXTURES.glob("*.bin"))[:4]:
        data = path.read_bytes()
        for cut in (len(data) // 3, len(data) - 7):
            damaged = tmp_path / f"cut-{cut}.bin"
            damaged.write_bytes(data[:cut])
            oracle_pcrs(tool, damaged)  # its verdict does not matter; it must not take us down
            [result] = NATIVE.replay_batch([data[:cut]])
            assert isinstance(result, EventLogError)
            assert result.offset <= cut


def test_an_event_type_the_oracle_extends_but_the_profile_does_not_is_not_extended():
    log = LogBuilder((HashAlg.SHA256,))
    log.no_action(b"NvIndexInstance\0", pcr=0)
    assert ours(log.build()) == {}
    assert EventType.EV_NO_ACTION == 3
