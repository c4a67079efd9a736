/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_KEYMAP_H
#define UNLOCK_KEYMAP_H

#include <stddef.h>
#include <stdint.h>

/* Where unlock-mkinitrd puts the host's console keyboard layout (see hooks/unlock-files.sh). */
#define KEYMAP_PATH "/lib/unlock/keymap.bkeymap"
#define KEYMAP_TABLES 256 /* MAX_NR_KEYMAPS: one table per combination of modifiers */
#define KEYMAP_KEYS 128   /* keys per table in the binary format (the kernel's NR_KEYS was 128 then) */
#define KEYMAP_FILE_MAX (7 + KEYMAP_TABLES + KEYMAP_TABLES * KEYMAP_KEYS * 2)

struct keymap {
	uint8_t present[KEYMAP_TABLES];
	uint16_t value[KEYMAP_TABLES][KEYMAP_KEYS];
	int tables;
};

/* Parses the binary keymap `loadkeys -b` writes; -EINVAL unless it is exactly that. */
int keymap_parse(const uint8_t *buf, size_t len, struct keymap *km);
/*
 * Loads the keymap at path into the console keyboard driver, so what a person types on a
 * non-US keyboard reaches the prompt as they typed it. 0 when loaded, -ENOENT when the image
 * carries none, -ENODEV when there is no virtual terminal; other errors are logged.
 */
int keymap_load(const char *path);

#endif
