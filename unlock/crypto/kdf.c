/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "crypto/kdf.h"

#include <argon2.h>
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>

#include "base/errors.h"
#include "base/log.h"
#include "crypto/hash.h"
#include "crypto/pbkdf2.h"

int pbkdf2_derive(const char *hash, const uint8_t *pass, size_t pass_len, const uint8_t *salt, size_t salt_len,
		  uint32_t iterations, uint8_t *out, size_t out_len)
{
	const struct hash_alg *md = hash_by_name(hash);

	if (!md)
		return log_error_ret(-LUKS_ERR_UNSUPPORTED, "hash \"%s\" is not available (%s)", hash,
				     hash_missing_reason(hash));
	if (pass_len > INT32_MAX || iterations > INT32_MAX)
		return -EINVAL;
	if (pbkdf2_hmac(md, pass, pass_len, salt, salt_len, iterations, out, out_len) < 0)
		return log_error_ret(-EIO, "PBKDF2-%s failed", hash);
	return 0;
}

#define HUGE_PAGE (2u << 20)

/*
 * Argon2 walks its memory (up to gigabytes) at random: in 2 MiB pages that costs far fewer page
 * faults and TLB misses than in 4 KiB ones, so the area is aligned for transparent huge pages.
 * libargon2 wipes it before handing it back.
 */
static int argon2_memory_alloc(uint8_t **memory, size_t size)
{
	size_t mapped = size + HUGE_PAGE;
	uint8_t *base = mmap(NULL, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *aligned;

	if (base == MAP_FAILED)
		return ARGON2_MEMORY_ALLOCATION_ERROR;
	aligned = (uint8_t *)(((uintptr_t)base + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
	if (aligned > base)
		munmap(base, (size_t)(aligned - base));
	if (base + mapped > aligned + size)
		munmap(aligned + size, (size_t)(base + mapped - (aligned + size)));
	madvise(aligned, size, MADV_HUGEPAGE);
	madvise(aligned, size, MADV_DONTDUMP);
	*memory = aligned;
	return ARGON2_OK;
}

static void argon2_memory_free(uint8_t *memory, size_t size)
{
	munmap(memory, size);
}

int argon2_derive(const struct argon2_params *p, const uint8_t *pass, size_t pass_len, uint8_t *out,
		  size_t out_len)
{
	argon2_context ctx = {
		.out = out,
		.outlen = (uint32_t)out_len,
		.pwd = (uint8_t *)pass,
		.pwdlen = (uint32_t)pass_len,
		.salt = (uint8_t *)p->salt,
		.saltlen = (uint32_t)p->salt_len,
		.t_cost = p->time_cost,
		.m_cost = p->memory_kib,
		.lanes = p->lanes,
		.threads = p->lanes, /* one thread per lane, as cryptsetup does */
		.version = ARGON2_VERSION_13,
		.allocate_cbk = argon2_memory_alloc,
		.free_cbk = argon2_memory_free,
		.flags = ARGON2_DEFAULT_FLAGS,
	};
	int r;

	if (pass_len > UINT32_MAX || out_len > UINT32_MAX)
		return -EINVAL;
	r = argon2_ctx(&ctx, p->id ? Argon2_id : Argon2_i);
	if (r == ARGON2_MEMORY_ALLOCATION_ERROR)
		return log_error_ret(-ENOMEM, "Argon2 needs %u MiB of memory, which is not available",
				     p->memory_kib / 1024);
	if (r != ARGON2_OK)
		return log_error_ret(-EIO, "Argon2 failed: %s", argon2_error_message(r));
	return 0;
}
