/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/blockdev.h"
#include "base/log.h"
#include "base/util.h"
#include "cmd/commands.h"
#include "dm/dm_table.h"
#include "luks/keyslot.h"
#include "luks/luks.h"
#include "open/keyfile.h"
#include "open/prompt.h"
#include "open/tokens.h"
#include "open/volume.h"

static int secret_obtain(const struct open_options *opts, const struct volume *v, struct secret **pass)
{
	char prompt[256];

	if (opts->key_file)
		return keyfile_read(opts->key_file, opts->keyfile_offset, opts->keyfile_size, pass);
	snprintf(prompt, sizeof(prompt), "Enter passphrase for %s: ", v->data.path);
	return prompt_passphrase(prompt, pass);
}

/* --volume-key-file: the key is given; only its digest is checked. */
static int volume_key_from_file(const struct open_options *opts, const struct luks_header *hdr, const char *path,
				struct secret **key, int *digest)
{
	int r = keyfile_read(opts->volume_key_file, 0, KEYFILE_SIZE_ALL, key);

	if (r < 0)
		return r;
	if ((*key)->len == 0)
		return log_error_ret(-EIO, "volume key file %s is empty", opts->volume_key_file);
	for (int d = 0; d < LUKS_DIGESTS_MAX; d++)
		if (hdr->digests[d].active && hdr->digests[d].covers_segment0 &&
		    volume_key_verify(hdr, d, (*key)->data, (*key)->len) == 0) {
			*digest = d;
			return 0;
		}
	return log_error_ret(-LUKS_ERR_WRONG_SECRET, "%s: the volume key in %s does not match the header's digest", path,
			     opts->volume_key_file);
}

static int pin_from_terminal(void *ctx, const char *prompt, struct secret **pin)
{
	(void)ctx;
	return prompt_passphrase(prompt, pin);
}

/* --tpm2-device, --pkcs11-uri and --token-only: the header's tokens first, as systemd-cryptsetup
 * takes them; a device option narrows them to its kind. */
static int volume_key_from_tokens(const struct open_options *opts, const struct volume *v, struct secret **key,
				  int *digest)
{
	struct token_step step = {
		.name = v->data.path,
		.tpm2_device = opts->tpm2_device,
		.pkcs11_uri = opts->pkcs11_uri,
		.types = (opts->tpm2_device ? TOKEN_TYPE_TPM2 : 0) | (opts->pkcs11_uri ? TOKEN_TYPE_PKCS11 : 0),
		.signature = opts->tpm2_signature,
		.pcrlock = opts->tpm2_pcrlock,
		.timeout_sec = opts->token_timeout_sec,
		.tries = 3,
		.key_slot = opts->key_slot,
		.ask_pin = pin_from_terminal,
	};
	int r = volume_unlock_by_tokens(v, &step, key, digest);

	if (r == -ENOENT && opts->token_only)
		return log_error_ret(-LUKS_ERR_WRONG_SECRET, "%s: the header holds no token unlock can use (--token-only)",
				     v->data.path);
	if (r == -LUKS_ERR_WRONG_SECRET && opts->token_only)
		return log_error_ret(r, "%s: no token opened the volume (--token-only)", v->data.path);
	if (r == -LUKS_ERR_WRONG_SECRET || r == -ENOENT)
		log_info("%s: no token opened the volume; asking for the passphrase", v->data.path);
	return r;
}

static int volume_key_obtain(const struct open_options *opts, const struct volume *v, struct secret **key,
			     int *digest)
{
	_cleanup_secret_ struct secret *pass = NULL;
	int slot, r;

	if (opts->volume_key_file)
		return volume_key_from_file(opts, &v->hdr, v->data.path, key, digest);
	if (opts->tpm2_device || opts->pkcs11_uri || opts->token_only) {
		r = volume_key_from_tokens(opts, v, key, digest);
		if (r == 0 || opts->token_only || (r != -LUKS_ERR_WRONG_SECRET && r != -ENOENT))
			return r;
	}
	r = secret_obtain(opts, v, &pass);
	if (r < 0)
		return r;
	r = volume_unlock(v, opts->key_slot, pass, key, digest, &slot);
	if (r == -LUKS_ERR_WRONG_SECRET)
		return log_error_ret(r, "%s: no key available with this passphrase%s", v->data.path,
				     opts->key_file ? " (key file)" : "");
	if (r < 0)
		return r;
	log_info("%s: keyslot %d opened", v->data.path, slot);
	return 0;
}

/* Output that may hold key material bypasses stdio, whose buffer is neither locked nor wiped. */
static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return log_error_ret(-EIO, "cannot write to standard output: %s", strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int print_hex_line(const struct secret *key)
{
	static const char digits[] = "0123456789abcdef";
	_cleanup_secret_ struct secret *hex = secret_new(key->len * 2 + 1);

	if (!hex)
		return -ENOMEM;
	for (size_t i = 0; i < key->len; i++) {
		hex->data[2 * i] = (uint8_t)digits[key->data[i] >> 4];
		hex->data[2 * i + 1] = (uint8_t)digits[key->data[i] & 15];
	}
	hex->data[2 * key->len] = '\n';
	return write_all(STDOUT_FILENO, hex->data, key->len * 2 + 1);
}

static int print_table(const struct dm_table *table)
{
	char head[64];
	int n = snprintf(head, sizeof(head), "0 %llu crypt ", (unsigned long long)table->sectors);
	int r = write_all(STDOUT_FILENO, head, (size_t)n);

	if (r == 0)
		r = write_all(STDOUT_FILENO, table->params->data, table->params->len);
	if (r == 0)
		r = write_all(STDOUT_FILENO, "\n", 1);
	return r;
}

static int open_finish(const struct open_options *opts, const struct volume *v, const struct secret *key,
		       int digest)
{
	uint32_t flags = opts->allow_discards ? LUKS_FLAG_ALLOW_DISCARDS : 0;
	struct dm_table_request req = volume_table_request(v, key, digest, flags);
	struct dm_table table = { 0 };
	int r;

	switch (opts->mode) {
	case OPEN_TEST_PASSPHRASE:
		if (v->hdr.requirements[0])
			log_warning("%s: passphrase is right, but the volume has unmet requirements (%s) and cannot be activated here",
				    v->data.path, v->hdr.requirements);
		return 0;
	case OPEN_DUMP_VOLUME_KEY:
		return print_hex_line(key);
	case OPEN_PRINT_TABLE:
		req.hex_key = opts->show_key;
		r = dm_table_build(&req, &table);
		if (r == 0)
			r = print_table(&table);
		secret_free(table.params);
		return r;
	case OPEN_ACTIVATE:
		return volume_activate(v, opts->name, key, digest, flags, opts->read_only);
	}
	return -EINVAL;
}

int cmd_open(const struct open_options *opts)
{
	struct volume v = { .data = { .fd = -1 }, .header = { .fd = -1 } };
	_cleanup_secret_ struct secret *key = NULL;
	int digest = -1, r;

	r = volume_load(&v, opts->device, opts->header);
	/* Fail before asking for a secret when the volume could not be activated anyway. */
	if (r == 0 && (opts->mode == OPEN_ACTIVATE || opts->mode == OPEN_PRINT_TABLE))
		r = dm_table_check(&v.hdr, v.data.path);
	if (r == 0)
		r = volume_key_obtain(opts, &v, &key, &digest);
	if (r == 0)
		r = open_finish(opts, &v, key, digest);
	volume_done(&v);
	return exit_code_from(r);
}
