/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "modules.h"

#include <errno.h>
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
		r = kmod_module_probe_insert_module(mod, 0, NULL, NULL, NULL, NULL);
		/* libkmod counts a module another thread is still initialising as loaded; inserting it
		 * again makes the kernel wait until it is live (then -EEXIST), so it is usable on return. */
		if (r == 0 && kmod_module_get_initstate(mod) == KMOD_MODULE_COMING)
			r = kmod_module_insert_module(mod, 0, NULL);
		if (r < 0 && r != -EEXIST)
			log_debug("module %s: %s", kmod_module_get_name(mod), strerror(-r));
		else
			loaded++;
		kmod_module_unref(mod);
	}
	kmod_module_unref_list(list);
	return loaded ? 0 : -ENOENT;
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
