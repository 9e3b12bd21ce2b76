"""``edgefleet attest``: the command (command.py) and one module per way of attesting (offline.py,
remote.py, simulated.py), which share report.py and take their adapters from root.py."""
