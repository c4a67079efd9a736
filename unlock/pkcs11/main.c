/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * unlock-pkcs11: the PKCS#11 token helper, unlock-tpm2's sibling (token/serve.h). It answers with
 * the keyslot's passphrase a systemd-pkcs11 token yields, that the token wants its PIN, or why it
 * failed. PKCS#11 modules are shared objects loaded through p11-kit, so this is a dynamically
 * linked program of its own, and PID 1 never loads a module.
 */
#include <errno.h>
#include <nettle/base64.h>
#include <string.h>

#include "pkcs11/pkcs11.h"
#include "token/serve.h"

/* The keyslot's passphrase: the standard base64 of the key, padded, as systemd-cryptenroll types it. */
static int passphrase_from_key(const struct secret *key, struct secret **pass)
{
	struct secret *s = secret_new(BASE64_ENCODE_RAW_LENGTH(key->len));

	if (!s)
		return -ENOMEM;
	base64_encode_raw((char *)s->data, key->len, key->data);
	s->len = BASE64_ENCODE_RAW_LENGTH(key->len);
	*pass = s;
	return 0;
}

static void token_open(CK_FUNCTION_LIST **modules, P11KitUri *uri, const struct pkcs11_token *t,
		       const struct token_request *req, struct token_answer *a, struct secret **pass)
{
	_cleanup_secret_ struct secret *key = NULL;
	struct pkcs11_slot slot;

	if (pkcs11_slot_find(modules, uri, &slot, a) < 0)
		return;
	if (pkcs11_login(&slot, req->pin, req->pin_len, a) == 0 && pkcs11_key_recover(&slot, uri, t, &key, a) == 0) {
		if (passphrase_from_key(key, pass) == 0)
			a->status = TOKEN_STATUS_OK;
		else
			token_answer_fail(a, TOKEN_FAIL_HELPER, "out of memory");
	}
	pkcs11_slot_close(&slot);
}

static void pkcs11_answer(const struct token_request *req, struct token_answer *a, struct secret **pass)
{
	static struct pkcs11_token token;
	const char *uri_text = strcmp(req->device, "auto") == 0 ? token.uri : req->device;
	P11KitUri *uri = p11_kit_uri_new();
	CK_FUNCTION_LIST **modules;
	char why[TOKEN_REASON_MAX];
	int r = pkcs11_token_parse(req->json, req->json_len, &token, why, sizeof(why));

	/* uri_text points at token.uri, filled in just now, for "auto". */
	if (r < 0)
		token_answer_fail(a, r == -EOPNOTSUPP ? TOKEN_FAIL_UNSUPPORTED : TOKEN_FAIL_BAD_TOKEN, "%s", why);
	else if (!uri || p11_kit_uri_parse(uri_text, P11_KIT_URI_FOR_ANY, uri) != P11_KIT_URI_OK)
		token_answer_fail(a, TOKEN_FAIL_BAD_TOKEN, "%.64s is not a PKCS#11 URI", uri_text);
	else {
		modules = p11_kit_modules_load_and_initialize(0);
		token_open(modules, uri, &token, req, a, pass);
		if (modules)
			p11_kit_modules_finalize_and_release(modules);
	}
	if (uri)
		p11_kit_uri_free(uri);
	explicit_bzero(&token, sizeof(token));
}

int main(void)
{
	return token_serve("unlock-pkcs11", pkcs11_answer) == 0 ? 0 : 1;
}
