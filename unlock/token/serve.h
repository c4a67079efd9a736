/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_TOKEN_SERVE_H
#define UNLOCK_TOKEN_SERVE_H

/*
 * A token helper's side of token/protocol.h: one request read from standard input until unlock
 * closes its end, handed to answer(), whose answer (and passphrase, in locked memory) goes back on
 * standard output. A request that is not one, or an answer left without a reason, is answered as a
 * failure of the helper, never not at all.
 */

#include "crypto/secret.h"
#include "token/protocol.h"

/* Fills a (its status ok with *pass set, need-pin, or a failure with the reason). */
typedef void (*token_answer_fn)(const struct token_request *req, struct token_answer *a, struct secret **pass);

/* The helper's main: 0 when the answer was written. */
int token_serve(const char *helper_name, token_answer_fn answer);

#endif
