"""Native batched verifier against the physical baseline (issue 4): prints a table with PASS/FAIL per target.

    .venv/bin/python benchmarks/bench_native.py [--rounds 9] [--repeat 2] [--stream 1000000] [--openssl-seconds 1]

One corpus of 20,000 quotes from simulated TPMs: 10,000 ECDSA P-256 (1,000 devices, one AK each) and
10,000 RSA-2048 (5,000 RSASSA + 5,000 RSA-PSS over 8 shared RSA AKs: deriving an RSA key costs ~0.5 s),
PCRs 0-7 of the SHA-256 bank, a fresh 32-byte nonce each, and each device's reference policy. It is
generated once and cached in var/bench/. The 2 cores are shared with other tenants and noise only ever
slows a figure down, so every figure is the best of --rounds interleaved rounds of short samples, the
targets are judged on ratios of those bests, and each ratio's median over the rounds (measured back
to back within a round) is printed beside it. Single-thread figures are per second of CPU time (as
`openssl speed` reports by default); thread scaling is by wall clock. Exit status 1 if a target
is missed.

  openssl          `openssl speed -seconds N ecdsap256|rsa2048` verify/s, measured here: the baseline; also
                   with -elapsed, alone and with -multi <cores>: how far the cores scale at that moment.
  native C         one ef_verify_batch call over the pre-flattened corpus: the module's own rate; with N
                   threads, N ef_verify_claimed calls sharing it.
  native 1 thread  NativeQuoteVerifier(threads=1).verify_batch(checks): QuoteChecks in, QuoteResults out.
  native N threads the same with threads=os.cpu_count() (the caller and N-1 pool threads).
  python           PythonQuoteVerifier.verify_batch, for the speed-up ratio.
  digest only      EF_DIGEST_ONLY (everything but key/algorithm/signature), C call on pre-flattened quotes.
  streaming        --stream quotes in batches of 10,000 (the RSA corpus cycled, full verification) in a
                   fresh process, reporting its peak RSS.
"""

from __future__ import annotations

import argparse
import os
import pickle
import platform
import re
import resource
import secrets
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from native._edgefleet_native import ffi, lib  # noqa: E402

from adapters.tpm.fleet import build_fleet  # noqa: E402
from adapters.verifiers.keys import attestation_key_from_public  # noqa: E402
from adapters.verifiers.native_batch import GRAIN, NativeQuoteVerifier, run  # noqa: E402
from adapters.verifiers.native_keys import NativeKeyCache  # noqa: E402
from adapters.verifiers.native_pack import pack  # noqa: E402
from adapters.verifiers.python_ref import PythonQuoteVerifier  # noqa: E402
from domain.attestation.evidence import QuoteCheck  # noqa: E402

CORPUS = ROOT / "var" / "bench" / "native_corpus_v1.pickle"
PCRS = list(range(8))
PLAN = {"ecc": (10_000, 1_000), "rsassa": (5_000, 500), "rsapss": (5_000, 500)}  # quotes, devices
STREAM_BATCH = 10_000


# -- corpus ----------------------------------------------------------------------------------------
def make_corpus() -> dict[str, list[QuoteCheck]]:
    corpus = {}
    for algorithm, (count, devices) in PLAN.items():
        fleet = list(build_fleet(devices, seed="bench-native", ak=algorithm, rsa_pool=4).values())
        keys = [attestation_key_from_public(tpm.ak_public()) for tpm in fleet]
        for i, tpm in enumerate(fleet):
            tpm.pcr_extend(i % 8, i.to_bytes(32, "big"))  # devices differ in their measured state
        policies = [tpm.pcr_read(PCRS) for tpm in fleet]  # one reference policy object per device
        checks = []
        for i in range(count):
            nonce = secrets.token_bytes(32)
            evidence = fleet[i % devices].quote(nonce, PCRS)
            checks.append(QuoteCheck(evidence, keys[i % devices], nonce, policies[i % devices]))
        corpus[algorithm] = checks
    return corpus


def load_corpus() -> dict[str, list[QuoteCheck]]:
    if CORPUS.exists():
        return pickle.loads(CORPUS.read_bytes())
    print(f"generating the corpus into {CORPUS.relative_to(ROOT)} (once)...", flush=True)
    corpus = make_corpus()
    CORPUS.parent.mkdir(parents=True, exist_ok=True)
    CORPUS.write_bytes(pickle.dumps(corpus, protocol=pickle.HIGHEST_PROTOCOL))
    return corpus


# -- measurements ----------------------------------------------------------------------------------
OPENSSL_ALGORITHM = {"ecc": "ecdsap256", "rsa": "rsa2048"}


def openssl_speed(kind: str, seconds: int, *, processes: int = 1, elapsed: bool = False) -> float:
    """verify/s of ``openssl speed`` for one algorithm: by user CPU time (its default) or wall clock
    (-elapsed), and with -multi the sum over ``processes`` parallel processes: how far the cores
    themselves scale right now."""
    command = ["openssl", "speed", "-seconds", str(seconds)]
    command += ["-elapsed"] if elapsed else []
    command += ["-multi", str(processes)] if processes > 1 else []
    out = subprocess.run(
        [*command, OPENSSL_ALGORITHM[kind]], capture_output=True, text=True, check=True
    ).stdout
    pattern = (
        r"^rsa 2048 bits\s+\S+\s+\S+\s+\S+\s+(\S+)"
        if kind == "rsa"
        else r"^\s*256 bits ecdsa \(nistp256\)\s+\S+\s+\S+\s+\S+\s+(\S+)"
    )
    return float(re.search(pattern, out, re.MULTILINE).group(1))


class Rate(NamedTuple):
    """quotes per second of wall-clock time and per second of this process's CPU time."""

    wall: float
    cpu: float


def best(count: int, repeat: int, once) -> Rate:
    """Best of ``repeat`` runs of ``once()``, by wall clock and by process CPU time separately. With one
    thread at work the CPU-time rate is the per-core rate, unaffected by other tenants of the cores;
    ``openssl speed`` reports exactly that (user CPU time) by default."""
    wall = cpu = float("inf")
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        once()
        wall = min(wall, time.perf_counter() - started)
        cpu = min(cpu, time.process_time() - started_cpu)
    return Rate(count / wall, count / max(cpu, 1e-9))


def c_rate(checks, repeat: int, threads: int = 1, flags: int = 0, rounds: int = 1) -> Rate:
    """The C call alone over the corpus flattened once. With ``threads``, that many threads share the
    batch through ef_verify_claimed, as the adapter does: fixed halves would leave one thread idle
    while the other finishes the corpus's costlier RSA-PSS half."""
    packed = pack(checks, NativeKeyCache())
    n = packed.count

    def claim_all(claim) -> None:
        if lib.ef_verify_claimed(packed.batch, claim, GRAIN, flags, packed.out) != lib.EF_OK:
            raise SystemExit("ef_verify_claimed refused the corpus")

    def once():
        for _ in range(rounds):
            if threads == 1:
                run(packed, flags)
                continue
            claim = ffi.new("ef_claim *")
            workers = [threading.Thread(target=claim_all, args=(claim,)) for _ in range(threads)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()

    rate = best(n * rounds, repeat, once)
    if flags == 0 and any(bytes(ffi.buffer(packed.status, n))):
        raise SystemExit("an honest quote failed native verification: the benchmark measures the wrong thing")
    return rate


def e2e_rate(verifier, checks, repeat: int) -> Rate:
    results = []
    rate = best(len(checks), repeat, lambda: results.append(verifier.verify_batch(checks)))
    if not all(r.ok for r in results[-1]):
        raise SystemExit(f"{verifier.name}: an honest quote failed verification")
    return rate


def stream(total: int) -> tuple[float, float]:
    """Run in a fresh process: (quotes/s, peak RSS in MB) for ``total`` quotes in streaming batches."""
    checks = load_corpus()["rsassa"] + load_corpus()["rsapss"]
    verifier, done, failed = NativeQuoteVerifier(), 0, 0
    started = time.perf_counter()
    while done < total:
        size = min(STREAM_BATCH, total - done)
        start = done % len(checks)
        batch = (checks[start:] + checks)[:size]
        failed += sum(1 for result in verifier.verify_batch(batch) if not result.ok)
        done += size
    seconds = time.perf_counter() - started
    verifier.close()
    if failed:
        raise SystemExit(f"{failed} streamed quotes failed verification")
    return total / seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- report ----------------------------------------------------------------------------------------
def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9, help="interleaved rounds of every measurement")
    parser.add_argument("--repeat", type=int, default=2, help="timed runs per measurement and round")
    parser.add_argument("--openssl-seconds", type=int, default=1)
    parser.add_argument(
        "--stream", type=int, default=1_000_000, help="quotes for the streaming run (0: skip)"
    )
    parser.add_argument("--stream-worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stream_worker:
        rate, rss = stream(args.stream_worker)
        print(f"{rate} {rss}")
        return 0

    cores = os.cpu_count() or 1
    corpus = load_corpus()
    sets = {"ecc": corpus["ecc"], "rsa": corpus["rsassa"] + corpus["rsapss"]}
    openssl = subprocess.run(
        ["openssl", "version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    print(
        f"Python {platform.python_version()}, {openssl}, {cores} cores, load average {os.getloadavg()[0]:.2f}; "
        f"corpus {sum(map(len, sets.values())):,} quotes",
        flush=True,
    )

    # The cores are shared with other tenants (a microVM whose CPU time includes what the host steals),
    # so any figure can come out slower, never faster, than what the hardware does. Each figure is
    # therefore the best of many short interleaved samples, and targets are judged on ratios of bests;
    # the median of the ratios paired within a round is shown too, as a view of the noise.
    single, pooled = NativeQuoteVerifier(threads=1), NativeQuoteVerifier(threads=cores)
    kinds = ("ecc", "rsa")
    best_of: dict[str, dict[str, float]] = {}
    ratios: dict[str, dict[str, list[float]]] = {k: {} for k in kinds}

    def keep(row: str, kind: str, value: float) -> float:
        best_of.setdefault(row, {})[kind] = max(best_of.get(row, {}).get(kind, 0.0), value)
        return value

    for _ in range(args.rounds):
        for k in kinds:
            checks, sec = sets[k], args.openssl_seconds
            base = keep("openssl speed (user CPU time)", k, openssl_speed(k, sec))
            c1 = keep("native C, 1 thread (CPU time)", k, c_rate(checks, args.repeat).cpu)
            e1 = keep("native 1 thread (CPU time)", k, e2e_rate(single, checks, args.repeat).cpu)
            w1 = keep("openssl speed, 1 process (wall)", k, openssl_speed(k, sec, elapsed=True))
            wn = keep(
                f"openssl speed, {cores} processes (wall)",
                k,
                openssl_speed(k, sec, elapsed=True, processes=cores),
            )
            c1w = keep("native C, 1 thread (wall)", k, c_rate(checks, args.repeat).wall)
            cnw = keep(
                f"native C, {cores} threads (wall)", k, c_rate(checks, args.repeat, threads=cores).wall
            )
            e1w = keep("native 1 thread (wall)", k, e2e_rate(single, checks, args.repeat).wall)
            enw = keep(f"native {cores} threads (wall)", k, e2e_rate(pooled, checks, args.repeat).wall)
            for name, value in (
                ("c1", c1 / base),
                ("e1", e1 / base),
                ("cn", cnw / c1w),
                ("en", enw / e1w),
                ("openssl", wn / w1),
            ):
                ratios[k].setdefault(name, []).append(value)
    pooled.close()
    for k in kinds:
        keep("python reference (CPU time)", k, e2e_rate(PythonQuoteVerifier(), sets[k], 1).cpu)
    everything = sets["ecc"] + sets["rsa"]
    digest_c = c_rate(everything, args.repeat, flags=lib.EF_DIGEST_ONLY, rounds=5)
    digest_e2e = best(len(everything), args.repeat, lambda: single.check_digests(everything))

    order = [
        "openssl speed (user CPU time)",
        "openssl speed, 1 process (wall)",
        f"openssl speed, {cores} processes (wall)",
        "native C, 1 thread (CPU time)",
        "native 1 thread (CPU time)",
        "native C, 1 thread (wall)",
        f"native C, {cores} threads (wall)",
        "native 1 thread (wall)",
        f"native {cores} threads (wall)",
        "python reference (CPU time)",
    ]
    print()
    print(
        f"| {'quotes/s, best of ' + str(args.rounds) + ' rounds':<38} | {'ECDSA P-256':>12} | {'RSA-2048':>12} |"
    )
    print(f"|{'-' * 40}|{'-' * 13}:|{'-' * 13}:|")
    for name in order:
        print(f"| {name:<38} | {best_of[name]['ecc']:>12,.0f} | {best_of[name]['rsa']:>12,.0f} |")
    print(f"| {'digest only, C (CPU time)':<38} | {digest_c.cpu:>27,.0f} |")
    print(f"| {'digest only, 1 thread (CPU time)':<38} | {digest_e2e.cpu:>27,.0f} |")

    of_bests = {
        "c1": ("native C, 1 thread (CPU time)", "openssl speed (user CPU time)"),
        "e1": ("native 1 thread (CPU time)", "openssl speed (user CPU time)"),
        "cn": (f"native C, {cores} threads (wall)", "native C, 1 thread (wall)"),
        "en": (f"native {cores} threads (wall)", "native 1 thread (wall)"),
        "openssl": (f"openssl speed, {cores} processes (wall)", "openssl speed, 1 process (wall)"),
    }

    def judged(k: str, name: str) -> tuple[float, str]:
        top, bottom = of_bests[name]
        return best_of[top][k] / best_of[bottom][k], f"paired median {statistics.median(ratios[k][name]):.2f}"

    failed = False

    def target(text: str, ok: bool) -> None:
        nonlocal failed
        failed |= not ok
        print(f"{text.rstrip()} | {verdict(ok)} |")

    print()
    print("| target (ratio of the best figures above) | measured | result |")
    print("|---|---|---|")
    labels = {"ecc": "ECDSA P-256", "rsa": "RSA-2048"}
    # The targets are the module's: its batch call over the pre-generated corpus (PCR-digest-only at
    # 1M quotes/s per core can only mean that call). The adapter's rows below add the Python on either
    # side of it (QuoteChecks in, QuoteResults out) and are reported against the same bars, as info.
    for k in kinds:
        ratio, each = judged(k, "c1")
        target(f"| native C, 1 thread >= 85% of openssl, {labels[k]} | {ratio:.0%} ({each}) ", ratio >= 0.85)
    for k in kinds:
        ratio, each = judged(k, "cn")
        target(
            f"| native C, {cores} threads >= 1.7x 1 thread, {labels[k]} | {ratio:.2f}x ({each}; openssl itself "
            f"{judged(k, 'openssl')[0]:.2f}x) ",
            ratio >= 1.7,
        )
    for k in kinds:
        ratio, each = judged(k, "e1")
        print(
            f"| adapter, 1 thread (with Python marshalling), share of openssl, {labels[k]} | {ratio:.0%} "
            f"({each}) | info: {'above' if ratio >= 0.85 else 'below'} 85% |"
        )
    for k in kinds:
        ratio, each = judged(k, "en")
        print(
            f"| adapter, {cores} threads vs 1 thread, {labels[k]} | {ratio:.2f}x ({each}) | "
            f"info: {'above' if ratio >= 1.7 else 'below'} 1.7x |"
        )
    for k in kinds:
        per_core = best_of["native 1 thread (CPU time)"][k] / best_of["python reference (CPU time)"][k]
        print(
            f"| speed-up over the python reference, {labels[k]} | {per_core:.1f}x per core, "
            f"{best_of[f'native {cores} threads (wall)'][k] / best_of['python reference (CPU time)'][k]:.1f}x "
            f"with {cores} threads | info |"
        )
    target(
        f"| PCR-digest-only >= 1,000,000 quotes/s per core (C call) | {digest_c.cpu:,.0f} ",
        digest_c.cpu >= 1_000_000,
    )
    if args.stream:
        out = subprocess.run(
            [sys.executable, __file__, "--stream-worker", str(args.stream)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        rate, rss = float(out[0]), float(out[1])
        target(
            f"| {args.stream:,} quotes streamed in batches of {STREAM_BATCH:,} (RSA corpus cycled, full "
            f"verification, {cores} threads): peak RSS < 500 MB | {rss:.0f} MB, {rate:,.0f} quotes/s ",
            rss < 500,
        )
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
