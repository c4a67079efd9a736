/* SPDX-License-Identifier: GPL-2.0-or-later */
/* systemd-pcrlock's prediction file, pcrlock.json, read for tpm2/pcrlock.c (declared there). */
#include "tpm2/pcrlock.h"

#include <errno.h>
#include <json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "base/util.h"
#include "tpm2/token.h"

#define PCRLOCK_FILE_MAX (1u << 20)
#define PCRLOCK_DEPTH_MAX 8

static int __attribute__((format(printf, 3, 4))) bad(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

/* One pcrValues entry: {"pcr": N, "values": [HEX, ...]}, duplicates dropped, the file's order kept
 * (the order of PolicyOR's branches is part of the digest). */
static int pcr_entry(json_object *e, struct tpm2_pcrlock *p, size_t size, char *why, size_t why_size)
{
	json_object *nr, *values;
	int64_t pcr;

	if (!json_object_object_get_ex(e, "pcr", &nr) || !json_object_is_type(nr, json_type_int) ||
	    (pcr = json_object_get_int64(nr)) < 0 || pcr >= TPM2_PCRS)
		return bad(why, why_size, "a pcrValues entry has no PCR number of 0-23");
	if (!json_object_object_get_ex(e, "values", &values) || !json_object_is_type(values, json_type_array))
		return bad(why, why_size, "PCR %d's entry has no values", (int)pcr);
	p->pcrs |= 1u << pcr;
	for (size_t i = 0; i < json_object_array_length(values); i++) {
		uint8_t v[64];
		size_t len;
		bool seen = false;
		if (hex_decode(json_object_get_string(json_object_array_get_idx(values, i)), v, size, &len) < 0 || len != size)
			return bad(why, why_size, "a value of PCR %d is not a %zu-byte digest in hex", (int)pcr, size);
		for (int k = 0; k < p->n_values[pcr]; k++)
			seen = seen || memcmp(p->values[pcr][k], v, size) == 0;
		if (seen)
			continue;
		if (p->n_values[pcr] == PCRLOCK_VALUES_MAX)
			return bad(why, why_size, "PCR %d has more than %d predicted values", (int)pcr, PCRLOCK_VALUES_MAX);
		memcpy(p->values[pcr][p->n_values[pcr]++], v, size);
	}
	if (!p->n_values[pcr])
		return bad(why, why_size, "PCR %d has no predicted value", (int)pcr);
	return 0;
}

int tpm2_pcrlock_parse(const char *text, size_t len, struct tpm2_pcrlock *p, char *why, size_t why_size)
{
	struct json_tokener *tok = json_tokener_new_ex(PCRLOCK_DEPTH_MAX);
	json_object *root = NULL, *bank, *values;
	size_t size;
	int r = 0;

	memset(p->values, 0, sizeof(p->values));
	memset(p->n_values, 0, sizeof(p->n_values));
	p->pcrs = 0;
	if (!tok)
		return -ENOMEM;
	if (len > PCRLOCK_FILE_MAX || memchr(text, '\0', len) || !(root = json_tokener_parse_ex(tok, text, (int)len)) ||
	    !json_object_is_type(root, json_type_object))
		r = bad(why, why_size, "it is not one JSON object");
	else if (!json_object_object_get_ex(root, "pcrBank", &bank) || !json_object_is_type(bank, json_type_string) ||
		 tpm2_bank_from_name(json_object_get_string(bank), &p->bank) < 0)
		r = bad(why, why_size, "its pcrBank is not sha1, sha256, sha384 or sha512");
	else if (!json_object_object_get_ex(root, "pcrValues", &values) || !json_object_is_type(values, json_type_array))
		r = bad(why, why_size, "it has no pcrValues array");
	size = tpm2_bank_digest_size(p->bank);
	for (size_t i = 0; r == 0 && i < json_object_array_length(values); i++)
		r = pcr_entry(json_object_array_get_idx(values, i), p, size, why, why_size);
	json_object_put(root);
	json_tokener_free(tok);
	return r;
}

int tpm2_pcrlock_load(const char *given, struct tpm2_pcrlock *p, struct token_answer *fail)
{
	static const char *const places[] = { "/run/systemd/pcrlock.json", "/var/lib/systemd/pcrlock.json" };
	char why[160];
	char *text = NULL;
	size_t n = 0;
	int r;

	for (size_t i = 0; i < (given && *given ? 1 : ARRAY_SIZE(places)) && !text; i++) {
		const char *path = given && *given ? given : places[i];
		FILE *f = fopen(path, "re");
		if (!f)
			continue;
		snprintf(p->path, sizeof(p->path), "%s", path);
		text = calloc(1, PCRLOCK_FILE_MAX + 1);
		n = text ? fread(text, 1, PCRLOCK_FILE_MAX + 1, f) : 0;
		fclose(f);
		if (!text)
			return -ENOMEM;
	}
	if (!text) {
		if (given && *given)
			token_answer_fail(fail, TOKEN_FAIL_POLICY, "the token uses systemd-pcrlock's policy, and its prediction %.100s is missing", given);
		else
			token_answer_fail(fail, TOKEN_FAIL_POLICY, "the token uses systemd-pcrlock's policy, and no prediction (pcrlock.json) is in /run/systemd or /var/lib/systemd");
		return -ENOENT;
	}
	r = tpm2_pcrlock_parse(text, n, p, why, sizeof(why));
	free(text);
	if (r < 0)
		token_answer_fail(fail, TOKEN_FAIL_POLICY, "the pcrlock prediction %.80s is damaged: %s", p->path, why);
	return r;
}
