/* libFuzzer target over the evidence line decoder (native/src/evidence_scan.c) and the verifier on the
   batch it lays out (native/tools/fuzz.sh runs it).

   The input is a block of lines as read from a file. It is scanned twice by one scanner (the second
   time every key is interned already) and once by a scanner that is full at once (every line with a
   key falls back); each batch is verified in full (no usable keys: unknown_key after parsing) and
   digest-only (the nonce, PCR and policy checks run), every other key slot is demoted, and the verdicts
   are written. Nothing may read or write out of bounds, and the scan must agree with itself. */
#include "edgefleet_native.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const REASONS[9] = {NULL, "malformed", "not_a_quote", "algorithm_mismatch", "bad_signature",
                                       "nonce_mismatch", "pcr_digest_mismatch", "policy_mismatch", "unknown_key"};

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_scan: %s\n", what);
        abort();
    }
}

static void exercise(ef_scanner *sc, const uint8_t *data, size_t size, size_t *decoded)
{
    ef_scan *scan = ef_scan_block(sc, data, size);
    check(scan != NULL, "ef_scan_block failed on a small input");
    size_t newlines = 0;
    for (size_t i = 0; i < size; i++)
        newlines += data[i] == '\n';
    check(scan->lines == newlines + 1, "line count");
    size_t keys = ef_scanner_key_count(sc);
    ef_key **table = calloc(keys ? keys : 1, sizeof *table); /* every key unknown */
    uint16_t *schemes = calloc(keys ? keys : 1, sizeof *schemes);
    uint16_t *hashes = calloc(keys ? keys : 1, sizeof *hashes);
    uint8_t *bad = calloc(keys ? keys : 1, 1);
    check(table && schemes && hashes && bad, "allocation");
    for (size_t k = 0; k < keys; k++) {
        hashes[k] = EF_ALG_SHA256;
        bad[k] = k % 2;
    }
    scan->batch.keys = table;
    scan->batch.key_scheme = schemes;
    scan->batch.key_hash = hashes;
    scan->batch.key_count = keys;
    for (unsigned flags = 0; flags <= EF_DIGEST_ONLY; flags++) {
        check(ef_verify_batch(&scan->batch, 0, scan->lines, flags, &scan->out) == EF_OK, "verify refused the scan");
        check(ef_scan_verdicts(scan, REASONS, 9) == EF_OK, "verdicts refused");
        size_t counted = 0;
        for (int st = 0; st < 16; st++)
            counted += scan->status_count[st];
        check(counted == scan->lines - scan->fallback_count, "status counts");
        check(scan->verdicts_len == (scan->lines ? scan->verdict_end[scan->lines - 1] : 0), "verdict ends");
    }
    if (decoded != NULL) {
        if (*decoded == (size_t)-1)
            *decoded = scan->lines - scan->fallback_count;
        else
            check(*decoded == scan->lines - scan->fallback_count, "a second scan decoded other lines");
    }
    check(ef_scan_demote(scan, bad, keys) == EF_OK, "demote");
    check(ef_scan_verdicts(scan, REASONS, 9) == EF_OK, "verdicts after demote");
    ef_scan_free(scan);
    free(table);
    free(schemes);
    free(hashes);
    free(bad);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ef_scanner *sc = ef_scanner_new(64, 1 << 16);
    ef_scanner *full = ef_scanner_new(1, 0);
    check(sc != NULL && full != NULL, "ef_scanner_new");
    size_t decoded = (size_t)-1;
    exercise(sc, data, size, &decoded);
    exercise(sc, data, size, &decoded);
    exercise(full, data, size, NULL);
    for (size_t k = 0; k < ef_scanner_key_count(sc); k++) {
        size_t len = 0;
        const uint8_t *text = ef_scanner_key(sc, k, &len);
        check(text != NULL && len >= 2 && text[0] == '"' && text[len - 1] == '"', "interned key text");
    }
    check(ef_scanner_key_count(full) == 0, "a full scanner took a key");
    ef_scanner_free(sc);
    ef_scanner_free(full);
    return 0;
}
