/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_TOKEN_HELPER_H
#define UNLOCK_TOKEN_HELPER_H

/*
 * Runs a token helper program as a child: one socket is its standard input and output, the
 * request goes in, the answer comes back into locked memory. A helper that cannot start, dies,
 * outlives timeout_sec (then it is killed) or answers garbage yields a TOKEN_FAIL_HELPER answer
 * with the reason: the caller never crashes or hangs because of a token stack.
 */

#include "crypto/secret.h"
#include "token/protocol.h"

/* A program of unlock's (unlock-tpm2, unlock-enroll): next to this one, in ../lib/unlock beside it (an
 * installed PREFIX), else in /usr/lib/unlock (where images carry it). */
const char *helper_program_find(const char *program, char *path, size_t size);
/* The helper for a token type ("systemd-tpm2"), next to this program or in /usr/lib/unlock; NULL if none. */
const char *token_helper_find(const char *type, char *path, size_t size);
/* 0 with *answer filled (its status may be a failure); -ENOMEM only. */
int token_helper_run(const char *path, const struct secret *request, int timeout_sec, struct token_answer *answer);

#endif
