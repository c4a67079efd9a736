/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "boot/attach.h"

#include <string.h>

#include "base/log.h"
#include "boot/ask.h"
#include "boot/config.h"
#include "boot/flow.h"
#include "boot/modules.h"
#include "boot/passcache.h"
#include "boot/pcscd.h"
#include "boot/preload.h"
#include "boot/wait.h"

int boot_attach_main(const char *crypttab_path)
{
	static struct boot_config cfg;
	_cleanup_passcache_ struct passcache typed = { 0 };
	struct modules *m = NULL;
	long key;
	int r;

	ask_consoles_open();
	r = boot_config_load(&cfg, NULL, crypttab_path);
	if (r < 0) {
		ask_consoles_close();
		return r;
	}
	boot_wait_setup(&cfg);
	if (cfg.debug) {
		log_set_max_level(LOG_LEVEL_DEBUG);
		log_set_uptime(true);
	}
	log_set_sink(ask_log_to_consoles);
	log_debug("unlock boot: %d volume(s) to open, root=%s", cfg.luks_enabled ? cfg.n_volumes : 0, cfg.root);
	modules_open(&m);
	boot_modules_preload(&cfg, m);
	r = cfg.luks_enabled ? volumes_open(&cfg, m, &typed) : 0;
	pcscd_stop();
	if (r == 0 && passcache_hand_over(&typed, &key) < 0)
		log_warning("cannot leave the typed passphrases in the kernel keyring; volumes the system opens later ask again");
	modules_close(m);
	log_set_sink(NULL);
	ask_consoles_close();
	return r;
}
