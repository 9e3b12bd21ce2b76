"""Event log replayers (ports.event_log): the native batched one and the pure-Python reference."""
