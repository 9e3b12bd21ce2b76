"""In-memory implementations of the ports, for unit tests and throw-away demos."""
