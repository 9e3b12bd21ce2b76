/* ef_verify_batch: the check order of domain/attestation/evidence.py over a flat batch, first failure
   wins. Reads only the batch and writes only its own slice of the outputs, so disjoint ranges of one
   batch can run on several threads at once. */
#include "edgefleet_native.h"

#include <string.h>

#include <openssl/crypto.h>

/* Where quote i's variable-size fields start in each buffer: running prefix sums of the lengths. */
typedef struct {
    size_t quote, sig, nonce, pcr_index, pcr_value, policy_index, policy_value;
} cursor;

static void advance(const ef_batch *b, size_t i, cursor *c)
{
    c->quote += b->quote_len[i];
    c->sig += b->sig_len[i];
    c->nonce += b->nonce_len[i];
    c->pcr_index += b->pcr_count[i];
    c->pcr_value += b->pcr_value_len[i];
    c->policy_index += b->policy_count[i];
    c->policy_value += b->policy_value_len[i];
}

/* Every array present and every buffer exactly as long as its lengths add up to: after this, no
   per-quote read can leave its buffer. */
static int batch_consistent(const ef_batch *b)
{
    if (b->count == 0)
        return 1;
    if (!b->quote_len || !b->sig_len || !b->nonce_len || !b->bank || !b->pcr_count || !b->pcr_value_len
        || !b->policy_count || !b->policy_value_len || !b->flags || !b->key_index)
        return 0;
    cursor total = {0};
    for (size_t i = 0; i < b->count; i++)
        advance(b, i, &total);
    const void *bufs[] = {b->quote, b->sig, b->nonce, b->pcr_index, b->pcr_value, b->policy_index,
                          b->policy_value};
    const size_t sums[] = {total.quote, total.sig, total.nonce, total.pcr_index, total.pcr_value,
                           total.policy_index, total.policy_value};
    const size_t sizes[] = {b->quote_size, b->sig_size, b->nonce_size, b->pcr_index_size,
                            b->pcr_value_size, b->policy_index_size, b->policy_value_size};
    for (size_t k = 0; k < sizeof sums / sizeof sums[0]; k++)
        if (sums[k] != sizes[k] || bufs[k] == NULL) /* even empty buffers: no arithmetic on NULL */
            return 0;
    return b->key_count == 0 || (b->keys && b->key_scheme && b->key_hash);
}

/* The reported PCRs of one quote, indexed by PCR number. */
typedef struct {
    uint32_t mask;                /* PCRs 0..31 reported */
    int extra;                    /* some reported index is >= 32 */
    const uint8_t *at[EF_MAX_PCRS];
} reported;

static int read_reported(const uint8_t *index, uint32_t count, const uint8_t *values, size_t size, reported *r)
{
    r->mask = 0;
    r->extra = 0;
    for (uint32_t k = 0; k < count; k++) {
        uint8_t pcr = index[k];
        if (pcr >= EF_MAX_PCRS) {
            r->extra = 1;
            continue;
        }
        if (r->mask & (1u << pcr))
            return -1; /* a mapping cannot report one PCR twice: the wrapper broke the layout */
        r->mask |= 1u << pcr;
        r->at[pcr] = values + (size_t)k * size;
    }
    return 0;
}

static int algorithm_fits(const ef_key *key, uint16_t fixed_scheme, uint16_t key_hash, const ef_signature *sig)
{
    int fits_type = ef_key_type(key) == EF_KEY_RSA ? sig->scheme == EF_ALG_RSASSA || sig->scheme == EF_ALG_RSAPSS
                                                  : sig->scheme == EF_ALG_ECDSA;
    int fixed_ok = fixed_scheme == 0 || fixed_scheme == sig->scheme;
    return fits_type && fixed_ok && sig->hash == key_hash && ef_hash_size(sig->hash) != 0;
}

/* The selection must be exactly the reported PCRs of the evidence bank, each once; the TPM hashed
   them in selection order (bank by bank, ascending within a bitmap) with the key's hash. */
static int pcr_digest_status(ef_verifier *v, const ef_attest *a, uint16_t bank, size_t size, const reported *r,
                             uint16_t digest_alg)
{
    uint8_t joined[EF_MAX_PCRS * EF_MAX_DIGEST];
    size_t joined_len = 0;
    uint32_t seen = 0;
    if (r->extra)
        return EF_ST_PCR_DIGEST_MISMATCH;
    for (uint32_t i = 0; i < a->select_count; i++) {
        const ef_pcr_select *sel = &a->select[i];
        for (uint32_t pcr = 0; pcr < (uint32_t)sel->size * 8; pcr++) {
            if (!(sel->bits[pcr / 8] >> (pcr % 8) & 1))
                continue;
            uint32_t bit = 1u << pcr;
            if (sel->hash != bank || (seen & bit) || !(r->mask & bit))
                return EF_ST_PCR_DIGEST_MISMATCH;
            seen |= bit;
            memcpy(joined + joined_len, r->at[pcr], size);
            joined_len += size;
        }
    }
    if (seen != r->mask)
        return EF_ST_PCR_DIGEST_MISMATCH;
    uint8_t digest[EF_MAX_DIGEST];
    size_t digest_len = ef_verifier_digest(v, digest_alg, joined, joined_len, digest);
    if (digest_len == 0)
        return EF_ST_ALGORITHM_MISMATCH; /* only reachable in digest-only mode: an AK hash we cannot use */
    if (digest_len != a->digest_len || CRYPTO_memcmp(digest, a->digest, digest_len) != 0)
        return EF_ST_PCR_DIGEST_MISMATCH;
    return EF_ST_OK;
}

/* Bit i set when the policy's PCR i differs from the reported value or was not reported. */
static int policy_status(const uint8_t *index, uint32_t count, const uint8_t *values, size_t size,
                         const reported *r, int forced, uint32_t *mismatch)
{
    uint32_t bits = 0;
    for (uint32_t k = 0; k < count; k++) {
        uint8_t pcr = index[k];
        if (pcr >= EF_MAX_PCRS) {
            forced = 1; /* never quoted; the wrapper lists such indexes itself */
            continue;
        }
        uint32_t bit = 1u << pcr;
        if (!(r->mask & bit) || memcmp(r->at[pcr], values + (size_t)k * size, size) != 0)
            bits |= bit;
    }
    *mismatch = bits;
    return bits || forced ? EF_ST_POLICY_MISMATCH : EF_ST_OK;
}

/* One quote, all checks in order. Returns a status (>= 0) or an EF_ERR_* from OpenSSL (< 0). */
static int verify_one(const ef_batch *b, size_t i, const cursor *c, ef_verifier *v, unsigned int flags,
                      const ef_results *out)
{
    ef_attest a;
    ef_signature sig;
    reported r;
    const uint8_t *quote = b->quote + c->quote;
    uint8_t qflags = b->flags[i];
    size_t size = ef_hash_size(b->bank[i]);
    if ((qflags & EF_Q_MALFORMED) || ef_attest_parse(quote, b->quote_len[i], &a) != 0
        || ef_signature_parse(b->sig + c->sig, b->sig_len[i], &sig) != 0 || size == 0
        || b->pcr_value_len[i] != (uint64_t)b->pcr_count[i] * size
        || b->policy_value_len[i] != (uint64_t)b->policy_count[i] * size
        || read_reported(b->pcr_index + c->pcr_index, b->pcr_count[i], b->pcr_value + c->pcr_value, size, &r) != 0)
        return EF_ST_MALFORMED;
    if (qflags & EF_Q_EXTRA_PCRS)
        r.extra = 1;

    out->clock[i] = a.clock;
    out->reset_count[i] = a.reset_count;
    out->restart_count[i] = a.restart_count;
    out->safe[i] = a.safe != 0;
    out->firmware[i] = a.firmware;
    if (a.magic != EF_TPM_GENERATED || a.type != EF_TPM_ST_ATTEST_QUOTE)
        return EF_ST_NOT_A_QUOTE;

    uint32_t slot = b->key_index[i];
    if (slot >= b->key_count)
        return EF_ST_MALFORMED; /* no key table entry at all: the wrapper could not pass the key */
    if (!(flags & EF_DIGEST_ONLY)) {
        const ef_key *key = b->keys[slot];
        if (key == NULL)
            return EF_ST_UNKNOWN_KEY;
        if (!algorithm_fits(key, b->key_scheme[slot], b->key_hash[slot], &sig))
            return EF_ST_ALGORITHM_MISMATCH;
        int st = ef_verifier_check(v, slot, key, &sig, quote, b->quote_len[i]);
        if (st != EF_ST_OK)
            return st;
    }

    if (a.extra_len != b->nonce_len[i] || CRYPTO_memcmp(a.extra, b->nonce + c->nonce, a.extra_len) != 0)
        return EF_ST_NONCE_MISMATCH;
    int st = pcr_digest_status(v, &a, b->bank[i], size, &r, b->key_hash[slot]);
    if (st != EF_ST_OK)
        return st;
    return policy_status(b->policy_index + c->policy_index, b->policy_count[i], b->policy_value + c->policy_value,
                         size, &r, qflags & EF_Q_POLICY_EXTRA, &out->mismatch[i]);
}

static int outputs_present(const ef_results *out)
{
    return out->status && out->mismatch && out->clock && out->reset_count && out->restart_count && out->safe
           && out->firmware;
}

/* Moves the cursor from quote *at to `first` (cursors only move forward), then verifies [first, stop).
   Returns EF_OK or the first negative error from OpenSSL. */
static int verify_span(const ef_batch *b, size_t *at, size_t first, size_t stop, cursor *c, ef_verifier *v,
                       unsigned int flags, const ef_results *out)
{
    for (; *at < first; (*at)++)
        advance(b, *at, c);
    for (; *at < stop; (*at)++) {
        out->mismatch[*at] = 0;
        int st = verify_one(b, *at, c, v, flags, out);
        if (st < 0)
            return st;
        out->status[*at] = (uint8_t)st;
        advance(b, *at, c);
    }
    return EF_OK;
}

int ef_verify_batch(const ef_batch *b, size_t start, size_t end, unsigned int flags, const ef_results *out)
{
    if (b == NULL || out == NULL || start > end || end > b->count || !batch_consistent(b))
        return EF_ERR_ARGS;
    if (start == end)
        return EF_OK;
    if (!outputs_present(out))
        return EF_ERR_ARGS;
    ef_verifier *v = ef_verifier_new(b->key_count);
    if (v == NULL)
        return EF_ERR_NOMEM;
    cursor c = {0};
    size_t at = 0;
    int rc = verify_span(b, &at, start, end, &c, v, flags, out);
    ef_verifier_free(v);
    return rc;
}

#define EF_MAX_GRAIN ((size_t)1 << 20)

int ef_verify_claimed(const ef_batch *b, ef_claim *claim, size_t grain, unsigned int flags, const ef_results *out)
{
    /* next is past count once everything is claimed; far below the top of size_t and a bounded grain,
       the adds of every thread together can never wrap around */
    if (b == NULL || out == NULL || claim == NULL || grain == 0 || grain > EF_MAX_GRAIN
        || __atomic_load_n(&claim->next, __ATOMIC_RELAXED) > SIZE_MAX / 2 || !batch_consistent(b)
        || !outputs_present(out))
        return EF_ERR_ARGS;
    ef_verifier *v = NULL;
    cursor c = {0};
    size_t at = 0; /* c holds the buffer offsets of quote `at` */
    int rc = EF_OK;
    for (;;) {
        size_t first = __atomic_fetch_add(&claim->next, grain, __ATOMIC_RELAXED);
        if (first >= b->count)
            break;
        if (v == NULL && (v = ef_verifier_new(b->key_count)) == NULL) {
            rc = EF_ERR_NOMEM;
            break;
        }
        rc = verify_span(b, &at, first, b->count - first > grain ? first + grain : b->count, &c, v, flags, out);
        if (rc != EF_OK)
            break;
    }
    ef_verifier_free(v);
    return rc;
}
