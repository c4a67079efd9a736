/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "boot/config.h"

#include <string.h>

#include "base/fileio.h"
#include "base/log.h"

#define CONFIG_TEXT_MAX (64 * 1024)

/* rd.luks.uuid= narrows the set to those volumes; crypttab still gives their names, keys and options. */
static void boot_config_merge(struct boot_config *cfg, const struct boot_config *tab)
{
	if (!cfg->uuids_only) {
		for (int i = 0; i < tab->n_volumes && cfg->n_volumes < BOOT_VOLUMES_MAX; i++)
			cfg->volumes[cfg->n_volumes++] = tab->volumes[i];
		return;
	}
	for (int i = 0; i < cfg->n_volumes; i++) {
		struct boot_volume *from_tab = boot_volume_find((struct boot_config *)tab, cfg->volumes[i].device);
		char name[sizeof(cfg->volumes[i].name)];
		if (!from_tab)
			continue;
		memcpy(name, cfg->volumes[i].name, sizeof(name));
		cfg->volumes[i] = *from_tab;
		if (strncmp(name, "luks-", 5) != 0)
			memcpy(cfg->volumes[i].name, name, sizeof(name));
	}
}

int boot_config_load(struct boot_config *cfg, const char *cmdline, const char *crypttab_path)
{
	static char text[CONFIG_TEXT_MAX];
	static struct boot_config tab;
	int r;

	boot_config_init(cfg);
	boot_config_init(&tab);
	if (cmdline) {
		cmdline_parse(cfg, cmdline);
	} else {
		r = read_text_file("/proc/cmdline", text, sizeof(text));
		if (r < 0)
			return log_error_ret(r, "cannot read /proc/cmdline: %s", strerror(-r));
		cmdline_parse(cfg, text);
	}
	if (cfg->crypttab_enabled && read_text_file(crypttab_path, text, sizeof(text)) == 0)
		crypttab_parse(&tab, text, crypttab_path);
	boot_config_merge(cfg, &tab);
	return 0;
}
