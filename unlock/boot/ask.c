/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "boot/ask.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include "base/fileio.h"
#include "base/log.h"
#include "boot/console.h"
#include "boot/hotplug.h"
#include "boot/keymap.h"
#include "open/prompt.h"

#define HOTPLUG_SETTLE_SEC 10

static struct consoles consoles;
static struct hotplug *hotplug;
/* The hotplug thread may log while the main thread reopens the consoles. */
static pthread_mutex_t consoles_lock = PTHREAD_MUTEX_INITIALIZER;

void ask_consoles_open(void)
{
	consoles_open(&consoles);
}

void ask_use_loader(struct hotplug *h)
{
	hotplug = h;
}

void ask_consoles_close(void)
{
	pthread_mutex_lock(&consoles_lock);
	consoles_close(&consoles);
	pthread_mutex_unlock(&consoles_lock);
}

/* Consoles closed for a hand-over that then failed are opened again: the reason must be seen. */
static void ask_consoles_reopen(void)
{
	pthread_mutex_lock(&consoles_lock);
	if (consoles.n == 0)
		consoles_open(&consoles);
	pthread_mutex_unlock(&consoles_lock);
}

void ask_say(const char *text)
{
	consoles_write(&consoles, text);
}

void ask_log_to_consoles(const char *line)
{
	pthread_mutex_lock(&consoles_lock);
	consoles_write(&consoles, line);
	pthread_mutex_unlock(&consoles_lock);
}

/* Before talking to a person: the keyboards' drivers load from now on, and the prompt waits only
 * for a console= whose driver is a module (virtio hvc, USB serial), which exists once the
 * background loader has seen every device present at boot. The keyboard gets the machine's
 * layout (when the image carries one). */
void ask_consoles_refresh(void)
{
	static bool refreshed;
	char cmdline[4096];

	if (refreshed) {
		ask_consoles_reopen();
		return;
	}
	if (read_text_file("/proc/cmdline", cmdline, sizeof(cmdline)) == 0 && consoles_named_registered(cmdline))
		hotplug_release(hotplug);
	else if (!hotplug_settle(hotplug, HOTPLUG_SETTLE_SEC))
		log_warning("device drivers are still loading after %d s; asking on the consoles found so far", HOTPLUG_SETTLE_SEC);
	pthread_mutex_lock(&consoles_lock);
	consoles_close(&consoles);
	consoles_open(&consoles);
	pthread_mutex_unlock(&consoles_lock);
	keymap_load(KEYMAP_PATH);
	refreshed = true;
}

/* verify: the same passphrase again, or -EAGAIN (an attempt used up, as in systemd-cryptsetup). */
static int passphrase_confirm(const struct boot_volume *vol, const struct secret *pass)
{
	_cleanup_secret_ struct secret *again = NULL;
	char prompt[160];
	int r;

	snprintf(prompt, sizeof(prompt), "Repeat the passphrase for %s: ", vol->name);
	r = consoles_read_secret(&consoles, prompt, PASSPHRASE_MAX, vol->prompt_timeout_sec, &again);
	if (r == 0 && !secret_equal(pass, again)) {
		snprintf(prompt, sizeof(prompt), "The two passphrases for %s differ.\n", vol->name);
		consoles_write(&consoles, prompt);
		r = -EAGAIN;
	}
	return r;
}

/* crypttab's timeout= bounds the wait for an answer, as in systemd-cryptsetup; -EAGAIN: verify
 * found the two answers differ. */
int ask_passphrase(const struct boot_volume *vol, const char *prompt, struct secret **pass)
{
	int r;

	if (vol->headless)
		return log_error_ret(-EACCES, "%s: no key opened it, and headless= forbids asking for a passphrase", vol->name);
	ask_consoles_refresh();
	r = consoles_read_secret(&consoles, prompt, PASSPHRASE_MAX, vol->prompt_timeout_sec, pass);
	if (r == 0 && vol->verify && (r = passphrase_confirm(vol, *pass)) < 0) {
		secret_free(*pass);
		*pass = NULL;
	}
	if (r == -ETIMEDOUT) {
		consoles_write(&consoles, "\n");
		log_error("%s: no passphrase was entered within %d s (crypttab timeout=)", vol->name, vol->prompt_timeout_sec);
	}
	return r;
}

/* After a wrong passphrase, on every console: which attempt it was, and of how many (tries=0: no limit). */
void ask_say_wrong_passphrase(const struct boot_volume *vol, int attempt)
{
	char msg[160], of[24] = "";

	if (vol->tries > 0)
		snprintf(of, sizeof(of), " of %d", vol->tries);
	snprintf(msg, sizeof(msg), "Wrong passphrase for %s (attempt %d%s).\n", vol->name, attempt, of);
	consoles_write(&consoles, msg);
}
