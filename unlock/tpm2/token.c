/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tpm2/token.h"

#include <errno.h>
#include <json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <tss2/tss2_tpm2_types.h>

#include "base/hex.h"
#include "base/util.h"
#include "luks/base64.h"

#define TOKEN_DEPTH_MAX 6

struct parse {
	struct tpm2_token *t;
	size_t policy_hashes;
	char *why;
	size_t why_size;
};

static int __attribute__((format(printf, 3, 4))) refuse(struct parse *p, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->why, p->why_size, fmt, ap);
	va_end(ap);
	return r;
}

static int base64_field(struct parse *p, json_object *v, const char *name, uint8_t *out, size_t size, size_t *len)
{
	if (!json_object_is_type(v, json_type_string) || base64_decode(json_object_get_string(v), out, size, len) < 0)
		return refuse(p, -EBADMSG, "the token's %s is not base64 of the right size", name);
	return 0;
}

static int hex_field(struct parse *p, json_object *v, const char *name, uint8_t *out, size_t size, size_t *len)
{
	if (!json_object_is_type(v, json_type_string) || hex_decode(json_object_get_string(v), out, size, len) < 0)
		return refuse(p, -EBADMSG, "the token's %s is not hexadecimal of the right size", name);
	return 0;
}

static int pcr_array(struct parse *p, json_object *v, const char *name, uint32_t *mask)
{
	*mask = 0;
	if (!json_object_is_type(v, json_type_array))
		return refuse(p, -EBADMSG, "the token's %s is not an array of PCR numbers", name);
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		json_object *e = json_object_array_get_idx(v, i);
		int64_t n = json_object_get_int64(e);
		if (!json_object_is_type(e, json_type_int) || n < 0 || n >= TPM2_PCRS)
			return refuse(p, -EBADMSG, "the token's %s holds something that is not a PCR number (0-23)", name);
		*mask |= 1u << n;
	}
	return 0;
}

static const struct {
	const char *name;
	uint16_t alg;
} banks[] = {
	{ "sha1", TPM2_ALG_SHA1 }, { "sha256", TPM2_ALG_SHA256 }, { "sha384", TPM2_ALG_SHA384 }, { "sha512", TPM2_ALG_SHA512 },
};

const char *tpm2_bank_name(uint16_t bank)
{
	for (size_t i = 0; i < ARRAY_SIZE(banks); i++)
		if (banks[i].alg == bank)
			return banks[i].name;
	return "?";
}

int tpm2_bank_from_name(const char *name, uint16_t *bank)
{
	for (size_t i = 0; i < ARRAY_SIZE(banks); i++)
		if (strcasecmp(name, banks[i].name) == 0)
			return *bank = banks[i].alg, 0;
	return -EINVAL;
}

static int bank_field(struct parse *p, json_object *v)
{
	const char *s = json_object_get_string(v);

	if (json_object_is_type(v, json_type_string) && tpm2_bank_from_name(s, &p->t->pcr_bank) == 0)
		return 0;
	return refuse(p, -EOPNOTSUPP, "the token's PCR bank \"%s\" is not one of sha1, sha256, sha384, sha512",
		      json_object_is_type(v, json_type_string) ? s : "?");
}

static int primary_alg_field(struct parse *p, json_object *v)
{
	const char *s = json_object_get_string(v);

	if (json_object_is_type(v, json_type_string) && strcmp(s, "ecc") == 0)
		return p->t->primary_alg = TPM2_ALG_ECC, 0;
	if (json_object_is_type(v, json_type_string) && strcmp(s, "rsa") == 0)
		return p->t->primary_alg = TPM2_ALG_RSA, 0;
	return refuse(p, -EOPNOTSUPP, "the token's primary key algorithm \"%s\" is neither ecc nor rsa",
		      json_object_is_type(v, json_type_string) ? s : "?");
}

static int pubkey_field(struct parse *p, json_object *v)
{
	size_t len;
	int r = base64_field(p, v, "tpm2_pubkey", (uint8_t *)p->t->pubkey, sizeof(p->t->pubkey) - 1, &len);

	if (r < 0)
		return r;
	p->t->pubkey[len] = '\0';
	p->t->pubkey_len = len;
	return 0;
}

/* tpm2-blob or tpm2-policy-hash: one string, or an array of one string per shard (systemd 257). */
static int shard_field(struct parse *p, json_object *v, const char *key, bool blob, size_t *n)
{
	size_t count = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 1;
	int r = 0;

	if (count < 1 || count > TPM2_SHARDS_MAX)
		return refuse(p, -EBADMSG, "the token's %s has %zu shards, not 1 or 2", key, count);
	for (size_t i = 0; r == 0 && i < count; i++) {
		json_object *e = json_object_is_type(v, json_type_array) ? json_object_array_get_idx(v, i) : v;
		struct tpm2_shard *s = &p->t->shards[i];
		r = blob ? base64_field(p, e, key, s->blob, sizeof(s->blob), &s->blob_len)
			 : hex_field(p, e, key, s->policy_hash, sizeof(s->policy_hash), &s->policy_hash_len);
	}
	*n = count;
	return r;
}

static int field_parse(struct parse *p, const char *key, json_object *v)
{
	struct tpm2_token *t = p->t;

	if (strcmp(key, "type") == 0 || strcmp(key, "keyslots") == 0)
		return 0;
	if (strcmp(key, "tpm2-blob") == 0)
		return shard_field(p, v, key, true, &t->n_shards);
	if (strcmp(key, "tpm2-policy-hash") == 0)
		return shard_field(p, v, key, false, &p->policy_hashes);
	if (strcmp(key, "tpm2-pcrs") == 0)
		return pcr_array(p, v, key, &t->pcr_mask);
	if (strcmp(key, "tpm2-pcr-bank") == 0)
		return bank_field(p, v);
	if (strcmp(key, "tpm2-primary-alg") == 0)
		return primary_alg_field(p, v);
	if (strcmp(key, "tpm2-pin") == 0) {
		if (!json_object_is_type(v, json_type_boolean))
			return refuse(p, -EBADMSG, "the token's %s is not true or false", key);
		return t->pin = json_object_get_boolean(v), 0;
	}
	if (strcmp(key, "tpm2_pubkey") == 0)
		return pubkey_field(p, v);
	if (strcmp(key, "tpm2_pubkey_pcrs") == 0)
		return pcr_array(p, v, key, &t->pubkey_pcr_mask);
	if (strcmp(key, "tpm2_salt") == 0)
		return base64_field(p, v, key, t->salt, sizeof(t->salt), &t->salt_len);
	if (strcmp(key, "tpm2_srk") == 0)
		return base64_field(p, v, key, t->srk, sizeof(t->srk), &t->srk_len);
	if (strcmp(key, "tpm2_pcrlock") == 0) {
		if (!json_object_is_type(v, json_type_boolean))
			return refuse(p, -EBADMSG, "the token's %s is not true or false", key);
		return t->pcrlock = json_object_get_boolean(v), 0;
	}
	if (strcmp(key, "tpm2_pcrlock_nv") == 0)
		return base64_field(p, v, key, t->pcrlock_nv, sizeof(t->pcrlock_nv), &t->pcrlock_nv_len);
	return refuse(p, -EOPNOTSUPP, "the token has a field \"%.64s\" unlock does not know (a newer systemd's?); it is not guessed at", key);
}

static int token_complete(struct parse *p, json_object *root)
{
	json_object *v;

	if (!json_object_object_get_ex(root, "type", &v) || !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), "systemd-tpm2") != 0)
		return refuse(p, -EBADMSG, "%s", "the token is not of type systemd-tpm2");
	if (!p->t->n_shards)
		return refuse(p, -EBADMSG, "%s", "the token has no tpm2-blob");
	if (!json_object_object_get_ex(root, "tpm2-pcrs", &v))
		return refuse(p, -EBADMSG, "%s", "the token has no tpm2-pcrs");
	if (!json_object_object_get_ex(root, "tpm2-policy-hash", &v))
		return refuse(p, -EBADMSG, "%s", "the token has no tpm2-policy-hash");
	if (p->t->pubkey_pcr_mask && !p->t->pubkey_len)
		return refuse(p, -EBADMSG, "%s", "the token names tpm2_pubkey_pcrs but holds no tpm2_pubkey");
	if (p->t->pcrlock && !p->t->pcrlock_nv_len)
		return refuse(p, -EBADMSG, "%s", "the token uses a pcrlock policy but names no NV index (tpm2_pcrlock_nv)");
	if (p->t->n_shards != (p->t->pcrlock && p->t->pubkey_len ? 2u : 1u))
		return refuse(p, -EBADMSG, "the token has %zu blobs, and its policies (%s) make %d", p->t->n_shards,
			      p->t->pcrlock && p->t->pubkey_len ? "pcrlock and signed" : "one shard", p->t->pcrlock && p->t->pubkey_len ? 2 : 1);
	if (p->policy_hashes != p->t->n_shards)
		return refuse(p, -EBADMSG, "the token has %zu policy hashes for %zu blobs", p->policy_hashes, p->t->n_shards);
	return 0;
}

int tpm2_token_parse(const uint8_t *json, size_t len, struct tpm2_token *t, char *why, size_t why_size)
{
	struct parse p = { .t = t, .why = why, .why_size = why_size };
	struct json_tokener *tok = json_tokener_new_ex(TOKEN_DEPTH_MAX);
	json_object *root = NULL;
	int r = 0;

	memset(t, 0, sizeof(*t));
	t->pcr_bank = 0;               /* none written (systemd < 250, or no PCRs): chosen at unsealing */
	t->primary_alg = TPM2_ALG_ECC; /* and the primary key always ECC */
	if (!tok)
		return -ENOMEM;
	if (len < 2 || len > INT32_MAX || memchr(json, '\0', len) ||
	    !(root = json_tokener_parse_ex(tok, (const char *)json, (int)len)) ||
	    json_tokener_get_parse_end(tok) != len || !json_object_is_type(root, json_type_object))
		r = refuse(&p, -EBADMSG, "%s", "the token is not one JSON object");
	if (r == 0) {
		json_object_object_foreach(root, key, val)
			if (r == 0)
				r = field_parse(&p, key, val);
	}
	if (r == 0)
		r = token_complete(&p, root);
	json_object_put(root);
	json_tokener_free(tok);
	return r;
}

void tpm2_pcr_mask_text(uint32_t mask, char *out, size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (int i = 0; i < TPM2_PCRS; i++)
		if (mask & (1u << i) && used < size) {
			int n = snprintf(out + used, size - used, "%s%d", used ? "+" : "", i);
			used += n > 0 ? (size_t)n : 0;
		}
	if (!mask)
		snprintf(out, size, "none");
}

size_t tpm2_bank_digest_size(uint16_t bank)
{
	switch (bank) {
	case TPM2_ALG_SHA1:
		return 20;
	case TPM2_ALG_SHA256:
		return 32;
	case TPM2_ALG_SHA384:
		return 48;
	case TPM2_ALG_SHA512:
		return 64;
	default:
		return 0;
	}
}
