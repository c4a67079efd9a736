/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_TOKEN_MESSAGE_H
#define UNLOCK_TOKEN_MESSAGE_H

/*
 * What unlock and a token helper (unlock-tpm2) say to each other over one socket: a request, then
 * an answer. Each is a list of records "NAME LENGTH\nBYTES\n": NAME a short word of [a-z0-9-],
 * LENGTH decimal, BYTES anything. The request holds the TPM device, the signature file, the PIN
 * and the token's JSON; the answer a status and then the passphrase or the reason for a failure.
 */

#include <stddef.h>
#include <stdint.h>

#include "crypto/secret.h"

#define TOKEN_MESSAGE_MAX (256u << 10)
#define TOKEN_FIELDS_MAX 12
#define TOKEN_FIELD_NAME_MAX 16

struct token_field {
	char name[TOKEN_FIELD_NAME_MAX];
	const uint8_t *value; /* points into the parsed buffer */
	size_t len;
};

struct token_message {
	struct token_field fields[TOKEN_FIELDS_MAX];
	size_t n;
};

/* Splits buf into records; -EBADMSG unless it is a whole list of well-formed records, each name once. */
int token_message_parse(const uint8_t *buf, size_t len, struct token_message *m);
/* The record called name, or NULL. */
const struct token_field *token_message_get(const struct token_message *m, const char *name);
/* Appends one record to out (locked memory, for PINs and passphrases); -ENOSPC when it is full. */
int token_message_add(struct secret *out, const char *name, const void *value, size_t len);
/* Appends a record whose value is text. */
int token_message_add_text(struct secret *out, const char *name, const char *text);

#endif
