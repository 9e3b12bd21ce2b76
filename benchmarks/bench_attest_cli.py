"""``edgefleet attest --evidence`` as a user runs it, against openssl speed and Keylime (issue 14).

    .venv/bin/python benchmarks/bench_attest_cli.py [--quotes 100000] [--rounds 3]

The corpus (benchmarks/attest_corpus.py) is generated once into var/bench/; the checkouts measured get
their bytecode compiled first, as an install has it. Keylime 7.14.3 is installed
into a scratch virtualenv under var/bench/ on first use (pip, from PyPI; with cryptography and pyyaml,
which its ``tpm_util`` needs and its wheel does not declare). Each round, interleaved, measures:

  openssl       ``openssl speed -seconds 1 ecdsap256|rsa2048`` verify/s on one core (user CPU time, its
                default): the time one core of openssl needs for the corpus's signatures is the baseline.
  edgefleet     the whole ``edgefleet attest --evidence FILE --output OUT`` process (start-up, reading,
                decoding, verification on every core, verdicts written), by wall clock; mixed, and on the
                ECDSA-only and RSA-only halves.
  keylime       ``keylime.tpm.tpm_util.checkquote`` over the same quotes in one process (its inputs
                decoded beforehand, only the calls timed), on the same halves.

Figures are the best of the rounds (noise on these shared cores only slows things down); the targets
are judged on ratios of bests from the same run, and each round prints the load average it ran under.
Exit status 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BENCH = ROOT / "var" / "bench"
EDGEFLEET = str(Path(sys.executable).with_name("edgefleet"))
KEYLIME = "keylime==7.14.3"
KEYLIME_VENV = BENCH / "keylime-venv"
KINDS = {"mixed": None, "ecdsa": "ecc", "rsa": "rsassa"}
OPENSSL = {
    "ecc": ("ecdsap256", r"^\s*256 bits ecdsa \(nistp256\)\s+\S+\s+\S+\s+\S+\s+(\S+)"),
    "rsassa": ("rsa2048", r"^rsa 2048 bits\s+\S+\s+\S+\s+\S+\s+(\S+)"),
}

# Runs in Keylime's virtualenv: decode every input first, then time checkquote alone.
KEYLIME_RUN = """
import base64, json, sys, time
import logging; logging.disable(logging.WARNING)
from keylime.tpm import tpm_util
calls = []
for text in open(sys.argv[1]):
    d = json.loads(text)
    calls.append((d["aik_pem"].encode(), d["nonce"], base64.b64decode(d["sig"]), base64.b64decode(d["quote"]),
                  base64.b64decode(d["pcrs"]), "sha256"))
started, started_cpu = time.perf_counter(), time.process_time()
for call in calls:
    tpm_util.checkquote(*call)  # raises on any failed check
print(len(calls) / (time.perf_counter() - started), len(calls) / (time.process_time() - started_cpu))
"""


def corpus(quotes: int) -> dict[str, tuple[Path, Path, int]]:
    """kind -> (evidence file, keylime inputs, quotes); generated once."""
    from benchmarks.attest_corpus import generate

    evidence, keylime = BENCH / f"attest_{quotes}.jsonl", BENCH / f"attest_{quotes}.keylime.jsonl"
    if not keylime.exists():
        BENCH.mkdir(parents=True, exist_ok=True)
        print(f"generating {quotes:,} quotes into {evidence.relative_to(ROOT)} (once)...", flush=True)
        generate(quotes, evidence.with_suffix(".tmp"), keylime.with_suffix(".tmp"))
        evidence.with_suffix(".tmp").rename(evidence)
        keylime.with_suffix(".tmp").rename(keylime)
    files = {"mixed": (evidence, keylime, quotes)}
    for kind, ak in KINDS.items():
        if ak is None:
            continue
        split = [BENCH / f"attest_{quotes}.{kind}.jsonl", BENCH / f"attest_{quotes}.{kind}.keylime.jsonl"]
        if not split[1].exists():
            for source, target in zip((evidence, keylime), split, strict=True):
                with source.open() as lines, target.open("w") as out:
                    out.writelines(line for line in lines if f'"ak": "{ak}"' in line)
        files[kind] = (split[0], split[1], sum(1 for _ in split[0].open()))
    return files


def keylime_python() -> str:
    python = KEYLIME_VENV / "bin" / "python"
    if not python.exists():
        print(f"installing {KEYLIME} into {KEYLIME_VENV.relative_to(ROOT)} (once)...", flush=True)
        venv.create(KEYLIME_VENV, with_pip=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", KEYLIME, "cryptography", "pyyaml"], check=True
        )
    return str(python)


def openssl_rate(ak: str, elapsed: bool) -> float:
    """verify/s of one openssl process: per second of its user CPU time (its default) or of wall clock."""
    name, pattern = OPENSSL[ak]
    command = ["openssl", "speed", "-seconds", "1", *(["-elapsed"] if elapsed else []), name]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return float(re.search(pattern, out, re.MULTILINE).group(1))


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def compile_bytecode(checkout: Path) -> None:
    """The bytecode a user's install has (pip compiles it when it installs): without it, and with
    PYTHONDONTWRITEBYTECODE set (as on the machines these figures come from), every run of the CLI
    would compile its modules from source first."""
    folders = [str(checkout / name) for name in ("adapters", "domain", "entrypoints", "ports", "native")]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *folders], check=True)


def edgefleet_command(checkout: Path | None) -> list[str]:
    """The ``edgefleet`` command, or the same CLI run from another checkout (its native module built)."""
    if checkout is None:
        return [EDGEFLEET]
    run = f"import sys; sys.path.insert(0, {str(checkout)!r}); from entrypoints.cli import main; sys.exit(main())"
    return [sys.executable, "-c", run]


def edgefleet_rates(evidence: Path, quotes: int, checkout: Path | None = None) -> tuple[float, float]:
    """(quotes per second of wall clock, per second of the process's CPU time, all threads)."""
    out = BENCH / f"attest_verdicts.{os.getpid()}.jsonl"
    started, started_cpu = time.perf_counter(), children_cpu()
    done = subprocess.run(
        [*edgefleet_command(checkout), "attest", "--evidence", str(evidence), "--output", str(out)],
        capture_output=True,
        text=True,
    )
    seconds, cpu = time.perf_counter() - started, children_cpu() - started_cpu
    verdicts = len(re.findall(r'"status": ?"success"', out.read_text()))
    out.unlink()  # json.dumps of older versions: ": "
    if done.returncode != 0 or verdicts != quotes:
        raise SystemExit(
            f"edgefleet attest: exit {done.returncode}, {verdicts} of {quotes} verified:\n{done.stderr}"
        )
    return quotes / seconds, quotes / cpu


def keylime_rates(python: str, inputs: Path) -> tuple[float, float]:
    done = subprocess.run([python, "-c", KEYLIME_RUN, str(inputs)], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"keylime checkquote failed:\n{done.stderr}")
    wall, cpu = done.stdout.split()[-2:]
    return float(wall), float(cpu)


def peak_memory(evidence: Path, copies: int) -> tuple[int, float, float]:
    """(lines, seconds, peak RSS in MB) of ``edgefleet attest`` over ``copies`` of the corpus in one file."""
    big = BENCH / f"{evidence.stem}.x{copies}.jsonl"
    if not big.exists():
        with big.open("wb") as out:
            for _ in range(copies):
                out.write(evidence.read_bytes())
    lines = sum(1 for _ in big.open("rb"))
    # a fresh interpreter whose only child is the CLI: RUSAGE_CHILDREN's peak is then the CLI's own
    measure = (
        "import resource, subprocess, sys, time; started = time.perf_counter(); "
        "done = subprocess.run(sys.argv[1:], capture_output=True); "
        "print(done.returncode, time.perf_counter() - started, "
        "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)"
    )
    command = [
        sys.executable,
        "-c",
        measure,
        EDGEFLEET,
        "attest",
        "--evidence",
        str(big),
        "--output",
        os.devnull,
    ]
    code, seconds, rss = subprocess.run(command, capture_output=True, text=True, check=True).stdout.split()
    if code != "0":
        raise SystemExit(f"edgefleet attest over {big} exited {code}")
    return lines, float(seconds), float(rss)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quotes", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--before",
        type=Path,
        help="also measure the CLI of this checkout (e.g. a git worktree "
        "of an older commit, native module built) on the mixed corpus: the before/after figure",
    )
    parser.add_argument(
        "--memory-copies",
        type=int,
        default=0,
        help="also run once over this many copies of the corpus in one file, reporting peak RSS",
    )
    args = parser.parse_args(argv)
    files, python = corpus(args.quotes), keylime_python()
    for checkout in (ROOT, args.before):
        if checkout is not None:
            compile_bytecode(checkout)
    openssl_version = subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip()
    print(
        f"{openssl_version}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; "
        f"{args.quotes:,} quotes ({files['ecdsa'][2]:,} ECDSA P-256, {files['rsa'][2]:,} RSASSA-2048)",
        flush=True,
    )
    best: dict[str, float] = {}
    loads: list[float] = []

    def keep(name: str, value: float) -> None:
        best[name] = max(best.get(name, 0.0), value)

    for round_ in range(args.rounds):
        for ak in OPENSSL:
            keep(f"openssl {ak} cpu", openssl_rate(ak, elapsed=False))
            keep(f"openssl {ak} wall", openssl_rate(ak, elapsed=True))
        for kind, (evidence, keylime, quotes) in files.items():
            for clock, rate in zip(("wall", "cpu"), edgefleet_rates(evidence, quotes), strict=True):
                keep(f"edgefleet {kind} {clock}", rate)
            for clock, rate in zip(("wall", "cpu"), keylime_rates(python, keylime), strict=True):
                keep(f"keylime {kind} {clock}", rate)
        if args.before:
            for clock, rate in zip(
                ("wall", "cpu"), edgefleet_rates(*files["mixed"][::2], args.before), strict=True
            ):
                keep(f"before mixed {clock}", rate)
        loads.append(os.getloadavg()[0])
        print(
            f"round {round_ + 1} (load average {loads[-1]:.2f}): "
            + ", ".join(f"{k} {v:,.0f}/s" for k, v in best.items()),
            flush=True,
        )

    counts = {kind: files[kind][2] for kind in KINDS}

    def one_core(clock: str) -> dict[str, float]:
        """Seconds one openssl core needs for each set's signatures, by ``clock``."""
        seconds = {
            "ecdsa": counts["ecdsa"] / best[f"openssl ecc {clock}"],
            "rsa": counts["rsa"] / best[f"openssl rsassa {clock}"],
        }
        return {"mixed": seconds["ecdsa"] + seconds["rsa"], **seconds}

    openssl = {clock: one_core(clock) for clock in ("wall", "cpu")}
    print()
    print("| quotes/s, best of rounds | mixed | ECDSA P-256 | RSASSA-2048 |")
    print("|---|--:|--:|--:|")
    rows = {
        "openssl speed, 1 process ({}; mixed: the corpus's signatures)": "openssl",
        "edgefleet attest --evidence, whole process, 2 cores ({})": "edgefleet",
        "Keylime checkquote, in-process, 1 core ({}, calls only)": "keylime",
    }
    for clock, label in (("wall", "wall clock"), ("cpu", "per CPU-second")):
        for text, who in rows.items():
            if who == "openssl":
                figures = [counts[kind] / openssl[clock][kind] for kind in KINDS]
            else:
                figures = [best[f"{who} {kind} {clock}"] for kind in KINDS]
            print(f"| {text.format(label)} | " + " | ".join(f"{f:,.0f}" for f in figures) + " |")
    print()
    print("| target (ratios of bests from this run) | measured | result |")
    print("|---|---|---|")
    failed = False
    for kind in KINDS:
        judged = kind == "mixed"
        of_openssl = best[f"edgefleet {kind} wall"] * openssl["wall"][kind] / counts[kind]
        of_keylime = best[f"edgefleet {kind} wall"] / best[f"keylime {kind} wall"]
        for text, value, bar in (
            (f"{kind}: edgefleet (wall) >= 1.5x one openssl process (wall)", of_openssl, 1.5),
            (f"{kind}: edgefleet (wall) >= 3x Keylime checkquote (wall)", of_keylime, 3.0),
        ):
            failed |= judged and value < bar
            print(f"| {text} | {value:.2f}x | {('PASS' if value >= bar else 'FAIL') if judged else 'info'} |")
        efficiency = best[f"edgefleet {kind} cpu"] * openssl["cpu"][kind] / counts[kind]
        print(
            f"| {kind}: edgefleet CPU time vs openssl's for the same signatures (1.0: no overhead) | "
            f"{efficiency:.2f} | info |"
        )
    if args.before:
        print(
            f"| before ({args.before}): whole process, wall / per CPU-second | "
            f"{best['before mixed wall']:,.0f} / {best['before mixed cpu']:,.0f} quotes/s | "
            f"now {best['edgefleet mixed wall'] / best['before mixed wall']:.2f}x by wall clock, "
            f"{best['edgefleet mixed cpu'] / best['before mixed cpu']:.2f}x per CPU-second |"
        )
    if args.memory_copies:
        lines, seconds, rss = peak_memory(files["mixed"][0], args.memory_copies)
        ok = rss < 500
        failed |= not ok
        print(
            f"| {lines:,} lines in one file ({args.memory_copies} copies of the corpus): peak RSS < 500 MB | "
            f"{rss:,.0f} MB ({lines / seconds:,.0f} quotes/s) | {'PASS' if ok else 'FAIL'} |"
        )
    print(f"\nload average after each round: {', '.join(f'{load:.2f}' for load in loads)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
