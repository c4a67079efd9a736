/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <nettle/base64.h>
#include <nettle/pbkdf2.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <string.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>
#include <unistd.h>

#include "base/util.h"
#include "tpm2/blob.h"
#include "tpm2/pcr.h"
#include "tpm2/pcrlock.h"
#include "tpm2/tpm2.h"

#define UNSEAL_PCR_CHANGED_RETRIES 30

const TPMT_SYM_DEF tpm2_session_symmetric = {
	.algorithm = TPM2_ALG_AES,
	.keyBits.aes = 128,
	.mode.aes = TPM2_ALG_CFB,
};

TSS2_RC tpm2_rc_base(TSS2_RC rc)
{
	if (rc & TSS2_RC_LAYER_MASK)
		return rc;
	return rc & TPM2_RC_FMT1 ? rc & (TPM2_RC_FMT1 | 0x3f) : rc;
}

/* systemd's "auto": the first resource-manager device the kernel registered. */
static int tpm2_device_auto(char *out, size_t size)
{
	DIR *d = opendir("/sys/class/tpmrm");
	struct dirent *e;
	int r = -ENODEV;

	while (d && (e = readdir(d)))
		if (strncmp(e->d_name, "tpmrm", 5) == 0) {
			snprintf(out, size, "/dev/%.64s", e->d_name);
			r = 0;
			break;
		}
	if (d)
		closedir(d);
	return r;
}

int tpm2_connect(struct tpm2 *tpm, const char *device, struct token_answer *fail)
{
	char path[TOKEN_DEVICE_MAX], conf[TOKEN_DEVICE_MAX + 16];
	TSS2_RC rc;

	memset(tpm, 0, sizeof(*tpm));
	if (strcmp(device, "auto") == 0 && tpm2_device_auto(path, sizeof(path)) < 0) {
		token_answer_fail(fail, TOKEN_FAIL_NO_DEVICE, "no TPM2 device found (no /sys/class/tpmrm; tpm_tis or tpm_crb not loaded, or no TPM)");
		return -ENODEV;
	}
	if (strcmp(device, "auto") != 0)
		snprintf(path, sizeof(path), "%s", device);
	if (path[0] == '/' && access(path, R_OK | W_OK) < 0) {
		token_answer_fail(fail, TOKEN_FAIL_NO_DEVICE, "TPM2 device %s: %s", path, strerror(errno));
		return -ENODEV;
	}
	snprintf(tpm->device, sizeof(tpm->device), "%s", path);
	snprintf(conf, sizeof(conf), "%s%s", path[0] == '/' ? "device:" : "", path);
	rc = Tss2_TctiLdr_Initialize(conf, &tpm->tcti);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_Initialize(&tpm->esys, tpm->tcti, NULL);
	if (rc == TSS2_RC_SUCCESS) {
		rc = Esys_Startup(tpm->esys, TPM2_SU_CLEAR);
		if (rc == TPM2_RC_INITIALIZE)
			rc = TSS2_RC_SUCCESS;
	}
	if (rc != TSS2_RC_SUCCESS) {
		token_answer_fail(fail, TOKEN_FAIL_NO_DEVICE, "cannot talk to the TPM2 at %s: %s", path, Tss2_RC_Decode(rc));
		tpm2_disconnect(tpm);
		return -EIO;
	}
	return 0;
}

void tpm2_disconnect(struct tpm2 *tpm)
{
	if (tpm->esys)
		Esys_Finalize(&tpm->esys);
	if (tpm->tcti)
		Tss2_TctiLdr_Finalize(&tpm->tcti);
}

void tpm2_handle_flush(struct tpm2 *tpm, ESYS_TR *handle)
{
	if (*handle != ESYS_TR_NONE)
		Esys_FlushContext(tpm->esys, *handle);
	*handle = ESYS_TR_NONE;
}

static const TPM2B_PUBLIC *primary_template(uint16_t alg)
{
	static const TPMA_OBJECT attributes = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT | TPMA_OBJECT_FIXEDTPM |
					      TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
					      TPMA_OBJECT_USERWITHAUTH;
	static const TPM2B_PUBLIC ecc = {
		.size = sizeof(TPMT_PUBLIC),
		.publicArea = {
			.type = TPM2_ALG_ECC,
			.nameAlg = TPM2_ALG_SHA256,
			.objectAttributes = attributes,
			.parameters.eccDetail = {
				.symmetric = { .algorithm = TPM2_ALG_AES, .keyBits.aes = 128, .mode.aes = TPM2_ALG_CFB },
				.scheme.scheme = TPM2_ALG_NULL,
				.curveID = TPM2_ECC_NIST_P256,
				.kdf.scheme = TPM2_ALG_NULL,
			},
		},
	};
	static const TPM2B_PUBLIC rsa = {
		.size = sizeof(TPMT_PUBLIC),
		.publicArea = {
			.type = TPM2_ALG_RSA,
			.nameAlg = TPM2_ALG_SHA256,
			.objectAttributes = attributes,
			.parameters.rsaDetail = {
				.symmetric = { .algorithm = TPM2_ALG_AES, .keyBits.aes = 128, .mode.aes = TPM2_ALG_CFB },
				.scheme.scheme = TPM2_ALG_NULL,
				.keyBits = 2048,
			},
		},
	};
	return alg == TPM2_ALG_RSA ? &rsa : &ecc;
}

/* tpm2_srk: the handle systemd 254+ serialized; its name must still be the TPM's key's. */
static int srk_load(struct tpm2 *tpm, const struct tpm2_token *t, ESYS_TR *parent, struct token_answer *fail)
{
	TPM2B_NAME *stored = NULL, *name = NULL;
	TSS2_RC rc = Esys_TR_Deserialize(tpm->esys, t->srk, t->srk_len, parent);
	bool same = false;

	if (rc != TSS2_RC_SUCCESS) {
		token_answer_fail(fail, TOKEN_FAIL_BAD_TOKEN, "the token's tpm2_srk is not a serialized TPM handle: %s", Tss2_RC_Decode(rc));
		return -EINVAL;
	}
	rc = Esys_TR_GetName(tpm->esys, *parent, &stored);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_ReadPublic(tpm->esys, *parent, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, NULL, &name, NULL);
	if (rc == TSS2_RC_SUCCESS)
		same = stored->size == name->size && memcmp(stored->name, name->name, name->size) == 0;
	Esys_Free(stored);
	Esys_Free(name);
	if (!same) {
		Esys_TR_Close(tpm->esys, parent);
		token_answer_fail(fail, TOKEN_FAIL_DEVICE, "the TPM's storage root key is not the one the token was sealed under (cleared TPM?)");
		return -EPERM;
	}
	return 0;
}

int tpm2_parent_load(struct tpm2 *tpm, const struct tpm2_token *t, ESYS_TR *parent, struct token_answer *fail)
{
	static const TPM2B_SENSITIVE_CREATE sensitive = { 0 };
	static const TPML_PCR_SELECTION creation_pcr = { 0 };
	TSS2_RC rc;

	*parent = ESYS_TR_NONE;
	if (t->srk_len)
		return srk_load(tpm, t, parent, fail);
	rc = Esys_CreatePrimary(tpm->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive,
				primary_template(t->primary_alg), NULL, &creation_pcr, parent, NULL, NULL, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		token_answer_fail(fail, TOKEN_FAIL_DEVICE, "the TPM made no %s primary key: %s",
				  t->primary_alg == TPM2_ALG_RSA ? "RSA" : "ECC", Tss2_RC_Decode(rc));
		return -EIO;
	}
	return 0;
}

void tpm2_pin_auth(const struct tpm2_token *t, const uint8_t *pin, size_t len, TPM2B_AUTH *auth)
{
	uint8_t derived[SHA256_DIGEST_SIZE];
	char text[BASE64_ENCODE_RAW_LENGTH(SHA256_DIGEST_SIZE)];
	struct sha256_ctx c;

	*auth = (TPM2B_AUTH){ .size = SHA256_DIGEST_SIZE };
	sha256_init(&c);
	if (t->salt_len) {
		pbkdf2_hmac_sha256(len, pin, 10000, t->salt_len, t->salt, sizeof(derived), derived);
		base64_encode_raw(text, sizeof(derived), derived);
		sha256_update(&c, sizeof(text), (const uint8_t *)text);
		explicit_bzero(derived, sizeof(derived));
		explicit_bzero(text, sizeof(text));
	} else
		sha256_update(&c, len, pin);
	sha256_digest(&c, SHA256_DIGEST_SIZE, auth->buffer);
	explicit_bzero(&c, sizeof(c));
	/* The TPM drops an authValue's trailing zeros; the HMAC must be keyed as it sees it (systemd 254). */
	while (auth->size > 0 && auth->buffer[auth->size - 1] == 0)
		auth->size--;
}

static void tries_left(struct tpm2 *tpm, int *left)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;
	uint32_t counter = 0, max = 0;

	*left = -1;
	if (Esys_GetCapability(tpm->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_TPM_PROPERTIES,
			       TPM2_PT_LOCKOUT_COUNTER, 2, &more, &cap) != TSS2_RC_SUCCESS)
		return;
	for (uint32_t i = 0; i < cap->data.tpmProperties.count && i < TPM2_MAX_TPM_PROPERTIES; i++) {
		if (cap->data.tpmProperties.tpmProperty[i].property == TPM2_PT_LOCKOUT_COUNTER)
			counter = cap->data.tpmProperties.tpmProperty[i].value;
		if (cap->data.tpmProperties.tpmProperty[i].property == TPM2_PT_MAX_AUTH_FAIL)
			max = cap->data.tpmProperties.tpmProperty[i].value;
	}
	Esys_Free(cap);
	if (max > 0)
		*left = counter < max ? (int)MIN(max - counter, 1000u) : 0;
}

static bool tpm2_in_lockout(struct tpm2 *tpm)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;
	bool locked = false;

	if (Esys_GetCapability(tpm->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_TPM_PROPERTIES,
			       TPM2_PT_PERMANENT, 1, &more, &cap) != TSS2_RC_SUCCESS)
		return false;
	if (cap->data.tpmProperties.count == 1 && cap->data.tpmProperties.tpmProperty[0].property == TPM2_PT_PERMANENT)
		locked = cap->data.tpmProperties.tpmProperty[0].value & TPMA_PERMANENT_INLOCKOUT;
	Esys_Free(cap);
	return locked;
}

void tpm2_fail_rc(struct tpm2 *tpm, TSS2_RC rc, const char *what, struct token_answer *fail)
{
	TSS2_RC base = tpm2_rc_base(rc);

	if (base == TPM2_RC_LOCKOUT)
		token_answer_fail(fail, TOKEN_FAIL_LOCKOUT, "the TPM is in dictionary-attack lockout: no PIN is tried until it lifts");
	else if (base == TPM2_RC_AUTH_FAIL || base == TPM2_RC_BAD_AUTH) {
		token_answer_fail(fail, TOKEN_FAIL_BAD_PIN, "wrong TPM2 PIN");
		tries_left(tpm, &fail->tries_left);
	} else if (base == TPM2_RC_POLICY_FAIL)
		token_answer_fail(fail, TOKEN_FAIL_POLICY, "the TPM's state does not satisfy the token's policy: %s", Tss2_RC_Decode(rc));
	else
		token_answer_fail(fail, TOKEN_FAIL_DEVICE, "%s: %s", what, Tss2_RC_Decode(rc));
}

static int blob_split(const struct tpm2_shard *shard, struct tpm2_sealed *s, struct token_answer *fail)
{
	if (tpm2_blob_split(shard->blob, shard->blob_len, s) == 0)
		return 0;
	token_answer_fail(fail, TOKEN_FAIL_BAD_TOKEN, "the token's tpm2-blob is not a sealed TPM2 object");
	return -EINVAL;
}

/* systemd 255's enrollment without the TPM (--tpm2-device-key=) sealed the object as a duplicate
 * for the storage root key: TPM2_Import turns it into this TPM's private part, on every unlock, and
 * nothing is written back. */
static int sealed_import(struct tpm2 *tpm, ESYS_TR parent, struct tpm2_sealed *s, struct token_answer *fail)
{
	static const TPMT_SYM_DEF_OBJECT no_inner_wrap = { .algorithm = TPM2_ALG_NULL };
	TPM2B_PRIVATE *imported = NULL;
	TSS2_RC rc;

	if (s->seed.size == 0)
		return 0;
	rc = Esys_Import(tpm->esys, parent, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, NULL, &s->public, &s->private,
			 &s->seed, &no_inner_wrap, &imported);
	if (rc != TSS2_RC_SUCCESS) {
		token_answer_fail(fail, TOKEN_FAIL_DEVICE,
				  "the TPM did not import the token's object, sealed without the TPM for another storage root key? (%s)",
				  Tss2_RC_Decode(rc));
		return -EIO;
	}
	s->private = *imported;
	Esys_Free(imported);
	return 0;
}

int tpm2_hmac_session_start(struct tpm2 *tpm, ESYS_TR parent, ESYS_TR bind, ESYS_TR *session, struct token_answer *fail)
{
	TSS2_RC rc = Esys_StartAuthSession(tpm->esys, parent, bind, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, NULL,
					   TPM2_SE_HMAC, &tpm2_session_symmetric, TPM2_ALG_SHA256, session);

	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_TRSess_SetAttributes(tpm->esys, *session,
					       TPMA_SESSION_DECRYPT | TPMA_SESSION_ENCRYPT | TPMA_SESSION_CONTINUESESSION, 0xff);
	if (rc != TSS2_RC_SUCCESS) {
		token_answer_fail(fail, TOKEN_FAIL_DEVICE, "the TPM opened no encrypted session: %s", Tss2_RC_Decode(rc));
		return -EIO;
	}
	return 0;
}

/* The keyslot's passphrase: base64 of the shards' secrets, one after the other (systemd 257). */
static int passphrase_encode(const struct secret *secrets, struct secret **out)
{
	struct secret *s = secret_new(BASE64_ENCODE_RAW_LENGTH(secrets->len) + 1);

	if (!s)
		return -ENOMEM;
	base64_encode_raw((char *)s->data, secrets->len, secrets->data);
	s->len = BASE64_ENCODE_RAW_LENGTH(secrets->len);
	*out = s;
	return 0;
}

struct unseal {
	struct tpm2 tpm;
	ESYS_TR parent, object, hmac, policy;
	bool parent_persistent;
};

/* One shard's object under the parent, its PIN given, and an HMAC session bound to it. */
static int object_load(struct unseal *u, const struct tpm2_token *t, const struct tpm2_shard *shard, const uint8_t *pin,
		       size_t pin_len, struct token_answer *fail)
{
	struct tpm2_sealed s;
	TPM2B_AUTH auth;
	TSS2_RC rc;
	int r;

	if ((r = blob_split(shard, &s, fail)) < 0 || (r = sealed_import(&u->tpm, u->parent, &s, fail)) < 0)
		return r;
	rc = Esys_Load(u->tpm.esys, u->parent, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &s.private, &s.public, &u->object);
	if (rc != TSS2_RC_SUCCESS) {
		if (tpm2_rc_base(rc) == TPM2_RC_LOCKOUT)
			tpm2_fail_rc(&u->tpm, rc, "the TPM did not load the token's sealed object", fail);
		else
			token_answer_fail(fail, TOKEN_FAIL_DEVICE, "the TPM did not load the token's sealed object (made by another TPM?): %s",
					  Tss2_RC_Decode(rc));
		return -EIO;
	}
	if (t->pin) {
		tpm2_pin_auth(t, pin, pin_len, &auth);
		rc = Esys_TR_SetAuth(u->tpm.esys, u->object, &auth);
		explicit_bzero(&auth, sizeof(auth));
		if (rc != TSS2_RC_SUCCESS) {
			token_answer_fail(fail, TOKEN_FAIL_DEVICE, "the PIN could not be given to the TPM library");
			return -EIO;
		}
	}
	return tpm2_hmac_session_start(&u->tpm, u->parent, u->object, &u->hmac, fail);
}

static void object_done(struct unseal *u)
{
	tpm2_handle_flush(&u->tpm, &u->policy);
	tpm2_handle_flush(&u->tpm, &u->hmac);
	tpm2_handle_flush(&u->tpm, &u->object);
}

static void unseal_done(struct unseal *u)
{
	object_done(u);
	if (u->parent_persistent && u->parent != ESYS_TR_NONE)
		Esys_TR_Close(u->tpm.esys, &u->parent);
	else
		tpm2_handle_flush(&u->tpm, &u->parent);
	tpm2_disconnect(&u->tpm);
}

/* A token without tpm2-pcr-bank (systemd before 250) binds the bank systemd thinks best. */
static int bank_choose(struct tpm2 *tpm, struct tpm2_token *t, struct token_answer *fail)
{
	int r;

	if (t->pcr_bank || !(t->pcr_mask | t->pubkey_pcr_mask))
		return 0;
	r = tpm2_best_bank(tpm, t->pcr_mask | t->pubkey_pcr_mask, &t->pcr_bank);
	if (r == -EOPNOTSUPP)
		token_answer_fail(fail, TOKEN_FAIL_DEVICE, "the TPM has neither a SHA-256 nor a SHA-1 PCR bank with 24 PCRs");
	else if (r < 0)
		token_answer_fail(fail, TOKEN_FAIL_DEVICE, "the TPM did not say which PCR banks it has");
	return r;
}

/* One shard: its object loaded, its policy satisfied (again while a PCR changes under it), its
 * secret appended to secrets. Shard 0 carries the signed policy, the last one the pcrlock policy. */
static int shard_unseal(struct unseal *u, const struct tpm2_token *t, size_t shard, const struct tpm2_pcrlock *pcrlock,
			const struct tpm2_unseal_files *files, const uint8_t *pin, size_t pin_len, struct secret *secrets,
			struct token_answer *fail)
{
	struct tpm2_policy_args args = {
		.signature_path = files->signature,
		.pcrlock = shard == t->n_shards - 1 ? pcrlock : NULL,
		.skip_signed = shard > 0,
		.shard = &t->shards[shard],
	};
	TPM2B_SENSITIVE_DATA *data = NULL;
	TSS2_RC rc = TPM2_RC_PCR_CHANGED;
	int r = object_load(u, t, &t->shards[shard], pin, pin_len, fail);

	for (int i = 0; r == 0 && tpm2_rc_base(rc) == TPM2_RC_PCR_CHANGED && i < UNSEAL_PCR_CHANGED_RETRIES; i++) {
		tpm2_handle_flush(&u->tpm, &u->policy);
		args.rsa_exponent_zero = false;
		r = tpm2_policy_session(&u->tpm, t, u->parent, u->hmac, &args, &u->policy, fail);
		if (r == -ESTALE) {
			/* systemd 255 named a signing key of exponent 65537 by exponent 0 (systemd issue 30546) */
			args.rsa_exponent_zero = true;
			r = tpm2_policy_session(&u->tpm, t, u->parent, u->hmac, &args, &u->policy, fail);
		}
		if (r == 0)
			rc = Esys_Unseal(u->tpm.esys, u->object, u->policy, u->hmac, ESYS_TR_NONE, &data);
	}
	if (r == 0 && rc != TSS2_RC_SUCCESS) {
		tpm2_fail_rc(&u->tpm, rc, "the TPM refused to unseal", fail);
		r = -EPERM;
	}
	if (r == 0) {
		r = secret_append(secrets, data->buffer, data->size);
		explicit_bzero(data->buffer, sizeof(data->buffer));
	}
	Esys_Free(data);
	object_done(u);
	return r;
}

int tpm2_unseal(struct tpm2_token *t, const char *device, const struct tpm2_unseal_files *files, const uint8_t *pin,
		size_t pin_len, struct secret **passphrase, struct token_answer *fail)
{
	static struct tpm2_pcrlock prediction;
	struct unseal u = { .parent = ESYS_TR_NONE, .object = ESYS_TR_NONE, .hmac = ESYS_TR_NONE, .policy = ESYS_TR_NONE };
	_cleanup_secret_ struct secret *secrets = secret_new(TPM2_SHARDS_MAX * sizeof(((TPM2B_SENSITIVE_DATA *)0)->buffer));
	int r;

	if (!secrets)
		return -ENOMEM;
	/* without the prediction nothing is worth a PIN */
	if (t->pcrlock && (r = tpm2_pcrlock_load(files->pcrlock, &prediction, fail)) < 0)
		return r;
	if ((r = tpm2_connect(&u.tpm, device, fail)) < 0)
		return r;
	if (t->pin && !pin) {
		/* no PIN is asked for while every try would be refused */
		if (tpm2_in_lockout(&u.tpm))
			tpm2_fail_rc(&u.tpm, TPM2_RC_LOCKOUT, "", fail);
		else
			fail->status = TOKEN_STATUS_NEED_PIN;
		tpm2_disconnect(&u.tpm);
		return -EAGAIN;
	}
	r = bank_choose(&u.tpm, t, fail);
	if (r == 0)
		r = tpm2_parent_load(&u.tpm, t, &u.parent, fail);
	u.parent_persistent = t->srk_len > 0;
	for (size_t shard = 0; r == 0 && shard < t->n_shards; shard++)
		r = shard_unseal(&u, t, shard, t->pcrlock ? &prediction : NULL, files, pin, pin_len, secrets, fail);
	if (r == 0)
		r = passphrase_encode(secrets, passphrase);
	unseal_done(&u);
	return r;
}
