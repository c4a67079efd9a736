/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "boot/config.h"

#include <string.h>

#include "base/fileio.h"
#include "base/log.h"

#define CONFIG_TEXT_MAX (64 * 1024)

void boot_config_from_text(struct boot_config *cfg, const char *cmdline, const char *crypttab, const char *source)
{
	boot_config_init(cfg);
	cmdline_parse(cfg, cmdline);
	if (cfg->crypttab_enabled && crypttab)
		crypttab_parse(cfg, crypttab, source);
	boot_config_finish(cfg);
}

int boot_config_load(struct boot_config *cfg, const char *cmdline, const char *crypttab_path)
{
	static char cmdline_text[CONFIG_TEXT_MAX], crypttab_text[CONFIG_TEXT_MAX];
	int r;

	if (!cmdline) {
		r = read_text_file("/proc/cmdline", cmdline_text, sizeof(cmdline_text));
		if (r < 0)
			return log_error_ret(r, "cannot read /proc/cmdline: %s", strerror(-r));
		cmdline = cmdline_text;
	}
	r = read_text_file(crypttab_path, crypttab_text, sizeof(crypttab_text));
	boot_config_from_text(cfg, cmdline, r == 0 ? crypttab_text : NULL, crypttab_path);
	return 0;
}
