/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_BOOT_H
#define UNLOCK_BOOT_H

/* What to open and mount at boot: from the kernel command line and /etc/crypttab. */

#include <stdbool.h>
#include <stdint.h>

#include "boot/content_check.h"

#define BOOT_VOLUMES_MAX 32
#define BOOT_PATH_MAX 256

/* systemd's password-cache=: whether passphrases typed for earlier volumes are tried on this one,
 * and whether one typed for this one is kept for the next. */
enum password_cache {
	PASSWORD_CACHE_YES = 0,  /* both (the default) */
	PASSWORD_CACHE_READ_ONLY, /* tried, not kept */
	PASSWORD_CACHE_NO,       /* neither */
};

struct boot_volume {
	char name[64];
	char device[BOOT_PATH_MAX];   /* UUID=..., PARTUUID=..., LABEL=..., or a path */
	char key_file[BOOT_PATH_MAX]; /* empty: ask; else a file in the image or on key_device, or a device */
	char key_device[BOOT_PATH_MAX]; /* the filesystem key_file is on ("PATH:DEVICE"); empty: the image */
	char key_fstype[32];          /* key_device's type (cryptkey=DEVICE:TYPE:PATH); empty or "auto": probed */
	bool key_raw;                 /* key_file names a block device, read from keyfile-offset on */
	int keyfile_timeout_sec;      /* keyfile-timeout=: wait for the key's device, then ask; -1: it is required */
	bool headless;                /* headless=: never ask for a passphrase */
	bool try_empty_password;      /* try-empty-password=: an empty passphrase is tried before asking */
	bool verify;                  /* verify: a typed passphrase is asked twice */
	bool keyfile_erase;           /* keyfile-erase=: a key file in the image is wiped and removed after use */
	enum password_cache password_cache;
	char header[BOOT_PATH_MAX];   /* detached header: a file in the image or on header_device, or a device; or empty */
	char header_device[BOOT_PATH_MAX]; /* the filesystem header is on ("PATH:DEVICE"); empty: not on one */
	uint64_t keyfile_offset;
	uint64_t keyfile_size;
	int key_slot;                 /* -1: any */
	int tries;                    /* passphrase attempts; 0 = unlimited */
	int timeout_sec;              /* device wait (x-systemd.device-timeout=); 0 = no limit, -1 = the boot's */
	int prompt_timeout_sec;       /* passphrase wait (timeout=); 0 = no limit, as systemd */
	bool nofail;
	bool read_only;
	bool noauto;
	bool swap;                    /* plain swap with a random key (crypttab "swap") */
	bool plain;                   /* plain dm-crypt, no header (crypttab "plain") */
	bool tmp;                     /* crypttab "tmp": left to the system after boot */
	bool initramfs;               /* initramfs, x-initrd.attach: the boot opens it whatever fstab says */
	bool netdev;                  /* _netdev: needs the network; the system opens it */
	char hash[32];                /* plain mode: hash= for the passphrase ("plain": none) */
	char cipher[64];              /* plain mode: cipher= (default aes-cbc-essiv:sha256, as systemd) */
	uint32_t key_bits;            /* plain mode: size= (default 256) */
	uint64_t offset;              /* plain mode: offset= in 512-byte sectors */
	uint64_t skip;                /* plain mode: skip= (IV offset) in 512-byte sectors */
	uint32_t flags;               /* enum luks_flag */
	bool key_is_name;             /* keyscript=decrypt_keyctl: the key field names a shared passphrase */
	bool key_passdev;             /* keyscript=passdev: the key field is DEVICE:PATH[:TIMEOUT] */
	char check[CONTENT_CHECK_NAME_MAX]; /* check=: what the opened volume must hold (content_check.h); empty: none */
	char check_args[32];          /* checkargs= */
	char precheck[CONTENT_CHECK_NAME_MAX]; /* precheck=: what the encrypted device must hold; empty: none */
	char tpm2_device[256];        /* tpm2-device=: auto, a path or a TCTI string; empty: auto, not waited for */
	char pkcs11_uri[1024];        /* pkcs11-uri=: auto or a URI, its token waited for; empty: auto, not waited for */
	char tpm2_signature[BOOT_PATH_MAX]; /* tpm2-signature=; empty: systemd's default places */
	char tpm2_pcrlock[BOOT_PATH_MAX]; /* tpm2-pcrlock=: the pcrlock prediction; empty: systemd's places */
	int token_timeout_sec;        /* token-timeout=: the TPM's wait and a helper's time (systemd: 30 s) */
	int tpm2_measure_pcr;         /* tpm2-measure-pcr=: the PCR extended once it opened (yes: 15); -1: none */
	char tpm2_measure_banks[64];  /* tpm2-measure-bank=, colon-separated; empty: the banks systemd picks */
	char unsupported[160];        /* why unlock cannot open it (a key script, a volume type); empty: it can */
	bool from_cmdline;            /* made by the kernel command line, not by a crypttab line */
};

#define CMDLINE_OPTIONS_MAX 1024

/* What the kernel command line says of one LUKS UUID, as systemd-cryptsetup-generator keeps it. */
struct cmdline_luks {
	char uuid[48];
	char name[64];                /* rd.luks.name=UUID=NAME; empty: luks-UUID */
	char key[BOOT_PATH_MAX];      /* rd.luks.key=UUID=KEY; empty: none */
	char options[CMDLINE_OPTIONS_MAX]; /* rd.luks.options=UUID=OPTIONS, when has_options */
	bool has_options;
	bool create;                  /* rd.luks.uuid=, rd.luks.name=: opened even without a crypttab line */
	bool in_crypttab;             /* a crypttab line took it */
};

struct boot_config {
	char root[BOOT_PATH_MAX];
	char rootfstype[32];
	char rootflags[BOOT_PATH_MAX];
	bool root_read_write;
	char init[BOOT_PATH_MAX];
	char resume[BOOT_PATH_MAX];
	bool luks_enabled;            /* rd.luks=0 turns it off */
	bool crypttab_enabled;        /* rd.luks.crypttab=0 */
	bool uuids_only;              /* rd.luks.uuid=, rd.luks.name= or cryptdevice= given: open only those */
	bool debug_shell;             /* rd.break / rd.shell */
	bool debug;                   /* rd.debug: every step, with the time since boot */
	int timeout_sec;              /* rd.timeout / rd.luks.timeout */
	char crypt_key[BOOT_PATH_MAX]; /* mkinitcpio cryptkey=, applied to every cryptdevice= volume */
	struct cmdline_luks luks[BOOT_VOLUMES_MAX]; /* rd.luks.* by UUID, until boot_config_finish */
	int n_luks;
	char default_key[BOOT_PATH_MAX]; /* rd.luks.key= without a UUID */
	char default_options[CMDLINE_OPTIONS_MAX]; /* rd.luks.options= without a UUID, when has_default_options */
	bool has_default_options;
	struct boot_volume volumes[BOOT_VOLUMES_MAX];
	int n_volumes;
};

void boot_config_init(struct boot_config *cfg);
void boot_volume_init(struct boot_volume *vol);
/*
 * The configuration as systemd-cryptsetup-generator makes it, in three steps: cmdline_parse reads
 * the kernel command line (unknown words are ignored); crypttab_parse adds the crypttab lines it
 * allows, with their rd.luks.options=UUID= and rd.luks.key=UUID=; boot_config_finish adds the
 * volumes only the command line names. boot_config_from_text does all three.
 */
int cmdline_parse(struct boot_config *cfg, const char *text);
/* Malformed lines are reported with their number and skipped. */
int crypttab_parse(struct boot_config *cfg, const char *text, const char *source);
void boot_config_finish(struct boot_config *cfg);
void boot_config_from_text(struct boot_config *cfg, const char *cmdline, const char *crypttab, const char *source);
/* The command line's entry for the UUID a crypttab line names: by UUID=, /dev/disk/by-uuid/ or the
 * name luks-UUID, as systemd matches them; NULL if none. */
struct cmdline_luks *cmdline_luks_for_crypttab(struct boot_config *cfg, const char *name, const char *device);
/* Parses one crypttab/rd.luks.options option list into vol; unknown options are reported once. */
void crypttab_parse_options(struct boot_volume *vol, const char *options, const char *where);
/*
 * Where a volume's key is, from a crypttab key field or rd.luks.key= value: PATH (in the image),
 * PATH:DEVICE (PATH on the filesystem of DEVICE, a UUID=, PARTUUID=, LABEL=, PARTLABEL= or /dev
 * path, as systemd reads it), or a block device under /dev read raw. False when malformed.
 */
bool boot_volume_set_key(struct boot_volume *vol, const char *spec);
/* mkinitcpio's cryptkey=rootfs:PATH, DEVICE:FSTYPE:PATH or DEVICE:OFFSET:SIZE (bytes); false if malformed. */
bool boot_volume_set_cryptkey(struct boot_volume *vol, const char *spec);

#endif
