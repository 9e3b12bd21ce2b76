"""Use cases: orchestrate domain objects through ports."""
