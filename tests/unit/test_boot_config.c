/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Kernel command line and crypttab: the meanings systemd-cryptsetup and crypttab(5) give them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include <string.h>

#include "base/log.h"
#include "base/timespan.h"
#include "base/util.h"
#include "boot/boot.h"
#include "boot/console.h"
#include "boot/devices.h"
#include "boot/measure.h"
#include "boot/passcache.h"
#include "luks/luks.h"

static struct boot_config cfg;

static void cmdline_root_and_init(void **state)
{
	(void)state;
	boot_config_init(&cfg);
	assert_int_equal(cmdline_parse(&cfg, "BOOT_IMAGE=/vmlinuz root=UUID=abc rootfstype=ext4 rootflags=\"data=journal,noatime\" rw init=/lib/systemd/systemd quiet\n"), 0);
	assert_string_equal(cfg.root, "UUID=abc");
	assert_string_equal(cfg.rootfstype, "ext4");
	assert_string_equal(cfg.rootflags, "data=journal,noatime");
	assert_true(cfg.root_read_write);
	assert_string_equal(cfg.init, "/lib/systemd/systemd");
	boot_config_init(&cfg);
	cmdline_parse(&cfg, "root=/dev/vda1");
	assert_false(cfg.root_read_write);
	assert_string_equal(cfg.init, "/sbin/init");
	assert_true(cfg.luks_enabled);
}

static void cmdline_luks_volumes(void **state)
{
	(void)state;
	boot_config_from_text(&cfg, "rd.luks.uuid=1111-aa rd.luks.name=2222-bb=cryptroot rd.luks.key=2222-bb=/etc/k "
			    "rd.luks.options=2222-bb=discard,tries=5 luks.uuid=luks-3333-cc rd.luks.timeout=7", NULL, NULL);
	assert_true(cfg.uuids_only);
	assert_int_equal(cfg.n_volumes, 3);
	assert_string_equal(cfg.volumes[0].device, "UUID=1111-aa");
	assert_string_equal(cfg.volumes[0].name, "luks-1111-aa");
	assert_string_equal(cfg.volumes[1].name, "cryptroot");
	assert_string_equal(cfg.volumes[1].key_file, "/etc/k");
	assert_int_equal(cfg.volumes[1].tries, 5);
	assert_true(cfg.volumes[1].flags & LUKS_FLAG_ALLOW_DISCARDS);
	assert_string_equal(cfg.volumes[2].device, "UUID=3333-cc");
	assert_int_equal(cfg.timeout_sec, 7);
}

/* TPM2 options, through rd.luks.options= without a UUID (an option's own '=' is no UUID) and crypttab. */
static void token_options(void **state)
{
	(void)state;
	boot_config_from_text(&cfg, "rd.luks.uuid=1111-aa rd.luks.options=token-timeout=3s,tpm2-device=auto,headless=1", NULL,
			      NULL);
	assert_int_equal(cfg.volumes[0].token_timeout_sec, 3);
	assert_string_equal(cfg.volumes[0].tpm2_device, "auto");
	assert_true(cfg.volumes[0].headless);
	boot_config_init(&cfg);
	crypttab_parse(&cfg, "a UUID=1 none tpm2-device=/dev/tpmrm0,tpm2-signature=/etc/sig.json,tpm2-pin=yes,tpm2-pcrs=7,"
			     "tpm2-pcrlock=/etc/pl.json\n"
			     "b UUID=2 none luks\n", "test");
	assert_string_equal(cfg.volumes[0].tpm2_device, "/dev/tpmrm0");
	assert_string_equal(cfg.volumes[0].tpm2_signature, "/etc/sig.json");
	assert_string_equal(cfg.volumes[0].tpm2_pcrlock, "/etc/pl.json");
	assert_int_equal(cfg.volumes[0].token_timeout_sec, 30);
	assert_string_equal(cfg.volumes[1].tpm2_device, "");
}

/* tpm2-measure-pcr= as systemd reads it: a PCR number first, else a boolean (yes: 15); banks add up. */
static void measure_options(void **state)
{
	char text[256];

	(void)state;
	boot_config_init(&cfg);
	crypttab_parse(&cfg, "a UUID=1 none tpm2-measure-pcr=yes,tpm2-measure-bank=SHA256:sha1,tpm2-measure-bank=sha384\n"
			     "b UUID=2 none tpm2-measure-pcr=0\n"
			     "c UUID=3 none tpm2-measure-pcr=no\n"
			     "d UUID=4 none tpm2-measure-pcr=24,tpm2-measure-bank=md5\n"
			     "e UUID=5 none luks\n", "test");
	assert_int_equal(cfg.volumes[0].tpm2_measure_pcr, 15);
	assert_string_equal(cfg.volumes[0].tpm2_measure_banks, "sha256:sha1:sha384");
	assert_int_equal(cfg.volumes[1].tpm2_measure_pcr, 0);
	assert_int_equal(cfg.volumes[2].tpm2_measure_pcr, -1);
	assert_int_equal(cfg.volumes[3].tpm2_measure_pcr, -1);
	assert_string_equal(cfg.volumes[3].tpm2_measure_banks, "");
	assert_int_equal(cfg.volumes[4].tpm2_measure_pcr, -1);
	/* the event's text: ':' and '\\' and bytes outside ASCII's printable ones escaped as systemd's xescape */
	assert_int_equal(measure_event_text("root", "1234", text, sizeof(text)), 0);
	assert_string_equal(text, "cryptsetup:root:1234");
	assert_int_equal(measure_event_text("a:b\\c\x7f\xc3\xa9", "u", text, sizeof(text)), 0);
	assert_string_equal(text, "cryptsetup:a\\x3ab\\x5cc\\x7f\\xc3\\xa9:u");
	assert_int_equal(measure_event_text("root", "1234", text, 20), -ENAMETOOLONG);
}

static void cmdline_switches(void **state)
{
	(void)state;
	boot_config_init(&cfg);
	cmdline_parse(&cfg, "rd.luks=0 rd.luks.crypttab=no rd.break");
	assert_false(cfg.luks_enabled);
	assert_false(cfg.crypttab_enabled);
	assert_true(cfg.debug_shell);
	assert_false(cfg.debug);
	boot_config_init(&cfg);
	cmdline_parse(&cfg, "quiet rd.debug");
	assert_true(cfg.debug);
	assert_false(cfg.debug_shell);
}

/* systemd-cryptsetup-generator's rules for the command line and crypttab together. */
static void cmdline_defaults_whatever_their_place(void **state)
{
	(void)state;
	/* rd.luks.key= and rd.luks.options= without a UUID are defaults, before or after the volumes. */
	boot_config_from_text(&cfg, "rd.luks.key=/etc/all.key rd.luks.options=discard rd.luks.uuid=aa-1", NULL, NULL);
	assert_int_equal(cfg.n_volumes, 1);
	assert_string_equal(cfg.volumes[0].key_file, "/etc/all.key");
	assert_true(cfg.volumes[0].flags & LUKS_FLAG_ALLOW_DISCARDS);
	boot_config_from_text(&cfg, "rd.luks.uuid=aa-1 rd.luks.key=/etc/all.key", NULL, NULL);
	assert_string_equal(cfg.volumes[0].key_file, "/etc/all.key");
	/* A volume's own key and options win over the defaults, which then do not add to them. */
	boot_config_from_text(&cfg, "rd.luks.key=/all rd.luks.options=discard rd.luks.uuid=aa-1 rd.luks.key=aa-1=/own "
			      "rd.luks.options=aa-1=tries=1", NULL, NULL);
	assert_string_equal(cfg.volumes[0].key_file, "/own");
	assert_int_equal(cfg.volumes[0].tries, 1);
	assert_false(cfg.volumes[0].flags & LUKS_FLAG_ALLOW_DISCARDS);
}

static void cmdline_options_and_keys_make_no_volume(void **state)
{
	(void)state;
	/* Per-UUID options and keys alone open nothing; crypttab's line for that UUID is opened once,
	 * with the command line's options instead of its own. */
	boot_config_from_text(&cfg, "rd.luks.options=ab-1=discard rd.luks.key=cd-2=/k", "cryptroot UUID=AB-1 none luks,tries=7\n",
			      "crypttab");
	assert_int_equal(cfg.n_volumes, 1);
	assert_string_equal(cfg.volumes[0].name, "cryptroot");
	assert_true(cfg.volumes[0].flags & LUKS_FLAG_ALLOW_DISCARDS);
	assert_int_equal(cfg.volumes[0].tries, 3);
	assert_false(cfg.volumes[0].from_cmdline);
	/* Without a crypttab line they open nothing at all. */
	boot_config_from_text(&cfg, "rd.luks.options=ab-1=discard rd.luks.key=ab-1=/k", NULL, NULL);
	assert_int_equal(cfg.n_volumes, 0);
}

static void crypttab_lines_match_uuids_as_systemd(void **state)
{
	(void)state;
	/* UUID=, /dev/disk/by-uuid/ and the name luks-UUID each match rd.luks.uuid=; the crypttab line
	 * gives the name, the key and the options, and no luks-UUID volume is made besides it. */
	boot_config_from_text(&cfg, "rd.luks.uuid=ab-1 rd.luks.uuid=cd-2 rd.luks.uuid=ef-3",
			      "cryptroot /dev/disk/by-uuid/ab-1 /root.key luks\n"
			      "data UUID=cd-2 none luks,discard\n"
			      "luks-ef-3 /dev/vdc none luks\n"
			      "other UUID=99-9 none luks\n",
			      "crypttab");
	assert_int_equal(cfg.n_volumes, 3);
	assert_string_equal(cfg.volumes[0].name, "cryptroot");
	assert_string_equal(cfg.volumes[0].key_file, "/root.key");
	assert_string_equal(cfg.volumes[1].name, "data");
	assert_true(cfg.volumes[1].flags & LUKS_FLAG_ALLOW_DISCARDS);
	assert_string_equal(cfg.volumes[2].device, "/dev/vdc");
	/* rd.luks.key=UUID= gives a key to a line that has none; a line's own key stays. */
	boot_config_from_text(&cfg, "rd.luks.key=ab-1=/cmdline.key rd.luks.key=cd-2=/cmdline.key",
			      "a UUID=ab-1 none luks\nb UUID=cd-2 /own.key luks\n", "crypttab");
	assert_string_equal(cfg.volumes[0].key_file, "/cmdline.key");
	assert_string_equal(cfg.volumes[1].key_file, "/own.key");
	/* Without rd.luks.uuid= or rd.luks.name=, every line; rd.luks.crypttab=no, none. */
	boot_config_from_text(&cfg, "quiet", "a UUID=ab-1 none\nb UUID=cd-2 none\n", "crypttab");
	assert_int_equal(cfg.n_volumes, 2);
	boot_config_from_text(&cfg, "rd.luks.crypttab=no rd.luks.uuid=ab-1", "a UUID=ab-1 none\n", "crypttab");
	assert_int_equal(cfg.n_volumes, 1);
	assert_string_equal(cfg.volumes[0].name, "luks-ab-1");
	assert_true(cfg.volumes[0].from_cmdline);
	/* rd.luks.name= renames nothing crypttab names; it opens the UUID as NAME without a line. */
	boot_config_from_text(&cfg, "rd.luks.name=ab-1=root", "a UUID=cd-2 none\n", "crypttab");
	assert_int_equal(cfg.n_volumes, 1);
	assert_string_equal(cfg.volumes[0].name, "root");
}

static void cmdline_hostile(void **state)
{
	char long_line[5000];
	(void)state;
	memset(long_line, 'a', sizeof(long_line) - 1);
	long_line[sizeof(long_line) - 1] = '\0';
	boot_config_init(&cfg);
	assert_int_not_equal(cmdline_parse(&cfg, long_line), 0);
	boot_config_init(&cfg);
	assert_int_equal(cmdline_parse(&cfg, "\"unterminated root=x rd.luks.name== rd.luks.uuid= ="), 0);
	for (int i = 0; i < 40; i++) {
		char word[64];
		snprintf(word, sizeof(word), "rd.luks.uuid=%04d", i);
		cmdline_parse(&cfg, word);
	}
	boot_config_finish(&cfg);
	assert_int_equal(cfg.n_volumes, BOOT_VOLUMES_MAX);
}

static void cmdline_mkinitcpio(void **state)
{
	(void)state;
	boot_config_init(&cfg);
	cmdline_parse(&cfg, "cryptdevice=UUID=abcd-1:cryptroot:allow-discards cryptkey=rootfs:/crypto_keyfile.bin root=/dev/mapper/cryptroot");
	assert_int_equal(cfg.n_volumes, 1);
	assert_string_equal(cfg.volumes[0].device, "UUID=abcd-1");
	assert_string_equal(cfg.volumes[0].name, "cryptroot");
	assert_true(cfg.volumes[0].flags & LUKS_FLAG_ALLOW_DISCARDS);
	assert_string_equal(cfg.volumes[0].key_file, "/crypto_keyfile.bin");
	boot_config_init(&cfg);
	cmdline_parse(&cfg, "cryptkey=rootfs:/k cryptdevice=/dev/sda2:root cryptdevice=nocolon cryptkey=/dev/sdb:ext4:/k");
	assert_int_equal(cfg.n_volumes, 1);
	assert_string_equal(cfg.volumes[0].device, "/dev/sda2");
	assert_string_equal(cfg.volumes[0].key_file, "/k");
}

/* header= as systemd reads it: a file, a device, or PATH:DEVICE split at the last colon. */
static void headers_in_files_and_on_devices(void **state)
{
	static const struct {
		const char *header, *device;
	} want[] = {
		{ "/etc/a.hdr", "" },
		{ "/luks/b.hdr", "LABEL=HDRSTICK" },
		{ "/luks/c.hdr", "/dev/sdc1" },
		{ "UUID=4444", "" },
		{ "/dev/disk/by-partuuid/55", "" },
		{ "/odd:name.hdr", "" },
	};

	(void)state;
	boot_config_init(&cfg);
	crypttab_parse(&cfg,
		       "a UUID=1 none header=/etc/a.hdr\n"
		       "b UUID=2 none header=/luks/b.hdr:LABEL=HDRSTICK\n"
		       "c UUID=3 none header=/luks/c.hdr:/dev/sdc1,tries=1\n"
		       "d UUID=4 none header=UUID=4444\n"
		       "e UUID=5 none header=/dev/disk/by-partuuid/55\n"
		       "f UUID=6 none header=/odd:name.hdr\n",
		       "crypttab");
	assert_int_equal(cfg.n_volumes, ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		assert_string_equal(cfg.volumes[i].header, want[i].header);
		assert_string_equal(cfg.volumes[i].header_device, want[i].device);
	}
	assert_int_equal(cfg.volumes[2].tries, 1);
}

/* The /dev/disk/by-* names that stand for tags resolve without udev; the others only udev makes. */
static void device_names_only_udev_makes(void **state)
{
	(void)state;
	assert_true(device_name_needs_udev("/dev/disk/by-id/nvme-Samsung_SSD_980_S64DNF0R123456-part2"));
	assert_true(device_name_needs_udev("/dev/disk/by-path/pci-0000:00:1f.2-ata-1-part3"));
	assert_true(device_name_needs_udev("/dev/disk/by-diskseq/7"));
	assert_false(device_name_needs_udev("/dev/disk/by-uuid/2439d992-5290-4b6d-b602-4f3f009c1aa3"));
	assert_false(device_name_needs_udev("/dev/disk/by-partuuid/0f1e2d3c-01"));
	assert_false(device_name_needs_udev("/dev/disk/by-label/KEYSTICK"));
	assert_false(device_name_needs_udev("/dev/disk/by-partlabel/root"));
	assert_false(device_name_needs_udev("/dev/vda2"));
	assert_false(device_name_needs_udev("/dev/mapper/root"));
	assert_false(device_name_needs_udev("UUID=2439d992-5290-4b6d-b602-4f3f009c1aa3"));
	assert_false(device_name_needs_udev("/dev/diskette"));
}

static void keys_on_other_devices(void **state)
{
	struct boot_volume *v;

	(void)state;
	boot_config_init(&cfg);
	crypttab_parse(&cfg,
		       "a UUID=1 /keys/a.key:LABEL=KEYS luks,keyfile-timeout=5s\n"
		       "b UUID=2 /dev/disk/by-partuuid/77 luks,keyfile-offset=4096,keyfile-size=64\n"
		       "c UUID=3 /odd:name.key luks,headless=true\n"
		       "d UUID=4 /k:/dev/sdc1 luks,headless=no\n"
		       "e UUID=5 /dev/urandom swap,headless\n"
		       "f UUID=6 relative.key luks\n"
		       "g UUID=7 :LABEL=X luks\n",
		       "crypttab");
	assert_int_equal(cfg.n_volumes, 5);
	v = &cfg.volumes[0];
	assert_string_equal(v->key_file, "/keys/a.key");
	assert_string_equal(v->key_device, "LABEL=KEYS");
	assert_false(v->key_raw);
	assert_int_equal(v->keyfile_timeout_sec, 5);
	assert_false(v->headless);
	v = &cfg.volumes[1];
	assert_string_equal(v->key_file, "/dev/disk/by-partuuid/77");
	assert_string_equal(v->key_device, "");
	assert_true(v->key_raw);
	assert_int_equal(v->keyfile_timeout_sec, -1);
	v = &cfg.volumes[2];
	assert_string_equal(v->key_file, "/odd:name.key");
	assert_string_equal(v->key_device, "");
	assert_true(v->headless);
	v = &cfg.volumes[3];
	assert_string_equal(v->key_device, "/dev/sdc1");
	assert_false(v->headless);
	v = &cfg.volumes[4];
	assert_false(v->key_raw);
	assert_true(v->headless);

	boot_config_from_text(&cfg, "rd.luks.uuid=aa-1 rd.luks.uuid=bb-2 rd.luks.key=bb-2=/b.key:UUID=cc-3 rd.luks.key=/all.key:PARTLABEL=keys",
			      NULL, NULL);
	assert_string_equal(cfg.volumes[0].key_file, "/all.key");
	assert_string_equal(cfg.volumes[0].key_device, "PARTLABEL=keys");
	assert_string_equal(cfg.volumes[1].key_file, "/b.key");
	assert_string_equal(cfg.volumes[1].key_device, "UUID=cc-3");
}

static void mkinitcpio_cryptkey_forms(void **state)
{
	struct boot_volume *v;

	(void)state;
	boot_config_init(&cfg);
	cmdline_parse(&cfg, "cryptdevice=/dev/sda2:root cryptkey=LABEL=usb:vfat:/secret.key");
	v = &cfg.volumes[0];
	assert_string_equal(v->key_file, "/secret.key");
	assert_string_equal(v->key_device, "LABEL=usb");
	assert_string_equal(v->key_fstype, "vfat");
	assert_false(v->key_raw);
	boot_config_init(&cfg);
	cmdline_parse(&cfg, "cryptkey=/dev/sdb:2048:512 cryptdevice=/dev/sda2:root");
	v = &cfg.volumes[0];
	assert_string_equal(v->key_file, "/dev/sdb");
	assert_true(v->key_raw);
	assert_int_equal(v->keyfile_offset, 2048);
	assert_int_equal(v->keyfile_size, 512);
	boot_config_init(&cfg);
	cmdline_parse(&cfg, "cryptkey=/dev/sdb:ext4 cryptkey=::/k cryptkey=/dev/sdb:1:0 cryptdevice=/dev/sda2:root");
	assert_string_equal(cfg.volumes[0].key_file, "");
}

static void crypttab_fields_and_options(void **state)
{
	(void)state;
	boot_config_init(&cfg);
	crypttab_parse(&cfg,
		       "# comment\n"
		       "\n"
		       "root UUID=1234 none luks,discard,no-read-workqueue,keyslot=2,tries=0,header=/etc/hdr\n"
		       "home\t/dev/sda2\t/etc/home.key\tkeyfile-offset=10,keyfile-size=64,readonly,nofail,timeout=5s\n"
		       "swap PARTUUID=99 /dev/urandom swap,cipher=aes-xts-plain64,size=512\n"
		       "bare LABEL=x\n"
		       "data /dev/vdb none plain,hash=sha256,cipher=serpent-xts-plain64,size=512,offset=8,skip=16\n"
		       "scratch /dev/vdc /dev/urandom tmp\n",
		       "crypttab");
	assert_int_equal(cfg.n_volumes, 6);
	assert_true(cfg.volumes[4].plain && !cfg.volumes[4].swap);
	assert_string_equal(cfg.volumes[4].hash, "sha256");
	assert_string_equal(cfg.volumes[4].cipher, "serpent-xts-plain64");
	assert_int_equal(cfg.volumes[4].key_bits, 512);
	assert_int_equal(cfg.volumes[4].offset, 8);
	assert_int_equal(cfg.volumes[4].skip, 16);
	assert_true(cfg.volumes[5].tmp);
	assert_string_equal(cfg.volumes[0].name, "root");
	assert_string_equal(cfg.volumes[0].key_file, "");
	assert_int_equal(cfg.volumes[0].key_slot, 2);
	assert_int_equal(cfg.volumes[0].tries, 0);
	assert_string_equal(cfg.volumes[0].header, "/etc/hdr");
	assert_int_equal(cfg.volumes[0].flags, LUKS_FLAG_ALLOW_DISCARDS | LUKS_FLAG_NO_READ_WORKQUEUE);
	assert_string_equal(cfg.volumes[1].key_file, "/etc/home.key");
	assert_int_equal(cfg.volumes[1].keyfile_offset, 10);
	assert_int_equal(cfg.volumes[1].keyfile_size, 64);
	assert_true(cfg.volumes[1].read_only && cfg.volumes[1].nofail);
	assert_int_equal(cfg.volumes[1].prompt_timeout_sec, 5);
	assert_int_equal(cfg.volumes[1].timeout_sec, -1);
	assert_int_equal(cfg.volumes[0].prompt_timeout_sec, 0);
	assert_true(cfg.volumes[2].swap);
	assert_int_equal(cfg.volumes[3].tries, 3);
	assert_int_equal(cfg.volumes[3].key_slot, -1);
}

/* systemd's meanings: timeout= waits for the passphrase, x-systemd.device-timeout= for the device,
 * rd.luks.timeout= and rd.timeout= for devices in general; all take time spans with units. */
static void timeouts_as_systemd(void **state)
{
	(void)state;
	boot_config_init(&cfg);
	crypttab_parse(&cfg, "a UUID=1 none timeout=1min30s,x-systemd.device-timeout=2min\n"
			     "b UUID=2 none x-systemd.device-timeout=0,timeout=500ms\n"
			     "c UUID=3 none timeout=5x,x-systemd.device-timeout=-1\n", "crypttab");
	assert_int_equal(cfg.volumes[0].prompt_timeout_sec, 90);
	assert_int_equal(cfg.volumes[0].timeout_sec, 120);
	assert_int_equal(cfg.volumes[1].timeout_sec, 0);
	assert_int_equal(cfg.volumes[1].prompt_timeout_sec, 1);
	assert_int_equal(cfg.volumes[2].prompt_timeout_sec, 0);
	assert_int_equal(cfg.volumes[2].timeout_sec, -1);
	boot_config_init(&cfg);
	cmdline_parse(&cfg, "rd.luks.timeout=2min");
	assert_int_equal(cfg.timeout_sec, 120);
	cmdline_parse(&cfg, "rd.timeout=45");
	assert_int_equal(cfg.timeout_sec, 45);
	cmdline_parse(&cfg, "rd.timeout=soon luks.timeout=99999999999999999999");
	assert_int_equal(cfg.timeout_sec, 45);
	cmdline_parse(&cfg, "rd.timeout=infinity");
	assert_int_equal(cfg.timeout_sec, 0);
}

static void time_spans(void **state)
{
	static const struct {
		const char *text;
		int sec;
	} good[] = { { "90", 90 }, { "30s", 30 }, { "2min", 120 }, { "1h", 3600 }, { "1min 30s", 90 }, { "500ms", 1 },
		     { "0", 0 }, { "infinity", 0 }, { "1d", 86400 }, { "3 sec", 3 }, { "1500us", 1 } };
	static const char *const bad[] = { "", " ", "s", "5x", "-1", "1.5s", "2 min x", "99999999999999999999",
					   "400d", "min5", "5s,", "infinite" };
	int sec;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		sec = -7;
		assert_int_equal(parse_time_span_sec(good[i].text, &sec), 0);
		assert_int_equal(sec, good[i].sec);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sec = -7;
		assert_int_equal(parse_time_span_sec(bad[i], &sec), -1);
		assert_int_equal(sec, -7);
	}
}

static void crypttab_malformed_lines_skipped(void **state)
{
	(void)state;
	boot_config_init(&cfg);
	crypttab_parse(&cfg, "onlyname\nbad/name UUID=1\nok UUID=2 none luks\ntoo many fields here now\nx UUID=3 none keyslot=99,tries=-1\n",
		       "crypttab");
	assert_int_equal(cfg.n_volumes, 2);
	assert_string_equal(cfg.volumes[0].name, "ok");
	assert_int_equal(cfg.volumes[1].key_slot, -1);
	assert_int_equal(cfg.volumes[1].tries, 3);
}

static void passphrase_and_key_file_options(void **state)
{
	(void)state;
	boot_config_init(&cfg);
	crypttab_parse(&cfg,
		       "a UUID=1 none luks,try-empty-password,password-cache=read-only\n"
		       "b UUID=2 /k/b.key luks,try-empty-password=yes,keyfile-erase,password-cache=yes\n"
		       "c UUID=3 /k/c.key try-empty-password=no,luks,verify,keyfile-erase=1,password-cache=no\n"
		       "d UUID=4 /k/d.key luks,try-empty-password=maybe,keyfile-erase=no,password-cache=maybe\n"
		       "e UUID=5 none luks,password-cache\n",
		       "crypttab");
	assert_int_equal(cfg.n_volumes, 5);
	assert_true(cfg.volumes[0].try_empty_password);
	assert_true(cfg.volumes[1].try_empty_password);
	assert_false(cfg.volumes[2].try_empty_password);
	assert_true(cfg.volumes[2].verify);
	assert_false(cfg.volumes[0].verify);
	assert_false(cfg.volumes[3].try_empty_password);
	assert_false(cfg.volumes[4].try_empty_password);
	assert_false(cfg.volumes[0].keyfile_erase);
	assert_true(cfg.volumes[1].keyfile_erase);
	assert_true(cfg.volumes[2].keyfile_erase);
	assert_false(cfg.volumes[3].keyfile_erase);
	assert_int_equal(cfg.volumes[0].password_cache, PASSWORD_CACHE_READ_ONLY);
	assert_int_equal(cfg.volumes[1].password_cache, PASSWORD_CACHE_YES);
	assert_int_equal(cfg.volumes[2].password_cache, PASSWORD_CACHE_NO);
	assert_int_equal(cfg.volumes[3].password_cache, PASSWORD_CACHE_YES);
	assert_int_equal(cfg.volumes[4].password_cache, PASSWORD_CACHE_YES);
}

static struct secret *secret_of(const char *text)
{
	struct secret *s = secret_new(64);

	assert_non_null(s);
	assert_int_equal(secret_append(s, text, strlen(text)), 0);
	return s;
}

/* Kept once each, the oldest giving way when full; an empty passphrase is one too. */
static void typed_passphrases_kept(void **state)
{
	_cleanup_passcache_ struct passcache typed = { 0 };
	_cleanup_secret_ struct secret *a = secret_of("correct horse");
	_cleanup_secret_ struct secret *b = secret_of("battery staple");
	_cleanup_secret_ struct secret *empty = secret_of("");
	char text[24];

	(void)state;
	assert_int_equal(passcache_remember(&typed, a), 0);
	assert_int_equal(passcache_remember(&typed, b), 0);
	assert_int_equal(passcache_remember(&typed, a), 0);
	assert_int_equal(passcache_remember(&typed, empty), 0);
	assert_int_equal(typed.n, 3);
	assert_memory_equal(typed.entries[0]->data, "correct horse", 13);
	assert_int_equal(typed.entries[0]->len, 13);
	assert_int_equal(typed.entries[2]->len, 0);
	a->data[0] = 'X'; /* a copy, not the caller's buffer */
	assert_int_equal(typed.entries[0]->data[0], 'c');
	for (int i = 0; i < PASSCACHE_MAX; i++) {
		_cleanup_secret_ struct secret *s = NULL;
		snprintf(text, sizeof(text), "pass %d", i);
		s = secret_of(text);
		assert_int_equal(passcache_remember(&typed, s), 0);
	}
	assert_int_equal(typed.n, PASSCACHE_MAX);
	assert_memory_equal(typed.entries[0]->data, "pass 0", 6);
	assert_memory_equal(typed.entries[PASSCACHE_MAX - 1]->data, "pass 7", 6);
	passcache_clear(&typed);
	assert_int_equal(typed.n, 0);
}

/* Debian's crypttab: decrypt_keyctl's key field is a name; other key scripts and volume types
 * unlock does not open are kept, with the reason, so the boot says it rather than guess. */
static void debian_key_scripts_and_volume_types(void **state)
{
	(void)state;
	boot_config_init(&cfg);
	crypttab_parse(&cfg,
		       "a UUID=1 shared_pw luks,keyscript=decrypt_keyctl,noearly\n"
		       "b UUID=2 shared_pw: luks,keyscript=/lib/cryptsetup/scripts/decrypt_keyctl\n"
		       "c UUID=3 /dev/disk/by-label/K:/k.key luks,keyscript=/lib/cryptsetup/scripts/passdev\n"
		       "d UUID=4 none bitlk,loud\n"
		       "e UUID=5 none tcrypt-veracrypt,quiet\n"
		       "f UUID=6 /k.key luks\n",
		       "crypttab");
	assert_int_equal(cfg.n_volumes, 6);
	assert_true(cfg.volumes[0].key_is_name);
	assert_string_equal(cfg.volumes[0].key_file, "");
	assert_string_equal(cfg.volumes[0].unsupported, "");
	assert_true(cfg.volumes[1].key_is_name);
	assert_string_equal(cfg.volumes[1].key_file, "");
	assert_false(cfg.volumes[2].key_is_name);
	assert_string_equal(cfg.volumes[2].key_device, "/dev/disk/by-label/K"); /* passdev's DEVICE:PATH */
	assert_string_equal(cfg.volumes[2].key_file, "/k.key");
	assert_int_equal(cfg.volumes[2].keyfile_timeout_sec, -1);
	assert_string_equal(cfg.volumes[2].unsupported, "");
	assert_non_null(strstr(cfg.volumes[3].unsupported, "BitLocker volumes (bitlk)"));
	assert_non_null(strstr(cfg.volumes[4].unsupported, "VeraCrypt volumes (tcrypt-veracrypt)"));
	assert_string_equal(cfg.volumes[5].key_file, "/k.key");
	assert_false(cfg.volumes[5].key_is_name);
	assert_string_equal(cfg.volumes[5].unsupported, "");
}

/* passdev's DEVICE:PATH[:TIMEOUT] is PATH:DEVICE with keyfile-timeout=TIMEOUT. */
static void debian_passdev_keys(void **state)
{
	(void)state;
	boot_config_init(&cfg);
	crypttab_parse(&cfg,
		       "a UUID=1 /dev/disk/by-uuid/12-34:/keys/a.key:20 luks,keyscript=passdev\n"
		       "b UUID=2 /dev/sdb1:/keys/b:c.key luks,keyscript=/lib/cryptsetup/scripts/passdev\n"
		       "c UUID=3 /dev/sdc1:/c.key:0 luks,keyscript=passdev\n"
		       "d UUID=4 LABEL=K:/d.key luks,keyscript=passdev\n"
		       "e UUID=5 /dev/sde1 luks,keyscript=passdev\n"
		       "f UUID=6 /k.key:/dev/sdf1 luks,keyscript=/usr/local/bin/getkey\n",
		       "crypttab");
	assert_int_equal(cfg.n_volumes, 4); /* d and e are malformed for passdev: skipped */
	assert_string_equal(cfg.volumes[0].key_device, "/dev/disk/by-uuid/12-34");
	assert_string_equal(cfg.volumes[0].key_file, "/keys/a.key");
	assert_int_equal(cfg.volumes[0].keyfile_timeout_sec, 20);
	assert_string_equal(cfg.volumes[1].key_device, "/dev/sdb1");
	assert_string_equal(cfg.volumes[1].key_file, "/keys/b:c.key");
	assert_int_equal(cfg.volumes[1].keyfile_timeout_sec, -1);
	assert_string_equal(cfg.volumes[2].key_file, "/c.key");
	assert_int_equal(cfg.volumes[2].keyfile_timeout_sec, -1); /* 0: no time limit, so required */
	assert_string_equal(cfg.volumes[3].name, "f");
	assert_string_equal(cfg.volumes[3].key_file, "");
	assert_non_null(strstr(cfg.volumes[3].unsupported, "keyscript=/usr/local/bin/getkey: unlock runs no key scripts"));
}

static void debian_content_checks(void **state)
{
	(void)state;
	boot_config_init(&cfg);
	crypttab_parse(&cfg,
		       "a /dev/vdb none plain,check\n"
		       "b /dev/vdc none plain,check=/lib/cryptsetup/checks/ext2\n"
		       "c /dev/vdd none plain,check=blkid,checkargs=none\n"
		       "d /dev/vde none plain,check=/usr/local/sbin/mycheck\n"
		       "e UUID=5 none luks,checkargs=xfs,check=un_blkid\n"
		       "f UUID=6 none luks,check=,checkargs=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"
		       "g /dev/vdf none plain,precheck=/lib/cryptsetup/checks/un_blkid\n"
		       "h /dev/vdg none swap,precheck=/bin/true\n",
		       "crypttab");
	assert_int_equal(cfg.n_volumes, 8);
	assert_string_equal(cfg.volumes[0].check, "blkid"); /* Debian's default check */
	assert_string_equal(cfg.volumes[1].check, "ext2");
	assert_string_equal(cfg.volumes[2].check, "blkid");
	assert_string_equal(cfg.volumes[2].check_args, "none");
	assert_string_equal(cfg.volumes[3].check, "");
	assert_non_null(strstr(cfg.volumes[3].unsupported, "check=/usr/local/sbin/mycheck: unlock runs no check programs"));
	assert_string_equal(cfg.volumes[4].check, "un_blkid");
	assert_string_equal(cfg.volumes[4].check_args, "xfs");
	assert_string_equal(cfg.volumes[5].check, ""); /* empty and too long values: unknown options, ignored */
	assert_string_equal(cfg.volumes[5].check_args, "");
	assert_string_equal(cfg.volumes[5].unsupported, "");
	assert_string_equal(cfg.volumes[6].precheck, "un_blkid");
	assert_string_equal(cfg.volumes[6].check, "");
	assert_non_null(strstr(cfg.volumes[7].unsupported, "precheck=/bin/true: unlock runs no check programs"));
}

/* Debian's check scripts' outcomes, by the type libblkid finds ("" for none). */
static void content_checks_as_debian_scripts(void **state)
{
	(void)state;
	assert_true(content_check_passes("blkid", "", "ext4"));
	assert_true(content_check_passes("blkid", "", "crypto_LUKS"));
	assert_false(content_check_passes("blkid", "", ""));
	assert_true(content_check_passes("blkid", "none", ""));
	assert_false(content_check_passes("blkid", "none", "swap"));
	assert_true(content_check_passes("blkid", "swap", "swap"));
	assert_false(content_check_passes("blkid", "swap", "ext4"));
	assert_true(content_check_passes("un_blkid", "", ""));
	assert_false(content_check_passes("un_blkid", "", "ext4"));
	assert_true(content_check_passes("un_blkid", "ext4", "xfs"));
	assert_false(content_check_passes("un_blkid", "ext4", "ext4"));
	assert_true(content_check_passes("ext2", "", "ext3"));
	assert_true(content_check_passes("ext2", "", "ext4"));
	assert_false(content_check_passes("ext2", "", "xfs"));
	assert_true(content_check_passes("xfs", "", "xfs"));
	assert_false(content_check_passes("xfs", "", ""));
	assert_false(content_check_passes("mycheck", "", "ext4"));
}

/* The prompt waits for the background loader only while a console= is not registered yet. */
static void console_names_registered(void **state)
{
	(void)state;
	assert_true(console_names_all_in("root=/dev/vda1 quiet", "tty0\n"));
	assert_true(console_names_all_in("console=ttyS0,115200n8 console=tty0", "tty0 ttyS0\n"));
	assert_false(console_names_all_in("console=hvc0 console=ttyS0", "ttyS0\n"));
	assert_false(console_names_all_in("console=ttyS1", "ttyS10\n"));
	assert_true(console_names_all_in("netconsole=6665@10.0.0.1/eth0 console=ttyS0", "ttyS0\n"));
	assert_false(console_names_all_in("console=", "ttyS0\n"));
	assert_false(console_names_all_in("console=uart8250,io,0x3f8", "ttyS0\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cmdline_root_and_init),
		cmocka_unit_test(cmdline_luks_volumes),
		cmocka_unit_test(cmdline_switches),
		cmocka_unit_test(cmdline_defaults_whatever_their_place),
		cmocka_unit_test(cmdline_options_and_keys_make_no_volume),
		cmocka_unit_test(crypttab_lines_match_uuids_as_systemd),
		cmocka_unit_test(cmdline_hostile),
		cmocka_unit_test(cmdline_mkinitcpio),
		cmocka_unit_test(crypttab_fields_and_options),
		cmocka_unit_test(keys_on_other_devices),
		cmocka_unit_test(device_names_only_udev_makes),
		cmocka_unit_test(headers_in_files_and_on_devices),
		cmocka_unit_test(mkinitcpio_cryptkey_forms),
		cmocka_unit_test(crypttab_malformed_lines_skipped),
		cmocka_unit_test(timeouts_as_systemd),
		cmocka_unit_test(time_spans),
		cmocka_unit_test(passphrase_and_key_file_options),
		cmocka_unit_test(typed_passphrases_kept),
		cmocka_unit_test(token_options),
		cmocka_unit_test(debian_key_scripts_and_volume_types),
		cmocka_unit_test(debian_passdev_keys),
		cmocka_unit_test(debian_content_checks),
		cmocka_unit_test(content_checks_as_debian_scripts),
		cmocka_unit_test(console_names_registered),
		cmocka_unit_test(measure_options),
	};
	log_set_max_level(LOG_LEVEL_QUIET);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
