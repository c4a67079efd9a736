/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "crypto/hash.h"
#include "luks/json_fields.h"
#include "luks/luks2.h"

#define JSON_DEPTH_MAX 12
#define KEYSLOTS_SIZE_MAX (128ull << 20)
#define LUKS2_AF_STRIPES 4000u
#define LUKS2_DIGEST_SALT_LEN 32
#define LUKS2_DIGEST_MIN_LEN 20

static int luks2_kdf_parse(struct luks_kdf *kdf, json_object *obj, const char *where)
{
	const char *type = kdf->name;
	int r;

	if (!obj)
		return json_error("%s: missing \"kdf\" object", where);
	r = json_text(obj, "type", where, kdf->name, sizeof(kdf->name));
	if (r < 0)
		return r;
	r = json_base64(obj, "salt", where, kdf->salt, sizeof(kdf->salt), &kdf->salt_len);
	if (r < 0)
		return r;
	if (strcmp(type, "pbkdf2") == 0) {
		kdf->type = KDF_PBKDF2;
		if ((r = json_text(obj, "hash", where, kdf->hash, sizeof(kdf->hash))) < 0)
			return r;
		return json_uint(obj, "iterations", where, 1, UINT32_MAX, &kdf->iterations);
	}
	if (strcmp(type, "argon2i") == 0)
		kdf->type = KDF_ARGON2I;
	else if (strcmp(type, "argon2id") == 0)
		kdf->type = KDF_ARGON2ID;
	else
		kdf->type = KDF_UNKNOWN;
	/* cryptsetup's bounds: 4 GiB memory and 16 lanes at most. */
	if ((r = json_uint(obj, "time", where, 1, UINT32_MAX, &kdf->iterations)) < 0 ||
	    (r = json_uint(obj, "memory", where, 8, 4u << 20, &kdf->memory_kib)) < 0 ||
	    (r = json_uint(obj, "cpus", where, 1, 16, &kdf->cpus)) < 0)
		return r;
	return 0;
}

/* Every keyslot's area has a place (its bounds count for the overlap checks, as in cryptsetup);
 * only a "luks2" keyslot's is a "raw" area holding key material. */
static int luks2_area_bounds_parse(struct luks_keyslot *ks, json_object *area, const char *where)
{
	json_object *type = area ? json_member(area, "type", json_type_string) : NULL;
	int r;

	if (!area)
		return json_error("%s: missing \"area\" object", where);
	if (!type)
		return json_error("%s: the area's \"type\" must be a string", where);
	if ((r = json_u64_string(area, "offset", where, &ks->area_offset)) < 0 ||
	    (r = json_u64_string(area, "size", where, &ks->area_size)) < 0)
		return r;
	return 0;
}

static int luks2_area_parse(struct luks_keyslot *ks, json_object *area, const char *where)
{
	uint32_t key_size;
	int r;

	if ((r = json_expect_type(area, where, "area", "raw")) < 0 ||
	    (r = json_text(area, "encryption", where, ks->area_cipher, sizeof(ks->area_cipher))) < 0 ||
	    (r = json_uint(area, "key_size", where, 1, LUKS_KEY_MAX, &key_size)) < 0)
		return r;
	ks->area_key_size = key_size;
	return 0;
}

static int luks2_af_parse(struct luks_keyslot *ks, json_object *af, const char *where)
{
	int r;

	if (!af)
		return json_error("%s: missing \"af\" object", where);
	if ((r = json_expect_type(af, where, "AF", "luks1")) < 0 || (r = json_text(af, "hash", where, ks->af_hash, sizeof(ks->af_hash))) < 0)
		return r;
	/* cryptsetup requires the field and then always splits into 4000 stripes, whatever it says. */
	if (!json_member(af, "stripes", json_type_int))
		return json_error("%s: \"stripes\" must be an integer", where);
	ks->stripes = LUKS2_AF_STRIPES;
	return 0;
}

static int luks2_keyslot_parse(struct luks_keyslot *ks, json_object *obj, const char *where)
{
	char type[LUKS_NAME_MAX];
	uint32_t key_size, priority = PRIORITY_NORMAL;
	int r;

	if (!json_object_is_type(obj, json_type_object))
		return json_error("%s is not an object", where);
	if ((r = json_text(obj, "type", where, type, sizeof(type))) < 0 ||
	    (r = json_uint(obj, "key_size", where, 0, LUKS_KEY_MAX, &key_size)) < 0 ||
	    (r = luks2_area_bounds_parse(ks, json_member(obj, "area", json_type_object), where)) < 0)
		return r;
	ks->key_size = key_size;
	if (strcmp(type, "luks2") != 0) {
		/* e.g. a "reencrypt" slot: its area still counts for overlap checks, it holds no key. */
		log_debug("%s has type \"%s\"; not used for unlocking", where, type);
		return 0;
	}
	if ((r = luks2_area_parse(ks, json_member(obj, "area", json_type_object), where)) < 0)
		return r;
	if (json_object_object_get_ex(obj, "priority", NULL) &&
	    (r = json_uint(obj, "priority", where, 0, 2, &priority)) < 0)
		return r;
	if ((r = luks2_kdf_parse(&ks->kdf, json_member(obj, "kdf", json_type_object), where)) < 0 ||
	    (r = luks2_af_parse(ks, json_member(obj, "af", json_type_object), where)) < 0)
		return r;
	if (key_size == 0)
		return json_error("%s: key_size is 0", where);
	if ((uint64_t)key_size * ks->stripes > ks->area_size)
		return json_error("%s: %u stripes of %u bytes do not fit its area of %llu bytes", where, ks->stripes,
				  key_size, (unsigned long long)ks->area_size);
	ks->priority = (enum keyslot_priority)priority;
	ks->active = true;
	return 0;
}

static int luks2_check_areas(const struct luks_header *hdr, uint32_t present)
{
	uint64_t start = 2 * hdr->hdr_size, end = start + hdr->keyslots_size;

	for (int i = 0; i < LUKS_KEYSLOTS_MAX; i++) {
		const struct luks_keyslot *a = &hdr->keyslots[i];
		if (!(present & 1u << i))
			continue;
		if (a->area_offset < start || a->area_size > end - start || a->area_offset > end - a->area_size)
			return json_error("keyslot %d area (offset %llu, size %llu) lies outside the keyslots area", i,
					  (unsigned long long)a->area_offset, (unsigned long long)a->area_size);
		for (int j = 0; j < i; j++) {
			const struct luks_keyslot *b = &hdr->keyslots[j];
			if ((present & 1u << j) && a->area_offset < b->area_offset + b->area_size &&
			    b->area_offset < a->area_offset + a->area_size)
				return json_error("keyslot areas %d and %d overlap", j, i);
		}
	}
	return 0;
}

static int luks2_keyslots_parse(struct luks_header *hdr, json_object *keyslots, uint32_t *present)
{
	*present = 0;
	json_object_object_foreach(keyslots, key, val)
	{
		char where[32];
		int id = json_object_index(key, LUKS_KEYSLOTS_MAX, "keyslots");
		int r;
		if (id < 0)
			return id;
		snprintf(where, sizeof(where), "keyslot %d", id);
		r = luks2_keyslot_parse(&hdr->keyslots[id], val, where);
		if (r < 0)
			return r;
		*present |= 1u << id;
	}
	return 0;
}

static int luks2_digest_parse(struct luks_digest *d, json_object *obj, const char *where, uint32_t segments)
{
	const struct hash_alg *md;
	uint32_t segment_mask;
	int r;

	if (!json_object_is_type(obj, json_type_object))
		return json_error("%s is not an object", where);
	if ((r = json_expect_type(obj, where, "digest", "pbkdf2")) < 0 ||
	    (r = json_id_mask(obj, "keyslots", where, LUKS_KEYSLOTS_MAX, &d->keyslots)) < 0 ||
	    (r = json_id_mask(obj, "segments", where, 32, &segment_mask)) < 0 ||
	    (r = json_text(obj, "hash", where, d->hash, sizeof(d->hash))) < 0 ||
	    (r = json_uint(obj, "iterations", where, 1, UINT32_MAX, &d->iterations)) < 0 ||
	    (r = json_base64(obj, "salt", where, d->salt, sizeof(d->salt), &d->salt_len)) < 0 ||
	    (r = json_base64(obj, "digest", where, d->digest, sizeof(d->digest), &d->digest_len)) < 0)
		return r;
	if (segment_mask & ~segments)
		return json_error("%s names a segment that does not exist", where);
	/* cryptsetup's rules: a 32-byte salt; a digest of 20 bytes (LUKS1's size) or the hash's own
	 * size. A shorter one would let wrong keys through (one in 256 for a single byte). */
	if (d->salt_len != LUKS2_DIGEST_SALT_LEN)
		return json_error("%s: the salt is %zu bytes, not %d", where, d->salt_len, LUKS2_DIGEST_SALT_LEN);
	if (!(md = hash_by_name(d->hash)))
		return log_error_ret(-LUKS_ERR_UNSUPPORTED, "LUKS2 metadata: %s: hash \"%s\" is not available", where, d->hash);
	if (d->digest_len != LUKS2_DIGEST_MIN_LEN && d->digest_len != hash_size(md))
		return json_error("%s: the digest is %zu bytes, neither %d nor the size of %s", where, d->digest_len,
				  LUKS2_DIGEST_MIN_LEN, d->hash);
	d->covers_segment0 = segment_mask & 1u;
	d->active = true;
	return 0;
}

static int luks2_digests_parse(struct luks_header *hdr, json_object *digests, uint32_t keyslots,
			       uint32_t segments)
{
	uint32_t claimed = 0;

	json_object_object_foreach(digests, key, val)
	{
		char where[32];
		int id = json_object_index(key, LUKS_DIGESTS_MAX, "digests");
		int r;
		if (id < 0)
			return id;
		snprintf(where, sizeof(where), "digest %d", id);
		r = luks2_digest_parse(&hdr->digests[id], val, where, segments);
		if (r < 0)
			return r;
		if (hdr->digests[id].keyslots & ~keyslots)
			return json_error("%s names a keyslot that does not exist", where);
		if (hdr->digests[id].keyslots & claimed)
			return json_error("%s names a keyslot another digest also names", where);
		claimed |= hdr->digests[id].keyslots;
	}
	return 0;
}

static int luks2_segment_flags(json_object *obj, const char *where)
{
	json_object *flags;

	if (!json_object_object_get_ex(obj, "flags", &flags))
		return 0;
	if (!json_object_is_type(flags, json_type_array))
		return json_error("%s: \"flags\" must be an array", where);
	for (size_t i = 0; i < json_object_array_length(flags); i++)
		if (!json_object_is_type(json_object_array_get_idx(flags, i), json_type_string))
			return json_error("%s: \"flags\" must hold strings", where);
	return 0;
}

static int luks2_segment_parse(struct luks_segment *seg, json_object *obj, const char *where)
{
	char size_text[32];
	uint64_t iv_tweak;
	int r;

	if (!json_object_is_type(obj, json_type_object))
		return json_error("%s is not an object", where);
	if ((r = json_expect_type(obj, where, "segment", "crypt")) < 0 ||
	    (r = json_u64_string(obj, "offset", where, &seg->offset)) < 0 ||
	    (r = json_text(obj, "size", where, size_text, sizeof(size_text))) < 0 ||
	    (r = luks2_segment_flags(obj, where)) < 0)
		return r;
	if (strcmp(size_text, "dynamic") == 0)
		seg->size = LUKS_SIZE_DYNAMIC;
	else if (parse_u64(size_text, &seg->size) < 0 || seg->size % 512)
		return json_error("%s: size must be \"dynamic\" or a multiple of 512", where);
	if (seg->offset % 512)
		return json_error("%s: offset %llu is not 512-byte aligned", where, (unsigned long long)seg->offset);
	if ((r = json_u64_string(obj, "iv_tweak", where, &iv_tweak)) < 0 ||
	    (r = json_text(obj, "encryption", where, seg->cipher, sizeof(seg->cipher))) < 0 ||
	    (r = json_uint(obj, "sector_size", where, 512, 4096, &seg->sector_size)) < 0)
		return r;
	if (seg->sector_size & (seg->sector_size - 1))
		return json_error("%s: sector_size %u is not a power of two", where, seg->sector_size);
	if (seg->size != LUKS_SIZE_DYNAMIC && seg->size % seg->sector_size)
		return json_error("%s: size is not a multiple of the sector size", where);
	if (iv_tweak != 0)
		return log_error_ret(-LUKS_ERR_UNSUPPORTED,
				     "LUKS2 metadata: %s has a non-zero iv_tweak (interrupted reencryption?)", where);
	seg->integrity = json_object_object_get_ex(obj, "integrity", NULL);
	return 0;
}

static int luks2_segments_parse(struct luks_header *hdr, json_object *segments, uint32_t *present)
{
	*present = 0;
	json_object_object_foreach(segments, key, val)
	{
		int id = json_object_index(key, 32, "segments");
		int r;
		if (id < 0)
			return id;
		if (id != 0)
			return log_error_ret(-LUKS_ERR_UNSUPPORTED,
					     "LUKS2 metadata: more than one data segment (reencryption in progress?)");
		r = luks2_segment_parse(&hdr->segment, val, "segment 0");
		if (r < 0)
			return r;
		*present |= 1u << id;
	}
	if (!(*present & 1u))
		return json_error("no data segment 0");
	return 0;
}

/* A token's type is any string to cryptsetup: one this program cannot name (empty, long, not text)
 * is kept as an unknown type, never a reason to refuse the header its passphrase opens. */
static int luks2_token_type(struct luks_token *t, json_object *token, const char *where)
{
	json_object *v = json_member(token, "type", json_type_string);
	const char *type;

	if (!v)
		return json_error("%s: \"type\" must be a string", where);
	type = json_object_get_string(v);
	if (*type && strlen(type) < sizeof(t->type) && is_printable_text(type))
		snprintf(t->type, sizeof(t->type), "%s", type);
	else
		log_debug("%s: a type this program cannot name; the token is not used", where);
	return 0;
}

static int luks2_tokens_parse(struct luks_header *hdr, json_object *tokens, uint32_t keyslots)
{
	json_object_object_foreach(tokens, key, val)
	{
		char where[32];
		struct luks_token *t;
		int id = json_object_index(key, LUKS_TOKENS_MAX, "tokens");
		int r;
		if (id < 0)
			return id;
		snprintf(where, sizeof(where), "token %d", id);
		if (!json_object_is_type(val, json_type_object))
			return json_error("%s is not an object", where);
		t = &hdr->tokens[id];
		if ((r = luks2_token_type(t, val, where)) < 0 ||
		    (r = json_id_mask(val, "keyslots", where, LUKS_KEYSLOTS_MAX, &t->keyslots)) < 0)
			return r;
		if (t->keyslots & ~keyslots)
			return json_error("%s names a keyslot that does not exist", where);
		t->active = true;
	}
	return 0;
}

static const struct {
	const char *name;
	uint32_t flag;
} config_flags[] = {
	{ "allow-discards", LUKS_FLAG_ALLOW_DISCARDS },
	{ "same-cpu-crypt", LUKS_FLAG_SAME_CPU_CRYPT },
	{ "submit-from-crypt-cpus", LUKS_FLAG_SUBMIT_FROM_CRYPT_CPUS },
	{ "no-read-workqueue", LUKS_FLAG_NO_READ_WORKQUEUE },
	{ "no-write-workqueue", LUKS_FLAG_NO_WRITE_WORKQUEUE },
	{ "high_priority", LUKS_FLAG_HIGH_PRIORITY },
};

static int luks2_config_flags(struct luks_header *hdr, json_object *config)
{
	json_object *flags;

	if (!json_object_object_get_ex(config, "flags", &flags))
		return 0;
	if (!json_object_is_type(flags, json_type_array))
		return json_error("config: \"flags\" must be an array");
	for (size_t i = 0; i < json_object_array_length(flags); i++) {
		json_object *f = json_object_array_get_idx(flags, i);
		if (!json_object_is_type(f, json_type_string))
			return json_error("config: \"flags\" must hold strings");
		for (size_t k = 0; k < ARRAY_SIZE(config_flags); k++)
			if (strcmp(json_object_get_string(f), config_flags[k].name) == 0)
				hdr->flags |= config_flags[k].flag;
	}
	return 0;
}

static int luks2_config_requirements(struct luks_header *hdr, json_object *config)
{
	json_object *req, *mandatory;
	size_t used = 0;

	if (!json_object_object_get_ex(config, "requirements", &req))
		return 0;
	if (!json_object_is_type(req, json_type_object))
		return json_error("config: \"requirements\" must be an object");
	if (!json_object_object_get_ex(req, "mandatory", &mandatory))
		return 0;
	if (!json_object_is_type(mandatory, json_type_array))
		return json_error("config: \"requirements.mandatory\" must be an array");
	for (size_t i = 0; i < json_object_array_length(mandatory); i++) {
		json_object *m = json_object_array_get_idx(mandatory, i);
		const char *name = json_object_get_string(m);
		int n;
		if (!json_object_is_type(m, json_type_string) || !is_printable_text(name))
			return json_error("config: requirements must be strings");
		n = snprintf(hdr->requirements + used, sizeof(hdr->requirements) - used, "%s%s", used ? "," : "",
			     name);
		if (n < 0 || (size_t)n >= sizeof(hdr->requirements) - used)
			return json_error("config: requirements list too long");
		used += (size_t)n;
	}
	return 0;
}

static int luks2_config_parse(struct luks_header *hdr, json_object *config)
{
	uint64_t json_size;
	int r;

	if ((r = json_u64_string(config, "json_size", "config", &json_size)) < 0 ||
	    (r = json_u64_string(config, "keyslots_size", "config", &hdr->keyslots_size)) < 0)
		return r;
	if (json_size != hdr->hdr_size - LUKS2_BIN_SIZE)
		return json_error("config: json_size %llu does not match the header size %llu",
				  (unsigned long long)json_size, (unsigned long long)hdr->hdr_size);
	if (hdr->keyslots_size % 4096 || hdr->keyslots_size > KEYSLOTS_SIZE_MAX)
		return json_error("config: keyslots_size %llu is not 4 KiB aligned or exceeds 128 MiB",
				  (unsigned long long)hdr->keyslots_size);
	if ((r = luks2_config_flags(hdr, config)) < 0 || (r = luks2_config_requirements(hdr, config)) < 0)
		return r;
	if (strstr(hdr->requirements, "online-reencrypt"))
		return log_error_ret(-LUKS_ERR_UNSUPPORTED,
				     "LUKS2 metadata: online reencryption is in progress (requirement %s); unlock does not "
				     "open a volume in that state: finish it with 'cryptsetup reencrypt --resume-only' "
				     "from a system with cryptsetup 2.2 or later", hdr->requirements);
	return 0;
}

/* The JSON text ends at the first NUL; everything after it must be NUL too. */
static int luks2_json_text_length(const char *json, size_t json_len, size_t *text_len)
{
	size_t n = strnlen(json, json_len);

	if (n == json_len)
		return json_error("JSON area is not NUL-terminated");
	for (size_t i = n; i < json_len; i++)
		if (json[i] != '\0')
			return json_error("data after the end of the JSON text");
	if (n == 0 || json[0] != '{')
		return json_error("JSON area does not start with an object");
	*text_len = n;
	return 0;
}

static json_object *luks2_json_tokenize(const char *json, size_t text_len)
{
	struct json_tokener *tok = json_tokener_new_ex(JSON_DEPTH_MAX);
	json_object *root;
	size_t end;

	if (!tok)
		return NULL;
	root = json_tokener_parse_ex(tok, json, (int)text_len);
	end = json_tokener_get_parse_end(tok);
	if (root && end != text_len) {
		json_object_put(root);
		root = NULL;
	}
	json_tokener_free(tok);
	return root;
}

/* Offset 0 means a detached header; otherwise the data must start after the keyslots area. */
static int luks2_check_data_offset(const struct luks_header *hdr)
{
	uint64_t metadata_end = 2 * hdr->hdr_size + hdr->keyslots_size;

	if (hdr->segment.offset != 0 && hdr->segment.offset < metadata_end)
		return json_error("data segment offset %llu lies inside the metadata and keyslots area (%llu bytes)",
				  (unsigned long long)hdr->segment.offset, (unsigned long long)metadata_end);
	return 0;
}

static int luks2_json_sections(struct luks_header *hdr, json_object *root)
{
	json_object *keyslots = json_member(root, "keyslots", json_type_object);
	json_object *tokens = json_member(root, "tokens", json_type_object);
	json_object *segments = json_member(root, "segments", json_type_object);
	json_object *digests = json_member(root, "digests", json_type_object);
	json_object *config = json_member(root, "config", json_type_object);
	uint32_t keyslot_mask, segment_mask;
	int r;

	if (!keyslots || !tokens || !segments || !digests || !config)
		return json_error("missing or mistyped keyslots, tokens, segments, digests or config object");
	if ((r = luks2_config_parse(hdr, config)) < 0 ||
	    (r = luks2_keyslots_parse(hdr, keyslots, &keyslot_mask)) < 0 ||
	    (r = luks2_check_areas(hdr, keyslot_mask)) < 0 ||
	    (r = luks2_segments_parse(hdr, segments, &segment_mask)) < 0 ||
	    (r = luks2_check_data_offset(hdr)) < 0 ||
	    (r = luks2_digests_parse(hdr, digests, keyslot_mask, segment_mask)) < 0 ||
	    (r = luks2_tokens_parse(hdr, tokens, keyslot_mask)) < 0)
		return r;
	return 0;
}

int luks2_json_parse(struct luks_header *hdr, const char *json, size_t json_len)
{
	json_object *root;
	size_t text_len;
	int r;

	r = luks2_json_text_length(json, json_len, &text_len);
	if (r < 0)
		return r;
	root = luks2_json_tokenize(json, text_len);
	if (!root || !json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return json_error("JSON text does not parse (syntax error or nested too deeply)");
	}
	r = luks2_json_sections(hdr, root);
	json_object_put(root);
	if (r < 0)
		return r;
	hdr->json = strndup(json, text_len);
	return hdr->json ? 0 : -ENOMEM;
}
