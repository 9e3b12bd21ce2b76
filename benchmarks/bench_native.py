"""Native batched verifier against the physical baseline (issue 4): prints a table with PASS/FAIL per target.

    .venv/bin/python benchmarks/bench_native.py [--rounds 3] [--repeat 2] [--stream 1000000] [--openssl-seconds 3]

One corpus of 20,000 quotes from simulated TPMs: 10,000 ECDSA P-256 (1,000 devices, one AK each) and
10,000 RSA-2048 (5,000 RSASSA + 5,000 RSA-PSS over 8 shared RSA AKs: deriving an RSA key costs ~0.5 s),
PCRs 0-7 of the SHA-256 bank, a fresh 32-byte nonce each, and each device's reference policy. It is
generated once and cached in var/bench/. The 2 cores are shared with other work, so every figure is the best
of --rounds interleaved rounds of --repeat runs each, and single-thread figures are per second of CPU time
(as `openssl speed` reports by default); thread scaling is by wall clock.

  openssl          `openssl speed -seconds N ecdsap256 rsa2048` verify/s, measured here: the baseline; also
                   with -elapsed, alone and with -multi <cores>: how far the cores scale at that moment.
  native C         one ef_verify_batch call over the pre-flattened corpus: the module's own rate.
  native 1 thread  NativeQuoteVerifier(threads=1).verify_batch(checks): QuoteChecks in, QuoteResults out.
  native N threads the same with threads=os.cpu_count() (flattening overlaps the C calls).
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
from adapters.verifiers.native_batch import NativeQuoteVerifier, run  # noqa: E402
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
def openssl_speed(seconds: int, *, processes: int = 1, elapsed: bool = False) -> dict[str, float]:
    """verify/s of ``openssl speed``: by user CPU time (its default) or wall clock (-elapsed), and with
    -multi the sum over ``processes`` parallel processes: how far the cores themselves scale right now."""
    command = ["openssl", "speed", "-seconds", str(seconds)]
    command += ["-elapsed"] if elapsed else []
    command += ["-multi", str(processes)] if processes > 1 else []
    out = subprocess.run([*command, "ecdsap256", "rsa2048"], capture_output=True, text=True, check=True).stdout
    rsa = re.search(r"^rsa 2048 bits\s+\S+\s+\S+\s+\S+\s+(\S+)", out, re.MULTILINE)
    ecdsa = re.search(r"^\s*256 bits ecdsa \(nistp256\)\s+\S+\s+\S+\s+\S+\s+(\S+)", out, re.MULTILINE)
    return {"ecc": float(ecdsa.group(1)), "rsa": float(rsa.group(1))}


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
    """The C call alone over the corpus flattened once; ``threads`` calls on disjoint ranges at once."""
    packed = pack(checks, NativeKeyCache())
    n = packed.count
    bounds = [(n * t // threads, n * (t + 1) // threads) for t in range(threads)]

    def once():
        for _ in range(rounds):
            if threads == 1:
                run(packed, flags)
                continue
            workers = [threading.Thread(target=lib.ef_verify_batch, args=(packed.batch, lo, hi, flags, packed.out))
                       for lo, hi in bounds]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()

    rate = best(n * rounds, repeat, once)
    if flags == 0 and any(bytes(ffi.buffer(packed.status, n))):
        raise SystemExit("an honest quote failed native verification: the benchmark measures the wrong thing")
    return rate


def _better(old: Rate | None, new: Rate) -> Rate:
    return new if old is None else Rate(max(old.wall, new.wall), max(old.cpu, new.cpu))


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of every measurement")
    parser.add_argument("--repeat", type=int, default=2, help="timed runs per measurement and round")
    parser.add_argument("--openssl-seconds", type=int, default=3)
    parser.add_argument("--stream", type=int, default=1_000_000, help="quotes for the streaming run (0: skip)")
    parser.add_argument("--stream-worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stream_worker:
        rate, rss = stream(args.stream_worker)
        print(f"{rate} {rss}")
        return

    cores = os.cpu_count() or 1
    corpus = load_corpus()
    sets = {"ecc": corpus["ecc"], "rsa": corpus["rsassa"] + corpus["rsapss"]}
    openssl = subprocess.run(["openssl", "version"], capture_output=True, text=True, check=False).stdout.strip()
    print(f"Python {platform.python_version()}, {openssl}, {cores} cores, load average {os.getloadavg()[0]:.2f}; "
          f"corpus {sum(map(len, sets.values())):,} quotes", flush=True)

    # Rounds interleave the baseline and the native runs, so a burst of load from other tenants of the
    # cores hits both; each figure is the best over all rounds.
    speed, wall1, walln, c1, e1, cn, en = {}, {}, {}, {}, {}, {}, {}
    single, pooled = NativeQuoteVerifier(threads=1), NativeQuoteVerifier(threads=cores)
    for _ in range(args.rounds):
        for into, rates in ((speed, openssl_speed(args.openssl_seconds)),
                            (wall1, openssl_speed(args.openssl_seconds, elapsed=True)),
                            (walln, openssl_speed(args.openssl_seconds, elapsed=True, processes=cores))):
            for k, rate in rates.items():
                into[k] = max(into.get(k, 0.0), rate)
        for k, checks in sets.items():
            c1[k] = _better(c1.get(k), c_rate(checks, args.repeat))
            e1[k] = _better(e1.get(k), e2e_rate(single, checks, args.repeat))
            cn[k] = _better(cn.get(k), c_rate(checks, args.repeat, threads=cores))
            en[k] = _better(en.get(k), e2e_rate(pooled, checks, args.repeat))
    pooled.close()
    py = {k: e2e_rate(PythonQuoteVerifier(), v, 1) for k, v in sets.items()}
    everything = sets["ecc"] + sets["rsa"]
    digest_c = c_rate(everything, args.repeat, flags=lib.EF_DIGEST_ONLY, rounds=5)
    digest_e2e = best(len(everything), args.repeat, lambda: single.check_digests(everything))
    base = speed

    rows = [
        ("openssl speed (user CPU time)", speed),
        ("openssl speed, 1 process (wall)", wall1),
        (f"openssl speed, {cores} processes (wall)", walln),
        ("native C, 1 thread (CPU time)", {k: r.cpu for k, r in c1.items()}),
        ("native 1 thread (CPU time)", {k: r.cpu for k, r in e1.items()}),
        ("native C, 1 thread (wall)", {k: r.wall for k, r in c1.items()}),
        (f"native C, {cores} threads (wall)", {k: r.wall for k, r in cn.items()}),
        ("native 1 thread (wall)", {k: r.wall for k, r in e1.items()}),
        (f"native {cores} threads (wall)", {k: r.wall for k, r in en.items()}),
        ("python reference (CPU time)", {k: r.cpu for k, r in py.items()}),
    ]
    print()
    print(f"| {'quotes/s':<32} | {'ECDSA P-256':>12} | {'RSA-2048':>12} |")
    print(f"|{'-' * 34}|{'-' * 13}:|{'-' * 13}:|")
    for name, rates in rows:
        print(f"| {name:<32} | {rates['ecc']:>12,.0f} | {rates['rsa']:>12,.0f} |")
    print(f"| {'digest only, C (CPU time)':<32} | {digest_c.cpu:>27,.0f} |")
    print(f"| {'digest only, 1 thread (CPU time)':<32} | {digest_e2e.cpu:>27,.0f} |")

    print()
    print("| target | measured | result |")
    print("|---|---|---|")
    for k, label in (("ecc", "ECDSA P-256"), ("rsa", "RSA-2048")):
        print(f"| native C, 1 thread >= 85% of openssl, {label} | {c1[k].cpu / base[k]:.0%} | "
              f"{verdict(c1[k].cpu >= 0.85 * base[k])} |")
    for k, label in (("ecc", "ECDSA P-256"), ("rsa", "RSA-2048")):
        print(f"| native 1 thread with Python marshalling >= 85% of openssl, {label} | {e1[k].cpu / base[k]:.0%} | "
              f"{verdict(e1[k].cpu >= 0.85 * base[k])} |")
    for k, label in (("ecc", "ECDSA P-256"), ("rsa", "RSA-2048")):
        print(f"| native C, {cores} threads >= 1.7x 1 thread, {label} | {cn[k].wall / c1[k].wall:.2f}x (openssl itself "
              f"{walln[k] / wall1[k]:.2f}x) | {verdict(cn[k].wall >= 1.7 * c1[k].wall)} |")
    for k, label in (("ecc", "ECDSA P-256"), ("rsa", "RSA-2048")):
        print(f"| native {cores} threads with Python marshalling >= 1.7x 1 thread, {label} | "
              f"{en[k].wall / e1[k].wall:.2f}x | {verdict(en[k].wall >= 1.7 * e1[k].wall)} |")
    for k, label in (("ecc", "ECDSA P-256"), ("rsa", "RSA-2048")):
        print(f"| speed-up over the python reference, {label} | {e1[k].cpu / py[k].cpu:.1f}x per core, "
              f"{en[k].wall / py[k].wall:.1f}x with {cores} threads | info |")
    print(f"| PCR-digest-only >= 1,000,000 quotes/s per core (C call) | {digest_c.cpu:,.0f} | "
          f"{verdict(digest_c.cpu >= 1_000_000)} |")
    if args.stream:
        out = subprocess.run([sys.executable, __file__, "--stream-worker", str(args.stream)], capture_output=True,
                             text=True, check=True).stdout.split()
        rate, rss = float(out[0]), float(out[1])
        print(f"| {args.stream:,} quotes streamed in batches of {STREAM_BATCH:,} (RSA corpus cycled, full "
              f"verification, {cores} threads): peak RSS < 500 MB | {rss:.0f} MB, {rate:,.0f} quotes/s | "
              f"{verdict(rss < 500)} |")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
