/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel command line and crypttab parsers: the first byte picks which one gets the rest, or
 * both (the first line the command line, merged with the rest as crypttab). The
 * device names they yield are then read as LVM names, as the boot reads them. */
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "boot/boot.h"
#include "boot/stack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct boot_config cfg;
	char *text, *tab;

	log_set_max_level(LOG_LEVEL_QUIET);
	if (size == 0 || size > 16384)
		return 0;
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	tab = strchr(text, '\n');
	boot_config_init(&cfg);
	if ((data[0] & 2) && tab) {
		/* the first line a command line, the rest its crypttab, merged */
		*tab++ = '\0';
		boot_config_from_text(&cfg, text, tab, "fuzz");
	} else if (data[0] & 1) {
		cmdline_parse(&cfg, text);
		boot_config_finish(&cfg);
	} else {
		crypttab_parse(&cfg, text, "fuzz");
	}
	free(text);
	for (int i = 0; i < cfg.n_volumes; i++) {
		char vg[128], lv[128];
		lvm_name_split(cfg.volumes[i].device, vg, sizeof(vg), lv, sizeof(lv));
		lvm_name_split(cfg.root, vg, sizeof(vg), lv, sizeof(lv));
		lvm_name_split(cfg.resume, vg, sizeof(vg), lv, sizeof(lv));
	}
	return 0;
}
