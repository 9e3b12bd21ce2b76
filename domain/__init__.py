"""Pure domain model of edgefleet: entities, rules and use cases. Standard library only."""
