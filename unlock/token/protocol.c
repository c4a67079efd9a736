/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "token/protocol.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "token/message.h"

static const char *const failure_names[] = {
	[TOKEN_FAIL_NONE] = "none",
	[TOKEN_FAIL_NO_DEVICE] = "no-device",
	[TOKEN_FAIL_POLICY] = "policy",
	[TOKEN_FAIL_BAD_PIN] = "bad-pin",
	[TOKEN_FAIL_LOCKOUT] = "lockout",
	[TOKEN_FAIL_BAD_TOKEN] = "bad-token",
	[TOKEN_FAIL_UNSUPPORTED] = "unsupported",
	[TOKEN_FAIL_DEVICE] = "device",
	[TOKEN_FAIL_HELPER] = "helper",
};

static const char *const status_names[] = {
	[TOKEN_STATUS_OK] = "ok",
	[TOKEN_STATUS_NEED_PIN] = "need-pin",
	[TOKEN_STATUS_FAIL] = "fail",
};

const char *const token_measure_bank_names[TOKEN_MEASURE_BANKS] = { "sha1", "sha256", "sha384", "sha512" };
const size_t token_measure_digest_sizes[TOKEN_MEASURE_BANKS] = { 20, 32, 48, 64 };

const char *token_failure_name(enum token_failure c)
{
	return (size_t)c < ARRAY_SIZE(failure_names) ? failure_names[c] : "?";
}

static bool field_is(const struct token_field *f, const char *word)
{
	return f && f->len == strlen(word) && memcmp(f->value, word, f->len) == 0;
}

/* A text field copied into out, which it must fit, with no NUL or newline in it. */
static int field_text(const struct token_field *f, char *out, size_t size)
{
	if (!f || f->len >= size || memchr(f->value, '\0', f->len) || memchr(f->value, '\n', f->len))
		return -EBADMSG;
	memcpy(out, f->value, f->len);
	out[f->len] = '\0';
	return 0;
}

int token_request_build(const char *device, const struct token_files *files, const struct secret *pin, const char *json,
			struct secret **out)
{
	struct secret *m = secret_new(TOKEN_MESSAGE_MAX);
	int r;

	if (!m)
		return -ENOMEM;
	r = token_message_add_text(m, "device", device);
	if (r == 0 && files->signature && *files->signature)
		r = token_message_add_text(m, "signature", files->signature);
	if (r == 0 && files->pcrlock && *files->pcrlock)
		r = token_message_add_text(m, "pcrlock", files->pcrlock);
	if (r == 0 && pin)
		r = token_message_add(m, "pin", pin->data, pin->len);
	if (r == 0)
		r = token_message_add_text(m, "token", json);
	if (r < 0) {
		secret_free(m);
		return r;
	}
	*out = m;
	return 0;
}

int token_measure_request_build(const char *device, const struct token_measure *m, struct secret **out)
{
	struct secret *msg = secret_new(TOKEN_MESSAGE_MAX);
	char pcr[16];
	int r;

	if (!msg)
		return -ENOMEM;
	snprintf(pcr, sizeof(pcr), "%u", m->pcr);
	r = token_message_add_text(msg, "device", device);
	if (r == 0)
		r = token_message_add_text(msg, "measure-pcr", pcr);
	if (r == 0 && m->banks[0])
		r = token_message_add_text(msg, "measure-banks", m->banks);
	if (r == 0)
		r = token_message_add_text(msg, "measure-event", m->event);
	for (size_t i = 0; r == 0 && i < TOKEN_MEASURE_BANKS; i++)
		r = token_message_add(msg, token_measure_bank_names[i], m->digests[i], token_measure_digest_sizes[i]);
	if (r < 0) {
		secret_free(msg);
		return r;
	}
	*out = msg;
	return 0;
}

/* A measurement request's records: a PCR number of 0-23, the banks and event as text, every digest
 * of its size. */
static int measure_parse(const struct token_message *m, struct token_measure *out)
{
	const struct token_field *banks = token_message_get(m, "measure-banks");
	char pcr[8];
	uint64_t n;

	if (field_text(token_message_get(m, "measure-pcr"), pcr, sizeof(pcr)) < 0 || parse_u64(pcr, &n) < 0 || n > 23 ||
	    (banks && field_text(banks, out->banks, sizeof(out->banks)) < 0) ||
	    field_text(token_message_get(m, "measure-event"), out->event, sizeof(out->event)) < 0)
		return -EBADMSG;
	out->pcr = (unsigned)n;
	for (size_t i = 0; i < TOKEN_MEASURE_BANKS; i++) {
		const struct token_field *d = token_message_get(m, token_measure_bank_names[i]);
		if (!d || d->len != token_measure_digest_sizes[i])
			return -EBADMSG;
		memcpy(out->digests[i], d->value, d->len);
	}
	return 0;
}

int token_request_parse(const uint8_t *buf, size_t len, struct token_request *r)
{
	struct token_message m;
	const struct token_field *pin, *json, *sig, *pcrlock;

	memset(r, 0, sizeof(*r));
	if (token_message_parse(buf, len, &m) < 0 || field_text(token_message_get(&m, "device"), r->device,
								 sizeof(r->device)) < 0)
		return -EBADMSG;
	sig = token_message_get(&m, "signature");
	if (sig && field_text(sig, r->signature, sizeof(r->signature)) < 0)
		return -EBADMSG;
	if ((pcrlock = token_message_get(&m, "pcrlock")) && field_text(pcrlock, r->pcrlock, sizeof(r->pcrlock)) < 0)
		return -EBADMSG;
	if (token_message_get(&m, "measure-pcr")) {
		r->measure = true;
		return measure_parse(&m, &r->m);
	}
	if ((pin = token_message_get(&m, "pin"))) {
		if (pin->len > TOKEN_PIN_MAX)
			return -EBADMSG;
		r->pin = pin->value;
		r->pin_len = pin->len;
	}
	if (!(json = token_message_get(&m, "token")) || json->len == 0)
		return -EBADMSG;
	r->json = json->value;
	r->json_len = json->len;
	return 0;
}

int token_answer_build(const struct token_answer *a, const uint8_t *pass, size_t pass_len, struct secret **out)
{
	struct secret *m = secret_new(TOKEN_PASSPHRASE_MAX + TOKEN_REASON_MAX + 128);
	char tries[16];
	int r;

	if (!m)
		return -ENOMEM;
	r = token_message_add_text(m, "status", status_names[a->status]);
	if (r == 0 && a->status == TOKEN_STATUS_OK && !pass)
		r = token_message_add_text(m, "measured", a->measured);
	else if (r == 0 && a->status == TOKEN_STATUS_OK)
		r = token_message_add(m, "passphrase", pass, pass_len);
	if (r == 0 && a->status == TOKEN_STATUS_NEED_PIN && a->label[0])
		r = token_message_add_text(m, "label", a->label);
	if (r == 0 && a->status == TOKEN_STATUS_NEED_PIN && a->reason[0])
		r = token_message_add_text(m, "reason", a->reason);
	if (r == 0 && a->status == TOKEN_STATUS_FAIL) {
		snprintf(tries, sizeof(tries), "%d", a->tries_left);
		r = token_message_add_text(m, "class", token_failure_name(a->failure));
		if (r == 0)
			r = token_message_add_text(m, "tries", tries);
		if (r == 0)
			r = token_message_add_text(m, "reason", a->reason);
	}
	if (r < 0) {
		secret_free(m);
		return r;
	}
	*out = m;
	return 0;
}

static int answer_status(const struct token_field *f, enum token_status *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(status_names); i++)
		if (field_is(f, status_names[i]))
			return *out = (enum token_status)i, 0;
	return -EBADMSG;
}

static void printable(char *text)
{
	for (char *c = text; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
			*c = '?';
}

/* need-pin's fields, both optional: the token's label and a warning, printable. */
static int answer_need_pin(const struct token_message *m, struct token_answer *a)
{
	const struct token_field *label = token_message_get(m, "label"), *reason = token_message_get(m, "reason");

	if ((label && field_text(label, a->label, sizeof(a->label)) < 0) ||
	    (reason && field_text(reason, a->reason, sizeof(a->reason)) < 0))
		return -EBADMSG;
	printable(a->label);
	printable(a->reason);
	return 0;
}

/* The failure fields: a known class other than none, tries from -1 to 1000, a printable reason. */
static int answer_failure(const struct token_message *m, struct token_answer *a)
{
	const struct token_field *class = token_message_get(m, "class");
	char tries[8];
	uint64_t n;
	size_t i;

	for (i = 1; i < TOKEN_FAIL_HELPER && !field_is(class, failure_names[i]); i++)
		;
	if (i == TOKEN_FAIL_HELPER || field_text(token_message_get(m, "tries"), tries, sizeof(tries)) < 0 ||
	    field_text(token_message_get(m, "reason"), a->reason, sizeof(a->reason)) < 0)
		return -EBADMSG;
	a->failure = (enum token_failure)i;
	if (strcmp(tries, "-1") == 0)
		a->tries_left = -1;
	else if (parse_u64(tries, &n) == 0 && n <= 1000)
		a->tries_left = (int)n;
	else
		return -EBADMSG;
	printable(a->reason);
	return 0;
}

int token_answer_parse(const uint8_t *buf, size_t len, struct token_answer *a)
{
	const struct token_field *pass;
	struct token_message m;

	memset(a, 0, sizeof(*a));
	a->tries_left = -1;
	if (token_message_parse(buf, len, &m) < 0 || answer_status(token_message_get(&m, "status"), &a->status) < 0)
		return -EBADMSG;
	if (a->status == TOKEN_STATUS_FAIL)
		return answer_failure(&m, a);
	if (a->status == TOKEN_STATUS_NEED_PIN)
		return answer_need_pin(&m, a);
	if (token_message_get(&m, "measured")) {
		if (field_text(token_message_get(&m, "measured"), a->measured, sizeof(a->measured)) < 0 || !a->measured[0])
			return -EBADMSG;
		printable(a->measured);
		return 0;
	}
	pass = token_message_get(&m, "passphrase");
	if (!pass || pass->len == 0 || pass->len > TOKEN_PASSPHRASE_MAX)
		return -EBADMSG;
	if (!(a->passphrase = secret_new(pass->len)))
		return -ENOMEM;
	return secret_append(a->passphrase, pass->value, pass->len);
}

void token_answer_done(struct token_answer *a)
{
	secret_free(a->passphrase);
	a->passphrase = NULL;
}

void token_answer_fail(struct token_answer *a, enum token_failure c, const char *fmt, ...)
{
	va_list ap;

	token_answer_done(a);
	a->status = TOKEN_STATUS_FAIL;
	a->failure = c;
	a->tries_left = -1;
	va_start(ap, fmt);
	vsnprintf(a->reason, sizeof(a->reason), fmt, ap);
	va_end(ap);
}
