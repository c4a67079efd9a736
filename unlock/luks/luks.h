/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_LUKS_H
#define UNLOCK_LUKS_H

/* The verified header of a LUKS1 or LUKS2 volume, in one form the key and table code share. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/errors.h"

#define LUKS_KEYSLOTS_MAX 32
#define LUKS_DIGESTS_MAX 32
#define LUKS_TOKENS_MAX 32
#define LUKS_SALT_MAX 64
#define LUKS_DIGEST_MAX 64
#define LUKS_NAME_MAX 64
#define LUKS_KEY_MAX 512 /* bytes; cryptsetup's own limit */
#define LUKS_SIZE_DYNAMIC UINT64_MAX


/* KDF_UNKNOWN: a name cryptsetup's validator accepts but no KDF implements (e.g. legacy "argon2"). */
enum kdf_type { KDF_PBKDF2, KDF_ARGON2I, KDF_ARGON2ID, KDF_UNKNOWN };
enum keyslot_priority { PRIORITY_IGNORE = 0, PRIORITY_NORMAL = 1, PRIORITY_PREFER = 2 };

struct luks_kdf {
	enum kdf_type type;
	char hash[LUKS_NAME_MAX];  /* PBKDF2 */
	uint32_t iterations;       /* PBKDF2 iterations, or Argon2 time cost */
	uint32_t memory_kib;       /* Argon2 */
	uint32_t cpus;             /* Argon2 lanes */
	char name[LUKS_NAME_MAX];  /* as written in the header */
	uint8_t salt[LUKS_SALT_MAX];
	size_t salt_len;
};

struct luks_keyslot {
	bool active;
	enum keyslot_priority priority;
	size_t key_size;           /* volume key bytes it holds */
	struct luks_kdf kdf;
	uint32_t stripes;
	char af_hash[LUKS_NAME_MAX];
	uint64_t area_offset;      /* bytes from device start */
	uint64_t area_size;
	char area_cipher[LUKS_NAME_MAX];
	size_t area_key_size;
};

struct luks_digest {
	bool active;
	char hash[LUKS_NAME_MAX];
	uint32_t iterations;
	uint8_t salt[LUKS_SALT_MAX];
	size_t salt_len;
	uint8_t digest[LUKS_DIGEST_MAX];
	size_t digest_len;
	uint32_t keyslots;         /* bit mask */
	bool covers_segment0;
};

enum luks_flag {
	LUKS_FLAG_ALLOW_DISCARDS = 1 << 0,
	LUKS_FLAG_SAME_CPU_CRYPT = 1 << 1,
	LUKS_FLAG_SUBMIT_FROM_CRYPT_CPUS = 1 << 2,
	LUKS_FLAG_NO_READ_WORKQUEUE = 1 << 3,
	LUKS_FLAG_NO_WRITE_WORKQUEUE = 1 << 4,
	LUKS_FLAG_HIGH_PRIORITY = 1 << 5,
};

struct luks_segment {
	uint64_t offset;           /* bytes */
	uint64_t size;             /* bytes, or LUKS_SIZE_DYNAMIC */
	char cipher[LUKS_NAME_MAX];
	uint32_t sector_size;
	bool integrity;
};

struct luks_token {
	bool active;
	char type[LUKS_NAME_MAX];
	uint32_t keyslots;
};

struct luks_header {
	int version;
	char uuid[41];
	char label[49];
	char subsystem[49];
	uint64_t hdr_size;         /* LUKS2: binary header + JSON; LUKS1: payload-independent header bytes */
	uint64_t seqid;
	bool used_secondary;       /* LUKS2 primary copy was damaged */
	uint64_t keyslots_size;
	uint32_t flags;            /* enum luks_flag */
	char requirements[256];    /* mandatory requirements, comma separated; empty if none */
	struct luks_keyslot keyslots[LUKS_KEYSLOTS_MAX];
	struct luks_digest digests[LUKS_DIGESTS_MAX];
	struct luks_token tokens[LUKS_TOKENS_MAX];
	struct luks_segment segment; /* segment 0, the data */
	char *json;                /* LUKS2 metadata text, kept for token handlers; NULL for LUKS1 */
};

struct blockdev;

/*
 * Reads and verifies a LUKS1 or LUKS2 header; returns 0 or a negative code (see above), logged.
 * The data area is checked against the data device only when a table is built, as cryptsetup does.
 */
int luks_header_read(struct luks_header *hdr, const struct blockdev *dev);
void luks_header_done(struct luks_header *hdr);
/* Token id's JSON object as text (malloc'd), for its helper; -ENOENT when there is none. */
int luks2_token_json(const struct luks_header *hdr, int id, char **out);
/* Index of the digest that verifies keyslot's key for segment 0, or -1. */
int luks_keyslot_digest(const struct luks_header *hdr, int keyslot);
/* Data size in bytes for a data device of the given size; 0 if the device is too small. */
uint64_t luks_segment_bytes(const struct luks_header *hdr, uint64_t data_device_size);

#endif
