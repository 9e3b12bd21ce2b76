"""TPM 2.0 remote attestation: evidence, keys, policies, nonces and verdicts."""
