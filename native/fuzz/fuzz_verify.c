/* libFuzzer target over the native parser and the whole batch verifier (native/tools/fuzz.sh runs it).

   Input layout, every length clipped to what is left, so any byte string is a valid input:
     u8 control   bit0 digest-only, bits1-2 key (0 ECC, 1 RSA, 2 none, 3 ECC), bits3-4 bank
                  (SHA-256, SHA-1, SHA-384, unknown), bits5-7 the quote's EF_Q_* flags
     u8 key       bits0-1 fixed scheme (any, RSASSA, RSAPSS, ECDSA), bits2-3 key hash (SHA-256,
                  SHA-1, SHA-512, none)
     u16 n, quote[n]; u16 n, signature[n]; u8 n, nonce[n]
     u8 n, pcr index[n], then n values of the bank's size;  u8 n, policy index[n], n values
   The parsers also get the whole input raw. The batch holds the quote twice, to exercise offsets:
   both verdicts must agree. */
#include "edgefleet_native.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

static ef_key *keys[2]; /* generated once; read-only afterwards, like the module's cached keys */

static ef_key *fresh_key(EVP_PKEY *pkey)
{
    unsigned char *der = NULL;
    int len = i2d_PUBKEY(pkey, &der);
    ef_key *key = len > 0 ? ef_key_load(der, (size_t)len) : NULL;
    OPENSSL_free(der);
    EVP_PKEY_free(pkey);
    return key;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    keys[0] = fresh_key(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
    keys[1] = fresh_key(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048));
    if (keys[0] == NULL || keys[1] == NULL) {
        fprintf(stderr, "fuzz_verify: could not make the test keys\n");
        exit(2);
    }
    return 0;
}

typedef struct {
    const uint8_t *p;
    size_t left;
} input;

static size_t take_len(input *in, size_t width)
{
    size_t n = 0;
    for (size_t i = 0; i < width && in->left > 0; i++, in->p++, in->left--)
        n = (n << 8) | *in->p;
    return n;
}

static const uint8_t *take(input *in, size_t *n)
{
    if (*n > in->left)
        *n = in->left;
    const uint8_t *at = in->p;
    in->p += *n;
    in->left -= *n;
    return at;
}

static void check_parsers(const uint8_t *data, size_t size)
{
    ef_attest a;
    ef_signature s;
    if (ef_attest_parse(data, size, &a) == 0) {
        if (a.select_count > EF_MAX_PCR_BANKS || a.extra + a.extra_len > data + size
            || a.digest + a.digest_len != data + size)
            abort(); /* a parse that claims success must describe bytes inside the buffer */
    }
    if (ef_signature_parse(data, size, &s) == 0) {
        const uint8_t *last = s.scheme == EF_ALG_ECDSA ? s.s + s.s_len : s.sig + s.sig_len;
        if (last != data + size)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint16_t banks[] = {EF_ALG_SHA256, EF_ALG_SHA1, EF_ALG_SHA384, 0x0099};
    static const uint16_t schemes[] = {0, EF_ALG_RSASSA, EF_ALG_RSAPSS, EF_ALG_ECDSA};
    static const uint16_t hashes[] = {EF_ALG_SHA256, EF_ALG_SHA1, EF_ALG_SHA512, 0xFFFF};
    check_parsers(data, size);

    input in = {data, size};
    size_t control = take_len(&in, 1), keybits = take_len(&in, 1);
    uint16_t bank = banks[(control >> 3) & 3];
    size_t value_size = ef_hash_size(bank) ? ef_hash_size(bank) : 32;
    size_t qn = take_len(&in, 2);
    const uint8_t *quote = take(&in, &qn);
    size_t sn = take_len(&in, 2);
    const uint8_t *sig = take(&in, &sn);
    size_t nn = take_len(&in, 1);
    const uint8_t *nonce = take(&in, &nn);
    size_t pc = take_len(&in, 1);
    const uint8_t *pidx = take(&in, &pc);
    size_t pvn = pc * value_size;
    const uint8_t *pval = take(&in, &pvn);
    pc = pvn / value_size; /* whole values only, so the layout stays consistent */
    pvn = pc * value_size;
    size_t qc = take_len(&in, 1);
    const uint8_t *qidx = take(&in, &qc);
    size_t qvn = qc * value_size;
    const uint8_t *qval = take(&in, &qvn);
    qc = qvn / value_size;
    qvn = qc * value_size;

    /* Two copies of the one quote, back to back in each buffer. */
    uint8_t *buf = malloc(2 * (qn + sn + nn + pc + pvn + qc + qvn) + 1);
    if (buf == NULL)
        return 0;
    uint8_t *at = buf;
    const uint8_t *parts[] = {quote, sig, nonce, pidx, pval, qidx, qval};
    const size_t lens[] = {qn, sn, nn, pc, pvn, qc, qvn};
    uint8_t *starts[7];
    for (int k = 0; k < 7; k++) {
        starts[k] = at;
        for (int copy = 0; copy < 2; copy++, at += lens[k])
            if (lens[k])
                memcpy(at, parts[k], lens[k]);
    }
    uint32_t qlen[2] = {(uint32_t)qn, (uint32_t)qn}, slen[2] = {(uint32_t)sn, (uint32_t)sn};
    uint32_t nlen[2] = {(uint32_t)nn, (uint32_t)nn}, pcount[2] = {(uint32_t)pc, (uint32_t)pc};
    uint32_t pvlen[2] = {(uint32_t)pvn, (uint32_t)pvn}, qcount[2] = {(uint32_t)qc, (uint32_t)qc};
    uint32_t qvlen[2] = {(uint32_t)qvn, (uint32_t)qvn}, key_index[2] = {0, 0};
    uint16_t bank2[2] = {bank, bank};
    uint8_t flags[2] = {(uint8_t)(control >> 5), (uint8_t)(control >> 5)};
    size_t key_choice = (control >> 1) & 3;
    ef_key *key_table[1] = {key_choice == 1 ? keys[1] : key_choice == 2 ? NULL : keys[0]};
    uint16_t key_scheme[1] = {schemes[keybits & 3]}, key_hash[1] = {hashes[(keybits >> 2) & 3]};
    ef_batch b = {
        .count = 2,
        .quote = starts[0], .quote_size = 2 * qn, .quote_len = qlen,
        .sig = starts[1], .sig_size = 2 * sn, .sig_len = slen,
        .nonce = starts[2], .nonce_size = 2 * nn, .nonce_len = nlen,
        .bank = bank2,
        .pcr_index = starts[3], .pcr_index_size = 2 * pc, .pcr_count = pcount,
        .pcr_value = starts[4], .pcr_value_size = 2 * pvn, .pcr_value_len = pvlen,
        .policy_index = starts[5], .policy_index_size = 2 * qc, .policy_count = qcount,
        .policy_value = starts[6], .policy_value_size = 2 * qvn, .policy_value_len = qvlen,
        .flags = flags, .key_index = key_index,
        .keys = key_table, .key_scheme = key_scheme, .key_hash = key_hash, .key_count = 1,
    };
    uint8_t status[2] = {0xEE, 0xEE}, safe[2];
    uint32_t mismatch[2], resets[2], restarts[2];
    uint64_t clocks[2], firmware[2];
    ef_results out = {status, mismatch, clocks, resets, restarts, safe, firmware};
    int rc = ef_verify_batch(&b, 0, 2, (unsigned int)(control & 1), &out);
    if (rc != EF_OK || status[0] != status[1] || status[0] > EF_ST_UNKNOWN_KEY
        || (status[0] == EF_ST_POLICY_MISMATCH && mismatch[0] != mismatch[1]))
        abort(); /* a consistent batch is never refused, and equal quotes get equal verdicts */
    free(buf);
    return 0;
}
