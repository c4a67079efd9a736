/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_TOKEN_PROTOCOL_H
#define UNLOCK_TOKEN_PROTOCOL_H

/*
 * The request unlock sends a token helper and the answer it gets back (records of message.h).
 * Request: "device" (auto, a TPM path or TCTI string, or a PKCS#11 URI), "signature" and "pcrlock"
 * (files, optional), "pin" (optional) and "token" (the token's JSON from the LUKS2 header). Answer: "status"
 * ok with "passphrase" (the keyslot's passphrase the token yields); need-pin, optionally with
 * "label" (the token's name, for the question) and "reason" (a warning about the PIN); or fail
 * with "class", "tries" (PIN tries left, -1 unknown) and "reason" (one line for the console).
 *
 * A measurement request (unlock-tpm2 only) has "measure-pcr" instead of "token": with
 * "measure-banks" (optional), "measure-event" (the event's text) and one digest record per bank
 * ("sha1", "sha256", "sha384", "sha512"), to extend the PCR with. Its answer: ok with "measured"
 * (the banks extended), or fail.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/secret.h"

#define TOKEN_REASON_MAX 256
#define TOKEN_DEVICE_MAX 1024
#define TOKEN_LABEL_MAX 64
#define TOKEN_PATH_MAX 4096
#define TOKEN_PIN_MAX 256
#define TOKEN_PASSPHRASE_MAX 1024

enum token_status { TOKEN_STATUS_OK, TOKEN_STATUS_NEED_PIN, TOKEN_STATUS_FAIL };

enum token_failure {
	TOKEN_FAIL_NONE,
	TOKEN_FAIL_NO_DEVICE,   /* no TPM, no PKCS#11 token (or not the one named) */
	TOKEN_FAIL_POLICY,      /* PCR values or a signed policy do not match */
	TOKEN_FAIL_BAD_PIN,     /* the PIN was wrong */
	TOKEN_FAIL_LOCKOUT,     /* dictionary-attack lockout, a locked PIN: no more PINs */
	TOKEN_FAIL_BAD_TOKEN,   /* the token's JSON or blob is damaged */
	TOKEN_FAIL_UNSUPPORTED, /* a field or kind of token not implemented */
	TOKEN_FAIL_DEVICE,      /* the TPM or token refused or failed otherwise */
	TOKEN_FAIL_HELPER,      /* the helper crashed, hung or answered garbage (set by unlock) */
};

#define TOKEN_MEASURE_BANKS 4

/* What a PCR is extended with: a digest for each bank it may have, made by unlock. */
struct token_measure {
	unsigned pcr;
	char banks[64];                     /* "sha256:sha1" (tpm2-measure-bank=); empty: systemd's choice */
	char event[TOKEN_REASON_MAX];       /* the event's text, for the event log */
	uint8_t digests[TOKEN_MEASURE_BANKS][64]; /* sha1, sha256, sha384, sha512 */
};

/* The record names of the digests, in the order of token_measure.digests, and their sizes. */
extern const char *const token_measure_bank_names[TOKEN_MEASURE_BANKS];
extern const size_t token_measure_digest_sizes[TOKEN_MEASURE_BANKS];

struct token_request {
	char device[TOKEN_DEVICE_MAX];
	char signature[TOKEN_PATH_MAX]; /* empty: the default places */
	char pcrlock[TOKEN_PATH_MAX];   /* the pcrlock prediction; empty: the default places */
	const uint8_t *pin;             /* NULL: none given */
	size_t pin_len;
	const uint8_t *json;            /* in the parsed buffer */
	size_t json_len;
	bool measure;                   /* a measurement request: m, not json */
	struct token_measure m;
};

struct token_answer {
	enum token_status status;
	enum token_failure failure;
	int tries_left;
	char reason[TOKEN_REASON_MAX];
	char label[TOKEN_LABEL_MAX]; /* need-pin: the token's name, or empty */
	char measured[64];           /* ok to a measurement: the banks extended */
	struct secret *passphrase;   /* status ok only */
};

/* unlock's side: the request in locked memory (it may hold a PIN). */
struct token_files {
	const char *signature; /* NULL: systemd's places */
	const char *pcrlock;   /* NULL: systemd's places */
};
int token_request_build(const char *device, const struct token_files *files, const struct secret *pin, const char *json,
			struct secret **out);
int token_measure_request_build(const char *device, const struct token_measure *m, struct secret **out);
/* A helper's answer; -EBADMSG when garbled. The reason is kept printable. */
int token_answer_parse(const uint8_t *buf, size_t len, struct token_answer *a);
void token_answer_done(struct token_answer *a);
/* Fills a as a failure of class c with the reason (used for what goes wrong around a helper). */
void token_answer_fail(struct token_answer *a, enum token_failure c, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The helper's side; pin and json point into buf. */
int token_request_parse(const uint8_t *buf, size_t len, struct token_request *r);
int token_answer_build(const struct token_answer *a, const uint8_t *pass, size_t pass_len, struct secret **out);

const char *token_failure_name(enum token_failure c);

#endif
