/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The console keyboard layout, loaded before the first passphrase prompt. The file is the binary
 * keymap of `loadkeys -b` (busybox's loadkmap reads the same): the magic "bkeymap", one flag byte
 * per table, then 128 native-endian 16-bit entries for each flagged table. Written by hand: no
 * Debian library reads the format, and the kernel takes it one KDSKBENT ioctl per entry.
 */
#include "boot/keymap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"

#define KEYMAP_MAGIC "bkeymap"
#define KEYMAP_MAGIC_LEN 7

int keymap_parse(const uint8_t *buf, size_t len, struct keymap *km)
{
	size_t pos = KEYMAP_MAGIC_LEN + KEYMAP_TABLES;

	memset(km, 0, sizeof(*km));
	if (len < pos || memcmp(buf, KEYMAP_MAGIC, KEYMAP_MAGIC_LEN) != 0)
		return -EINVAL;
	for (int t = 0; t < KEYMAP_TABLES; t++) {
		uint8_t flag = buf[KEYMAP_MAGIC_LEN + t];
		if (flag > 1)
			return -EINVAL;
		km->present[t] = flag;
		km->tables += flag;
	}
	if (len != pos + (size_t)km->tables * KEYMAP_KEYS * sizeof(uint16_t))
		return -EINVAL;
	for (int t = 0; t < KEYMAP_TABLES; t++) {
		if (!km->present[t])
			continue;
		memcpy(km->value[t], buf + pos, sizeof(km->value[t]));
		pos += sizeof(km->value[t]);
	}
	return 0;
}

static int keymap_read(const char *path, struct keymap *km)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ uint8_t *buf = NULL;
	size_t len = 0;
	ssize_t n = 0;

	if (fd < 0)
		return -errno;
	buf = malloc(KEYMAP_FILE_MAX + 1);
	if (!buf)
		return -ENOMEM;
	while (len <= KEYMAP_FILE_MAX && (n = read(fd, buf + len, KEYMAP_FILE_MAX + 1 - len)) > 0)
		len += (size_t)n;
	if (n < 0)
		return -errno;
	return keymap_parse(buf, len, km);
}

/* The kernel refuses single entries it cannot represent (a Unicode symbol while the keyboard is
 * not in Unicode mode): count them, the rest of the layout still helps. */
static int keymap_apply(int vt, const struct keymap *km)
{
	int refused = 0;

	for (int t = 0; t < KEYMAP_TABLES; t++) {
		if (!km->present[t])
			continue;
		for (int k = 0; k < KEYMAP_KEYS; k++) {
			struct kbentry e = { .kb_table = (unsigned char)t, .kb_index = (unsigned char)k, .kb_value = km->value[t][k] };
			if (ioctl(vt, KDSKBENT, &e) < 0)
				refused++;
		}
	}
	return refused;
}

int keymap_load(const char *path)
{
	_cleanup_free_ struct keymap *km = malloc(sizeof(*km));
	_cleanup_close_ int vt = -1;
	int r, refused;

	if (!km)
		return -ENOMEM;
	r = keymap_read(path, km);
	if (r == -ENOENT)
		return r;
	if (r < 0) {
		log_warning("the keyboard layout in this image (%s) is damaged: %s; type the passphrase as on a US keyboard",
			    path, strerror(-r));
		return r;
	}
	if (km->tables == 0)
		return 0;
	vt = open("/dev/tty0", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (vt < 0)
		return -ENODEV;
	refused = keymap_apply(vt, km);
	if (refused == km->tables * KEYMAP_KEYS) {
		log_warning("the kernel refused the keyboard layout in %s: %s; type the passphrase as on a US keyboard",
			    path, strerror(errno));
		return -errno;
	}
	if (refused > 0)
		log_warning("keyboard layout: the kernel refused %d of its %d keys; some symbols may differ", refused,
			    km->tables * KEYMAP_KEYS);
	log_debug("keyboard layout loaded from %s (%d tables)", path, km->tables);
	return 0;
}
