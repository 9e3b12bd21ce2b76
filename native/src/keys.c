/* Attestation keys: SubjectPublicKeyInfo parsed once per distinct key, then shared read-only by every
   thread (an EVP_PKEY is safe to use concurrently as long as nobody mutates it).

   A key also keeps a few initialised verify contexts for reuse by whichever thread verifies with it
   next: setting one up costs OpenSSL 3 several microseconds (provider fetches under locks), which in a
   fleet of many keys, each seen a few times per batch, would otherwise be paid on most quotes. */
#include "edgefleet_native.h"

#include <pthread.h>
#include <stdlib.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#define EF_KEY_POOL 4 /* contexts kept per key: one per thread verifying with it at once is plenty */

struct ef_key {
    EVP_PKEY *pkey;
    int type;
    BIGNUM *order; /* ECDSA r and s must lie in (0, order); NULL for RSA */
    pthread_mutex_t lock; /* guards the pool only: everything above is immutable after loading */
    struct {
        EVP_PKEY_CTX *ctx;
        uint16_t scheme, hash;
    } pool[EF_KEY_POOL];
    int pooled;
};

/* The curve order, looked up from the group name so that no deprecated EC_KEY access is needed. */
static BIGNUM *curve_order(const EVP_PKEY *pkey)
{
    char name[80];
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, NULL) != 1)
        return NULL; /* explicit curve parameters: not something a TPM produces */
    int nid = OBJ_txt2nid(name);
    if (nid == NID_undef)
        nid = EC_curve_nist2nid(name);
    EC_GROUP *group = nid == NID_undef ? NULL : EC_GROUP_new_by_curve_name(nid);
    BIGNUM *order = group ? BN_dup(EC_GROUP_get0_order(group)) : NULL;
    EC_GROUP_free(group);
    return order;
}

/* OpenSSL 3's d2i_PUBKEY builds a decoder chain on every call, which costs four times the decoding
   itself; one chain, built once and used under a lock, decodes a fleet's thousands of keys. */
static pthread_mutex_t decoder_lock = PTHREAD_MUTEX_INITIALIZER;
static OSSL_DECODER_CTX *decoder;
static EVP_PKEY *decoded; /* where `decoder` puts its key */

static EVP_PKEY *decode_spki(const uint8_t *spki, size_t len)
{
    const unsigned char *p = spki;
    size_t left = len;
    EVP_PKEY *pkey = NULL;
    pthread_mutex_lock(&decoder_lock);
    if (decoder == NULL)
        decoder = OSSL_DECODER_CTX_new_for_pkey(&decoded, "DER", "SubjectPublicKeyInfo", NULL,
                                                EVP_PKEY_PUBLIC_KEY, NULL, NULL);
    if (decoder != NULL) {
        decoded = NULL;
        if (OSSL_DECODER_from_data(decoder, &p, &left) == 1)
            pkey = decoded;
        decoded = NULL;
    }
    pthread_mutex_unlock(&decoder_lock);
    if (pkey == NULL) { /* no chain, or it refused: d2i_PUBKEY has the last word */
        ERR_clear_error();
        p = spki;
        pkey = d2i_PUBKEY(NULL, &p, (long)len);
        left = pkey == NULL ? len : (size_t)(spki + len - p);
    }
    /* Exact parsing: a DER key followed by trailing bytes is not the key that was enrolled. */
    if (pkey != NULL && left != 0) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    return pkey;
}

ef_key *ef_key_load(const uint8_t *spki, size_t len)
{
    if (spki == NULL || len == 0 || len > (size_t)INT32_MAX)
        return NULL;
    EVP_PKEY *pkey = decode_spki(spki, len);
    if (pkey == NULL)
        return NULL;
    ef_key *key = calloc(1, sizeof *key);
    if (key == NULL) {
        EVP_PKEY_free(pkey);
        return NULL;
    }
    key->pkey = pkey;
    if (pthread_mutex_init(&key->lock, NULL) != 0) {
        EVP_PKEY_free(pkey);
        free(key);
        return NULL;
    }
    switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_RSA:
        key->type = EF_KEY_RSA;
        break;
    case EVP_PKEY_EC:
        key->type = EF_KEY_ECC;
        key->order = curve_order(pkey);
        if (key->order != NULL)
            break;
        /* fall through: an EC key without a named curve is unusable */
    default:
        ef_key_free(key);
        return NULL;
    }
    return key;
}

int ef_key_type(const ef_key *key)
{
    return key == NULL ? 0 : key->type;
}

void ef_key_free(ef_key *key)
{
    if (key == NULL)
        return;
    for (int i = 0; i < key->pooled; i++)
        EVP_PKEY_CTX_free(key->pool[i].ctx);
    pthread_mutex_destroy(&key->lock);
    EVP_PKEY_free(key->pkey);
    BN_free(key->order);
    free(key);
}

EVP_PKEY_CTX *ef_key_ctx_take(const ef_key *key, uint16_t scheme, uint16_t hash)
{
    ef_key *k = (ef_key *)key; /* the pool is the one mutable part, under its lock */
    EVP_PKEY_CTX *ctx = NULL;
    pthread_mutex_lock(&k->lock);
    for (int i = 0; i < k->pooled; i++) {
        if (k->pool[i].scheme == scheme && k->pool[i].hash == hash) {
            ctx = k->pool[i].ctx;
            k->pool[i] = k->pool[--k->pooled];
            break;
        }
    }
    pthread_mutex_unlock(&k->lock);
    return ctx;
}

void ef_key_ctx_give(const ef_key *key, EVP_PKEY_CTX *ctx, uint16_t scheme, uint16_t hash)
{
    ef_key *k = (ef_key *)key;
    pthread_mutex_lock(&k->lock);
    if (k->pooled < EF_KEY_POOL) {
        k->pool[k->pooled].ctx = ctx;
        k->pool[k->pooled].scheme = scheme;
        k->pool[k->pooled].hash = hash;
        k->pooled++;
        ctx = NULL;
    }
    pthread_mutex_unlock(&k->lock);
    EVP_PKEY_CTX_free(ctx); /* the pool was full */
}

EVP_PKEY *ef_key_pkey(const ef_key *key)
{
    return key->pkey;
}

const BIGNUM *ef_key_order(const ef_key *key)
{
    return key->order;
}
