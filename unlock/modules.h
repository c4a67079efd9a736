/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_MODULES_H
#define UNLOCK_MODULES_H

struct modules;

int modules_open(struct modules **out);
void modules_close(struct modules *m);
/* Loads a module by name or alias with its dependencies; quiet when absent or built in. */
int modules_load(struct modules *m, const char *name_or_alias);
/* Loads what dm-crypt needs for a cipher spec; the image has no modprobe for the kernel to call. */
void modules_load_for_cipher(struct modules *m, const char *cipher_spec);

#endif
