/* Declarations of the edgefleet native module, in one header.

   The part between CDEF-BEGIN and CDEF-END is the public API: build.py feeds exactly that text to
   cffi's cdef, so the Python binding and the C sources can never disagree. It must stay plain
   declarations and integer #defines (what cffi's parser accepts). The rest is shared by the C
   sources only. */
#ifndef EDGEFLEET_NATIVE_H
#define EDGEFLEET_NATIVE_H

#include <stddef.h>
#include <stdint.h>

/* CDEF-BEGIN */
/* Return codes of the calls themselves (a quote's verdict is a status, not a return code). */
#define EF_OK 0
#define EF_ERR_ARGS -1
#define EF_ERR_CRYPTO -2
#define EF_ERR_NOMEM -3

/* Per-quote status: 0 and 1..7 are REASON_CODES of domain/attestation/evidence.py. */
#define EF_ST_OK 0
#define EF_ST_MALFORMED 1
#define EF_ST_NOT_A_QUOTE 2
#define EF_ST_ALGORITHM_MISMATCH 3
#define EF_ST_BAD_SIGNATURE 4
#define EF_ST_NONCE_MISMATCH 5
#define EF_ST_PCR_DIGEST_MISMATCH 6
#define EF_ST_POLICY_MISMATCH 7
#define EF_ST_UNKNOWN_KEY 8 /* the quote's key slot is NULL: Reason.UNKNOWN_KEY, no REASON_CODE */

#define EF_KEY_RSA 1
#define EF_KEY_ECC 2

/* ef_batch.flags, per quote: facts the wrapper found while flattening. */
#define EF_Q_MALFORMED 1    /* inputs could not be passed at all: status malformed */
#define EF_Q_EXTRA_PCRS 2   /* evidence also reports PCRs outside 0..31: no selection can match */
#define EF_Q_POLICY_EXTRA 4 /* policy entries not passed (index >= 32, wrong size): they mismatch */

/* ef_verify_batch flags, per call. */
#define EF_DIGEST_ONLY 1 /* skip key, algorithm and signature checks (PCR-digest-only checking) */

typedef struct ef_key ef_key;

/* A batch laid out flat: each variable-size field of all quotes back to back in one buffer, with a
   per-quote length array; offsets are prefix sums, so the wrapper never builds offset arrays. Each
   buffer's total size is passed too and checked before anything is read. */
typedef struct {
    size_t count;
    const uint8_t *quote;        size_t quote_size;  const uint32_t *quote_len;
    const uint8_t *sig;          size_t sig_size;    const uint32_t *sig_len;
    const uint8_t *nonce;        size_t nonce_size;  const uint32_t *nonce_len;
    const uint16_t *bank;        /* evidence hash_alg (TPM_ALG_ID): the reported values' bank */
    /* reported PCRs: `pcr_count` index bytes (any order, unique) and the values in the same order */
    const uint8_t *pcr_index;    size_t pcr_index_size;    const uint32_t *pcr_count;
    const uint8_t *pcr_value;    size_t pcr_value_size;    const uint32_t *pcr_value_len;
    /* reference policy, same layout; count 0 means none */
    const uint8_t *policy_index; size_t policy_index_size; const uint32_t *policy_count;
    const uint8_t *policy_value; size_t policy_value_size; const uint32_t *policy_value_len;
    const uint8_t *flags;        /* EF_Q_* */
    const uint32_t *key_index;   /* into the key table below */
    /* key table: one entry per distinct AttestationKey of the batch; keys[i] may be NULL (unknown) */
    ef_key *const *keys;
    const uint16_t *key_scheme;  /* the AK's fixed scheme, 0 = any */
    const uint16_t *key_hash;    /* the AK's hash: signature hash and PCR digest hash */
    size_t key_count;
} ef_batch;

/* Outputs, one element per quote of the whole batch; a call writes only its [start, end) slice. The
   clock fields are filled whenever the quote parsed (status != malformed). */
typedef struct {
    uint8_t *status;
    uint32_t *mismatch; /* policy_mismatch: bit i set when PCR i differs or was not quoted */
    uint64_t *clock;
    uint32_t *reset_count;
    uint32_t *restart_count;
    uint8_t *safe;
    uint64_t *firmware;
} ef_results;

/* SHA-256 over `count` PCR values of `value_len` bytes each, laid out back to back in `values`.
   Writes 32 bytes to `out`. Returns EF_OK or a negative error. */
int ef_pcr_digest_sha256(const uint8_t *values, size_t count, size_t value_len, uint8_t *out);

/* Parses a DER SubjectPublicKeyInfo (exactly, no trailing bytes) into an immutable key usable from
   any thread. NULL when it is not an RSA or EC public key OpenSSL accepts. */
ef_key *ef_key_load(const uint8_t *spki, size_t len);
int ef_key_type(const ef_key *key); /* EF_KEY_RSA or EF_KEY_ECC */
void ef_key_free(ef_key *key);

/* Verifies quotes [start, end) of `batch`, writing their slots of `out`. Reentrant: concurrent calls
   on one batch with disjoint ranges are safe. Returns EF_OK, or a negative error when the batch
   itself is inconsistent (then no status is meaningful). */
int ef_verify_batch(const ef_batch *batch, size_t start, size_t end, unsigned int flags,
                    const ef_results *out);

/* The work of one batch shared out among threads: each ef_verify_claimed call takes the next `grain`
   quotes (an atomic add on `next`) until none are left, so threads that run slower (sharing a core,
   or given costlier quotes) simply take fewer. `next` starts at 0; the struct is the caller's, one
   per batch, and the only thing the calls share. */
typedef struct {
    size_t next;
} ef_claim;

/* Verifies claimed quotes of `batch` until all are claimed, writing their slots of `out`. Returns
   EF_OK, or a negative error (then no output of the batch is meaningful, whoever wrote it).
   `grain` must be 1..1048576. */
int ef_verify_claimed(const ef_batch *batch, ef_claim *claim, size_t grain, unsigned int flags,
                      const ef_results *out);
/* ---- event logs (eventlog.c): TCG PC Client firmware event log parse + replay, many logs per call ---- */

/* Per-log status: 0 replayed, else why the log is unreadable (LogFault of domain/measured_boot). */
#define EF_EL_OK 0
#define EF_EL_TRUNCATED 1
#define EF_EL_LOG_TOO_LARGE 2
#define EF_EL_TOO_MANY_EVENTS 3
#define EF_EL_EVENT_TOO_LARGE 4
#define EF_EL_BAD_SPEC_ID 5
#define EF_EL_UNKNOWN_ALGORITHM 6
#define EF_EL_DIGEST_COUNT 7
#define EF_EL_BAD_PCR_INDEX 8
#define EF_EL_BAD_LOCALITY 9

/* Limits (domain/measured_boot/tcg.py holds the same numbers). */
#define EF_EL_MAX_LOG 8388608
#define EF_EL_MAX_EVENTS 8192
#define EF_EL_MAX_EVENT_DATA 1048576
#define EF_EL_PCRS 24
/* Banks in output order: SHA-1, SHA-256, SHA-384, SHA-512. A log's pcrs slot holds each bank's 24
   values back to back: SHA-1 at 0, SHA-256 at 480, SHA-384 at 1248, SHA-512 at 2400. */
#define EF_EL_BANKS 4
#define EF_EL_PCR_BYTES 3936

/* Logs laid out back to back in `log` (`log_size` bytes in all), log i being `log_len[i]` bytes. */
typedef struct {
    size_t count;
    const uint8_t *log; size_t log_size; const uint32_t *log_len;
} ef_eventlog_batch;

/* Outputs, one slot per log of the whole batch; a call writes only its [start, end) slice. Values are
   meaningful only where status is EF_EL_OK; every PCR starts at zero (as after a DRTM reset for 17..22). */
typedef struct {
    uint8_t *status;    /* EF_EL_* */
    uint32_t *offset;   /* byte offset of the fault */
    uint8_t *banks;     /* bit b: bank b is in the log */
    uint32_t *touched;  /* EF_EL_BANKS per log: bit i when the log extended PCR i (or set it by locality) */
    uint8_t *pcrs;      /* EF_EL_PCR_BYTES per log */
} ef_eventlog_results;

/* Parses and replays logs [start, end) of `batch`. Reentrant: concurrent calls on one batch with
   disjoint ranges are safe. Returns EF_OK, or a negative error when the batch is inconsistent or
   OpenSSL failed (then no output of the range is meaningful). */
int ef_eventlog_replay(const ef_eventlog_batch *batch, size_t start, size_t end, const ef_eventlog_results *out);
/* ---- evidence lines (evidence_scan.c): JSON Lines decoded straight into an ef_batch ---- */

/* Distinct `ak_public` texts of a stream, interned: slot i is the i-th distinct raw JSON string (quotes
   and escapes as written), so the caller converts each distinct key once. Bounded by `max_keys` and
   `max_bytes`: past either, lines with a new key are left to the caller's decoder. One thread at a
   time (the scanning one); the slots' texts never change while the scanner lives. */
typedef struct ef_scanner ef_scanner;
ef_scanner *ef_scanner_new(size_t max_keys, size_t max_bytes);
void ef_scanner_free(ef_scanner *s);
size_t ef_scanner_key_count(const ef_scanner *s);
size_t ef_scanner_key_bytes(const ef_scanner *s);
/* The raw text of slot `slot` (quotes included) and its length; NULL when there is no such slot. */
const uint8_t *ef_scanner_key(const ef_scanner *s, size_t slot, size_t *len);

/* A block of lines (split at '\n'; `lines` is the count of '\n' plus one), one quote per line laid
   out in `batch`, whose key table (keys, key_scheme, key_hash, key_count) the caller fills in from
   the scanner's slots. A line the scanner cannot decode exactly as the reference decoder would (any
   error, escape, duplicate field, unusual value, an event log) is flagged in `fallback`, takes no
   space in the batch and is EF_Q_MALFORMED there: the caller decodes it its own way. */
typedef struct {
    size_t lines;
    size_t fallback_count;
    uint8_t *fallback;
    ef_batch batch;
    ef_results out;
    /* filled by ef_scan_verdicts: one verdict line per decoded line, nothing for fallback lines;
       line i's verdict ends at verdict_end[i] */
    uint8_t *verdicts;
    size_t verdicts_len;
    uint32_t *verdict_end;
    size_t status_count[16]; /* decoded lines per EF_ST_* */
} ef_scan;

/* The i-th field name the scanner knows (NULL past the last): an unknown field's value is ignored, so
   the caller checks that these are all the fields its own decoder knows. */
const char *ef_scan_field(size_t i);
/* NULL when `text` is larger than 4 GiB or memory runs out. */
ef_scan *ef_scan_block(ef_scanner *s, const uint8_t *text, size_t len);
/* Flags as fallback every decoded line whose key slot k has key_bad[k] != 0 (k < count). */
int ef_scan_demote(ef_scan *scan, const uint8_t *key_bad, size_t count);
/* After verification: `{"device_id":...,"status":...,"reasons":[...]}` lines, msgspec's encoding of
   the offline verdict. reasons[st] names status st (1..count-1). EF_ERR_ARGS on an unknown status. */
int ef_scan_verdicts(ef_scan *scan, const char *const *reasons, size_t count);
void ef_scan_free(ef_scan *scan);
/* CDEF-END */

/* ---- internal: shared by the C sources, not part of the cffi binding ---- */

#define EF_TPM_GENERATED 0xFF544347u
#define EF_TPM_ST_ATTEST_QUOTE 0x8018u
#define EF_ALG_SHA1 0x0004u
#define EF_ALG_SHA256 0x000Bu
#define EF_ALG_SHA384 0x000Cu
#define EF_ALG_SHA512 0x000Du
#define EF_ALG_RSASSA 0x0014u
#define EF_ALG_RSAPSS 0x0016u
#define EF_ALG_ECDSA 0x0018u
#define EF_MAX_PCR_BANKS 16
#define EF_MAX_SELECT_BYTES 4
#define EF_MAX_PCRS (EF_MAX_SELECT_BYTES * 8)
#define EF_MAX_DIGEST 64

typedef struct {
    uint16_t hash;
    uint8_t size;
    uint8_t bits[EF_MAX_SELECT_BYTES];
} ef_pcr_select;

/* TPMS_ATTEST read as a quote; pointers point into the parsed buffer. */
typedef struct {
    uint32_t magic;
    uint16_t type;
    const uint8_t *extra;
    size_t extra_len;
    uint64_t clock;
    uint32_t reset_count;
    uint32_t restart_count;
    uint8_t safe;
    uint64_t firmware;
    uint32_t select_count;
    ef_pcr_select select[EF_MAX_PCR_BANKS];
    const uint8_t *digest;
    size_t digest_len;
} ef_attest;

/* TPMT_SIGNATURE: `sig` for RSASSA/RSAPSS, `r` and `s` for ECDSA. */
typedef struct {
    uint16_t scheme;
    uint16_t hash;
    const uint8_t *sig, *r, *s;
    size_t sig_len, r_len, s_len;
} ef_signature;

/* Exact parsing: 0 when the whole buffer is one structure, -1 otherwise (malformed). */
int ef_attest_parse(const uint8_t *data, size_t len, ef_attest *out);
int ef_signature_parse(const uint8_t *data, size_t len, ef_signature *out);

/* Digest size of a TPM hash algorithm, 0 when it is not one of SHA-1/256/384/512. */
size_t ef_hash_size(uint16_t alg);

/* Per-call scratch for verification: fetched digests and verify contexts cached per (key, scheme).
   Lives on one thread for one ef_verify_batch call, so nothing in it is shared. */
typedef struct ef_verifier ef_verifier;
ef_verifier *ef_verifier_new(size_t key_count);
void ef_verifier_free(ef_verifier *v);
/* Hashes `len` bytes with TPM hash `alg` into `out`; returns the digest size, 0 on failure. */
size_t ef_verifier_digest(ef_verifier *v, uint16_t alg, const uint8_t *data, size_t len, uint8_t *out);
/* EF_ST_OK or EF_ST_BAD_SIGNATURE; EF_ERR_* (< 0) when OpenSSL itself failed (allocation). */
int ef_verifier_check(ef_verifier *v, size_t key_slot, const ef_key *key, const ef_signature *sig,
                      const uint8_t *message, size_t message_len);

/* Accessors for keys.c's opaque key. */
struct evp_pkey_st;
struct bignum_st;
struct evp_pkey_st *ef_key_pkey(const ef_key *key);
const struct bignum_st *ef_key_order(const ef_key *key); /* EC group order, NULL for RSA */
/* A verify context set up for (scheme, hash) that the key kept, or NULL; give it back when done (it is
   then kept for the next user, or freed). Thread-safe. */
struct evp_pkey_ctx_st;
struct evp_pkey_ctx_st *ef_key_ctx_take(const ef_key *key, uint16_t scheme, uint16_t hash);
void ef_key_ctx_give(const ef_key *key, struct evp_pkey_ctx_st *ctx, uint16_t scheme, uint16_t hash);

#endif
