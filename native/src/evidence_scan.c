/* Evidence lines (adapters/evidence_jsonl.py's format) decoded straight into an ef_batch.

   Only the common, unambiguous shape is taken: one object of known fields (device_id a plain string,
   quote and signature canonical base64, nonce and PCR values plain hex of the bank's size, PCR maps
   keyed "0".."31" once each, policy an object or null, event_log and event_policy absent or null) and
   unknown fields holding a plain string, a small integer or a literal. Anything else, valid or not,
   is left to the reference decoder (the line is flagged `fallback`), so verdicts, reasons and
   messages are the reference's by construction: this file only has to be right about what it takes.
   Every read is checked against the line's end; nothing here trusts the input. */
#include "edgefleet_native.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- interned keys ---- */

struct ef_scanner {
    size_t max_keys, max_bytes, count, bytes;
    uint8_t **text;
    size_t *len;
    uint64_t *hash;
    uint32_t *table; /* open addressing, slot + 1; 0 is empty */
    size_t mask;
};

#define EF_SCAN_MAX_KEYS ((size_t)1 << 22)

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

ef_scanner *ef_scanner_new(size_t max_keys, size_t max_bytes)
{
    if (max_keys == 0 || max_keys > EF_SCAN_MAX_KEYS)
        return NULL;
    ef_scanner *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    size_t size = 16;
    while (size < 2 * max_keys)
        size *= 2;
    s->max_keys = max_keys;
    s->max_bytes = max_bytes;
    s->mask = size - 1;
    s->text = calloc(max_keys, sizeof *s->text);
    s->len = calloc(max_keys, sizeof *s->len);
    s->hash = calloc(max_keys, sizeof *s->hash);
    s->table = calloc(size, sizeof *s->table);
    if (!s->text || !s->len || !s->hash || !s->table) {
        ef_scanner_free(s);
        return NULL;
    }
    return s;
}

void ef_scanner_free(ef_scanner *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->count; i++)
        free(s->text[i]);
    free(s->text);
    free(s->len);
    free(s->hash);
    free(s->table);
    free(s);
}

size_t ef_scanner_key_count(const ef_scanner *s)
{
    return s ? s->count : 0;
}

size_t ef_scanner_key_bytes(const ef_scanner *s)
{
    return s ? s->bytes : 0;
}

const uint8_t *ef_scanner_key(const ef_scanner *s, size_t slot, size_t *len)
{
    if (s == NULL || len == NULL || slot >= s->count)
        return NULL;
    *len = s->len[slot];
    return s->text[slot];
}

/* The slot of `text`, entered when new; -1 when the scanner is full (or out of memory). */
static long intern(ef_scanner *s, const uint8_t *text, size_t n)
{
    uint64_t h = fnv1a(text, n);
    size_t at = (size_t)h & s->mask;
    for (;;) {
        uint32_t entry = s->table[at];
        if (entry == 0)
            break;
        size_t slot = entry - 1;
        if (s->hash[slot] == h && s->len[slot] == n && memcmp(s->text[slot], text, n) == 0)
            return (long)slot;
        at = (at + 1) & s->mask;
    }
    if (s->count == s->max_keys || n > s->max_bytes - s->bytes)
        return -1;
    uint8_t *copy = malloc(n ? n : 1);
    if (copy == NULL)
        return -1;
    memcpy(copy, text, n);
    size_t slot = s->count++;
    s->text[slot] = copy;
    s->len[slot] = n;
    s->hash[slot] = h;
    s->bytes += n;
    s->table[at] = (uint32_t)(slot + 1); /* max_keys < 2^22: fits */
    return (long)slot;
}

/* ---- growable column buffers ---- */

typedef struct {
    uint8_t *p;
    size_t len, cap;
} column;

static int reserve(column *c, size_t more)
{
    if (more <= c->cap - c->len)
        return 0;
    size_t cap = c->cap ? c->cap : 4096;
    while (cap - c->len < more) {
        if (cap > SIZE_MAX / 2)
            return -1;
        cap *= 2;
    }
    uint8_t *p = realloc(c->p, cap);
    if (p == NULL)
        return -1;
    c->p = p;
    c->cap = cap;
    return 0;
}

/* ---- one line's structure ---- */

typedef struct {
    const uint8_t *p;
    size_t n;
} span;

typedef struct {
    const uint8_t *p, *end;
} cursor;

enum { F_DEVICE, F_QUOTE, F_SIG, F_PCRS, F_NONCE, F_AK, F_HASH, F_POLICY, F_LOG, F_EVENT_POLICY, F_COUNT };
static const char *const FIELD_NAMES[F_COUNT] = {"device_id", "quote", "signature", "pcrs", "nonce",
                                                 "ak_public", "hash_alg", "policy", "event_log",
                                                 "event_policy"};
static const size_t FIELD_LENGTHS[F_COUNT] = {9, 5, 9, 4, 5, 9, 8, 6, 9, 12};
#define REQUIRED ((1u << F_DEVICE) | (1u << F_QUOTE) | (1u << F_SIG) | (1u << F_PCRS) | (1u << F_NONCE) | (1u << F_AK))

typedef struct {
    uint32_t count;
    uint8_t index[EF_MAX_PCRS];
    span value[EF_MAX_PCRS];
} pcr_map;

typedef struct {
    unsigned seen;
    span field[F_COUNT]; /* string contents, or for ak_public the raw string with its quotes */
    pcr_map pcrs, policy;
    int has_policy;
} line_fields;

static void skip_ws(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r'))
        c->p++;
}

static int expect(cursor *c, uint8_t byte)
{
    skip_ws(c);
    if (c->p >= c->end || *c->p != byte)
        return -1;
    c->p++;
    return 0;
}

static uint8_t PLAIN[256]; /* printable ASCII but '"' and '\\': a string byte taken as it is */

/* A string of printable ASCII with no escape: its contents. */
static int plain_string(cursor *c, span *out)
{
    if (expect(c, '"') != 0)
        return -1;
    const uint8_t *start = c->p;
    while (c->p < c->end && PLAIN[*c->p])
        c->p++;
    if (c->p >= c->end || *c->p != '"')
        return -1;
    out->p = start;
    out->n = (size_t)(c->p - start);
    c->p++;
    return 0;
}

/* A string's contents up to the next '"', unchecked: for base64 and hex, whose decoders refuse every
   byte outside their alphabet (a backslash, so any escape, included). */
static int coded_string(cursor *c, span *out)
{
    if (expect(c, '"') != 0)
        return -1;
    const uint8_t *close = memchr(c->p, '"', (size_t)(c->end - c->p));
    if (close == NULL)
        return -1;
    out->p = c->p;
    out->n = (size_t)(close - c->p);
    c->p = close + 1;
    return 0;
}

/* Any string as written, quotes included: its end is the first '"' after an even run of backslashes.
   Its contents are judged by whoever decodes it (control bytes and bad escapes included). */
static int raw_string(cursor *c, span *out)
{
    if (expect(c, '"') != 0)
        return -1;
    const uint8_t *start = c->p - 1;
    for (;;) {
        const uint8_t *close = memchr(c->p, '"', (size_t)(c->end - c->p));
        if (close == NULL)
            return -1;
        size_t backslashes = 0;
        while (close - backslashes > c->p && close[-1 - (ptrdiff_t)backslashes] == '\\')
            backslashes++;
        c->p = close + 1;
        if (backslashes % 2 == 0)
            break;
    }
    out->p = start;
    out->n = (size_t)(c->p - start);
    return 0;
}

static int literal(cursor *c, const char *word)
{
    size_t n = strlen(word);
    skip_ws(c);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
        return -1;
    c->p += n;
    return 0;
}

static int is_null(cursor *c)
{
    cursor probe = *c;
    if (literal(&probe, "null") != 0)
        return 0;
    *c = probe;
    return 1;
}

/* An unknown field's value: a plain string, an integer of up to 18 digits, true, false or null. */
static int skip_simple_value(cursor *c)
{
    span ignored;
    skip_ws(c);
    if (c->p >= c->end)
        return -1;
    if (*c->p == '"')
        return plain_string(c, &ignored);
    if (*c->p == 't')
        return literal(c, "true");
    if (*c->p == 'f')
        return literal(c, "false");
    if (*c->p == 'n')
        return literal(c, "null");
    if (*c->p == '-')
        c->p++;
    const uint8_t *digits = c->p;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
        c->p++;
    size_t n = (size_t)(c->p - digits);
    if (n == 0 || n > 18 || (digits[0] == '0' && n > 1))
        return -1;
    return 0; /* what follows must be ',' or '}': the caller checks */
}

/* {"<0..31>": "<hex>", ...}, each PCR once, keys in canonical decimal. */
static int read_pcr_map(cursor *c, pcr_map *m)
{
    uint32_t seen = 0;
    m->count = 0;
    if (expect(c, '{') != 0)
        return -1;
    skip_ws(c);
    if (c->p < c->end && *c->p == '}') {
        c->p++;
        return 0;
    }
    for (;;) {
        span key, value;
        if (plain_string(c, &key) != 0 || key.n == 0 || key.n > 2 || (key.n == 2 && key.p[0] == '0'))
            return -1;
        unsigned pcr = 0;
        for (size_t i = 0; i < key.n; i++) {
            if (key.p[i] < '0' || key.p[i] > '9')
                return -1;
            pcr = pcr * 10 + (unsigned)(key.p[i] - '0');
        }
        if (pcr >= EF_MAX_PCRS || (seen >> pcr & 1) || expect(c, ':') != 0 || coded_string(c, &value) != 0)
            return -1;
        seen |= 1u << pcr;
        m->index[m->count] = (uint8_t)pcr;
        m->value[m->count] = value;
        m->count++; /* at most 32: each PCR once */
        skip_ws(c);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        return expect(c, '}');
    }
}

const char *ef_scan_field(size_t i)
{
    return i < F_COUNT ? FIELD_NAMES[i] : NULL;
}

static int field_of(span key)
{
    for (int f = 0; f < F_COUNT; f++)
        if (FIELD_LENGTHS[f] == key.n && memcmp(FIELD_NAMES[f], key.p, key.n) == 0)
            return f;
    return -1;
}

static int read_line(const uint8_t *p, const uint8_t *end, line_fields *lf)
{
    cursor c = {p, end};
    lf->seen = 0;
    lf->has_policy = 0;
    if (expect(&c, '{') != 0)
        return -1;
    for (;;) {
        span key;
        if (plain_string(&c, &key) != 0 || expect(&c, ':') != 0)
            return -1;
        int f = field_of(key);
        if (f >= 0 && (lf->seen >> f & 1))
            return -1; /* the reference takes the last of duplicates: rare enough to leave to it */
        if (f >= 0)
            lf->seen |= 1u << f;
        int rc;
        switch (f) {
        case F_AK:
            rc = raw_string(&c, &lf->field[f]);
            break;
        case F_PCRS:
            rc = read_pcr_map(&c, &lf->pcrs);
            break;
        case F_POLICY:
            lf->has_policy = !is_null(&c);
            rc = lf->has_policy ? read_pcr_map(&c, &lf->policy) : 0;
            break;
        case F_LOG:
        case F_EVENT_POLICY:
            rc = is_null(&c) ? 0 : -1;
            break;
        case -1:
            rc = skip_simple_value(&c);
            break;
        case F_DEVICE:
            rc = plain_string(&c, &lf->field[f]); /* written back as it is into the verdict */
            break;
        default: /* base64, hex, or compared with the bank names */
            rc = coded_string(&c, &lf->field[f]);
        }
        if (rc != 0)
            return -1;
        skip_ws(&c);
        if (c.p < c.end && *c.p == ',') {
            c.p++;
            continue;
        }
        if (expect(&c, '}') != 0)
            return -1;
        skip_ws(&c);
        return c.p == c.end && (lf->seen & REQUIRED) == REQUIRED ? 0 : -1;
    }
}

/* ---- decoding ---- */

static int8_t B64[256];
static int8_t HEX[256];

static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void init_tables(void)
{
    const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 256; i++) {
        B64[i] = HEX[i] = -1;
        PLAIN[i] = i >= 0x20 && i <= 0x7e && i != '"' && i != '\\';
    }
    for (int i = 0; i < 64; i++)
        B64[(uint8_t)alphabet[i]] = (int8_t)i;
    for (int i = 0; i < 10; i++)
        HEX['0' + i] = (int8_t)i;
    for (int i = 0; i < 6; i++)
        HEX['a' + i] = HEX['A' + i] = (int8_t)(10 + i);
}

/* Padded standard base64, as msgspec takes it (bits after the last byte ignored). Returns the decoded
   length, or -1. `out` has room for s.n / 4 * 3 bytes. */
static long base64_decode(span s, uint8_t *out)
{
    if (s.n % 4 != 0)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < s.n; i += 4) {
        const uint8_t *q = s.p + i;
        int last = i + 4 == s.n;
        int pad = last ? (q[3] == '=') + (q[3] == '=' && q[2] == '=') : 0;
        int8_t a = B64[q[0]], b = B64[q[1]], c = pad >= 2 ? 0 : B64[q[2]], d = pad >= 1 ? 0 : B64[q[3]];
        if ((a | b | c | d) < 0)
            return -1;
        uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
        out[o++] = (uint8_t)(v >> 16);
        if (pad < 2)
            out[o++] = (uint8_t)(v >> 8);
        if (pad < 1)
            out[o++] = (uint8_t)v;
    }
    return (long)o;
}

static int hex_decode(span s, uint8_t *out)
{
    if (s.n % 2 != 0)
        return -1;
    for (size_t i = 0; i < s.n; i += 2) {
        int8_t hi = HEX[s.p[i]], lo = HEX[s.p[i + 1]];
        if ((hi | lo) < 0)
            return -1;
        out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

static uint16_t bank_of(const line_fields *lf)
{
    static const struct {
        const char *name;
        uint16_t alg;
    } banks[] = {{"sha1", EF_ALG_SHA1}, {"sha256", EF_ALG_SHA256}, {"sha384", EF_ALG_SHA384}, {"sha512", EF_ALG_SHA512}};
    if (!(lf->seen >> F_HASH & 1))
        return EF_ALG_SHA256;
    span s = lf->field[F_HASH];
    for (size_t i = 0; i < sizeof banks / sizeof banks[0]; i++)
        if (strlen(banks[i].name) == s.n && memcmp(banks[i].name, s.p, s.n) == 0)
            return banks[i].alg;
    return 0;
}

/* ---- the block ---- */

enum { C_QUOTE, C_SIG, C_NONCE, C_PCR_INDEX, C_PCR_VALUE, C_POLICY_INDEX, C_POLICY_VALUE, C_IDS, C_COLUMNS };

typedef struct {
    ef_scan pub; /* first: the caller's ef_scan * is this */
    column col[C_COLUMNS];
    uint32_t *len[C_IDS]; /* per line, per column */
    uint32_t *id_start, *id_len;
    uint16_t *bank;
    uint8_t *flags;
    uint32_t *key_index;
} scan_impl;

void ef_scan_free(ef_scan *scan)
{
    scan_impl *s = (scan_impl *)scan;
    if (s == NULL)
        return;
    for (int k = 0; k < C_COLUMNS; k++)
        free(s->col[k].p);
    for (int k = 0; k < C_IDS; k++)
        free(s->len[k]);
    free(s->id_start);
    free(s->id_len);
    free(s->bank);
    free(s->flags);
    free(s->key_index);
    free(s->pub.fallback);
    free(s->pub.out.status);
    free(s->pub.out.mismatch);
    free(s->pub.out.clock);
    free(s->pub.out.reset_count);
    free(s->pub.out.restart_count);
    free(s->pub.out.safe);
    free(s->pub.out.firmware);
    free(s->pub.verdicts);
    free(s->pub.verdict_end);
    free(s);
}

static int decode_map(column *index, column *values, const pcr_map *m, size_t size, uint32_t *count, uint32_t *bytes)
{
    for (uint32_t k = 0; k < m->count; k++)
        if (m->value[k].n != 2 * size || hex_decode(m->value[k], values->p + values->len + (size_t)k * size) != 0)
            return -1;
    memcpy(index->p + index->len, m->index, m->count);
    *count = m->count;
    *bytes = (uint32_t)(m->count * size);
    return 0;
}

/* Decodes line i into the columns, committing its lengths only if all of it decodes. */
static int decode_line(scan_impl *s, ef_scanner *sc, size_t i, const uint8_t *p, const uint8_t *end)
{
    line_fields lf;
    if (read_line(p, end, &lf) != 0)
        return -1;
    uint16_t bank = bank_of(&lf);
    size_t size = ef_hash_size(bank);
    if (size == 0)
        return -1;
    size_t room = (size_t)(end - p) + 1;
    for (int k = 0; k < C_COLUMNS; k++)
        if (reserve(&s->col[k], room) != 0)
            return -2;
    column *col = s->col;
    long q = base64_decode(lf.field[F_QUOTE], col[C_QUOTE].p + col[C_QUOTE].len);
    long g = base64_decode(lf.field[F_SIG], col[C_SIG].p + col[C_SIG].len);
    span nonce = lf.field[F_NONCE];
    uint32_t pcr_count = 0, pcr_bytes = 0, policy_count = 0, policy_bytes = 0;
    if (q < 0 || g < 0 || hex_decode(nonce, col[C_NONCE].p + col[C_NONCE].len) != 0
        || decode_map(&col[C_PCR_INDEX], &col[C_PCR_VALUE], &lf.pcrs, size, &pcr_count, &pcr_bytes) != 0
        || (lf.has_policy
            && decode_map(&col[C_POLICY_INDEX], &col[C_POLICY_VALUE], &lf.policy, size, &policy_count, &policy_bytes)
                   != 0))
        return -1;
    long slot = intern(sc, lf.field[F_AK].p, lf.field[F_AK].n);
    if (slot < 0)
        return -1;
    span id = lf.field[F_DEVICE];
    memcpy(col[C_IDS].p + col[C_IDS].len, id.p, id.n);
    s->id_start[i] = (uint32_t)col[C_IDS].len;
    s->id_len[i] = (uint32_t)id.n;
    const uint32_t lens[C_IDS] = {(uint32_t)q, (uint32_t)g, (uint32_t)(nonce.n / 2), pcr_count, pcr_bytes,
                                  policy_count, policy_bytes};
    for (int k = 0; k < C_COLUMNS; k++) {
        size_t n = k == C_IDS ? id.n : lens[k];
        col[k].len += n;
        if (k < C_IDS)
            s->len[k][i] = (uint32_t)n;
    }
    s->bank[i] = bank;
    s->key_index[i] = (uint32_t)slot;
    return 0;
}

ef_scan *ef_scan_block(ef_scanner *sc, const uint8_t *text, size_t len)
{
    if (sc == NULL || (text == NULL && len > 0) || len > UINT32_MAX - 1)
        return NULL;
    if (text == NULL)
        text = (const uint8_t *)""; /* no arithmetic on NULL below */
    if (pthread_once(&tables_once, init_tables) != 0)
        return NULL;
    size_t lines = 1;
    for (const uint8_t *at = text; (at = memchr(at, '\n', (size_t)(text + len - at))) != NULL; at++)
        lines++;
    scan_impl *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    ef_scan *pub = &s->pub;
    pub->lines = lines;
    int ok = 1;
#define ALLOC(ptr) ok &= ((ptr) = calloc(lines, sizeof *(ptr))) != NULL
    for (int k = 0; k < C_IDS; k++)
        ALLOC(s->len[k]);
    ALLOC(s->id_start);
    ALLOC(s->id_len);
    ALLOC(s->bank);
    ALLOC(s->flags);
    ALLOC(s->key_index);
    ALLOC(pub->fallback);
    ALLOC(pub->out.status);
    ALLOC(pub->out.mismatch);
    ALLOC(pub->out.clock);
    ALLOC(pub->out.reset_count);
    ALLOC(pub->out.restart_count);
    ALLOC(pub->out.safe);
    ALLOC(pub->out.firmware);
    ALLOC(pub->verdict_end);
#undef ALLOC
    for (int k = 0; k < C_COLUMNS; k++)
        ok &= reserve(&s->col[k], 1) == 0; /* never NULL, even when empty */
    if (!ok) {
        ef_scan_free(pub);
        return NULL;
    }
    const uint8_t *p = text, *stop = text + len;
    for (size_t i = 0; i < lines; i++) {
        const uint8_t *end = memchr(p, '\n', (size_t)(stop - p));
        if (end == NULL)
            end = stop;
        int rc = decode_line(s, sc, i, p, end);
        if (rc == -2) {
            ef_scan_free(pub);
            return NULL;
        }
        if (rc != 0) {
            pub->fallback[i] = 1;
            s->flags[i] = EF_Q_MALFORMED;
            pub->fallback_count++;
        }
        p = end < stop ? end + 1 : stop;
    }
    ef_batch *b = &pub->batch;
    b->count = lines;
    b->quote = s->col[C_QUOTE].p, b->quote_size = s->col[C_QUOTE].len, b->quote_len = s->len[C_QUOTE];
    b->sig = s->col[C_SIG].p, b->sig_size = s->col[C_SIG].len, b->sig_len = s->len[C_SIG];
    b->nonce = s->col[C_NONCE].p, b->nonce_size = s->col[C_NONCE].len, b->nonce_len = s->len[C_NONCE];
    b->bank = s->bank;
    b->pcr_index = s->col[C_PCR_INDEX].p, b->pcr_index_size = s->col[C_PCR_INDEX].len;
    b->pcr_count = s->len[C_PCR_INDEX];
    b->pcr_value = s->col[C_PCR_VALUE].p, b->pcr_value_size = s->col[C_PCR_VALUE].len;
    b->pcr_value_len = s->len[C_PCR_VALUE];
    b->policy_index = s->col[C_POLICY_INDEX].p, b->policy_index_size = s->col[C_POLICY_INDEX].len;
    b->policy_count = s->len[C_POLICY_INDEX];
    b->policy_value = s->col[C_POLICY_VALUE].p, b->policy_value_size = s->col[C_POLICY_VALUE].len;
    b->policy_value_len = s->len[C_POLICY_VALUE];
    b->flags = s->flags;
    b->key_index = s->key_index;
    return pub;
}

int ef_scan_demote(ef_scan *scan, const uint8_t *key_bad, size_t count)
{
    scan_impl *s = (scan_impl *)scan;
    if (s == NULL || (key_bad == NULL && count > 0))
        return EF_ERR_ARGS;
    for (size_t i = 0; i < scan->lines; i++) {
        uint32_t slot = s->key_index[i];
        if (!scan->fallback[i] && slot < count && key_bad[slot]) {
            scan->fallback[i] = 1;
            s->flags[i] = EF_Q_MALFORMED;
            scan->fallback_count++;
        }
    }
    return EF_OK;
}

static size_t put(uint8_t *out, const char *text)
{
    size_t n = strlen(text);
    memcpy(out, text, n);
    return n;
}

static size_t put_uint(uint8_t *out, unsigned v)
{
    char digits[12];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t k = 0; k < n; k++)
        out[k] = (uint8_t)digits[n - 1 - k];
    return n;
}

#define VERDICT_FIXED 128 /* the JSON around an id, a reason and up to 32 PCR numbers (< 3 bytes each) */

int ef_scan_verdicts(ef_scan *scan, const char *const *reasons, size_t count)
{
    scan_impl *s = (scan_impl *)scan;
    if (s == NULL || reasons == NULL || count > 16)
        return EF_ERR_ARGS;
    size_t longest = 0;
    for (size_t st = 1; st < count; st++) {
        size_t n = reasons[st] ? strlen(reasons[st]) : 0;
        longest = n > longest ? n : longest;
    }
    size_t need = s->col[C_IDS].len + 1;
    for (size_t i = 0; i < scan->lines; i++)
        need += scan->fallback[i] ? 0 : VERDICT_FIXED + longest + 3 * EF_MAX_PCRS;
    if (need > UINT32_MAX)
        return EF_ERR_ARGS;
    uint8_t *out = realloc(scan->verdicts, need);
    if (out == NULL)
        return EF_ERR_NOMEM;
    scan->verdicts = out;
    memset(scan->status_count, 0, sizeof scan->status_count);
    size_t o = 0;
    const uint8_t *ids = s->col[C_IDS].p;
    for (size_t i = 0; i < scan->lines; i++) {
        if (!scan->fallback[i]) {
            uint8_t st = scan->out.status[i];
            if (st >= count || (st != EF_ST_OK && reasons[st] == NULL))
                return EF_ERR_ARGS;
            scan->status_count[st]++;
            o += put(out + o, "{\"device_id\":\"");
            memcpy(out + o, ids + s->id_start[i], s->id_len[i]);
            o += s->id_len[i];
            if (st == EF_ST_OK) {
                o += put(out + o, "\",\"status\":\"success\",\"reasons\":[]}\n");
            } else {
                o += put(out + o, "\",\"status\":\"failed\",\"reasons\":[\"");
                o += put(out + o, reasons[st]);
                o += put(out + o, "\"]");
                uint32_t bits = st == EF_ST_POLICY_MISMATCH ? scan->out.mismatch[i] : 0;
                if (bits) {
                    o += put(out + o, ",\"mismatched_pcrs\":[");
                    for (unsigned pcr = 0, first = 1; pcr < EF_MAX_PCRS; pcr++) {
                        if (!(bits >> pcr & 1))
                            continue;
                        if (!first)
                            out[o++] = ',';
                        first = 0;
                        o += put_uint(out + o, pcr);
                    }
                    out[o++] = ']';
                }
                o += put(out + o, "}\n");
            }
        }
        scan->verdict_end[i] = (uint32_t)o;
    }
    scan->verdicts_len = o;
    return EF_OK;
}
