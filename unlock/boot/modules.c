/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "boot/modules.h"

#include <dirent.h>
#include <errno.h>
#include <libkmod.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/log.h"
#include "crypto/cipher.h"

struct modules {
	struct kmod_ctx *ctx;
};

static int modules_new(struct modules **out, const char *const *config_paths)
{
	struct modules *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->ctx = kmod_new(NULL, config_paths);
	if (!m->ctx) {
		free(m);
		return log_error_ret(-ENOENT, "cannot read the kernel module index in /lib/modules");
	}
	kmod_load_resources(m->ctx);
	*out = m;
	return 0;
}

int modules_open(struct modules **out)
{
	return modules_new(out, NULL);
}

int modules_open_nowait(struct modules **out)
{
	static const char *const config[] = { MODULES_NOWAIT_CONF, NULL };

	if (access(MODULES_NOWAIT_CONF, R_OK) < 0)
		return modules_new(out, NULL);
	return modules_new(out, config);
}

void modules_close(struct modules *m)
{
	if (!m)
		return;
	kmod_unref(m->ctx);
	free(m);
}

/* The modules refused so far (by any thread), each named on the console once. */
#define MODULES_REFUSED_MAX 32
static pthread_mutex_t refused_lock = PTHREAD_MUTEX_INITIALIZER;
static int refused_count;
static char refused_names[MODULES_REFUSED_MAX][64];

/* True the first time a module is refused. */
static bool refusal_is_new(const char *name)
{
	bool is_new = true;

	pthread_mutex_lock(&refused_lock);
	for (int i = 0; i < refused_count && i < MODULES_REFUSED_MAX; i++)
		if (strcmp(refused_names[i], name) == 0)
			is_new = false;
	if (is_new) {
		if (refused_count < MODULES_REFUSED_MAX)
			snprintf(refused_names[refused_count], sizeof(refused_names[0]), "%s", name);
		refused_count++;
	}
	pthread_mutex_unlock(&refused_lock);
	return is_new;
}

/* Why the kernel refused a module, in words for the console; NULL where a refusal is part of normal
 * operation (the driver found none of its devices, or the module is loaded already). */
static const char *module_refusal_reason(int err)
{
	switch (err) {
	case EEXIST:
	case ENODEV:
	case ENXIO:
		return NULL;
	case ENOEXEC:
		return "the kernel cannot read the module file (made for another kernel, or compressed in a way "
		       "neither the kernel nor unlock reads)";
	case EKEYREJECTED:
	case ENOKEY:
	case EBADMSG:
		return "its signature was refused (Secure Boot or module.sig_enforce)";
	case EPERM:
		return "the kernel does not allow loading modules (lockdown or modules_disabled)";
	case ENOENT:
		return "its file or one it depends on is missing from the image";
	default:
		return strerror(err);
	}
}

static void module_load_failed(struct kmod_module *mod, const char *name_or_alias, int err)
{
	const char *reason = module_refusal_reason(err);

	if (!reason) {
		log_debug("module %s: %s", kmod_module_get_name(mod), strerror(err));
		return;
	}
	if (!refusal_is_new(kmod_module_get_name(mod)))
		return;
	log_warning("kernel module %s could not be loaded: %s", kmod_module_get_name(mod), reason);
	log_debug("module %s (loading %s): %s", kmod_module_get_name(mod), name_or_alias, strerror(err));
}

static int modules_refused_count(void)
{
	int n;

	pthread_mutex_lock(&refused_lock);
	n = refused_count;
	pthread_mutex_unlock(&refused_lock);
	return n;
}

void modules_explain_missing_device(void)
{
	int n = modules_refused_count();

	if (n > 0)
		log_error("%d kernel module(s) could not be loaded (named above): the device's driver may be among them",
			  n);
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
		int before = kmod_module_get_initstate(mod);
		r = kmod_module_probe_insert_module(mod, 0, NULL, NULL, NULL, NULL);
		/* libkmod counts a module another thread is still initialising as loaded; inserting it
		 * again makes the kernel wait until it is live (then -EEXIST), so it is usable on return. */
		if (r == 0 && kmod_module_get_initstate(mod) == KMOD_MODULE_COMING)
			r = kmod_module_insert_module(mod, 0, NULL);
		if (r < 0 && r != -EEXIST)
			module_load_failed(mod, name_or_alias, -r);
		else
			loaded++;
		if (r == 0 && before != KMOD_MODULE_LIVE && before != KMOD_MODULE_BUILTIN)
			log_debug("module %s loaded for %s", kmod_module_get_name(mod), name_or_alias);
		kmod_module_unref(mod);
	}
	kmod_module_unref_list(list);
	return loaded ? 0 : -ENOENT;
}

/* The NLS tables in the image (unlock-mkinitrd puts in the ones the kernel's FAT defaults name). */
static void modules_load_nls(struct modules *m)
{
	struct utsname u;
	char dir[300];
	DIR *d;
	struct dirent *e;

	if (uname(&u) < 0)
		return;
	snprintf(dir, sizeof(dir), "/lib/modules/%s/kernel/fs/nls", u.release);
	if (!(d = opendir(dir)))
		return;
	while ((e = readdir(d))) {
		char name[MODULES_ALIAS_MAX];
		if (strncmp(e->d_name, "nls_", 4) != 0)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(e->d_name, "."), e->d_name);
		modules_load(m, name);
	}
	closedir(d);
}

void modules_load_for_fs(struct modules *m, const char *fstype)
{
	char alias[MODULES_ALIAS_MAX];

	snprintf(alias, sizeof(alias), "fs-%s", fstype);
	modules_load(m, alias);
	if (strcmp(fstype, "vfat") == 0 || strcmp(fstype, "msdos") == 0 || strcmp(fstype, "exfat") == 0)
		modules_load_nls(m);
}

#define CIPHER_ALIASES_MAX 6

/* dm-crypt and the crypto API names a cipher spec resolves to (CIPHER_ALIASES_MAX at most). */
static size_t cipher_aliases(const char *cipher_spec, char aliases[][MODULES_ALIAS_MAX])
{
	struct cipher_spec s;
	size_t n = 0;

	snprintf(aliases[n++], MODULES_ALIAS_MAX, "dm-crypt");
	if (cipher_spec_parse(cipher_spec, &s) < 0)
		return n;
	snprintf(aliases[n++], MODULES_ALIAS_MAX, "crypto-%s", s.cipher);
	snprintf(aliases[n++], MODULES_ALIAS_MAX, "crypto-%s", s.chain);
	snprintf(aliases[n++], MODULES_ALIAS_MAX, "crypto-%s(%s)", s.chain, s.cipher);
	if (s.iv_hash[0]) {
		snprintf(aliases[n++], MODULES_ALIAS_MAX, "crypto-essiv");
		snprintf(aliases[n++], MODULES_ALIAS_MAX, "crypto-%s", s.iv_hash);
	}
	return n;
}

void modules_load_for_cipher(struct modules *m, const char *cipher_spec)
{
	char aliases[CIPHER_ALIASES_MAX][MODULES_ALIAS_MAX];
	size_t n = cipher_aliases(cipher_spec, aliases);

	for (size_t i = 0; i < n; i++)
		modules_load(m, aliases[i]);
}

struct modules_job {
	pthread_t thread;
	bool running;
	size_t n;
	char names[MODULES_JOB_MAX][MODULES_ALIAS_MAX];
};

struct modules_job *modules_job_new(void)
{
	return calloc(1, sizeof(struct modules_job));
}

void modules_job_add(struct modules_job *job, const char *name_or_alias)
{
	size_t len = strnlen(name_or_alias, MODULES_ALIAS_MAX);

	if (!job || job->running || job->n >= MODULES_JOB_MAX || len >= MODULES_ALIAS_MAX)
		return;
	memcpy(job->names[job->n], name_or_alias, len + 1);
	job->n++;
}

void modules_job_add_cipher(struct modules_job *job, const char *cipher_spec)
{
	if (job && !job->running && job->n + CIPHER_ALIASES_MAX <= MODULES_JOB_MAX)
		job->n += cipher_aliases(cipher_spec, job->names + job->n);
}

static void *modules_job_run(void *arg)
{
	struct modules_job *job = arg;
	struct modules *m = NULL;

	/* A libkmod context is not shared across threads: the job has its own. */
	if (modules_open_nowait(&m) < 0)
		return NULL;
	for (size_t i = 0; i < job->n; i++)
		modules_load(m, job->names[i]);
	modules_close(m);
	return NULL;
}

void modules_job_start(struct modules_job *job)
{
	if (!job || job->running)
		return;
	if (pthread_create(&job->thread, NULL, modules_job_run, job) == 0)
		job->running = true;
	else
		modules_job_run(job); /* no thread: load them now, so the caller still finds them */
}

void modules_job_finish(struct modules_job *job)
{
	if (!job)
		return;
	if (job->running)
		pthread_join(job->thread, NULL);
	free(job);
}
