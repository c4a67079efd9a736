/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_PROMPT_H
#define UNLOCK_PROMPT_H

#include "crypto/secret.h"

#define PASSPHRASE_MAX 512

/*
 * Reads one passphrase line: from the terminal without echo (showing prompt) when standard input is
 * a terminal, otherwise from standard input up to the first newline, like cryptsetup.
 */
int prompt_passphrase(const char *prompt, struct secret **out);

#endif
