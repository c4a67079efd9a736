/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "kdf.h"

#include <argon2.h>
#include <errno.h>
#include <openssl/evp.h>

#include "hash.h"
#include "log.h"

int pbkdf2_derive(const char *hash, const uint8_t *pass, size_t pass_len, const uint8_t *salt, size_t salt_len,
		  uint32_t iterations, uint8_t *out, size_t out_len)
{
	const EVP_MD *md = hash_by_name(hash);

	if (!md)
		return log_error_ret(-LUKS_ERR_UNSUPPORTED, "hash \"%s\" is not available", hash);
	if (pass_len > INT32_MAX || iterations > INT32_MAX)
		return -EINVAL;
	if (!PKCS5_PBKDF2_HMAC((const char *)pass, (int)pass_len, salt, (int)salt_len, (int)iterations, md, (int)out_len,
			       out))
		return log_error_ret(-EIO, "PBKDF2-%s failed", hash);
	return 0;
}

static int argon2_derive(const struct luks_kdf *kdf, const uint8_t *pass, size_t pass_len, uint8_t *out,
			 size_t out_len)
{
	argon2_type type = kdf->type == KDF_ARGON2I ? Argon2_i : Argon2_id;
	int r;

	/* argon2_hash runs one thread per lane, as cryptsetup does. */
	r = argon2_hash(kdf->iterations, kdf->memory_kib, kdf->cpus, pass, pass_len, kdf->salt, kdf->salt_len, out,
			out_len, NULL, 0, type, ARGON2_VERSION_13);
	if (r == ARGON2_MEMORY_ALLOCATION_ERROR)
		return log_error_ret(-ENOMEM, "Argon2 needs %u MiB of memory, which is not available",
				     kdf->memory_kib / 1024);
	if (r != ARGON2_OK)
		return log_error_ret(-EIO, "Argon2 failed: %s", argon2_error_message(r));
	return 0;
}

int kdf_derive(const struct luks_kdf *kdf, const uint8_t *pass, size_t pass_len, uint8_t *out, size_t out_len)
{
	if (kdf->type == KDF_UNKNOWN)
		return log_error_ret(-LUKS_ERR_UNSUPPORTED, "KDF \"%s\" is not supported", kdf->name);
	if (kdf->type == KDF_PBKDF2)
		return pbkdf2_derive(kdf->hash, pass, pass_len, kdf->salt, kdf->salt_len, kdf->iterations, out,
				     out_len);
	return argon2_derive(kdf, pass, pass_len, out, out_len);
}
