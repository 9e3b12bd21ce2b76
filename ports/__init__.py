"""Interfaces the domain needs from the outside world. Standard library and domain only."""
