/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_CHECK_IMAGES_H
#define UNLOCK_CHECK_IMAGES_H

/* The initramfs images of a host: whether one holds a key, for unlock check. */

#include <glob.h>
#include <stdbool.h>
#include <stddef.h>

#define IMAGE_KEYS_MAX 64

/* The key files and detached headers a configuration puts into images (besides the directories
 * every generator keeps keys in). */
struct image_keys {
	const char *paths[IMAGE_KEYS_MAX];
	size_t n;
};

/* The images in boot_dir as Debian, dracut and Fedora name them (globfree when done). */
void images_glob(const char *boot_dir, glob_t *g);
/* 1 and the member's path in found when the image at path holds a key; 0 when it holds none;
 * -EOPNOTSUPP (with *compression named) when it is compressed with something other than zstd;
 * another -errno when it cannot be read or is not an initramfs. */
int image_holds_key(const char *path, const struct image_keys *keys, char *found, size_t size, const char **compression);

#endif
