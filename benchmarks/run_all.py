"""Runs every benchmark script in turn (each prints its own table and PASS/FAIL lines)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = [
    "bench_device_list.py",
    "bench_python_verifier.py",
    "bench_native.py",
    "bench_heartbeat_server.py",
    "bench_heartbeats.py",
    "bench_history.py",
    "bench_console.py",
    "bench_eventlog.py",
    "bench_attest_eventlogs.py",
    "bench_attest_cli.py",
    "bench_scale_out.py",
]


def main() -> int:
    failed = []
    for script in SCRIPTS:
        path = HERE / script
        if not path.exists():
            continue
        print(f"\n=== {script}", flush=True)
        if subprocess.run([sys.executable, str(path)], cwd=HERE.parent).returncode != 0:
            failed.append(script)
    print("\nall benchmarks met their targets" if not failed else f"\ntargets missed in: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
