"""Quote verifiers (ports.verifier.QuoteVerifier): the pure-Python reference and the native batch one."""
