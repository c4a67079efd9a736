/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "luks/json_fields.h"

#include <string.h>

#include "base/util.h"
#include "luks/base64.h"

json_object *json_member(json_object *obj, const char *key, json_type type)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

int json_u64_string(json_object *obj, const char *key, const char *where, uint64_t *out)
{
	json_object *v = json_member(obj, key, json_type_string);

	if (!v || parse_u64(json_object_get_string(v), out) < 0)
		return json_error("%s: \"%s\" must be a decimal string", where, key);
	return 0;
}

int json_uint(json_object *obj, const char *key, const char *where, uint32_t min, uint32_t max,
		     uint32_t *out)
{
	json_object *v = json_member(obj, key, json_type_int);
	int64_t n;

	if (!v)
		return json_error("%s: \"%s\" must be an integer", where, key);
	n = json_object_get_int64(v);
	if (n < min || n > max)
		return json_error("%s: \"%s\" = %lld is out of range (%u-%u)", where, key, (long long)n, min, max);
	*out = (uint32_t)n;
	return 0;
}

int json_text(json_object *obj, const char *key, const char *where, char *out, size_t out_size)
{
	json_object *v = json_member(obj, key, json_type_string);
	const char *s;

	if (!v)
		return json_error("%s: \"%s\" must be a string", where, key);
	s = json_object_get_string(v);
	if (!*s || strlen(s) >= out_size || !is_printable_text(s))
		return json_error("%s: \"%s\" is empty, too long or not text", where, key);
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

int json_base64(json_object *obj, const char *key, const char *where, uint8_t *out, size_t out_size,
		       size_t *out_len)
{
	json_object *v = json_member(obj, key, json_type_string);
	int r;

	if (!v)
		return json_error("%s: \"%s\" must be a string", where, key);
	r = base64_decode(json_object_get_string(v), out, out_size, out_len);
	if (r < 0 || *out_len == 0)
		return json_error("%s: \"%s\" is not valid base64 of at most %zu bytes", where, key, out_size);
	return 0;
}

/* Checks "type" against the one value supported; another value is unsupported, not damage. */
int json_expect_type(json_object *obj, const char *where, const char *what, const char *expected)
{
	char type[LUKS_NAME_MAX];
	int r = json_text(obj, "type", where, type, sizeof(type));

	if (r < 0)
		return r;
	if (strcmp(type, expected) != 0)
		return log_error_ret(-LUKS_ERR_UNSUPPORTED, "LUKS2 metadata: %s: unsupported %s type \"%s\" (only \"%s\")",
				     where, what, type, expected);
	return 0;
}

/* Object keys of keyslots, digests, segments and tokens are small decimal numbers. */
int json_object_index(const char *key, int max, const char *section)
{
	uint64_t v;

	if (parse_u64(key, &v) < 0 || v >= (uint64_t)max || (key[0] == '0' && key[1]))
		return json_error("%s: invalid id \"%s\" (must be 0-%d)", section, key, max - 1);
	return (int)v;
}

/* Reads an array of decimal id strings into a bit mask. */
int json_id_mask(json_object *obj, const char *key, const char *where, int max, uint32_t *mask)
{
	json_object *arr = json_member(obj, key, json_type_array);
	size_t n;

	if (!arr)
		return json_error("%s: \"%s\" must be an array", where, key);
	n = json_object_array_length(arr);
	*mask = 0;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		int id;
		if (!json_object_is_type(e, json_type_string))
			return json_error("%s: \"%s\" must hold strings", where, key);
		id = json_object_index(json_object_get_string(e), max, where);
		if (id < 0)
			return id;
		*mask |= 1u << id;
	}
	return 0;
}
