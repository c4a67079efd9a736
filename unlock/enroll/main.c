/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * unlock-enroll (run as "unlock enroll"): adds a keyslot and a systemd-tpm2 or systemd-pkcs11
 * token to a LUKS2 header on the installed system, as systemd-cryptenroll writes them, so that
 * unlock and systemd-cryptsetup alike open the volume with the TPM or the security token. The header is written by libcryptsetup,
 * the well-kept way to write one; the boot path never links it. No other keyslot is touched.
 */
#include <errno.h>
#include <getopt.h>
#include <json.h>
#include <libcryptsetup.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_tpm2_types.h>
#include <unistd.h>

#include "base/hex.h"
#include "base/log.h"
#include "base/util.h"
#include "crypto/secret.h"
#include "enroll/pkcs11.h"
#include "enroll/seal.h"
#include "open/keyfile.h"
#include "open/prompt.h"
#include "tpm2/pcr.h"
#include "tpm2/token.h"

enum { EXIT_OK, EXIT_USAGE, EXIT_WRONG_SECRET, EXIT_DAMAGED, EXIT_UNSUPPORTED, EXIT_IO };

struct enroll_options {
	const char *device;
	const char *unlock_key_file;
	const char *pkcs11_uri;
	bool with_pin;
	int systemd;                 /* the systemd version the token is for */
	struct seal_request seal;
};

static int usage(FILE *out, int code)
{
	fprintf(out, "Usage: unlock enroll [--tpm2-device auto|PATH|TCTI | --tpm2-device-key SRK-FILE]\n"
		     "                     [--tpm2-pcrs PCR[:BANK=HEX][+...]] [--tpm2-with-pin]\n"
		     "                     [--tpm2-public-key FILE [--tpm2-public-key-pcrs PCR[+...]]]\n"
		     "                     [--for-systemd VERSION] [--unlock-key-file FILE] DEVICE\n"
		     "       unlock enroll --pkcs11-token-uri URI [--unlock-key-file FILE] DEVICE\n"
		     "Adds a keyslot and a systemd-tpm2 or systemd-pkcs11 token to the LUKS2 header of DEVICE. The\n"
		     "existing passphrase is read from $PASSWORD, the terminal or one line of standard input; a TPM2\n"
		     "PIN from $NEWPIN, the terminal (twice) or the next line. The token is one systemd VERSION\n"
		     "opens (default: the installed systemd's). Exit codes as unlock(8).\n");
	return code;
}

static int hex_value(const char *hex, uint8_t *out, size_t size)
{
	size_t len;

	return hex_decode(hex, out, size, &len) == 0 && len == size ? 0 : -EINVAL;
}

/* "7+11", "7:sha256=HEX+11" (systemd 256's form: the value the PCR will hold), or "" for none. */
static int pcrs_parse(const char *text, uint32_t *mask, struct seal_request *values)
{
	char buf[4096], *save = NULL;

	*mask = 0;
	if (strlen(text) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", text);
	for (char *item = strtok_r(buf, "+,", &save); item; item = strtok_r(NULL, "+,", &save)) {
		char *colon = strchr(item, ':'), *eq, *end;
		long n = strtol(item, &end, 10);
		uint16_t bank;
		if (end == item || n < 0 || n >= TPM2_PCRS || (*end && *end != ':'))
			return -EINVAL;
		*mask |= 1u << n;
		if (!colon)
			continue;
		if (!values || !(eq = strchr(colon, '=')))
			return -EINVAL;
		*eq = '\0';
		if (tpm2_bank_from_name(colon + 1, &bank) < 0 || (values->pcr_given && bank != values->bank) ||
		    hex_value(eq + 1, values->pcr_values[n], tpm2_bank_digest_size(bank)) < 0)
			return -EINVAL;
		values->bank = bank;
		values->pcr_given |= 1u << n;
	}
	return 0;
}

/* The installed systemd's version (systemd-cryptenroll --version: "systemd 257 (257.9-1)"), or 0. */
static int installed_systemd(void)
{
	FILE *p = popen("systemd-cryptenroll --version 2>/dev/null", "re");
	int version = 0;

	if (p) {
		if (fscanf(p, "systemd %d", &version) != 1)
			version = 0;
		pclose(p);
	}
	return version;
}

/* systemd 254 and later seal under the SRK (tpm2_srk) and salt a PIN (tpm2_salt, 253); 252 opens
 * neither. Sealing without the TPM came with 255. */
static int token_format_choose(struct enroll_options *o)
{
	if (!o->systemd)
		o->systemd = installed_systemd();
	if (!o->systemd)
		o->systemd = 257;
	o->seal.srk = o->systemd >= 254;
	if (o->seal.device_key && o->systemd < 255)
		return fprintf(stderr, "unlock enroll: systemd %d cannot open a token sealed without the TPM (--tpm2-device-key): 255 or later\n",
			       o->systemd), -EINVAL;
	if (o->seal.device_key && o->seal.pubkey_path)
		return fprintf(stderr, "unlock enroll: --tpm2-public-key is not supported with --tpm2-device-key yet\n"), -EINVAL;
	if (o->seal.device_key && (o->seal.pcr_mask & ~o->seal.pcr_given))
		return fprintf(stderr, "unlock enroll: --tpm2-device-key needs every PCR's value (--tpm2-pcrs PCR:BANK=HEX or \"\")\n"),
		       -EINVAL;
	return 0;
}

static int options_parse(int argc, char **argv, struct enroll_options *o)
{
	static const struct option options[] = {
		{ "tpm2-device", required_argument, NULL, 'd' },
		{ "tpm2-pcrs", required_argument, NULL, 'p' },
		{ "tpm2-public-key", required_argument, NULL, 'k' },
		{ "tpm2-public-key-pcrs", required_argument, NULL, 'K' },
		{ "tpm2-with-pin", no_argument, NULL, 'P' },
		{ "tpm2-device-key", required_argument, NULL, 'D' },
		{ "for-systemd", required_argument, NULL, 'S' },
		{ "unlock-key-file", required_argument, NULL, 'u' },
		{ "pkcs11-token-uri", required_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool pubkey_pcrs = false, tpm2_options = false;
	uint64_t version;
	int c;

	o->seal = (struct seal_request){ .device = "auto", .pcr_mask = 1u << 7, .bank = TPM2_ALG_SHA256 };
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		tpm2_options |= strchr("dpkKPDS", c) != NULL;
		switch (c) {
		case 'd': o->seal.device = optarg; break;
		case 'p':
			if (pcrs_parse(optarg, &o->seal.pcr_mask, &o->seal) < 0)
				return fprintf(stderr, "unlock enroll: --tpm2-pcrs: want PCR[:BANK=HEX][+...], PCRs 0-23\n"), -EINVAL;
			break;
		case 'k': o->seal.pubkey_path = optarg; break;
		case 'K':
			if (pcrs_parse(optarg, &o->seal.pubkey_pcr_mask, NULL) < 0)
				return fprintf(stderr, "unlock enroll: --tpm2-public-key-pcrs: want PCR[+...]\n"), -EINVAL;
			pubkey_pcrs = true;
			break;
		case 'P': o->with_pin = true; break;
		case 'D': o->seal.device_key = optarg; break;
		case 'S':
			if (parse_u64(optarg, &version) < 0 || version < 252 || version > 999)
				return fprintf(stderr, "unlock enroll: --for-systemd: want a systemd version, 252 or later\n"), -EINVAL;
			o->systemd = (int)version;
			break;
		case 'u': o->unlock_key_file = optarg; break;
		case 'U': o->pkcs11_uri = optarg; break;
		case 'h': exit(usage(stdout, EXIT_OK));
		default: return -EINVAL;
		}
	}
	if (o->pkcs11_uri && (tpm2_options || strncmp(o->pkcs11_uri, "pkcs11:", 7) != 0 || strlen(o->pkcs11_uri) >= PKCS11_URI_MAX))
		return fprintf(stderr, "unlock enroll: --pkcs11-token-uri takes a PKCS#11 URI and no TPM2 option\n"), -EINVAL;
	if (optind + 1 != argc || strlen(o->seal.device) >= TOKEN_DEVICE_MAX)
		return -EINVAL;
	if (o->seal.pubkey_path && !pubkey_pcrs)
		o->seal.pubkey_pcr_mask = 1u << 11; /* systemd's default for a signed policy */
	if (!o->seal.pubkey_path && o->seal.pubkey_pcr_mask)
		return fprintf(stderr, "unlock enroll: --tpm2-public-key-pcrs needs --tpm2-public-key\n"), -EINVAL;
	return token_format_choose(o) < 0 ? -EINVAL : (o->device = argv[optind], 0);
}

/* $NAME (systemd-cryptenroll reads PASSWORD and NEWPIN so), else the terminal or a line of input. */
static int secret_from_env_or_prompt(const char *env, const char *prompt, struct secret **out)
{
	const char *value = getenv(env);
	int r;

	if (!value)
		return prompt_passphrase(prompt, out);
	if (!(*out = secret_new(strlen(value) + 1)))
		return -ENOMEM;
	r = secret_append(*out, value, strlen(value));
	/* as systemd's getenv_steal_erase: the copy in the environment goes */
	explicit_bzero((char *)value, strlen(value));
	unsetenv(env);
	return r;
}

static int pin_read(struct secret **pin)
{
	_cleanup_secret_ struct secret *again = NULL;
	bool from_env = getenv("NEWPIN") != NULL;
	int r = secret_from_env_or_prompt("NEWPIN", "Enter the new TPM2 PIN: ", pin);

	if (r < 0)
		return r;
	if ((*pin)->len == 0)
		return log_error_ret(-EINVAL, "an empty PIN is not a PIN");
	if (from_env || !isatty(STDIN_FILENO))
		return 0;
	if ((r = prompt_passphrase("Enter the new TPM2 PIN again: ", &again)) < 0)
		return r;
	return secret_equal(*pin, again) ? 0 : log_error_ret(-EINVAL, "the two PINs differ");
}

static json_object *pcr_array(uint32_t mask)
{
	json_object *a = json_object_new_array();

	for (int i = 0; a && i < TPM2_PCRS; i++)
		if (mask & (1u << i))
			json_object_array_add(a, json_object_new_int(i));
	return a;
}

static json_object *base64_string(const void *data, size_t len)
{
	char *text = malloc(4 * (len / 3 + 1) + 1);
	json_object *s;

	if (!text)
		return NULL;
	EVP_EncodeBlock((unsigned char *)text, data, (int)len);
	s = json_object_new_string(text);
	free(text);
	return s;
}

static json_object *hex_string(const uint8_t *data, size_t len)
{
	char text[2 * 64 + 1] = "";

	for (size_t i = 0; i < len && i < 64; i++)
		snprintf(text + 2 * i, 3, "%02x", data[i]);
	return json_object_new_string(text);
}

/* A token's first fields, as systemd writes every token: its type and its one keyslot, as a string. */
static json_object *token_object_new(const char *type, int keyslot)
{
	json_object *o = json_object_new_object(), *slots = json_object_new_array();
	char slot[12];

	snprintf(slot, sizeof(slot), "%d", keyslot);
	json_object_array_add(slots, json_object_new_string(slot));
	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "keyslots", slots);
	return o;
}

/* The token as systemd-cryptenroll writes it (tpm2_make_luks2_json), field for field: as 252 does,
 * or with the SRK as 257 does (tpm2-pin only when true, tpm2_salt, tpm2_srk). */
static json_object *tpm2_token_json(const void *ctx, int keyslot)
{
	const struct tpm2_token *t = ctx;
	json_object *o = token_object_new("systemd-tpm2", keyslot);

	json_object_object_add(o, "tpm2-blob", base64_string(t->shards[0].blob, t->shards[0].blob_len));
	json_object_object_add(o, "tpm2-pcrs", pcr_array(t->pcr_mask));
	if (t->pcr_mask | t->pubkey_pcr_mask)
		json_object_object_add(o, "tpm2-pcr-bank", json_object_new_string(tpm2_bank_name(t->pcr_bank)));
	json_object_object_add(o, "tpm2-primary-alg", json_object_new_string(t->primary_alg == TPM2_ALG_RSA ? "rsa" : "ecc"));
	json_object_object_add(o, "tpm2-policy-hash", hex_string(t->shards[0].policy_hash, t->shards[0].policy_hash_len));
	if (t->pin || !t->srk_len)
		json_object_object_add(o, "tpm2-pin", json_object_new_boolean(t->pin));
	if (t->pubkey_pcr_mask) {
		json_object_object_add(o, "tpm2_pubkey_pcrs", pcr_array(t->pubkey_pcr_mask));
		json_object_object_add(o, "tpm2_pubkey", base64_string(t->pubkey, t->pubkey_len));
	}
	if (t->salt_len)
		json_object_object_add(o, "tpm2_salt", base64_string(t->salt, t->salt_len));
	if (t->srk_len)
		json_object_object_add(o, "tpm2_srk", base64_string(t->srk, t->srk_len));
	return o;
}

static int existing_secret(const struct enroll_options *o, struct secret **out)
{
	char prompt[512];

	if (o->unlock_key_file)
		return keyfile_read(o->unlock_key_file, 0, KEYFILE_SIZE_ALL, out);
	snprintf(prompt, sizeof(prompt), "Enter a passphrase of %s: ", o->device);
	return secret_from_env_or_prompt("PASSWORD", prompt, out);
}

/* systemd-cryptenroll's keyslot: PBKDF2-SHA512 with 1000 iterations, as the secret is random. */
static int keyslot_add(struct crypt_device *cd, const struct secret *old, const struct secret *pass)
{
	struct crypt_pbkdf_type pbkdf = {
		.type = CRYPT_KDF_PBKDF2, .hash = "sha512", .iterations = 1000, .flags = CRYPT_PBKDF_NO_BENCHMARK,
	};
	int r = crypt_set_pbkdf_type(cd, &pbkdf);

	if (r < 0)
		return r;
	return crypt_keyslot_add_by_passphrase(cd, CRYPT_ANY_SLOT, (const char *)old->data, old->len,
					       (const char *)pass->data, pass->len);
}

typedef json_object *(*token_json_fn)(const void *ctx, int keyslot);

/* The new keyslot, then the token naming it; without the token the keyslot goes again. */
static int keyslot_and_token_add(struct crypt_device *cd, const char *device, const struct secret *old,
				 const struct secret *pass, token_json_fn make, const void *ctx, int *keyslot)
{
	json_object *json;
	int token;

	*keyslot = keyslot_add(cd, old, pass);
	if (*keyslot < 0)
		return log_error_ret(-EIO, "%s: no keyslot added: %s", device, strerror(-*keyslot));
	json = make(ctx, *keyslot);
	token = json ? crypt_token_json_set(cd, CRYPT_ANY_TOKEN, json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN)) : -ENOMEM;
	json_object_put(json);
	if (token < 0) {
		/* only the keyslot this run added goes again */
		crypt_keyslot_destroy(cd, *keyslot);
		return log_error_ret(-EIO, "%s: the token was not stored (%s); keyslot %d removed again", device,
				     strerror(-token), *keyslot);
	}
	return token;
}

static int tpm2_enroll(struct crypt_device *cd, const struct enroll_options *o, const struct secret *old)
{
	static struct tpm2_token t;
	_cleanup_secret_ struct secret *pin = NULL, *pass = NULL;
	struct seal_request req = o->seal;
	struct token_answer fail = { 0 };
	int keyslot, token;

	if (o->with_pin && pin_read(&pin) < 0)
		return EXIT_USAGE;
	req.pin = pin;
	if (tpm2_seal(&req, &t, &pass, &fail) < 0) {
		log_error("%s: sealing to the TPM2 failed: %s", o->device, fail.reason[0] ? fail.reason : "out of memory");
		return EXIT_IO;
	}
	token = keyslot_and_token_add(cd, o->device, old, pass, tpm2_token_json, &t, &keyslot);
	if (token < 0)
		return EXIT_IO;
	printf("New TPM2 token %d enrolled as keyslot %d, for systemd %s and later%s.\nPolicy digest: ", token, keyslot,
	       req.device_key ? "255" : req.srk ? "254" : "252", req.device_key ? " (sealed without the TPM)" : "");
	for (size_t i = 0; i < t.shards[0].policy_hash_len; i++)
		printf("%02x", t.shards[0].policy_hash[i]);
	printf("\n");
	explicit_bzero(&t, sizeof(t));
	return EXIT_OK;
}

/* The token as systemd-cryptenroll writes it (cryptenroll-pkcs11.c), field for field. */
static json_object *pkcs11_token_json(const void *ctx, int keyslot)
{
	const struct pkcs11_enrollment *e = ctx;
	json_object *o = token_object_new("systemd-pkcs11", keyslot);

	json_object_object_add(o, "pkcs11-uri", json_object_new_string(e->uri));
	json_object_object_add(o, "pkcs11-key", base64_string(e->key, e->key_len));
	return o;
}

static int pkcs11_enroll(struct crypt_device *cd, const struct enroll_options *o, const struct secret *old)
{
	static struct pkcs11_enrollment e;
	_cleanup_secret_ struct secret *pass = NULL;
	int keyslot, token;

	if (pkcs11_enroll_prepare(o->pkcs11_uri, &e, &pass) < 0)
		return EXIT_IO;
	token = keyslot_and_token_add(cd, o->device, old, pass, pkcs11_token_json, &e, &keyslot);
	if (token < 0)
		return EXIT_IO;
	printf("New PKCS#11 token %d enrolled as keyslot %d (%s key%s).\n", token, keyslot, e.ec ? "EC" : "RSA",
	       e.ec ? ": systemd 256 and later open it, Debian 12's systemd 252 does not" : "");
	explicit_bzero(&e, sizeof(e));
	return EXIT_OK;
}

static int header_enroll(struct crypt_device *cd, const struct enroll_options *o, const struct secret *old)
{
	return o->pkcs11_uri ? pkcs11_enroll(cd, o, old) : tpm2_enroll(cd, o, old);
}

int main(int argc, char **argv)
{
	struct enroll_options o = { 0 };
	_cleanup_secret_ struct secret *old = NULL;
	struct crypt_device *cd = NULL;
	int r;

	/* tpm2-tss logs what it expects to fail (no SRK yet) as errors; its own TSS2_LOG still wins */
	setenv("TSS2_LOG", "all+none", 0);
	if (options_parse(argc, argv, &o) < 0)
		return usage(stderr, EXIT_USAGE);
	if ((r = crypt_init(&cd, o.device)) < 0)
		return log_error_ret(EXIT_IO, "%s: %s", o.device, strerror(-r));
	if ((r = crypt_load(cd, CRYPT_LUKS, NULL)) < 0) {
		crypt_free(cd);
		return log_error_ret(EXIT_DAMAGED, "%s: no valid LUKS header", o.device);
	}
	if (strcmp(crypt_get_type(cd), CRYPT_LUKS2) != 0) {
		crypt_free(cd);
		return log_error_ret(EXIT_UNSUPPORTED, "%s: tokens need LUKS2 (cryptsetup convert --type luks2 makes it one)", o.device);
	}
	r = existing_secret(&o, &old);
	if (r == 0 && crypt_activate_by_passphrase(cd, NULL, CRYPT_ANY_SLOT, (const char *)old->data, old->len, 0) < 0) {
		log_error("%s: no keyslot opens with this %s", o.device, o.unlock_key_file ? "key file" : "passphrase");
		r = EXIT_WRONG_SECRET;
	} else
		r = r < 0 ? EXIT_IO : header_enroll(cd, &o, old);
	crypt_free(cd);
	return r;
}
