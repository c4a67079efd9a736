/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "pkcs11/token.h"

#include <errno.h>
#include <json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "luks/base64.h"

#define TOKEN_DEPTH_MAX 4

static int __attribute__((format(printf, 4, 5))) refuse(char *why, size_t size, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return r;
}

/* systemd checks the URI's characters before it parses it; so does the helper. */
static bool uri_plausible(const char *uri)
{
	static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.~/-_?;&%=";

	return strncmp(uri, "pkcs11:", 7) == 0 && uri[7] && strspn(uri + 7, allowed) == strlen(uri + 7);
}

static int field_parse(const char *key, json_object *v, struct pkcs11_token *t, char *why, size_t size)
{
	const char *s = json_object_get_string(v);

	if (strcmp(key, "type") == 0 || strcmp(key, "keyslots") == 0)
		return 0;
	if (strcmp(key, "pkcs11-uri") == 0) {
		if (!json_object_is_type(v, json_type_string) || strlen(s) >= sizeof(t->uri) || !uri_plausible(s))
			return refuse(why, size, -EBADMSG, "the token's pkcs11-uri is not a PKCS#11 URI");
		snprintf(t->uri, sizeof(t->uri), "%s", s);
		return 0;
	}
	if (strcmp(key, "pkcs11-key") == 0) {
		if (!json_object_is_type(v, json_type_string) ||
		    base64_decode(s, t->key, sizeof(t->key), &t->key_len) < 0 || t->key_len == 0)
			return refuse(why, size, -EBADMSG, "the token's pkcs11-key is not base64 of at most %d bytes",
				      PKCS11_KEY_MAX);
		return 0;
	}
	return refuse(why, size, -EOPNOTSUPP,
		      "the token has a field \"%.64s\" unlock does not know (a newer systemd's?); it is not guessed at", key);
}

static int token_complete(json_object *root, const struct pkcs11_token *t, char *why, size_t size)
{
	json_object *v;

	if (!json_object_object_get_ex(root, "type", &v) || !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), "systemd-pkcs11") != 0)
		return refuse(why, size, -EBADMSG, "the token is not of type systemd-pkcs11");
	if (!t->uri[0])
		return refuse(why, size, -EBADMSG, "the token has no pkcs11-uri");
	if (!t->key_len)
		return refuse(why, size, -EBADMSG, "the token has no pkcs11-key");
	return 0;
}

int pkcs11_token_parse(const uint8_t *json, size_t len, struct pkcs11_token *t, char *why, size_t why_size)
{
	struct json_tokener *tok = json_tokener_new_ex(TOKEN_DEPTH_MAX);
	json_object *root = NULL;
	int r = 0;

	memset(t, 0, sizeof(*t));
	if (!tok)
		return -ENOMEM;
	if (len < 2 || len > INT32_MAX || memchr(json, '\0', len) ||
	    !(root = json_tokener_parse_ex(tok, (const char *)json, (int)len)) ||
	    json_tokener_get_parse_end(tok) != len || !json_object_is_type(root, json_type_object))
		r = refuse(why, why_size, -EBADMSG, "the token is not one JSON object");
	if (r == 0) {
		json_object_object_foreach(root, key, val)
			if (r == 0)
				r = field_parse(key, val, t, why, why_size);
	}
	if (r == 0)
		r = token_complete(root, t, why, why_size);
	json_object_put(root);
	json_tokener_free(tok);
	return r;
}
