/* Exact, bounds-checked parsing of TPMS_ATTEST (as a quote) and TPMT_SIGNATURE, the same rules as
   domain/attestation/tpm_wire.py: big-endian, every read checked against the end, no trailing bytes. */
#include "edgefleet_native.h"

#include <string.h>

typedef struct {
    const uint8_t *p;
    size_t left;
    int bad; /* sticky: once a read fails every later read fails, so callers check once at the end */
} reader;

static const uint8_t *take(reader *rd, size_t n)
{
    if (rd->bad || n > rd->left) {
        rd->bad = 1;
        return NULL;
    }
    const uint8_t *at = rd->p;
    rd->p += n;
    rd->left -= n;
    return at;
}

static uint64_t be(reader *rd, size_t n)
{
    const uint8_t *at = take(rd, n);
    uint64_t v = 0;
    for (size_t i = 0; at != NULL && i < n; i++)
        v = (v << 8) | at[i];
    return v;
}

static const uint8_t *tpm2b(reader *rd, size_t *len)
{
    *len = (size_t)be(rd, 2);
    const uint8_t *at = take(rd, *len);
    if (at == NULL)
        *len = 0;
    return at;
}

static int finish(const reader *rd)
{
    return rd->bad || rd->left != 0 ? -1 : 0;
}

int ef_attest_parse(const uint8_t *data, size_t len, ef_attest *out)
{
    if (data == NULL && len > 0)
        return -1;
    reader rd = {data, len, 0};
    memset(out, 0, sizeof *out);
    out->magic = (uint32_t)be(&rd, 4);
    out->type = (uint16_t)be(&rd, 2);
    size_t signer_len;
    (void)tpm2b(&rd, &signer_len); /* qualifiedSigner: parsed for framing only */
    out->extra = tpm2b(&rd, &out->extra_len);
    out->clock = be(&rd, 8);
    out->reset_count = (uint32_t)be(&rd, 4);
    out->restart_count = (uint32_t)be(&rd, 4);
    out->safe = (uint8_t)be(&rd, 1);
    out->firmware = be(&rd, 8);
    uint64_t count = be(&rd, 4);
    if (rd.bad || count > EF_MAX_PCR_BANKS)
        return -1;
    out->select_count = (uint32_t)count;
    for (uint32_t i = 0; i < out->select_count; i++) {
        ef_pcr_select *sel = &out->select[i];
        sel->hash = (uint16_t)be(&rd, 2);
        sel->size = (uint8_t)be(&rd, 1);
        if (rd.bad || sel->size > EF_MAX_SELECT_BYTES)
            return -1;
        const uint8_t *bits = take(&rd, sel->size);
        if (bits == NULL)
            return -1;
        memcpy(sel->bits, bits, sel->size);
    }
    out->digest = tpm2b(&rd, &out->digest_len);
    return finish(&rd);
}

int ef_signature_parse(const uint8_t *data, size_t len, ef_signature *out)
{
    if (data == NULL && len > 0)
        return -1;
    reader rd = {data, len, 0};
    memset(out, 0, sizeof *out);
    out->scheme = (uint16_t)be(&rd, 2);
    if (rd.bad)
        return -1;
    if (out->scheme != EF_ALG_RSASSA && out->scheme != EF_ALG_RSAPSS && out->scheme != EF_ALG_ECDSA)
        return -1; /* an unknown signature algorithm is malformed, not a mismatch */
    out->hash = (uint16_t)be(&rd, 2);
    if (out->scheme == EF_ALG_ECDSA) {
        out->r = tpm2b(&rd, &out->r_len);
        out->s = tpm2b(&rd, &out->s_len);
    } else {
        out->sig = tpm2b(&rd, &out->sig_len);
    }
    return finish(&rd);
}

size_t ef_hash_size(uint16_t alg)
{
    switch (alg) {
    case EF_ALG_SHA1: return 20;
    case EF_ALG_SHA256: return 32;
    case EF_ALG_SHA384: return 48;
    case EF_ALG_SHA512: return 64;
    default: return 0;
    }
}
