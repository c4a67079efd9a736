/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Sealing without the TPM, as systemd 255's --tpm2-device-key= does: the object is made here as a
 * duplicate for the storage root key whose public part is given, and the TPM takes it in with
 * TPM2_Import when it unseals (tpm2/unseal.c). tpm2-tss has no such function (it only marshals), so
 * the steps of the TPM 2.0 specification (part 1, "Protected Storage" and "Duplication") are written
 * out here over OpenSSL: the seed shared with the SRK (ECDH and KDFe, or RSA-OAEP), the object's
 * public part, and its sensitive part encrypted and HMAC'd with keys KDFa derives from the seed.
 */
#include "enroll/offline.h"

#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <tss2/tss2_mu.h>

#include "base/util.h"
#include "enroll/srk.h"
#include "tpm2/pcr.h"

#define SEALED_SECRET_LEN 32
#define SHA256_LEN 32
#define TPM2_CC_POLICY_AUTH_VALUE 0x0000016bu

static int random_bytes(void *out, size_t len, struct token_answer *fail)
{
	if (getrandom(out, len, 0) == (ssize_t)len)
		return 0;
	token_answer_fail(fail, TOKEN_FAIL_HELPER, "no random bytes from the kernel");
	return -EIO;
}

static void be32(uint8_t out[4], uint32_t v)
{
	out[0] = (uint8_t)(v >> 24), out[1] = (uint8_t)(v >> 16), out[2] = (uint8_t)(v >> 8), out[3] = (uint8_t)v;
}

/* KDFa (SP 800-108 counter mode, HMAC-SHA256): HMAC(key, [i] || label || 0 || u || v || [bits]). */
static int kdfa(const uint8_t *key, size_t key_len, const char *label, const uint8_t *u, size_t u_len,
		uint8_t *out, size_t bits)
{
	uint8_t block[SHA256_LEN], msg[4 + 16 + 1 + sizeof(TPMU_NAME) + 4];
	size_t label_len = strlen(label) + 1, done = 0;

	if (label_len > 16 || u_len > sizeof(TPMU_NAME))
		return -EINVAL;
	for (uint32_t i = 1; done < bits / 8; i++) {
		size_t n = 0;
		unsigned int len = 0;
		be32(msg, i), n = 4;
		memcpy(msg + n, label, label_len), n += label_len;
		if (u_len)
			memcpy(msg + n, u, u_len), n += u_len;
		be32(msg + n, (uint32_t)bits), n += 4;
		if (!HMAC(EVP_sha256(), key, (int)key_len, msg, n, block, &len))
			return -EIO;
		memcpy(out + done, block, MIN(sizeof(block), bits / 8 - done));
		done += MIN(sizeof(block), bits / 8 - done);
	}
	explicit_bzero(block, sizeof(block));
	return 0;
}

/* KDFe (SP 800-56A concatenation, SHA-256) for one block: H([1] || Z || "DUPLICATE" 0 || u || v). */
static int kdfe(const uint8_t *z, size_t z_len, const uint8_t *u, size_t u_len, const uint8_t *v, size_t v_len,
		uint8_t out[SHA256_LEN])
{
	static const char label[] = "DUPLICATE";
	uint8_t counter[4];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok;

	be32(counter, 1);
	ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) && EVP_DigestUpdate(md, counter, 4) &&
	     EVP_DigestUpdate(md, z, z_len) && EVP_DigestUpdate(md, label, sizeof(label)) && EVP_DigestUpdate(md, u, u_len) &&
	     EVP_DigestUpdate(md, v, v_len) && EVP_DigestFinal_ex(md, out, NULL);
	EVP_MD_CTX_free(md);
	return ok ? 0 : -EIO;
}

static EVP_PKEY *pkey_from_params(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = bld ? OSSL_PARAM_BLD_to_param(bld) : NULL;
	EVP_PKEY_CTX *ctx = params ? EVP_PKEY_CTX_new_from_name(NULL, type, NULL) : NULL;
	EVP_PKEY *pk = NULL;

	if (ctx && EVP_PKEY_fromdata_init(ctx) > 0)
		EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return pk;
}

/* The SRK as OpenSSL's key: P-256 from its point, or RSA from its modulus (exponent 0: 65537). */
static EVP_PKEY *srk_pkey(const TPMT_PUBLIC *srk)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *n = NULL, *e = NULL;
	EVP_PKEY *pk = NULL;

	if (!bld)
		return NULL;
	if (srk->type == TPM2_ALG_ECC) {
		const TPMS_ECC_POINT *p = &srk->unique.ecc;
		uint8_t point[1 + 2 * 32] = { 4 };
		if (srk->parameters.eccDetail.curveID != TPM2_ECC_NIST_P256 || p->x.size != 32 || p->y.size != 32) {
			OSSL_PARAM_BLD_free(bld);
			return NULL;
		}
		memcpy(point + 1, p->x.buffer, 32);
		memcpy(point + 33, p->y.buffer, 32);
		OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
		OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point));
		return pkey_from_params("EC", bld);
	}
	n = BN_bin2bn(srk->unique.rsa.buffer, srk->unique.rsa.size, NULL);
	e = BN_new();
	if (n && e && BN_set_word(e, srk->parameters.rsaDetail.exponent ? srk->parameters.rsaDetail.exponent : 65537) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
		pk = pkey_from_params("RSA", bld);
	else
		OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return pk;
}

/* ECC: an ephemeral key's point goes in the blob; the seed is KDFe of the ECDH secret. */
static int seed_ecc(EVP_PKEY *srk, const TPMT_PUBLIC *srk_public, uint8_t seed[SHA256_LEN], TPM2B_ENCRYPTED_SECRET *enc)
{
	EVP_PKEY *eph = EVP_EC_gen("prime256v1");
	EVP_PKEY_CTX *ctx = eph ? EVP_PKEY_CTX_new(eph, NULL) : NULL;
	BIGNUM *x = NULL, *y = NULL;
	TPMS_ECC_POINT point = { .x.size = 32, .y.size = 32 };
	uint8_t z[32];
	size_t z_len = sizeof(z), offset = 0;
	int r = -EIO;

	if (ctx && EVP_PKEY_derive_init(ctx) > 0 && EVP_PKEY_derive_set_peer(ctx, srk) > 0 &&
	    EVP_PKEY_derive(ctx, z, &z_len) > 0 && z_len == 32 && EVP_PKEY_get_bn_param(eph, OSSL_PKEY_PARAM_EC_PUB_X, &x) &&
	    EVP_PKEY_get_bn_param(eph, OSSL_PKEY_PARAM_EC_PUB_Y, &y) && BN_bn2binpad(x, point.x.buffer, 32) == 32 &&
	    BN_bn2binpad(y, point.y.buffer, 32) == 32 &&
	    kdfe(z, z_len, point.x.buffer, 32, srk_public->unique.ecc.x.buffer, srk_public->unique.ecc.x.size, seed) == 0 &&
	    Tss2_MU_TPMS_ECC_POINT_Marshal(&point, enc->secret, sizeof(enc->secret), &offset) == TSS2_RC_SUCCESS) {
		enc->size = (UINT16)offset;
		r = 0;
	}
	explicit_bzero(z, sizeof(z));
	BN_free(x);
	BN_free(y);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(eph);
	return r;
}

/* RSA: a random seed, RSA-OAEP (SHA-256) encrypted with the label "DUPLICATE" and its NUL. */
static int seed_rsa(EVP_PKEY *srk, uint8_t seed[SHA256_LEN], TPM2B_ENCRYPTED_SECRET *enc, struct token_answer *fail)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(srk, NULL);
	void *label = OPENSSL_memdup("DUPLICATE", sizeof("DUPLICATE"));
	size_t len = sizeof(enc->secret);
	int r = random_bytes(seed, SHA256_LEN, fail);

	if (r == 0 && ctx && label && EVP_PKEY_encrypt_init(ctx) > 0 && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) > 0 &&
	    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) > 0 && EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) > 0 &&
	    EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, label, sizeof("DUPLICATE")) > 0) {
		label = NULL; /* the context owns it now */
		if (EVP_PKEY_encrypt(ctx, enc->secret, &len, seed, SHA256_LEN) > 0)
			enc->size = (UINT16)len;
		else
			r = -EIO;
	} else if (r == 0)
		r = -EIO;
	OPENSSL_free(label);
	EVP_PKEY_CTX_free(ctx);
	return r;
}

static int srk_load(const char *path, TPM2B_PUBLIC *srk, struct token_answer *fail)
{
	uint8_t buf[sizeof(TPM2B_PUBLIC) + 1];
	FILE *f = fopen(path, "re");
	size_t n = f ? fread(buf, 1, sizeof(buf), f) : 0, offset = 0;

	if (!f) {
		token_answer_fail(fail, TOKEN_FAIL_BAD_TOKEN, "cannot read %s: %s", path, strerror(errno));
		return -ENOENT;
	}
	fclose(f);
	memset(srk, 0, sizeof(*srk));
	if (n == 0 || Tss2_MU_TPM2B_PUBLIC_Unmarshal(buf, n, &offset, srk) != TSS2_RC_SUCCESS || offset != n) {
		token_answer_fail(fail, TOKEN_FAIL_BAD_TOKEN, "%s is not a storage root key's TPM2B_PUBLIC (systemd-analyze srk > FILE makes one)", path);
		return -EINVAL;
	}
	if (srk->publicArea.nameAlg != TPM2_ALG_SHA256 || srk->publicArea.parameters.asymDetail.symmetric.algorithm != TPM2_ALG_AES ||
	    srk->publicArea.parameters.asymDetail.symmetric.keyBits.aes != 128 ||
	    srk->publicArea.parameters.asymDetail.symmetric.mode.aes != TPM2_ALG_CFB ||
	    (srk->publicArea.type != TPM2_ALG_ECC && srk->publicArea.type != TPM2_ALG_RSA)) {
		token_answer_fail(fail, TOKEN_FAIL_UNSUPPORTED, "%s: only SHA-256, AES-128-CFB storage keys of ECC P-256 or RSA are supported", path);
		return -EOPNOTSUPP;
	}
	return 0;
}

static int digest_extend(uint8_t digest[SHA256_LEN], const void *data, size_t len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) && EVP_DigestUpdate(md, digest, SHA256_LEN) &&
		 EVP_DigestUpdate(md, data, len) && EVP_DigestFinal_ex(md, digest, NULL);

	EVP_MD_CTX_free(md);
	return ok ? 0 : -EIO;
}

/* The policy digest a TPM would compute: PolicyPCR over the given values, then PolicyAuthValue. */
static int policy_calculate(const struct seal_request *req, TPM2B_DIGEST *policy, struct token_answer *fail)
{
	uint8_t cc[4];
	TPM2B_DIGEST pcrs;
	int r = 0;

	*policy = (TPM2B_DIGEST){ .size = SHA256_LEN };
	if (req->pcr_mask && (r = tpm2_pcr_digest(NULL, req, &pcrs, fail)) == 0)
		r = tpm2_policy_pcr_compute(policy, req->pcr_mask, req->bank, pcrs.buffer);
	if (r == 0 && req->pin) {
		be32(cc, TPM2_CC_POLICY_AUTH_VALUE);
		r = digest_extend(policy->buffer, cc, sizeof(cc));
	}
	return r;
}

/* The object's public part: a keyed hash with the SRK's name algorithm, no attributes (a duplicate
 * cannot be fixedTPM), the policy, and unique = H(seed || secret) as the TPM checks on import. */
static int object_public(const uint8_t seed[SHA256_LEN], const uint8_t *secret, const TPM2B_DIGEST *policy,
			 TPM2B_PUBLIC *pub, TPM2B_NAME *name)
{
	uint8_t marshalled[sizeof(TPMT_PUBLIC)];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t n = 0;
	int ok;

	*pub = (TPM2B_PUBLIC){ .size = sizeof(TPMT_PUBLIC), .publicArea = {
		.type = TPM2_ALG_KEYEDHASH, .nameAlg = TPM2_ALG_SHA256, .authPolicy = *policy,
		.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL, .unique.keyedHash.size = SHA256_LEN,
	} };
	ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) && EVP_DigestUpdate(md, seed, SHA256_LEN) &&
	     EVP_DigestUpdate(md, secret, SEALED_SECRET_LEN) && EVP_DigestFinal_ex(md, pub->publicArea.unique.keyedHash.buffer, NULL);
	EVP_MD_CTX_free(md);
	/* the name: the name algorithm, then the digest of the marshalled public area */
	ok = ok && Tss2_MU_TPMT_PUBLIC_Marshal(&pub->publicArea, marshalled, sizeof(marshalled), &n) == TSS2_RC_SUCCESS;
	name->size = 2 + SHA256_LEN;
	name->name[0] = TPM2_ALG_SHA256 >> 8, name->name[1] = TPM2_ALG_SHA256 & 0xff;
	ok = ok && EVP_Digest(marshalled, n, name->name + 2, NULL, EVP_sha256(), NULL);
	return ok ? 0 : -EIO;
}

/* The duplicate: TPM2B(outer HMAC) || AES-128-CFB(TPM2B_SENSITIVE), keys from the seed. */
static int object_private(const uint8_t seed[SHA256_LEN], const uint8_t *secret, const TPM2B_AUTH *auth,
			  const TPM2B_NAME *name, TPM2B_PRIVATE *priv)
{
	TPM2B_SENSITIVE sensitive = { .size = sizeof(TPMT_SENSITIVE), .sensitiveArea = {
		.sensitiveType = TPM2_ALG_KEYEDHASH, .authValue = *auth,
		.seedValue.size = SHA256_LEN, .sensitive.bits.size = SEALED_SECRET_LEN,
	} };
	uint8_t plain[sizeof(TPM2B_SENSITIVE)], *enc, storage[16], integrity[SHA256_LEN], hmac_in[sizeof(plain) + sizeof(TPMU_NAME)];
	TPM2B_DIGEST outer = { .size = SHA256_LEN };
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	size_t n = 0, off = 0;
	unsigned int hlen = 0;
	int len = 0, ok;

	memcpy(sensitive.sensitiveArea.seedValue.buffer, seed, SHA256_LEN);
	memcpy(sensitive.sensitiveArea.sensitive.bits.buffer, secret, SEALED_SECRET_LEN);
	ok = c && Tss2_MU_TPM2B_SENSITIVE_Marshal(&sensitive, plain, sizeof(plain), &n) == TSS2_RC_SUCCESS &&
	     kdfa(seed, SHA256_LEN, "STORAGE", name->name, name->size, storage, 128) == 0 &&
	     kdfa(seed, SHA256_LEN, "INTEGRITY", NULL, 0, integrity, 8 * SHA256_LEN) == 0 &&
	     Tss2_MU_UINT16_Marshal(SHA256_LEN, priv->buffer, sizeof(priv->buffer), &off) == TSS2_RC_SUCCESS;
	enc = priv->buffer + off + SHA256_LEN;
	ok = ok && off + SHA256_LEN + n <= sizeof(priv->buffer) &&
	     EVP_EncryptInit_ex(c, EVP_aes_128_cfb128(), NULL, storage, (const uint8_t[16]){ 0 }) &&
	     EVP_EncryptUpdate(c, enc, &len, plain, (int)n) && (size_t)len == n;
	if (ok) {
		memcpy(hmac_in, enc, n);
		memcpy(hmac_in + n, name->name, name->size);
		ok = HMAC(EVP_sha256(), integrity, sizeof(integrity), hmac_in, n + name->size, outer.buffer, &hlen) && hlen == SHA256_LEN;
	}
	if (ok) {
		memcpy(priv->buffer + off, outer.buffer, SHA256_LEN);
		priv->size = (UINT16)(off + SHA256_LEN + n);
	}
	explicit_bzero(&sensitive, sizeof(sensitive));
	explicit_bzero(plain, sizeof(plain));
	explicit_bzero(storage, sizeof(storage));
	explicit_bzero(integrity, sizeof(integrity));
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -EIO;
}

/* What systemd's tpm2_srk holds: the handle, the name, ESYS's resource type (1: a key), the public part. */
static int srk_serialize(const TPM2B_PUBLIC *srk, struct tpm2_token *t)
{
	uint8_t marshalled[sizeof(TPMT_PUBLIC)];
	TPM2B_NAME name = { .size = 2 + SHA256_LEN, .name = { TPM2_ALG_SHA256 >> 8, TPM2_ALG_SHA256 & 0xff } };
	size_t n = 0, off = 0;

	if (Tss2_MU_TPMT_PUBLIC_Marshal(&srk->publicArea, marshalled, sizeof(marshalled), &n) != TSS2_RC_SUCCESS ||
	    !EVP_Digest(marshalled, n, name.name + 2, NULL, EVP_sha256(), NULL) ||
	    Tss2_MU_TPM2_HANDLE_Marshal(TPM2_SRK_HANDLE, t->srk, sizeof(t->srk), &off) != TSS2_RC_SUCCESS ||
	    Tss2_MU_TPM2B_NAME_Marshal(&name, t->srk, sizeof(t->srk), &off) != TSS2_RC_SUCCESS ||
	    Tss2_MU_UINT32_Marshal(1, t->srk, sizeof(t->srk), &off) != TSS2_RC_SUCCESS ||
	    Tss2_MU_TPM2B_PUBLIC_Marshal(srk, t->srk, sizeof(t->srk), &off) != TSS2_RC_SUCCESS)
		return -EIO;
	t->srk_len = off;
	return 0;
}

static int blob_marshal(const TPM2B_PRIVATE *priv, const TPM2B_PUBLIC *pub, const TPM2B_ENCRYPTED_SECRET *seed,
			struct tpm2_token *t)
{
	size_t off = 0;

	if (Tss2_MU_TPM2B_PRIVATE_Marshal(priv, t->shards[0].blob, sizeof(t->shards[0].blob), &off) != TSS2_RC_SUCCESS ||
	    Tss2_MU_TPM2B_PUBLIC_Marshal(pub, t->shards[0].blob, sizeof(t->shards[0].blob), &off) != TSS2_RC_SUCCESS ||
	    Tss2_MU_TPM2B_ENCRYPTED_SECRET_Marshal(seed, t->shards[0].blob, sizeof(t->shards[0].blob), &off) != TSS2_RC_SUCCESS)
		return -ENOSPC;
	t->shards[0].blob_len = off;
	return 0;
}

struct offline {
	TPM2B_PUBLIC srk, pub;
	TPM2B_NAME name;
	TPM2B_PRIVATE priv;
	TPM2B_ENCRYPTED_SECRET enc_seed;
	TPM2B_DIGEST policy;
	TPM2B_AUTH auth;
	uint8_t seed[SHA256_LEN], secret[SEALED_SECRET_LEN];
};

static int offline_build(const struct seal_request *req, struct tpm2_token *t, struct offline *o, struct token_answer *fail)
{
	EVP_PKEY *srk = NULL;
	int r;

	if ((r = srk_load(req->device_key, &o->srk, fail)) < 0 || (r = policy_calculate(req, &o->policy, fail)) < 0 ||
	    (r = random_bytes(o->secret, sizeof(o->secret), fail)) < 0)
		return r;
	if (!(srk = srk_pkey(&o->srk.publicArea))) {
		token_answer_fail(fail, TOKEN_FAIL_UNSUPPORTED, "%s: the storage root key is not one OpenSSL reads", req->device_key);
		return -EOPNOTSUPP;
	}
	r = o->srk.publicArea.type == TPM2_ALG_ECC ? seed_ecc(srk, &o->srk.publicArea, o->seed, &o->enc_seed)
						   : seed_rsa(srk, o->seed, &o->enc_seed, fail);
	EVP_PKEY_free(srk);
	if (r == 0 && req->pin)
		tpm2_pin_auth(t, req->pin->data, req->pin->len, &o->auth);
	if (r == 0)
		r = object_public(o->seed, o->secret, &o->policy, &o->pub, &o->name);
	if (r == 0)
		r = object_private(o->seed, o->secret, &o->auth, &o->name, &o->priv);
	if (r == 0)
		r = blob_marshal(&o->priv, &o->pub, &o->enc_seed, t);
	if (r == 0)
		r = srk_serialize(&o->srk, t);
	if (r < 0 && !fail->reason[0])
		token_answer_fail(fail, TOKEN_FAIL_HELPER, "the sealed object could not be computed (%s)", strerror(-r));
	return r;
}

int tpm2_seal_offline(const struct seal_request *req, struct tpm2_token *t, struct secret **passphrase,
		      struct token_answer *fail)
{
	static struct offline o;
	int r;

	memset(&o, 0, sizeof(o));
	r = offline_build(req, t, &o, fail);
	if (r == 0) {
		t->primary_alg = o.srk.publicArea.type;
		memcpy(t->shards[0].policy_hash, o.policy.buffer, o.policy.size);
		t->shards[0].policy_hash_len = o.policy.size;
		r = tpm2_passphrase_of(o.secret, sizeof(o.secret), passphrase);
	}
	explicit_bzero(&o, sizeof(o));
	return r;
}
