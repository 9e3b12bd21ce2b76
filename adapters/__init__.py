"""Adapters: implementations of the ports over real infrastructure (and in-memory fakes)."""
