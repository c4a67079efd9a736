/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "luks/luks.h"

#include <errno.h>
#include <json.h>
#include <stdio.h>
#include <string.h>

/* The header's JSON text was validated when it was read; only the token object is taken again. */
int luks2_token_json(const struct luks_header *hdr, int id, char **out)
{
	json_object *root, *tokens, *token;
	char key[12];
	int r = -ENOENT;

	*out = NULL;
	if (!hdr->json || id < 0 || id >= LUKS_TOKENS_MAX || !hdr->tokens[id].active)
		return -ENOENT;
	if (!(root = json_tokener_parse(hdr->json)))
		return -EINVAL;
	snprintf(key, sizeof(key), "%d", id);
	if (json_object_object_get_ex(root, "tokens", &tokens) && json_object_object_get_ex(tokens, key, &token)) {
		*out = strdup(json_object_to_json_string_ext(token, JSON_C_TO_STRING_PLAIN));
		r = *out ? 0 : -ENOMEM;
	}
	json_object_put(root);
	return r;
}
