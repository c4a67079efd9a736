/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "cmd/check.h"
#include "cmd/commands.h"

static const struct {
	const char *name;
	enum check_severity severity;
	int exit_code;
} classes[CHECK_CLASSES] = {
	[CHECK_DEVICE_MISSING] = { "device-missing", CHECK_ERROR, EXIT_IO },
	[CHECK_KEY_MISSING] = { "key-file-missing", CHECK_ERROR, EXIT_IO },
	[CHECK_ROOT_UNREACHABLE] = { "root-unreachable", CHECK_ERROR, EXIT_IO },
	[CHECK_RESUME_UNREACHABLE] = { "resume-unreachable", CHECK_ERROR, EXIT_IO },
	[CHECK_CRYPTTAB_MISSING] = { "crypttab-missing", CHECK_ERROR, EXIT_IO },
	[CHECK_NOT_LUKS] = { "not-luks", CHECK_ERROR, EXIT_DAMAGED },
	[CHECK_DAMAGED] = { "header-damaged", CHECK_ERROR, EXIT_DAMAGED },
	[CHECK_KEY_READABLE] = { "key-file-readable", CHECK_ERROR, EXIT_INSECURE },
	[CHECK_OPTION_UNKNOWN] = { "option-unknown", CHECK_ERROR, EXIT_UNSUPPORTED },
	[CHECK_UNSUPPORTED] = { "unsupported", CHECK_ERROR, EXIT_UNSUPPORTED },
	[CHECK_CRYPTTAB_MALFORMED] = { "crypttab-malformed", CHECK_ERROR, EXIT_UNSUPPORTED },
	[CHECK_KEY_DEVICE_ABSENT] = { "key-device-absent", CHECK_WARNING, EXIT_OK },
	[CHECK_TOKEN_UNUSABLE] = { "token-unusable", CHECK_WARNING, EXIT_OK },
	[CHECK_IMAGE_READABLE] = { "image-readable", CHECK_ERROR, EXIT_INSECURE },
	[CHECK_IMAGE_UNCHECKED] = { "image-unchecked", CHECK_WARNING, EXIT_OK },
};

/* The order in which an installer should mend things: what is missing, then what is broken,
 * then what leaks, then what is not understood. */
static const int exit_priority[] = { EXIT_IO, EXIT_DAMAGED, EXIT_INSECURE, EXIT_UNSUPPORTED };

enum check_severity check_class_severity(enum check_class c)
{
	return classes[c].severity;
}

const char *check_class_name(enum check_class c)
{
	return classes[c].name;
}

int check_class_exit(enum check_class c)
{
	return classes[c].exit_code;
}

int check_report_exit(const struct check_report *rep)
{
	for (size_t p = 0; p < ARRAY_SIZE(exit_priority); p++)
		for (int i = 0; i < rep->n_problems; i++)
			if (rep->problems[i].severity == CHECK_ERROR && check_class_exit(rep->problems[i].class) == exit_priority[p])
				return exit_priority[p];
	return EXIT_OK;
}

static const char *method_names[] = {
	[METHOD_KEY_FILE] = "key-file", [METHOD_TPM2] = "tpm2",     [METHOD_PKCS11] = "pkcs11",
	[METHOD_TOKEN] = "token",       [METHOD_PASSPHRASE] = "passphrase", [METHOD_RANDOM] = "random-key",
};

/* The ways the boot tries, in its order: a key file, the header's tokens, the passphrase. */
static int volume_methods(const struct check_volume *cv, enum check_method *out)
{
	const struct boot_volume *vol = cv->vol;
	int n = 0;

	if (vol->swap || vol->tmp) {
		out[n++] = METHOD_RANDOM;
		return n;
	}
	if (vol->key_file[0])
		out[n++] = METHOD_KEY_FILE;
	if (cv->token_mask[0])
		out[n++] = METHOD_TPM2;
	if (cv->token_mask[1])
		out[n++] = METHOD_PKCS11;
	if (cv->token_mask[2])
		out[n++] = METHOD_TOKEN;
	if (!vol->headless)
		out[n++] = METHOD_PASSPHRASE;
	return n;
}

static void text_key_file(const struct boot_volume *vol)
{
	if (vol->key_raw)
		printf("the key on device %s", vol->key_file);
	else if (vol->key_device[0])
		printf("key file %s on %s", vol->key_file, vol->key_device);
	else
		printf("key file %s", vol->key_file);
}

static void text_volume(const struct check_volume *cv, int order)
{
	enum check_method methods[8];
	int n = volume_methods(cv, methods);

	printf("  %d. %s: %s", order, cv->vol->name, cv->vol->device);
	if (cv->path[0] && strcmp(cv->path, cv->vol->device) != 0)
		printf(" (%s)", cv->path);
	printf(", %s%s: ", cv->type[0] ? cv->type : "type unknown", cv->from_cmdline ? ", from the kernel command line" : "");
	for (int i = 0; i < n; i++) {
		printf("%s", i == 0 ? "" : i == n - 1 ? ", else " : ", ");
		if (methods[i] == METHOD_KEY_FILE)
			text_key_file(cv->vol);
		else
			printf("%s", methods[i] == METHOD_TPM2 ? "TPM2 token" : methods[i] == METHOD_PKCS11 ? "PKCS#11 token"
				     : methods[i] == METHOD_TOKEN ? "token" : methods[i] == METHOD_RANDOM ? "a random key"
												: "passphrase");
	}
	printf("%s\n", cv->vol->nofail ? " (nofail)" : "");
}

void check_report_print_text(const struct check_report *rep)
{
	int order = 0, later = 0;

	printf("unlock check: %s, kernel command line from %s\n", rep->crypttab, rep->cmdline_source);
	printf("Opened at boot, in this order:\n");
	for (int i = 0; i < rep->cfg.n_volumes; i++)
		if (rep->volumes[i].at_boot)
			text_volume(&rep->volumes[i], ++order);
	if (order == 0)
		printf("  none\n");
	for (int i = 0; i < rep->cfg.n_volumes; i++)
		if (!rep->volumes[i].at_boot)
			printf("%s  %s: %s\n", later++ ? "" : "Left to the system:\n", rep->volumes[i].vol->name,
			       rep->volumes[i].not_at_boot);
	printf("Root: %s%s%s%s\n", rep->cfg.root[0] ? rep->cfg.root : "none", rep->root_via[0] ? " (" : "", rep->root_via,
	       rep->root_via[0] ? ")" : "");
	if (rep->cfg.resume[0])
		printf("Resume: %s%s%s%s\n", rep->cfg.resume, rep->resume_via[0] ? " (" : "", rep->resume_via,
		       rep->resume_via[0] ? ")" : "");
	for (int i = 0; i < rep->n_problems; i++) {
		const struct check_problem *p = &rep->problems[i];
		printf("%s%s: %s%s%s [%s]\n", i == 0 ? "Problems:\n  " : "  ", p->severity == CHECK_ERROR ? "error" : "warning",
		       p->volume, p->volume[0] ? ": " : "", p->message, check_class_name(p->class));
	}
	if (rep->n_problems == 0)
		printf("No problems found.\n");
}

static json_object *json_string_or_null(const char *s)
{
	return s && s[0] ? json_object_new_string(s) : NULL;
}

static json_object *json_method(const struct check_volume *cv, enum check_method m)
{
	const struct boot_volume *vol = cv->vol;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "method", json_object_new_string(method_names[m]));
	if (m == METHOD_KEY_FILE) {
		json_object_object_add(o, "path", json_object_new_string(vol->key_file));
		json_object_object_add(o, "device", json_string_or_null(vol->key_raw ? vol->key_file : vol->key_device));
	} else if (m == METHOD_TPM2 || m == METHOD_PKCS11 || m == METHOD_TOKEN) {
		json_object_object_add(o, "tokens", json_mask(cv->token_mask[m - METHOD_TPM2]));
	}
	return o;
}

static json_object *json_volume(const struct check_volume *cv, int order)
{
	enum check_method methods[8];
	int n = volume_methods(cv, methods);
	json_object *o = json_object_new_object(), *arr = json_object_new_array();

	json_object_object_add(o, "name", json_object_new_string(cv->vol->name));
	json_object_object_add(o, "device", json_object_new_string(cv->vol->device));
	json_object_object_add(o, "path", json_string_or_null(cv->path));
	json_object_object_add(o, "type", json_string_or_null(cv->type));
	json_object_object_add(o, "source", json_object_new_string(cv->from_cmdline ? "cmdline" : "crypttab"));
	json_object_object_add(o, "at_boot", json_object_new_boolean(cv->at_boot));
	json_object_object_add(o, "order", cv->at_boot ? json_object_new_int(order) : NULL);
	json_object_object_add(o, "left_to_system", json_string_or_null(cv->not_at_boot));
	json_object_object_add(o, "nofail", json_object_new_boolean(cv->vol->nofail));
	for (int i = 0; i < n; i++)
		json_object_array_add(arr, json_method(cv, methods[i]));
	json_object_object_add(o, "unlock", arr);
	return o;
}

static json_object *json_target(const char *spec, const char *via)
{
	json_object *o;

	if (!spec[0])
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "device", json_object_new_string(spec));
	json_object_object_add(o, "via", json_string_or_null(via));
	return o;
}

/* Version 2: "cmdline" is the command line read; "cmdline_from" says where it came from. */
#define CHECK_REPORT_VERSION 2

void check_report_print_json(const struct check_report *rep)
{
	json_object *root = json_object_new_object(), *vols = json_object_new_array(), *probs = json_object_new_array();
	int order = 0;

	json_object_object_add(root, "version", json_object_new_int(CHECK_REPORT_VERSION));
	json_object_object_add(root, "crypttab", json_object_new_string(rep->crypttab));
	json_object_object_add(root, "cmdline", json_object_new_string(rep->cmdline ? rep->cmdline : ""));
	json_object_object_add(root, "cmdline_from", json_object_new_string(rep->cmdline_source));
	for (int i = 0; i < rep->cfg.n_volumes; i++)
		json_object_array_add(vols, json_volume(&rep->volumes[i], rep->volumes[i].at_boot ? ++order : 0));
	json_object_object_add(root, "volumes", vols);
	json_object_object_add(root, "root", json_target(rep->cfg.root, rep->root_via));
	json_object_object_add(root, "resume", json_target(rep->cfg.resume, rep->resume_via));
	for (int i = 0; i < rep->n_problems; i++) {
		const struct check_problem *p = &rep->problems[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "severity", json_object_new_string(p->severity == CHECK_ERROR ? "error" : "warning"));
		json_object_object_add(o, "class", json_object_new_string(check_class_name(p->class)));
		json_object_object_add(o, "volume", json_string_or_null(p->volume));
		json_object_object_add(o, "message", json_object_new_string(p->message));
		json_object_array_add(probs, o);
	}
	json_object_object_add(root, "problems", probs);
	json_object_object_add(root, "exit", json_object_new_int(check_report_exit(rep)));
	printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}
