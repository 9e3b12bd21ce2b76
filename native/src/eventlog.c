/* ef_eventlog_replay: parse and replay TCG PC Client firmware event logs, many per call.

   The rules, their order and the fault offsets are exactly those of the Python reference
   (domain/measured_boot/eventlog.py and replay.py); the differential tests hold the two together.
   Integers in the log are little-endian. Every read is checked against the log's end first. */
#include "edgefleet_native.h"

#include <string.h>

#include <openssl/evp.h>

/* Output order of the banks and where each bank's 24 PCRs start in a log's pcrs slot. */
static const uint16_t bank_alg[EF_EL_BANKS] = {EF_ALG_SHA1, EF_ALG_SHA256, EF_ALG_SHA384, EF_ALG_SHA512};
static const size_t bank_size[EF_EL_BANKS] = {20, 32, 48, 64};
static const size_t bank_at[EF_EL_BANKS] = {0, 24 * 20, 24 * (20 + 32), 24 * (20 + 32 + 48)};

static const uint8_t spec_id_sig[16] = "Spec ID Event03";       /* with its NUL */
static const uint8_t locality_sig[16] = "StartupLocality";      /* with its NUL */

#define EV_NO_ACTION 3u
#define MAX_LOCALITY 4u

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static int bank_of(uint16_t alg)
{
    for (int b = 0; b < EF_EL_BANKS; b++)
        if (bank_alg[b] == alg)
            return b;
    return -1;
}

/* One digest context per bank, fetched once per call: alternating algorithms on one context would
   free and rebuild its algorithm state at every extend. */
struct hashers {
    EVP_MD *md[EF_EL_BANKS];
    EVP_MD_CTX *ctx[EF_EL_BANKS];
};

static void hashers_free(struct hashers *h)
{
    for (int b = 0; b < EF_EL_BANKS; b++) {
        EVP_MD_CTX_free(h->ctx[b]);
        EVP_MD_free(h->md[b]);
    }
}

static int hashers_init(struct hashers *h)
{
    static const char *const names[EF_EL_BANKS] = {"SHA1", "SHA256", "SHA384", "SHA512"};
    memset(h, 0, sizeof *h);
    for (int b = 0; b < EF_EL_BANKS; b++) {
        h->md[b] = EVP_MD_fetch(NULL, names[b], NULL);
        h->ctx[b] = EVP_MD_CTX_new();
        if (h->md[b] == NULL || h->ctx[b] == NULL) {
            hashers_free(h);
            return -1;
        }
    }
    return 0;
}

/* One log's parse state. `sizes` bounds every read: `len` is the log's length. */
typedef struct {
    const uint8_t *data;
    size_t len;
    uint8_t banks;         /* bit b: bank b in the log */
    int locality;          /* -1: no StartupLocality event */
    int pcr0_extended;
    uint32_t fault, offset;
    uint8_t *pcrs;         /* this log's output slot */
    uint32_t *touched;     /* this log's EF_EL_BANKS masks */
    struct hashers *hash;
} log_state;

static int fail(log_state *s, uint32_t fault, size_t offset)
{
    s->fault = fault;
    s->offset = (uint32_t)offset;
    return -1;
}

/* PCR = H(PCR || digest) in bank b. Returns 0, or an EF_ERR_* when OpenSSL fails. */
static int extend(log_state *s, int b, uint32_t pcr, const uint8_t *digest)
{
    uint8_t *value = s->pcrs + bank_at[b] + pcr * bank_size[b];
    EVP_MD_CTX *ctx = s->hash->ctx[b];
    unsigned int len = 0;
    if (EVP_DigestInit_ex2(ctx, s->hash->md[b], NULL) != 1 || EVP_DigestUpdate(ctx, value, bank_size[b]) != 1
        || EVP_DigestUpdate(ctx, digest, bank_size[b]) != 1 || EVP_DigestFinal_ex(ctx, value, &len) != 1
        || len != bank_size[b])
        return EF_ERR_CRYPTO;
    s->touched[b] |= 1u << pcr;
    return 0;
}

/* The StartupLocality rules, after a record parsed; `data`/`size` is its event data at `data_at`. */
static int see_event(log_state *s, size_t at, uint32_t pcr, uint32_t type, const uint8_t *data,
                     uint32_t size, size_t data_at)
{
    if (type != EV_NO_ACTION) {
        s->pcr0_extended |= pcr == 0;
        return 0;
    }
    if (size < 16 || memcmp(data, locality_sig, 16) != 0)
        return 0;
    if (pcr != 0 || s->locality >= 0 || s->pcr0_extended)
        return fail(s, EF_EL_BAD_LOCALITY, at);
    if (size != 17)
        return fail(s, EF_EL_BAD_LOCALITY, data_at);
    if (data[16] > MAX_LOCALITY)
        return fail(s, EF_EL_BAD_LOCALITY, data_at + 16);
    s->locality = data[16];
    for (int b = 0; b < EF_EL_BANKS; b++) /* PCR 0 is still at its reset value (the rule above) */
        if (s->banks & (1u << b)) {
            s->pcrs[bank_at[b] + bank_size[b] - 1] = data[16];
            s->touched[b] |= 1;
        }
    return 0;
}

typedef struct {
    size_t at;
    uint32_t pcr, type, size;
    const uint8_t *digest, *data;
} legacy_record;

/* A legacy (SHA-1) record at `at`: 0, or -1 with the fault set. `next` gets the following offset. */
static int legacy_event(log_state *s, size_t at, uint32_t number, legacy_record *r, size_t *next)
{
    if (number >= EF_EL_MAX_EVENTS)
        return fail(s, EF_EL_TOO_MANY_EVENTS, at);
    if (s->len - at < 32) /* at <= len always holds */
        return fail(s, EF_EL_TRUNCATED, at);
    const uint8_t *p = s->data + at;
    r->at = at;
    r->pcr = le32(p);
    r->type = le32(p + 4);
    r->digest = p + 8;
    r->size = le32(p + 28);
    if (r->pcr >= EF_EL_PCRS)
        return fail(s, EF_EL_BAD_PCR_INDEX, at);
    if (r->size > EF_EL_MAX_EVENT_DATA)
        return fail(s, EF_EL_EVENT_TOO_LARGE, at + 28);
    if (s->len - at - 32 < r->size)
        return fail(s, EF_EL_TRUNCATED, at + 32);
    r->data = p + 32;
    *next = at + 32 + r->size;
    return 0;
}

/* The Spec ID event's banks into s->banks: 1 when the first record is one, 0 when it is not (a
   legacy log), -1 with the fault set when it is one but broken. */
static int spec_id(log_state *s, const legacy_record *r, size_t end)
{
    if (r->type != EV_NO_ACTION || r->pcr != 0 || r->size < 16 || memcmp(r->data, spec_id_sig, 16) != 0)
        return 0;
    size_t base = 32;
    if (r->size < 28)
        return fail(s, EF_EL_BAD_SPEC_ID, base);
    uint32_t count = le32(s->data + base + 24);
    if (count == 0 || count > EF_EL_BANKS)
        return fail(s, EF_EL_BAD_SPEC_ID, base + 24);
    size_t at = base + 28;
    for (uint32_t k = 0; k < count; k++, at += 4) {
        if (end - at < 4)
            return fail(s, EF_EL_BAD_SPEC_ID, at);
        int b = bank_of(le16(s->data + at));
        if (b < 0)
            return fail(s, EF_EL_UNKNOWN_ALGORITHM, at);
        if (s->banks & (1u << b))
            return fail(s, EF_EL_BAD_SPEC_ID, at);
        if (le16(s->data + at + 2) != bank_size[b])
            return fail(s, EF_EL_BAD_SPEC_ID, at + 2);
        s->banks |= (uint8_t)(1u << b);
    }
    if (end - at < 1 || end - at - 1 != s->data[at])
        return fail(s, EF_EL_BAD_SPEC_ID, at); /* vendorInfoSize must end the event exactly */
    return 1;
}

static int replay_legacy(log_state *s, legacy_record *r, size_t pos)
{
    s->banks = 1; /* SHA-1 */
    for (uint32_t number = 0;;) {
        if (see_event(s, r->at, r->pcr, r->type, r->data, r->size, r->at + 32))
            return -1;
        if (r->type != EV_NO_ACTION) {
            int rc = extend(s, 0, r->pcr, r->digest);
            if (rc)
                return rc;
        }
        number++;
        if (pos == s->len)
            return 0;
        if (legacy_event(s, pos, number, r, &pos))
            return -1;
    }
}

static int replay_agile(log_state *s, size_t pos)
{
    size_t nbanks = 0;
    for (int b = 0; b < EF_EL_BANKS; b++)
        nbanks += (s->banks >> b) & 1;
    for (uint32_t number = 1; pos < s->len; number++) {
        size_t at = pos;
        if (number >= EF_EL_MAX_EVENTS)
            return fail(s, EF_EL_TOO_MANY_EVENTS, at);
        if (s->len - at < 12)
            return fail(s, EF_EL_TRUNCATED, at);
        uint32_t pcr = le32(s->data + at), type = le32(s->data + at + 4), count = le32(s->data + at + 8);
        if (pcr >= EF_EL_PCRS)
            return fail(s, EF_EL_BAD_PCR_INDEX, at);
        if (count == 0 || count > nbanks)
            return fail(s, EF_EL_DIGEST_COUNT, at + 8);
        const uint8_t *digest[EF_EL_BANKS] = {0};
        size_t p = at + 12;
        for (uint32_t k = 0; k < count; k++) {
            if (s->len - p < 2)
                return fail(s, EF_EL_TRUNCATED, p);
            int b = bank_of(le16(s->data + p));
            if (b < 0 || !(s->banks & (1u << b)))
                return fail(s, EF_EL_UNKNOWN_ALGORITHM, p);
            if (digest[b] != NULL)
                return fail(s, EF_EL_DIGEST_COUNT, p);
            if (s->len - p - 2 < bank_size[b])
                return fail(s, EF_EL_TRUNCATED, p + 2);
            digest[b] = s->data + p + 2;
            p += 2 + bank_size[b];
        }
        if (s->len - p < 4)
            return fail(s, EF_EL_TRUNCATED, p);
        uint32_t size = le32(s->data + p);
        if (size > EF_EL_MAX_EVENT_DATA)
            return fail(s, EF_EL_EVENT_TOO_LARGE, p);
        if (s->len - p - 4 < size)
            return fail(s, EF_EL_TRUNCATED, p + 4);
        if (s->len - p - 4 - size >= 12) /* the next header, read while this record is hashed */
            __builtin_prefetch(s->data + p + 4 + size);
        if (see_event(s, at, pcr, type, s->data + p + 4, size, p + 4))
            return -1;
        if (type != EV_NO_ACTION)
            for (int b = 0; b < EF_EL_BANKS; b++)
                if (digest[b] != NULL) {
                    int rc = extend(s, b, pcr, digest[b]);
                    if (rc)
                        return rc;
                }
        pos = p + 4 + size;
    }
    return 0;
}

/* Fills log i's output slots. Returns 0 (the log's status says whether it replayed) or EF_ERR_*. */
static int replay_one(const uint8_t *data, size_t len, struct hashers *hash, uint8_t *pcrs, uint32_t *touched,
                      uint8_t *status, uint32_t *offset, uint8_t *banks)
{
    log_state s = {.data = data, .len = len, .locality = -1, .pcrs = pcrs, .touched = touched, .hash = hash};
    memset(pcrs, 0, EF_EL_PCR_BYTES);
    memset(touched, 0, EF_EL_BANKS * sizeof *touched);
    int rc = -1;
    legacy_record first;
    size_t pos = 0;
    if (len > EF_EL_MAX_LOG)
        fail(&s, EF_EL_LOG_TOO_LARGE, EF_EL_MAX_LOG);
    else if (legacy_event(&s, 0, 0, &first, &pos) == 0) {
        int agile = spec_id(&s, &first, pos);
        if (agile == 1)
            rc = replay_agile(&s, pos);
        else if (agile == 0)
            rc = replay_legacy(&s, &first, pos);
    }
    if (rc < -1)
        return rc; /* OpenSSL failed: the whole call fails */
    *status = rc == 0 ? EF_EL_OK : (uint8_t)s.fault;
    *offset = rc == 0 ? 0 : s.offset;
    *banks = rc == 0 ? s.banks : 0;
    return 0;
}

int ef_eventlog_replay(const ef_eventlog_batch *b, size_t start, size_t end, const ef_eventlog_results *out)
{
    if (b == NULL || out == NULL || start > end || end > b->count)
        return EF_ERR_ARGS;
    if (b->count == 0 || start == end)
        return EF_OK;
    if (b->log_len == NULL || b->log == NULL || !out->status || !out->offset || !out->banks || !out->touched
        || !out->pcrs)
        return EF_ERR_ARGS;
    size_t total = 0, from = 0;
    for (size_t i = 0; i < b->count; i++) {
        if (i == start)
            from = total;
        total += b->log_len[i];
    }
    if (total != b->log_size)
        return EF_ERR_ARGS;
    struct hashers hash;
    if (hashers_init(&hash) != 0)
        return EF_ERR_NOMEM;
    int rc = EF_OK;
    for (size_t i = start; i < end && rc == EF_OK; i++) {
        rc = replay_one(b->log + from, b->log_len[i], &hash, out->pcrs + i * EF_EL_PCR_BYTES,
                        out->touched + i * EF_EL_BANKS, out->status + i, out->offset + i, out->banks + i);
        from += b->log_len[i];
    }
    hashers_free(&hash);
    return rc;
}
