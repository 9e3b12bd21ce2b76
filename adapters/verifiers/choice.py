"""Pick the quote verifier: the native batch verifier when it is built, else the Python reference."""

from __future__ import annotations

import logging

logger = logging.getLogger("edgefleet.verifier")


def choose_verifier(preference: str = "auto"):
    if preference not in ("auto", "native", "python"):
        raise ValueError("verifier must be auto, native or python")
    if preference == "python":
        return _python()
    try:
        from adapters.verifiers.native_batch import NativeQuoteVerifier
    except ImportError as exc:  # module not built (or not written yet): fall back, loudly
        if preference == "native":
            raise ValueError(f"native verifier unavailable: {exc}") from exc
        logger.warning("native quote verifier unavailable (%s); using the Python reference", exc)
        return _python()
    return NativeQuoteVerifier()


def _python():
    # imported only when chosen: the CLI's start-up counts, and the reference pulls in more of cryptography
    from adapters.verifiers.python_ref import PythonQuoteVerifier

    return PythonQuoteVerifier()
