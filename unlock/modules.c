/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "modules.h"

#include <errno.h>
#include <glob.h>
#include <libkmod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cipher.h"
#include "log.h"

struct modules {
	struct kmod_ctx *ctx;
};

int modules_open(struct modules **out)
{
	struct modules *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->ctx = kmod_new(NULL, NULL);
	if (!m->ctx) {
		free(m);
		return log_error_ret(-ENOENT, "cannot read the kernel module index in /lib/modules");
	}
	kmod_load_resources(m->ctx);
	*out = m;
	return 0;
}

void modules_close(struct modules *m)
{
	if (!m)
		return;
	kmod_unref(m->ctx);
	free(m);
}

int modules_load(struct modules *m, const char *name_or_alias)
{
	struct kmod_list *list = NULL, *l;
	int r, loaded = 0;

	if (!m)
		return -ENOENT;
	r = kmod_module_new_from_lookup(m->ctx, name_or_alias, &list);
	if (r < 0 || !list)
		return -ENOENT;
	kmod_list_foreach(l, list)
	{
		struct kmod_module *mod = kmod_module_get_module(l);
		r = kmod_module_probe_insert_module(mod, KMOD_PROBE_IGNORE_LOADED, NULL, NULL, NULL, NULL);
		if (r < 0 && r != -EEXIST)
			log_debug("module %s: %s", kmod_module_get_name(mod), strerror(-r));
		else
			loaded++;
		kmod_module_unref(mod);
	}
	kmod_module_unref_list(list);
	return loaded ? 0 : -ENOENT;
}

static int modalias_read(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	int r = -EIO;

	if (!f)
		return -errno;
	if (fgets(buf, (int)size, f)) {
		buf[strcspn(buf, "\n")] = '\0';
		r = 0;
	}
	fclose(f);
	return r;
}

void modules_coldplug(struct modules *m)
{
	glob_t g;

	/* Bus drivers reveal more devices (virtio-pci, then virtio block): a few rounds settle it. */
	for (int round = 0; round < 3; round++) {
		if (glob("/sys/bus/*/devices/*/modalias", 0, NULL, &g) != 0)
			return;
		for (size_t i = 0; i < g.gl_pathc; i++) {
			char alias[512];
			if (modalias_read(g.gl_pathv[i], alias, sizeof(alias)) == 0 && alias[0])
				modules_load(m, alias);
		}
		globfree(&g);
	}
}

void modules_load_for_cipher(struct modules *m, const char *cipher_spec)
{
	struct cipher_spec s;
	char alias[3 * 64 + 16];

	modules_load(m, "dm-crypt");
	if (cipher_spec_parse(cipher_spec, &s) < 0)
		return;
	snprintf(alias, sizeof(alias), "crypto-%s", s.cipher);
	modules_load(m, alias);
	snprintf(alias, sizeof(alias), "crypto-%s", s.chain);
	modules_load(m, alias);
	snprintf(alias, sizeof(alias), "crypto-%s(%s)", s.chain, s.cipher);
	modules_load(m, alias);
	if (s.iv_hash[0]) {
		modules_load(m, "crypto-essiv");
		snprintf(alias, sizeof(alias), "crypto-%s", s.iv_hash);
		modules_load(m, alias);
	}
}
