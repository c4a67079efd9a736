/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_UTIL_H
#define UNLOCK_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
static inline uint64_t max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }

static inline long long monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void freep(void *p) { free(*(void **)p); }
static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
#define _cleanup_free_ __attribute__((cleanup(freep)))
#define _cleanup_close_ __attribute__((cleanup(closep)))

static inline uint16_t be16_read(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t be32_read(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t be64_read(const uint8_t *p) { return (uint64_t)be32_read(p) << 32 | be32_read(p + 4); }

/* Copies a fixed-size on-disk text field, which need not be NUL-terminated. */
static inline void field_copy(char *dst, size_t dst_size, const uint8_t *src, size_t src_len)
{
	size_t n = strnlen((const char *)src, MIN(src_len, dst_size - 1));
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Strict unsigned decimal: digits only, no sign, no overflow. */
static inline int parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s || strlen(s) > 20)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

static inline int is_printable_text(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

#endif
