"""Pure-Python reference verifier throughput on simulated-TPM quotes (issue 3's baseline for the native module).

    .venv/bin/python benchmarks/bench_python_verifier.py [--quotes 10000] [--repeat 3] [--algorithms ecc,rsassa]

Quotes are generated first (not timed) by a fleet of simulated TPMs, each over PCRs 0-7 with its own
nonce and a reference policy equal to the reported values, so every check runs the full path: parse,
signature, nonce, PCR digest, policy. The timed part is one ``verify_batch`` call per algorithm, on one
thread; the best of ``--repeat`` runs is reported.
"""

from __future__ import annotations

import argparse
import platform
import secrets
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cryptography  # noqa: E402
from cryptography.hazmat.backends.openssl.backend import backend  # noqa: E402

from adapters.tpm.fleet import build_fleet  # noqa: E402
from adapters.verifiers.keys import attestation_key_from_public  # noqa: E402
from adapters.verifiers.python_ref import PythonQuoteVerifier  # noqa: E402
from domain.attestation.evidence import QuoteCheck  # noqa: E402

PCRS = list(range(8))


def make_checks(algorithm: str, count: int, devices: int) -> list[QuoteCheck]:
    fleet = list(build_fleet(devices, seed="bench", ak=algorithm, rsa_pool=4).values())
    keys = [attestation_key_from_public(tpm.ak_public()) for tpm in fleet]
    checks = []
    for i in range(count):
        tpm, key, nonce = fleet[i % devices], keys[i % devices], secrets.token_bytes(32)
        evidence = tpm.quote(nonce, PCRS)
        checks.append(QuoteCheck(evidence, key, nonce, dict(evidence.pcr_values)))
    return checks


def measure(checks: list[QuoteCheck], repeat: int) -> float:
    verifier, best = PythonQuoteVerifier(), float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        results = verifier.verify_batch(checks)
        best = min(best, time.perf_counter() - started)
        if not all(result.ok for result in results):
            raise SystemExit(
                "an honest quote failed verification: the benchmark is measuring the wrong thing"
            )
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quotes", type=int, default=10_000)
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--algorithms", default="ecc,rsassa", help="comma list of ecc, rsassa, rsapss")
    args = parser.parse_args(argv)
    print(
        f"Python {platform.python_version()}, cryptography {cryptography.__version__}, "
        f"{backend.openssl_version_text()}, {platform.machine()}"
    )
    labels = {
        "ecc": "ECDSA P-256 / SHA-256",
        "rsassa": "RSASSA-PKCS1v1.5 2048 / SHA-256",
        "rsapss": "RSA-PSS 2048 / SHA-256",
    }
    print(f"| {'AK':<32} | {'quotes':>7} | {'seconds':>8} | {'quotes/s':>9} | {'µs/quote':>8} |")
    print(f"|{'-' * 34}|{'-' * 8}:|{'-' * 9}:|{'-' * 10}:|{'-' * 9}:|")
    for algorithm in args.algorithms.split(","):
        checks = make_checks(algorithm, args.quotes, args.devices)
        seconds = measure(checks, args.repeat)
        rate = len(checks) / seconds
        print(
            f"| {labels[algorithm]:<32} | {len(checks):>7} | {seconds:>8.3f} | {rate:>9,.0f} | "
            f"{1e6 / rate:>8.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
