"""Native (C, cffi) attestation hot path. Imported only by adapters; ``_edgefleet_native`` is built by setup.py."""
