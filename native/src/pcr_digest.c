#include "edgefleet_native.h"

#include <openssl/evp.h>

int ef_pcr_digest_sha256(const uint8_t *values, size_t count, size_t value_len, uint8_t *out)
{
    if (out == NULL || (values == NULL && count > 0) || value_len == 0 || value_len > 64)
        return EF_ERR_ARGS;
    if (count > 0 && value_len > SIZE_MAX / count)
        return EF_ERR_ARGS;
    unsigned int out_len = 0;
    /* EVP_Digest is one-shot and keeps no shared state, so concurrent callers are safe. */
    if (EVP_Digest(values, count * value_len, out, &out_len, EVP_sha256(), NULL) != 1 || out_len != 32)
        return EF_ERR_CRYPTO;
    return EF_OK;
}
