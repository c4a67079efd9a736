/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hand-written: no library among the project's reads cpio archives, and only the member names of
 * newc archives are needed (a fixed 110-byte ASCII header per member); zstd segments go through
 * libzstd. */
#include "cmd/check_images.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "base/util.h"

#define CPIO_HEADER_SIZE 110
#define UNPACKED_MAX (1ull << 30)

/* What cryptsetup-initramfs, dracut, systemd and unlock put keys under, besides crypttab's paths. */
static const char *const key_dirs[] = { "cryptroot/keyfiles/", "etc/cryptsetup-keys.d/", "run/cryptsetup-keys.d/" };

static bool hex8(const uint8_t *p, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < 8; i++) {
		int c = p[i], d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return false;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return true;
}

static bool name_is_key(const char *name, const struct image_keys *keys)
{
	while (*name == '.' && name[1] == '/')
		name += 2;
	while (*name == '/')
		name++;
	for (size_t i = 0; i < ARRAY_SIZE(key_dirs); i++)
		if (strncmp(name, key_dirs[i], strlen(key_dirs[i])) == 0 && name[strlen(key_dirs[i])])
			return true;
	for (size_t i = 0; i < keys->n; i++) {
		const char *k = keys->paths[i];
		while (*k == '/')
			k++;
		if (*k && strcmp(name, k) == 0)
			return true;
	}
	return false;
}

/* One newc archive from buf: its length through the trailer into *used; 1 when a member is a key
 * (its name into found), 0 when none, -EBADMSG when it is not an archive. */
static int cpio_scan(const uint8_t *buf, size_t len, const struct image_keys *keys, size_t *used, char *found, size_t size)
{
	size_t off = 0;

	for (;;) {
		uint32_t namesize, filesize;
		char name[512];
		if (len - off < CPIO_HEADER_SIZE || memcmp(buf + off, "07070", 5) != 0 ||
		    !hex8(buf + off + 54, &filesize) || !hex8(buf + off + 94, &namesize) || namesize == 0 ||
		    namesize > len - off - CPIO_HEADER_SIZE)
			return -EBADMSG;
		snprintf(name, sizeof(name), "%.*s", (int)MIN(namesize - 1, sizeof(name) - 1), (const char *)buf + off + CPIO_HEADER_SIZE);
		off += (CPIO_HEADER_SIZE + namesize + 3) & ~(size_t)3;
		if (strcmp(name, "TRAILER!!!") == 0) {
			*used = MIN(off, len);
			return 0;
		}
		if (name_is_key(name, keys)) {
			snprintf(found, size, "/%s", name[0] == '.' && name[1] == '/' ? name + 2 : name);
			return 1;
		}
		if (filesize > len - MIN(off, len))
			return -EBADMSG;
		off += ((size_t)filesize + 3) & ~(size_t)3;
	}
}

/* The whole of the zstd frames from buf, in memory (an initramfs unpacks to some tens of MB). */
static int zstd_unpack(const uint8_t *buf, size_t len, uint8_t **out, size_t *out_len)
{
	ZSTD_DStream *z = ZSTD_createDStream();
	ZSTD_inBuffer in = { buf, len, 0 };
	size_t cap = 16 << 20, n = 0, ret = 1;
	uint8_t *data = malloc(cap), *bigger;
	int r = 0;

	if (!z || !data) {
		ZSTD_freeDStream(z);
		free(data);
		return -ENOMEM;
	}
	ZSTD_initDStream(z);
	while (r == 0 && in.pos < in.size) {
		ZSTD_outBuffer o = { data + n, cap - n, 0 };
		ret = ZSTD_decompressStream(z, &o, &in);
		n += o.pos;
		if (ZSTD_isError(ret)) {
			/* bytes after the last frame (padding) end it; garbage before any output is an error */
			r = n > 0 ? 0 : -EBADMSG;
			break;
		}
		if (n < cap)
			continue;
		if (cap >= UNPACKED_MAX) {
			r = -EFBIG;
			break;
		}
		bigger = realloc(data, cap * 2);
		if (!bigger) {
			r = -ENOMEM;
			break;
		}
		data = bigger;
		cap *= 2;
	}
	ZSTD_freeDStream(z);
	if (r < 0) {
		free(data);
		return r;
	}
	*out = data;
	*out_len = n;
	return 0;
}

static const char *compression_name(const uint8_t *p, size_t len)
{
	if (len >= 2 && p[0] == 0x1f && (p[1] == 0x8b || p[1] == 0x9e))
		return "gzip";
	if (len >= 6 && memcmp(p, "\xfd" "7zXZ", 6) == 0)
		return "xz";
	if (len >= 4 && memcmp(p, "\x02\x21\x4c\x18", 4) == 0)
		return "lz4";
	if (len >= 3 && memcmp(p, "BZh", 3) == 0)
		return "bzip2";
	return "an unknown compression";
}

static int segments_scan(const uint8_t *buf, size_t len, const struct image_keys *keys, char *found, size_t size,
			 const char **compression);

/* A zstd segment: unpacked, and read as the archives it holds. */
static int zstd_segment_scan(const uint8_t *buf, size_t len, const struct image_keys *keys, char *found, size_t size,
			     const char **compression)
{
	uint8_t *data = NULL;
	size_t n = 0;
	int r = zstd_unpack(buf, len, &data, &n);

	if (r < 0)
		return r;
	r = segments_scan(data, n, keys, found, size, compression);
	free(data);
	return r;
}

/* An image is archives one after another, each uncompressed (an early microcode archive) or
 * compressed; zero bytes may pad between them. */
static int segments_scan(const uint8_t *buf, size_t len, const struct image_keys *keys, char *found, size_t size,
			 const char **compression)
{
	size_t off = 0;

	while (off < len) {
		size_t used = 0;
		int r;
		while (off < len && buf[off] == 0)
			off++;
		if (off == len)
			return 0;
		if (len - off >= 4 && memcmp(buf + off, "\x28\xb5\x2f\xfd", 4) == 0)
			return zstd_segment_scan(buf + off, len - off, keys, found, size, compression);
		if (len - off < 5 || memcmp(buf + off, "07070", 5) != 0) {
			*compression = compression_name(buf + off, len - off);
			return -EOPNOTSUPP;
		}
		r = cpio_scan(buf + off, len - off, keys, &used, found, size);
		if (r != 0)
			return r;
		off += used;
	}
	return 0;
}

int image_holds_key(const char *path, const struct image_keys *keys, char *found, size_t size, const char **compression)
{
	struct stat st;
	void *map;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), r;

	*compression = NULL;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
		close(fd);
		return -EINVAL;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return -errno;
	r = segments_scan(map, (size_t)st.st_size, keys, found, size, compression);
	munmap(map, (size_t)st.st_size);
	return r;
}

void images_glob(const char *boot_dir, glob_t *g)
{
	static const char *const patterns[] = { "initrd.img-*", "initramfs-*.img", "initrd-*.img" };

	memset(g, 0, sizeof(*g));
	for (size_t i = 0; i < ARRAY_SIZE(patterns); i++) {
		char pattern[4096];
		snprintf(pattern, sizeof(pattern), "%s/%s", boot_dir, patterns[i]);
		glob(pattern, g->gl_pathc > 0 ? GLOB_APPEND : 0, NULL, g);
	}
}
