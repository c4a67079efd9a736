/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_COMMANDS_H
#define UNLOCK_COMMANDS_H

#include <stdbool.h>
#include <stdint.h>

#include "luks/luks.h"

/* Exit codes: the documented interface (docs/unlock.8). */
enum {
	EXIT_OK = 0,
	EXIT_USAGE = 1,
	EXIT_WRONG_SECRET = 2,
	EXIT_DAMAGED = 3,
	EXIT_UNSUPPORTED = 4,
	EXIT_IO = 5,
	EXIT_INSECURE = 6, /* unlock check: a key file others can read */
};

struct inspect_options {
	const char *device;
	const char *header;
	bool json;
};

enum open_mode { OPEN_ACTIVATE, OPEN_TEST_PASSPHRASE, OPEN_DUMP_VOLUME_KEY, OPEN_PRINT_TABLE };

struct open_options {
	const char *device;
	const char *name;
	const char *header;
	const char *key_file;
	const char *volume_key_file;
	uint64_t keyfile_offset;
	uint64_t keyfile_size;
	int key_slot;
	enum open_mode mode;
	bool show_key;
	bool read_only;
	bool allow_discards;
	const char *tpm2_device;
	const char *tpm2_signature;
	const char *tpm2_pcrlock;
	int token_timeout_sec; /* 0: 30 s, as systemd */
	const char *pkcs11_uri;
	bool token_only;
};

/* Maps a result code (0 or negative) to a documented exit code. */
static inline int exit_code_from(int r)
{
	switch (r) {
	case 0:
		return EXIT_OK;
	case -LUKS_ERR_WRONG_SECRET:
		return EXIT_WRONG_SECRET;
	case -LUKS_ERR_DAMAGED:
		return EXIT_DAMAGED;
	case -LUKS_ERR_UNSUPPORTED:
		return EXIT_UNSUPPORTED;
	default:
		return EXIT_IO;
	}
}
int cmd_inspect(const struct inspect_options *opts);
/* A bit mask (keyslots, tokens) as the JSON array of its bit numbers. */
struct json_object;
struct json_object *json_mask(uint32_t mask);
int cmd_open(const struct open_options *opts);
struct check_options;
int cmd_check(const struct check_options *opts);

#endif
