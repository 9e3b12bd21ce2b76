"""Pick the event log replayer: the native batched one when it is built, else the Python reference."""

from __future__ import annotations

import logging

from adapters.measured_boot.python_replay import PythonEventLogReplayer

logger = logging.getLogger("edgefleet.eventlog")


def choose_replayer(preference: str = "auto"):
    if preference not in ("auto", "native", "python"):
        raise ValueError("replayer must be auto, native or python")
    if preference == "python":
        return PythonEventLogReplayer()
    try:
        from adapters.measured_boot.native_replay import NativeEventLogReplayer
    except ImportError as exc:  # module not built: fall back, loudly
        if preference == "native":
            raise ValueError(f"native event log replayer unavailable: {exc}") from exc
        logger.warning("native event log replayer unavailable (%s); using the Python reference", exc)
        return PythonEventLogReplayer()
    return NativeEventLogReplayer()
