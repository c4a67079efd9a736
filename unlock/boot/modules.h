/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_MODULES_H
#define UNLOCK_MODULES_H

struct modules;

/* Image file with "options NAME async_probe" for each module (unlock-mkinitrd writes it). */
#define MODULES_NOWAIT_CONF "/lib/unlock/modprobe-nowait.conf"

/* For device drivers: a load returns once the driver has probed its devices. */
int modules_open(struct modules **out);
/*
 * For what the boot needs for itself (dm-crypt, ciphers, filesystems): the kernel normally lets a
 * module load return only when every driver anywhere has finished probing (a SATA port scan takes
 * a second); with MODULES_NOWAIT_CONF as the only configuration these loads pass async_probe and
 * do not wait for others. Without that file it is modules_open.
 */
int modules_open_nowait(struct modules **out);
void modules_close(struct modules *m);
/* Loads a module by name or alias with its dependencies; quiet when absent or built in, or when
 * its driver finds no device. Any other refusal is a warning naming the module and the reason. */
int modules_load(struct modules *m, const char *name_or_alias);
/* When a device the boot waits for does not appear: how many modules the kernel refused (in any
 * thread), if any, on the console. */
void modules_explain_missing_device(void);
/* Loads a filesystem's driver and, for FAT, the character sets the kernel asks modprobe for when
 * mounting it (the image has no modprobe). */
void modules_load_for_fs(struct modules *m, const char *fstype);
/* Loads what dm-crypt needs for a cipher spec; the image has no modprobe for the kernel to call. */
void modules_load_for_cipher(struct modules *m, const char *cipher_spec);

#define MODULES_ALIAS_MAX 200
#define MODULES_JOB_MAX 8

/*
 * A job loads modules in a thread of its own while the caller goes on (the kernel initialises a
 * module on the loading thread's CPU). new, add, start; finish waits for it and frees it. Every
 * call takes NULL (out of memory: nothing is loaded, and the caller's own load later still works).
 */
struct modules_job;
struct modules_job *modules_job_new(void);
void modules_job_add(struct modules_job *job, const char *name_or_alias);
void modules_job_add_cipher(struct modules_job *job, const char *cipher_spec);
void modules_job_start(struct modules_job *job);
void modules_job_finish(struct modules_job *job);

#endif
