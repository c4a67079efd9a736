/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "open/keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"

static int keyfile_skip(int fd, uint64_t offset, const char *path)
{
	uint8_t scratch[4096];
	struct stat st;

	/* A file may be seeked past its end; cryptsetup refuses that, and so do we. */
	if (offset > 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size < offset)
		return log_error_ret(-EIO, "key file %s is shorter than the key file offset", path);
	if (offset == 0 || lseek(fd, (off_t)offset, SEEK_SET) >= 0)
		return 0;
	/* Pipes cannot seek: read and discard. */
	while (offset > 0) {
		ssize_t n = read(fd, scratch, MIN(offset, sizeof(scratch)));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return log_error_ret(-EIO, "key file %s is shorter than the key file offset", path);
		offset -= (uint64_t)n;
	}
	return 0;
}

static int keyfile_read_all(int fd, const char *path, uint64_t size, struct secret *key)
{
	size_t want = size == KEYFILE_SIZE_ALL ? key->capacity : (size_t)size;

	while (key->len < want) {
		ssize_t n = read(fd, key->data + key->len, want - key->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return log_error_ret(-errno, "cannot read key file %s: %s", path, strerror(errno));
		if (n == 0)
			break;
		key->len += (size_t)n;
	}
	if (size != KEYFILE_SIZE_ALL && key->len < want)
		return log_error_ret(-EIO, "key file %s holds fewer than the %llu bytes requested by keyfile-size", path,
				     (unsigned long long)size);
	if (size == KEYFILE_SIZE_ALL) {
		uint8_t extra;
		if (read(fd, &extra, 1) == 1)
			return log_error_ret(-EFBIG, "key file %s is larger than the maximum of %u bytes", path,
					     SECRET_MAX);
	}
	/* An empty key file is the empty passphrase, as cryptsetup reads it. */
	return 0;
}

/* Locked memory is scarce (RLIMIT_MEMLOCK): size the buffer to the file when we can. */
static size_t keyfile_capacity(int fd, uint64_t offset, uint64_t size)
{
	struct stat st;

	if (size != KEYFILE_SIZE_ALL)
		return (size_t)size;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size > offset &&
	    (uint64_t)st.st_size - offset < SECRET_MAX)
		return (size_t)((uint64_t)st.st_size - offset);
	return SECRET_MAX;
}

int keyfile_read_fd(int fd, const char *name, uint64_t offset, uint64_t size, struct secret **out)
{
	struct secret *key;
	int r;

	if (size > SECRET_MAX)
		return log_error_ret(-EINVAL, "keyfile-size %llu exceeds the maximum of %u bytes",
				     (unsigned long long)size, SECRET_MAX);
	key = secret_new(keyfile_capacity(fd, offset, size));
	if (!key)
		return -ENOMEM;
	r = keyfile_skip(fd, offset, name);
	if (r == 0)
		r = keyfile_read_all(fd, name, size, key);
	if (r < 0) {
		secret_free(key);
		return r;
	}
	*out = key;
	return 0;
}

int keyfile_read(const char *path, uint64_t offset, uint64_t size, struct secret **out)
{
	_cleanup_close_ int fd = -1;

	if (strcmp(path, "-") == 0)
		fd = dup(STDIN_FILENO);
	else
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return log_error_ret(-errno, "cannot open key file %s: %s", path, strerror(errno));
	return keyfile_read_fd(fd, path, offset, size, out);
}
