/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_CONSOLE_H
#define UNLOCK_CONSOLE_H

#include <stdbool.h>

#include "crypto/secret.h"

#define CONSOLES_MAX 8

/* Every console the kernel writes to (console= may be given several times). */
struct consoles {
	int fd[CONSOLES_MAX];
	int n;
};

/* Whether every console= of the kernel command line CMDLINE is registered (listed in
 * /sys/class/tty/console/active): one whose driver is a module (virtio's hvc0, a USB serial
 * adapter) is not until that module is loaded. */
bool consoles_named_registered(const char *cmdline);
/* The same against ACTIVE, that file's text. */
bool console_names_all_in(const char *cmdline, const char *active);
/* Opens the consoles in /sys/class/tty/console/active (or /dev/console); returns how many. */
int consoles_open(struct consoles *c);
void consoles_close(struct consoles *c);
void consoles_write(const struct consoles *c, const char *text);
/*
 * Shows prompt on every console without echo; the first line entered on any of them wins.
 * -ETIMEDOUT when none was entered within timeout_sec (0: no limit); -EAGAIN when the answer was
 * unusable (longer than max, or ended with Ctrl-D instead of Enter): it costs a try.
 */
int consoles_read_secret(const struct consoles *c, const char *prompt, size_t max, int timeout_sec, struct secret **out);

#endif
