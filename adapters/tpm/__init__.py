"""TPM adapters (ports.tpm.Tpm): a deterministic simulated TPM, and tpm2-pytss for swtpm or real chips."""
