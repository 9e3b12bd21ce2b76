/* Digests and signature checks with OpenSSL EVP, using per-call scratch (ef_verifier).

   Setting up an EVP_PKEY_CTX (provider fetch, padding, salt length) costs a sizeable fraction of an
   RSA-2048 verify, so initialised contexts are kept by their key (keys.c) and reused by every later
   quote signed by it, whichever call or thread verifies it; digests reuse one fetched EVP_MD and one
   EVP_MD_CTX per call. The digest scratch belongs to a single call on a single thread. */
#include "edgefleet_native.h"

#include <stdlib.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#define HASH_KINDS 4

struct ef_verifier {
    size_t key_count;
    EVP_MD *md[HASH_KINDS];
    EVP_MD_CTX *mdctx;
};

static int hash_kind(uint16_t alg)
{
    switch (alg) {
    case EF_ALG_SHA1: return 0;
    case EF_ALG_SHA256: return 1;
    case EF_ALG_SHA384: return 2;
    case EF_ALG_SHA512: return 3;
    default: return -1;
    }
}

static const EVP_MD *md_for(ef_verifier *v, uint16_t alg)
{
    static const char *const names[HASH_KINDS] = {"SHA1", "SHA256", "SHA384", "SHA512"};
    int kind = hash_kind(alg);
    if (kind < 0)
        return NULL;
    /* Explicit fetch once per call: the implicit fetch behind EVP_sha256() takes a lock every time. */
    if (v->md[kind] == NULL)
        v->md[kind] = EVP_MD_fetch(NULL, names[kind], NULL);
    return v->md[kind];
}

ef_verifier *ef_verifier_new(size_t key_count)
{
    ef_verifier *v = calloc(1, sizeof *v);
    if (v == NULL)
        return NULL;
    v->key_count = key_count;
    v->mdctx = EVP_MD_CTX_new();
    if (v->mdctx == NULL) {
        free(v);
        return NULL;
    }
    return v;
}

void ef_verifier_free(ef_verifier *v)
{
    if (v == NULL)
        return;
    for (int i = 0; i < HASH_KINDS; i++)
        EVP_MD_free(v->md[i]);
    EVP_MD_CTX_free(v->mdctx);
    free(v);
}

size_t ef_verifier_digest(ef_verifier *v, uint16_t alg, const uint8_t *data, size_t len, uint8_t *out)
{
    const EVP_MD *md = md_for(v, alg);
    unsigned int out_len = 0;
    if (md == NULL || EVP_DigestInit_ex2(v->mdctx, md, NULL) != 1 || EVP_DigestUpdate(v->mdctx, data, len) != 1
        || EVP_DigestFinal_ex(v->mdctx, out, &out_len) != 1)
        return 0;
    return out_len;
}

static EVP_PKEY_CTX *new_ctx(const ef_key *key, uint16_t scheme, const EVP_MD *md)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, ef_key_pkey(key), NULL);
    int ok = ctx != NULL && EVP_PKEY_verify_init(ctx) == 1 && EVP_PKEY_CTX_set_signature_md(ctx, md) == 1;
    if (ok && scheme == EF_ALG_RSASSA)
        ok = EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1;
    else if (ok && scheme == EF_ALG_RSAPSS)
        /* Any salt length, as the reference verifier's PSS.AUTO: TPMs differ in the salt they use. */
        ok = EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) == 1
             && EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) == 1
             && EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_AUTO) == 1;
    if (!ok) {
        EVP_PKEY_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* TPM ECDSA gives bare r and s; EVP wants DER. Out-of-range values are rejected first, as the
   reference verifier does before it encodes them. Returns the DER length, 0 for a bad signature,
   -1 on allocation failure. */
static int ecdsa_der(const ef_key *key, const ef_signature *sig, unsigned char *der, int cap)
{
    const BIGNUM *order = ef_key_order(key);
    BIGNUM *r = BN_bin2bn(sig->r, (int)sig->r_len, NULL);
    BIGNUM *s = BN_bin2bn(sig->s, (int)sig->s_len, NULL);
    ECDSA_SIG *es = ECDSA_SIG_new();
    if (r == NULL || s == NULL || es == NULL) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(es);
        return -1;
    }
    int len = 0;
    if (!BN_is_zero(r) && !BN_is_zero(s) && BN_cmp(r, order) < 0 && BN_cmp(s, order) < 0) {
        ECDSA_SIG_set0(es, r, s); /* es owns r and s from here */
        r = s = NULL;
        len = i2d_ECDSA_SIG(es, NULL);
        if (len > 0 && len <= cap)
            len = i2d_ECDSA_SIG(es, &der);
        else
            len = 0;
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    return len < 0 ? 0 : len;
}

int ef_verifier_check(ef_verifier *v, size_t key_slot, const ef_key *key, const ef_signature *sig,
                      const uint8_t *message, size_t message_len)
{
    if (key_slot >= v->key_count)
        return EF_ERR_ARGS;
    const EVP_MD *md = md_for(v, sig->hash);
    uint8_t digest[EF_MAX_DIGEST];
    size_t digest_len = md == NULL ? 0 : ef_verifier_digest(v, sig->hash, message, message_len, digest);
    if (digest_len == 0)
        return EF_ERR_CRYPTO; /* the caller checked the hash is supported: only allocation fails here */
    /* A context serves one md: the caller checked sig hash == the key's hash. */
    EVP_PKEY_CTX *ctx = ef_key_ctx_take(key, sig->scheme, sig->hash);
    if (ctx == NULL && (ctx = new_ctx(key, sig->scheme, md)) == NULL) {
        ERR_clear_error();
        return EF_ST_BAD_SIGNATURE; /* OpenSSL will not set one up for this key: a failed check, as in
                                       the reference verifier (its ValueError) */
    }
    int ok;
    if (sig->scheme == EF_ALG_ECDSA) {
        unsigned char der[160]; /* SEQUENCE of two INTEGERs below a <= 521-bit order */
        int der_len = ecdsa_der(key, sig, der, (int)sizeof der);
        if (der_len < 0) {
            ef_key_ctx_give(key, ctx, sig->scheme, sig->hash);
            return EF_ERR_NOMEM;
        }
        ok = der_len > 0 && EVP_PKEY_verify(ctx, der, (size_t)der_len, digest, digest_len) == 1;
    } else {
        ok = EVP_PKEY_verify(ctx, sig->sig, sig->sig_len, digest, digest_len) == 1;
    }
    if (!ok)
        ERR_clear_error(); /* a bad signature is a verdict, not an error to leave on this thread's queue */
    ef_key_ctx_give(key, ctx, sig->scheme, sig->hash);
    return ok ? EF_ST_OK : EF_ST_BAD_SIGNATURE;
}
