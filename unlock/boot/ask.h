/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_BOOT_ASK_H
#define UNLOCK_BOOT_ASK_H

/* PID 1 and the person at the console: every console the kernel writes to, the passphrase
 * questions, and what they are told. */

#include "boot/boot.h"
#include "crypto/secret.h"

struct hotplug;

void ask_consoles_open(void);
/* The background loader whose keyboard and console drivers the first question waits for; NULL
 * before the loader is stopped. */
void ask_use_loader(struct hotplug *hotplug);
void ask_consoles_close(void);
/* Before talking to a person: the consoles reopened once their drivers loaded, the layout set;
 * consoles closed since are opened again. */
void ask_consoles_refresh(void);
/* A log sink: the line on every console. */
void ask_log_to_consoles(const char *line);
/* Text on every console, as it is. */
void ask_say(const char *text);
/* The passphrase for vol, asked with prompt as its options say (headless=, timeout=, verify);
 * -EAGAIN when the answer cannot be used (too long, not ended with Enter, or verify found two
 * different answers: each costs a try), -ETIMEDOUT when none came in time. */
int ask_passphrase(const struct boot_volume *vol, const char *prompt, struct secret **pass);
/* After a wrong passphrase: which attempt it was, and of how many. */
void ask_say_wrong_passphrase(const struct boot_volume *vol, int attempt);

#endif
