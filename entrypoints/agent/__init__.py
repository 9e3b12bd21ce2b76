"""The device agent (``edgefleet agent``): enrols, heartbeats, runs commands, answers attestation.

runtime.Agent ties the pieces together; the simulator (entrypoints/simulate.py) runs many of them in
one process with simulated machines (simulated.py, synthetic.py).
"""
