"""Measured boot: the TCG PC Client firmware event log, its replay into PCR values, and event policies."""
