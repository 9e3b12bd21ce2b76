/* Public declarations of the edgefleet native module. Shared by build.py's cdef and the C sources. */
#ifndef EDGEFLEET_NATIVE_H
#define EDGEFLEET_NATIVE_H

#include <stddef.h>
#include <stdint.h>

#define EF_OK 0
#define EF_ERR_ARGS -1
#define EF_ERR_CRYPTO -2

/* SHA-256 over `count` PCR values of `value_len` bytes each, laid out back to back in `values`.
   Writes 32 bytes to `out`. Returns EF_OK or a negative error. */
int ef_pcr_digest_sha256(const uint8_t *values, size_t count, size_t value_len, uint8_t *out);

#endif
