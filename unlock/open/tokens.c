/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "open/tokens.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/errors.h"
#include "base/log.h"
#include "base/util.h"
#include "token/helper.h"
#include "token/protocol.h"

#define TOKEN_TIMEOUT_DEFAULT_SEC 30

/* A PKCS#11 token named by URI that is not there yet is asked for again this often. */
#define TOKEN_APPEAR_POLL_MS 500

static bool token_is_pkcs11(const char *type)
{
	return strcmp(type, "systemd-pkcs11") == 0;
}

static const char *token_label(const char *type)
{
	return strcmp(type, "systemd-tpm2") == 0 ? "TPM2" : token_is_pkcs11(type) ? "PKCS#11" : type;
}

static bool token_fits(const struct luks_token *t, int key_slot)
{
	return t->active && t->keyslots && (key_slot < 0 || (t->keyslots & (1u << key_slot)));
}

static bool token_wanted(const struct luks_token *t, unsigned types)
{
	unsigned type = token_is_pkcs11(t->type) ? TOKEN_TYPE_PKCS11 : strcmp(t->type, "systemd-tpm2") == 0 ? TOKEN_TYPE_TPM2 : 0;

	return types == 0 || (types & type);
}

int volume_usable_tokens(const struct volume *v, int key_slot)
{
	char path[PATH_MAX];
	int n = 0;

	for (int i = 0; i < LUKS_TOKENS_MAX; i++)
		if (token_fits(&v->hdr.tokens[i], key_slot) && token_helper_find(v->hdr.tokens[i].type, path, sizeof(path)))
			n++;
	return n;
}

static int first_slot(uint32_t mask)
{
	for (int i = 0; i < LUKS_KEYSLOTS_MAX; i++)
		if (mask & (1u << i))
			return i;
	return -1;
}

struct token_try {
	const struct volume *v;
	const struct token_step *step;
	int id;
	const char *helper;
	const char *json;
	const char *type;
};

static void pin_prompt(const struct token_try *t, const struct token_answer *a, char *prompt, size_t size)
{
	if (token_is_pkcs11(t->type) && a->label[0])
		snprintf(prompt, size, "PIN for token %s (volume %s): ", a->label, t->step->name);
	else
		snprintf(prompt, size, "%s PIN for %s: ", token_label(t->type), t->step->name);
}

static int token_ask_pin(const struct token_try *t, const struct token_answer *a, int asked, struct secret **pin)
{
	const struct token_step *s = t->step;
	char prompt[160];

	secret_free(*pin);
	*pin = NULL;
	if (s->headless || !s->ask_pin) {
		log_warning("%s: %s token %d needs a PIN, and headless= forbids asking for it", s->name,
			    token_label(t->type), t->id);
		return -LUKS_ERR_WRONG_SECRET;
	}
	if (s->tries > 0 && asked >= s->tries)
		return -LUKS_ERR_WRONG_SECRET;
	if (a->status == TOKEN_STATUS_NEED_PIN && a->reason[0])
		log_warning("%s: %s token %d: %s", s->name, token_label(t->type), t->id, a->reason);
	pin_prompt(t, a, prompt, sizeof(prompt));
	if (s->ask_pin(s->ctx, prompt, pin) < 0)
		return -LUKS_ERR_WRONG_SECRET;
	/* no answer at all (end of input) must not cost one of the TPM's tries */
	if ((*pin)->len == 0) {
		log_warning("%s: an empty PIN is not tried", s->name);
		return -LUKS_ERR_WRONG_SECRET;
	}
	return 0;
}

static int token_passphrase_use(const struct token_try *t, const struct secret *pass, struct secret **key,
				int *digest)
{
	const struct luks_token *tok = &t->v->hdr.tokens[t->id];
	int slot, r = volume_unlock(t->v, first_slot(tok->keyslots), pass, key, digest, &slot);

	if (r == 0)
		log_info("%s: opened with %s token %d (keyslot %d)", t->step->name, token_label(tok->type), t->id, slot);
	else if (r == -LUKS_ERR_WRONG_SECRET)
		log_warning("%s: %s token %d gave a secret that opens no keyslot: the token or its keyslot is damaged",
			    t->step->name, token_label(tok->type), t->id);
	return r;
}

static void token_failure_say(const struct token_try *t, const struct token_answer *a)
{
	const char *label = token_label(t->type);

	if (a->failure == TOKEN_FAIL_BAD_PIN && a->tries_left >= 0)
		log_warning("%s: %s token %d: %s (%d tries left before the %s locks out)", t->step->name, label,
			    t->id, a->reason, a->tries_left, token_is_pkcs11(t->type) ? "token" : "TPM");
	else
		log_warning("%s: %s token %d: %s", t->step->name, label, t->id, a->reason);
}

static const char *token_device(const struct token_try *t)
{
	const char *device = token_is_pkcs11(t->type) ? t->step->pkcs11_uri : t->step->tpm2_device;

	return device ? device : "auto";
}

/*
 * One run of the helper. A PKCS#11 token named by URI (pkcs11-uri=) that is not there is waited
 * for until the deadline, as systemd-cryptsetup waits for it: a USB token is plugged in late.
 */
static int token_run(const struct token_try *t, const struct secret *pin, long long deadline, struct token_answer *a)
{
	const struct token_step *s = t->step;
	bool said = false;

	for (int attempt = 0;; attempt++) {
		_cleanup_secret_ struct secret *request = NULL;
		long long left = deadline - monotonic_ms();
		int r;
		if (s->before_pkcs11 && token_is_pkcs11(t->type))
			s->before_pkcs11(attempt);
		r = token_request_build(token_device(t), &(const struct token_files){ s->signature, s->pcrlock }, pin, t->json,
					&request);
		if (r < 0 || (r = token_helper_run(t->helper, request, (int)(left > 1000 ? (left + 999) / 1000 : 1), a)) < 0)
			return r;
		if (a->status != TOKEN_STATUS_FAIL || a->failure != TOKEN_FAIL_NO_DEVICE || !token_is_pkcs11(t->type) ||
		    !s->pkcs11_uri || monotonic_ms() + TOKEN_APPEAR_POLL_MS >= deadline)
			return 0;
		if (!said)
			log_info("%s: waiting up to %lld s for the PKCS#11 token (%s)", s->name, (left + 999) / 1000,
				 a->reason);
		said = true;
		usleep(TOKEN_APPEAR_POLL_MS * 1000);
	}
}

/* One token, with PIN questions as it needs them. */
static int token_try_one(const struct token_try *t, struct secret **key, int *digest)
{
	const struct token_step *s = t->step;
	_cleanup_secret_ struct secret *pin = NULL;
	int timeout = s->timeout_sec > 0 ? s->timeout_sec : TOKEN_TIMEOUT_DEFAULT_SEC;
	char label[TOKEN_LABEL_MAX] = "";

	for (int asked = 0;;) {
		struct token_answer a;
		int r = token_run(t, pin, monotonic_ms() + timeout * 1000LL, &a);
		if (r < 0)
			return r;
		/* a wrong PIN's answer does not repeat the token's name the question gives */
		if (a.status == TOKEN_STATUS_OK && !a.passphrase)
			token_answer_fail(&a, TOKEN_FAIL_HELPER, "the helper answered with no secret");
		if (a.label[0])
			memcpy(label, a.label, sizeof(label));
		else
			memcpy(a.label, label, sizeof(label));
		if (a.status == TOKEN_STATUS_OK) {
			r = token_passphrase_use(t, a.passphrase, key, digest);
			token_answer_done(&a);
			return r;
		}
		if (a.status == TOKEN_STATUS_FAIL)
			token_failure_say(t, &a);
		if ((a.status == TOKEN_STATUS_FAIL && (a.failure != TOKEN_FAIL_BAD_PIN || a.tries_left == 0)) ||
		    (r = token_ask_pin(t, &a, asked, &pin)) < 0)
			return -LUKS_ERR_WRONG_SECRET;
		asked++;
	}
}

int volume_unlock_by_tokens(const struct volume *v, const struct token_step *step, struct secret **key,
			    int *digest)
{
	int tried = 0, r;

	for (int i = 0; i < LUKS_TOKENS_MAX; i++) {
		char path[PATH_MAX];
		_cleanup_free_ char *json = NULL;
		struct token_try t = { .v = v, .step = step, .id = i, .helper = path, .type = v->hdr.tokens[i].type };
		if (!token_fits(&v->hdr.tokens[i], step->key_slot) || !token_wanted(&v->hdr.tokens[i], step->types) ||
		    !token_helper_find(v->hdr.tokens[i].type, path, sizeof(path)))
			continue;
		if ((r = luks2_token_json(&v->hdr, i, &json)) == -ENOMEM)
			return r;
		if (r < 0) {
			log_warning("%s: %s token %d cannot be read from the header; skipped", step->name,
				    token_label(v->hdr.tokens[i].type), i);
			continue;
		}
		t.json = json;
		tried++;
		r = token_try_one(&t, key, digest);
		if (r != -LUKS_ERR_WRONG_SECRET)
			return r;
	}
	return tried ? -LUKS_ERR_WRONG_SECRET : -ENOENT;
}
