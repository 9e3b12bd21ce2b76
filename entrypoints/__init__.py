"""Entry points: HTTP app, CLI, and the composition root that wires everything."""
