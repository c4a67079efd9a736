/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <json-c/json.h>
#include <stdio.h>

#include "base/blockdev.h"
#include "cmd/commands.h"
#include "luks/luks.h"

static const char *kdf_name(const struct luks_kdf *kdf)
{
	return kdf->type == KDF_PBKDF2 ? "pbkdf2" : kdf->name;
}

static const char *priority_name(enum keyslot_priority p)
{
	return p == PRIORITY_IGNORE ? "ignore" : p == PRIORITY_PREFER ? "prefer" : "normal";
}

static const char *const flag_names[] = { "allow-discards",    "same-cpu-crypt",    "submit-from-crypt-cpus",
					  "no-read-workqueue", "no-write-workqueue", "high-priority" };

static void print_mask(uint32_t mask)
{
	for (int i = 0; i < 32; i++)
		if (mask & 1u << i)
			printf(" %d", i);
}

static void inspect_print_keyslot(const struct luks_keyslot *ks, int i)
{
	printf("  %d: %s", i, kdf_name(&ks->kdf));
	if (ks->kdf.type == KDF_PBKDF2)
		printf(" %s, %u iterations", ks->kdf.hash, ks->kdf.iterations);
	else
		printf(", time %u, memory %u KiB, %u lanes", ks->kdf.iterations, ks->kdf.memory_kib, ks->kdf.cpus);
	printf("; key %zu bits; %s; area %llu+%llu; AF %u stripes %s; priority %s\n", ks->key_size * 8,
	       ks->area_cipher, (unsigned long long)ks->area_offset, (unsigned long long)ks->area_size, ks->stripes,
	       ks->af_hash, priority_name(ks->priority));
}

static void inspect_print_text(const struct luks_header *hdr, const char *path)
{
	printf("LUKS header of %s\n", path);
	printf("Version:       %d\n", hdr->version);
	printf("UUID:          %s\n", hdr->uuid);
	if (hdr->version == 2) {
		printf("Label:         %s\n", hdr->label[0] ? hdr->label : "(none)");
		printf("Header copy:   %s (seqid %llu)\n", hdr->used_secondary ? "secondary" : "primary",
		       (unsigned long long)hdr->seqid);
	}
	printf("Cipher:        %s\n", hdr->segment.cipher);
	printf("Sector size:   %u\n", hdr->segment.sector_size);
	printf("Data offset:   %llu bytes\n", (unsigned long long)hdr->segment.offset);
	if (hdr->segment.size == LUKS_SIZE_DYNAMIC)
		printf("Data size:     dynamic\n");
	else
		printf("Data size:     %llu bytes\n", (unsigned long long)hdr->segment.size);
	printf("Flags:        ");
	for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if (hdr->flags & 1u << i)
			printf(" %s", flag_names[i]);
	printf(hdr->flags ? "\n" : " (none)\n");
	if (hdr->requirements[0])
		printf("Requirements:  %s (unmet: this volume cannot be activated here)\n", hdr->requirements);
	printf("Keyslots:\n");
	for (int i = 0; i < LUKS_KEYSLOTS_MAX; i++)
		if (hdr->keyslots[i].active)
			inspect_print_keyslot(&hdr->keyslots[i], i);
	printf("Tokens:\n");
	for (int i = 0; i < LUKS_TOKENS_MAX; i++)
		if (hdr->tokens[i].active) {
			printf("  %d: %s, keyslots", i, hdr->tokens[i].type);
			print_mask(hdr->tokens[i].keyslots);
			printf("\n");
		}
	printf("Digests:\n");
	for (int i = 0; i < LUKS_DIGESTS_MAX; i++)
		if (hdr->digests[i].active) {
			printf("  %d: pbkdf2 %s, %u iterations, %s, keyslots", i, hdr->digests[i].hash,
			       hdr->digests[i].iterations,
			       hdr->digests[i].covers_segment0 ? "data segment" : "no segment");
			print_mask(hdr->digests[i].keyslots);
			printf("\n");
		}
}

json_object *json_mask(uint32_t mask)
{
	json_object *arr = json_object_new_array();
	for (int i = 0; i < 32; i++)
		if (mask & 1u << i)
			json_object_array_add(arr, json_object_new_int(i));
	return arr;
}

static json_object *inspect_json_keyslot(const struct luks_keyslot *ks, int i)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int(i));
	json_object_object_add(o, "kdf", json_object_new_string(kdf_name(&ks->kdf)));
	if (ks->kdf.type == KDF_PBKDF2) {
		json_object_object_add(o, "hash", json_object_new_string(ks->kdf.hash));
		json_object_object_add(o, "iterations", json_object_new_int64(ks->kdf.iterations));
	} else {
		json_object_object_add(o, "time", json_object_new_int64(ks->kdf.iterations));
		json_object_object_add(o, "memory_kib", json_object_new_int64(ks->kdf.memory_kib));
		json_object_object_add(o, "lanes", json_object_new_int64(ks->kdf.cpus));
	}
	json_object_object_add(o, "key_bits", json_object_new_int64((int64_t)ks->key_size * 8));
	json_object_object_add(o, "area_cipher", json_object_new_string(ks->area_cipher));
	json_object_object_add(o, "priority", json_object_new_string(priority_name(ks->priority)));
	return o;
}

static void inspect_print_json(const struct luks_header *hdr)
{
	json_object *root = json_object_new_object(), *slots = json_object_new_array(),
		    *tokens = json_object_new_array(), *flags = json_object_new_array();

	json_object_object_add(root, "version", json_object_new_int(hdr->version));
	json_object_object_add(root, "uuid", json_object_new_string(hdr->uuid));
	json_object_object_add(root, "label", json_object_new_string(hdr->label));
	json_object_object_add(root, "header_copy", json_object_new_string(hdr->used_secondary ? "secondary" : "primary"));
	json_object_object_add(root, "cipher", json_object_new_string(hdr->segment.cipher));
	json_object_object_add(root, "sector_size", json_object_new_int64(hdr->segment.sector_size));
	json_object_object_add(root, "data_offset", json_object_new_int64((int64_t)hdr->segment.offset));
	json_object_object_add(root, "data_size", hdr->segment.size == LUKS_SIZE_DYNAMIC
							  ? json_object_new_string("dynamic")
							  : json_object_new_int64((int64_t)hdr->segment.size));
	for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if (hdr->flags & 1u << i)
			json_object_array_add(flags, json_object_new_string(flag_names[i]));
	json_object_object_add(root, "flags", flags);
	json_object_object_add(root, "requirements", json_object_new_string(hdr->requirements));
	for (int i = 0; i < LUKS_KEYSLOTS_MAX; i++)
		if (hdr->keyslots[i].active)
			json_object_array_add(slots, inspect_json_keyslot(&hdr->keyslots[i], i));
	json_object_object_add(root, "keyslots", slots);
	for (int i = 0; i < LUKS_TOKENS_MAX; i++)
		if (hdr->tokens[i].active) {
			json_object *t = json_object_new_object();
			json_object_object_add(t, "id", json_object_new_int(i));
			json_object_object_add(t, "type", json_object_new_string(hdr->tokens[i].type));
			json_object_object_add(t, "keyslots", json_mask(hdr->tokens[i].keyslots));
			json_object_array_add(tokens, t);
		}
	json_object_object_add(root, "tokens", tokens);
	printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

int cmd_inspect(const struct inspect_options *opts)
{
	struct blockdev data = { .fd = -1 }, header = { .fd = -1 };
	struct luks_header hdr;
	int r;

	r = blockdev_open(&data, opts->device);
	if (r == 0 && opts->header)
		r = blockdev_open(&header, opts->header);
	if (r == 0)
		r = luks_header_read(&hdr, opts->header ? &header : &data);
	if (r == 0) {
		if (opts->json)
			inspect_print_json(&hdr);
		else
			inspect_print_text(&hdr, opts->header ? opts->header : opts->device);
		luks_header_done(&hdr);
	}
	blockdev_close(&header);
	blockdev_close(&data);
	return exit_code_from(r);
}
