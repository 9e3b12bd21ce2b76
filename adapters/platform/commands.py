"""Running the platform's command-line tools (npu-smi, dmesg) behind one small, replaceable seam."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence

# argv -> stdout. Tests pass a function that returns fixture text instead of running anything.
CommandRunner = Callable[[Sequence[str]], str]

DEFAULT_TIMEOUT_S = 15.0


class CommandFailed(RuntimeError):
    """A tool could not be run, timed out, or exited non-zero; probes catch this one type."""


def run_command(argv: Sequence[str], timeout: float = DEFAULT_TIMEOUT_S) -> str:
    try:
        completed = subprocess.run(
            list(argv), capture_output=True, text=True, timeout=timeout, check=False, errors="replace"
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise CommandFailed(f"{argv[0]}: {exc}") from exc
    if completed.returncode != 0:
        # npu-smi prints its reasons ("dcmi module initialize failed...") on stdout, not stderr.
        reason = (completed.stderr.strip() or completed.stdout.strip() or "no output")[:500]
        raise CommandFailed(f"{' '.join(argv)} exited {completed.returncode}: {reason}")
    return completed.stdout
