/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "boot/attach.h"
#include "boot/init.h"
#include "cmd/check.h"
#include "cmd/commands.h"
#include "luks/keyslot.h"
#include "luks/luks.h"
#include "token/helper.h"

#define UNLOCK_VERSION "0.1"

static void usage(FILE *out)
{
	fprintf(out, "Usage:\n"
		     "  unlock inspect [--json] [--header FILE] DEVICE\n"
		     "  unlock open [--key-file FILE] [--keyfile-offset N] [--keyfile-size N] [--key-slot N]\n"
		     "              [--header FILE] [--volume-key-file FILE] [--readonly] [--allow-discards]\n"
		     "              [--tpm2-device auto|PATH|TCTI] [--tpm2-signature FILE] [--tpm2-pcrlock FILE]\n"
		     "              [--pkcs11-uri auto|URI] [--token-timeout S] [--token-only]\n"
		     "              [--test-passphrase | --dump-volume-key | --print-table [--show-key]]\n"
		     "              DEVICE [NAME]\n"
		     "  unlock enroll [--tpm2-device auto|PATH|TCTI | --tpm2-device-key SRK-FILE]\n"
		     "                [--tpm2-pcrs PCR[:BANK=HEX][+...]] [--tpm2-with-pin]\n"
		     "                [--tpm2-public-key FILE [--tpm2-public-key-pcrs PCRS]]\n"
		     "                [--for-systemd VERSION] [--unlock-key-file FILE] DEVICE\n"
		     "  unlock enroll --pkcs11-token-uri URI [--unlock-key-file FILE] DEVICE\n"
		     "  unlock check [--json] [--crypttab FILE] [--cmdline STRING] [--boot DIR]\n"
		     "  unlock boot [--crypttab FILE]\n"
		     "  unlock --version\n"
		     "Exit codes: 0 success, 1 usage, 2 no keyslot opened, 3 damaged header,\n"
		     "            4 unsupported feature, 5 device, file or I/O error,\n"
		     "            6 (check) a key file others can read. See unlock(8).\n");
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "unlock: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	usage(stderr);
	return EXIT_USAGE;
}

static int parse_number(const char *text, uint64_t max, uint64_t *out)
{
	if (parse_u64(text, out) < 0 || *out > max)
		return -EINVAL;
	return 0;
}

static int main_inspect(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "header", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct inspect_options opts = { 0 };
	int c;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 'j':
			opts.json = true;
			break;
		case 'H':
			opts.header = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			return usage_error("invalid option for inspect");
		}
	}
	if (argc - optind != 1)
		return usage_error("inspect takes exactly one DEVICE");
	opts.device = argv[optind];
	return cmd_inspect(&opts);
}

enum {
	OPT_KEY_FILE = 256,
	OPT_KEYFILE_OFFSET,
	OPT_KEYFILE_SIZE,
	OPT_KEY_SLOT,
	OPT_HEADER,
	OPT_TEST,
	OPT_DUMP,
	OPT_PRINT_TABLE,
	OPT_SHOW_KEY,
	OPT_VOLUME_KEY_FILE,
	OPT_READONLY,
	OPT_DISCARDS,
	OPT_TPM2,
	OPT_PKCS11,
	OPT_TOKEN_ONLY,
	OPT_TPM2_SIGNATURE,
	OPT_TPM2_PCRLOCK,
	OPT_TOKEN_TIMEOUT,
};

static int open_set_mode(struct open_options *opts, enum open_mode mode)
{
	if (opts->mode != OPEN_ACTIVATE && opts->mode != mode)
		return -EINVAL;
	opts->mode = mode;
	return 0;
}

static int open_parse_option(struct open_options *opts, int c, const char *arg)
{
	uint64_t n;

	switch (c) {
	case OPT_KEY_FILE: opts->key_file = arg; return 0;
	case OPT_HEADER: opts->header = arg; return 0;
	case OPT_VOLUME_KEY_FILE: opts->volume_key_file = arg; return 0;
	case OPT_SHOW_KEY: opts->show_key = true; return 0;
	case OPT_READONLY: opts->read_only = true; return 0;
	case OPT_DISCARDS: opts->allow_discards = true; return 0;
	case OPT_TPM2: opts->tpm2_device = arg; return 0;
	case OPT_PKCS11: opts->pkcs11_uri = arg; return 0;
	case OPT_TOKEN_ONLY: opts->token_only = true; return 0;
	case OPT_TPM2_SIGNATURE: opts->tpm2_signature = arg; return 0;
	case OPT_TPM2_PCRLOCK: opts->tpm2_pcrlock = arg; return 0;
	case OPT_TOKEN_TIMEOUT:
		if (parse_number(arg, 86400, &n) < 0 || n == 0)
			return -EINVAL;
		opts->token_timeout_sec = (int)n;
		return 0;
	case OPT_TEST: return open_set_mode(opts, OPEN_TEST_PASSPHRASE);
	case OPT_DUMP: return open_set_mode(opts, OPEN_DUMP_VOLUME_KEY);
	case OPT_PRINT_TABLE: return open_set_mode(opts, OPEN_PRINT_TABLE);
	case OPT_KEYFILE_OFFSET: return parse_number(arg, INT64_MAX, &opts->keyfile_offset);
	case OPT_KEYFILE_SIZE:
		if (parse_number(arg, SECRET_MAX, &opts->keyfile_size) < 0 || opts->keyfile_size == 0)
			return -EINVAL;
		return 0;
	case OPT_KEY_SLOT:
		if (parse_number(arg, LUKS_KEYSLOTS_MAX - 1, &n) < 0)
			return -EINVAL;
		opts->key_slot = (int)n;
		return 0;
	}
	return -EINVAL;
}

static int open_check(const struct open_options *opts, int positional)
{
	if (positional < 1 || positional > 2)
		return usage_error("open takes DEVICE and, to activate, NAME");
	if (opts->mode == OPEN_ACTIVATE && positional != 2)
		return usage_error("open needs a NAME for the mapping (or --test-passphrase, --dump-volume-key, --print-table)");
	if (opts->show_key && opts->mode != OPEN_PRINT_TABLE)
		return usage_error("--show-key only goes with --print-table");
	if (opts->key_file && opts->volume_key_file)
		return usage_error("--key-file and --volume-key-file exclude each other");
	if ((opts->tpm2_device || opts->pkcs11_uri || opts->token_only) && (opts->key_file || opts->volume_key_file))
		return usage_error("--tpm2-device, --pkcs11-uri and --token-only take no key file");
	if (opts->tpm2_signature && (!*opts->tpm2_signature || strlen(opts->tpm2_signature) >= 4096))
		return usage_error("--tpm2-signature takes a file");
	if (opts->tpm2_pcrlock && (!*opts->tpm2_pcrlock || strlen(opts->tpm2_pcrlock) >= 4096))
		return usage_error("--tpm2-pcrlock takes a file");
	if (opts->tpm2_device && (!*opts->tpm2_device || strlen(opts->tpm2_device) >= 256))
		return usage_error("--tpm2-device takes auto, a device path or a TCTI string");
	if (opts->pkcs11_uri && strcmp(opts->pkcs11_uri, "auto") != 0 &&
	    (strncmp(opts->pkcs11_uri, "pkcs11:", 7) != 0 || strlen(opts->pkcs11_uri) >= 1024))
		return usage_error("--pkcs11-uri takes auto or a PKCS#11 URI (pkcs11:...)");
	if (opts->name && (!*opts->name || strchr(opts->name, '/') || strlen(opts->name) >= 128))
		return usage_error("invalid mapping name \"%s\"", opts->name);
	return 0;
}

static int main_open(int argc, char **argv)
{
	static const struct option options[] = {
		{ "key-file", required_argument, NULL, OPT_KEY_FILE },
		{ "keyfile-offset", required_argument, NULL, OPT_KEYFILE_OFFSET },
		{ "keyfile-size", required_argument, NULL, OPT_KEYFILE_SIZE },
		{ "key-slot", required_argument, NULL, OPT_KEY_SLOT },
		{ "header", required_argument, NULL, OPT_HEADER },
		{ "test-passphrase", no_argument, NULL, OPT_TEST },
		{ "dump-volume-key", no_argument, NULL, OPT_DUMP },
		{ "print-table", no_argument, NULL, OPT_PRINT_TABLE },
		{ "show-key", no_argument, NULL, OPT_SHOW_KEY },
		{ "volume-key-file", required_argument, NULL, OPT_VOLUME_KEY_FILE },
		{ "readonly", no_argument, NULL, OPT_READONLY },
		{ "allow-discards", no_argument, NULL, OPT_DISCARDS },
		{ "tpm2-device", required_argument, NULL, OPT_TPM2 },
		{ "pkcs11-uri", required_argument, NULL, OPT_PKCS11 },
		{ "token-only", no_argument, NULL, OPT_TOKEN_ONLY },
		{ "tpm2-signature", required_argument, NULL, OPT_TPM2_SIGNATURE },
		{ "tpm2-pcrlock", required_argument, NULL, OPT_TPM2_PCRLOCK },
		{ "token-timeout", required_argument, NULL, OPT_TOKEN_TIMEOUT },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct open_options opts = { .key_slot = KEYSLOT_ANY, .mode = OPEN_ACTIVATE };
	int c, r;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return EXIT_OK;
		}
		if (c == '?' || open_parse_option(&opts, c, optarg) < 0)
			return usage_error("invalid option or value for open%s%s", optarg && c != '?' ? ": " : "", optarg && c != '?' ? optarg : "");
	}
	opts.device = optind < argc ? argv[optind] : NULL;
	opts.name = optind + 1 < argc ? argv[optind + 1] : NULL;
	r = open_check(&opts, argc - optind);
	if (r != 0)
		return r;
	return cmd_open(&opts);
}

static int main_check(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "crypttab", required_argument, NULL, 'c' },
		{ "cmdline", required_argument, NULL, 'k' },
		{ "boot", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct check_options opts = { 0 };
	int c;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 'j': opts.json = true; break;
		case 'c': opts.crypttab = optarg; break;
		case 'k': opts.cmdline = optarg; break;
		case 'b': opts.boot_dir = optarg; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: return usage_error("invalid option for check");
		}
	}
	if (optind != argc)
		return usage_error("check takes no DEVICE: it checks a crypttab and a kernel command line");
	if (opts.cmdline && strlen(opts.cmdline) >= 64 * 1024)
		return usage_error("--cmdline: longer than any kernel command line");
	return cmd_check(&opts);
}

/* Inside another generator's initramfs: the boot's volumes opened, the rest left to it. */
static int main_boot(int argc, char **argv)
{
	static const struct option options[] = {
		{ "crypttab", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *crypttab = "/etc/crypttab";
	int c;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 'c': crypttab = optarg; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: return usage_error("invalid option for boot");
		}
	}
	if (optind != argc)
		return usage_error("boot takes no arguments besides --crypttab");
	return exit_code_from(boot_attach_main(crypttab));
}

/* Enrollment writes the header through libcryptsetup, which this static program never links: it
 * is unlock-enroll's work, run in this process's place. */
static int main_enroll(char **argv)
{
	char path[PATH_MAX];

	if (!helper_program_find("unlock-enroll", path, sizeof(path)))
		return log_error_ret(EXIT_UNSUPPORTED, "unlock-enroll is not installed (next to unlock or in /usr/lib/unlock)");
	argv[0] = path;
	execv(path, argv);
	return log_error_ret(EXIT_IO, "cannot run %s: %s", path, strerror(errno));
}

int main(int argc, char **argv)
{
	/* A failing unlock must never leave a core file holding key material. Not RLIMIT_CORE: the
	 * real init and the helpers would inherit it; execve makes every program dumpable again. */
	prctl(PR_SET_DUMPABLE, 0);
	if (getpid() == 1)
		return init_main(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "inspect") == 0)
		return main_inspect(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "open") == 0)
		return main_open(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return main_check(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "boot") == 0)
		return main_boot(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "enroll") == 0)
		return main_enroll(argv + 1);
	if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
		printf("unlock %s\n", UNLOCK_VERSION);
		return EXIT_OK;
	}
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return EXIT_OK;
	}
	usage(stderr);
	return EXIT_USAGE;
}
