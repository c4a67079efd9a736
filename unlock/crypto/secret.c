/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "crypto/secret.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/log.h"

static size_t page_round_up(size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	return (n + page - 1) / page * page;
}

struct secret *secret_new(size_t capacity)
{
	struct secret *s;
	size_t map_size;

	if (capacity == 0 || capacity > SECRET_MAX) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	map_size = page_round_up(capacity);
	s->data = mmap(NULL, map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->data == MAP_FAILED) {
		free(s);
		return NULL;
	}
	/* Keep secrets out of swap and core dumps; failing to lock is survivable (RLIMIT_MEMLOCK). */
	if (mlock(s->data, map_size) < 0)
		log_debug("could not lock secret memory: %s", strerror(errno));
	madvise(s->data, map_size, MADV_DONTDUMP);
	s->capacity = capacity;
	return s;
}

void secret_free(struct secret *s)
{
	size_t map_size;

	if (!s)
		return;
	map_size = page_round_up(s->capacity);
	explicit_bzero(s->data, map_size);
	munlock(s->data, map_size);
	munmap(s->data, map_size);
	free(s);
}

int secret_append(struct secret *s, const void *data, size_t len)
{
	if (len > s->capacity - s->len)
		return -ENOSPC;
	if (len)
		memcpy(s->data + s->len, data, len);
	s->len += len;
	return 0;
}

bool secret_equal(const struct secret *a, const struct secret *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}
