/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "boot/init.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/log.h"
#include "base/util.h"
#include "boot/ask.h"
#include "boot/boot.h"
#include "boot/config.h"
#include "boot/devices.h"
#include "boot/flow.h"
#include "boot/hotplug.h"
#include "boot/modules.h"
#include "boot/passcache.h"
#include "boot/pcscd.h"
#include "boot/preload.h"
#include "boot/stack.h"
#include "boot/swap.h"
#include "boot/sysroot.h"
#include "boot/udevdb.h"
#include "boot/wait.h"

/* PID 1's own duties: the API filesystems, the configuration, root, and the hand-over to the real
 * init; the volumes are opened by boot/flow.c. */

#define SYSROOT "/sysroot"

/* What the person at the console can check, for each way the boot fails. */
#define HINT_CONFIG "check crypttab and the kernel command line"
#define HINT_VOLUMES "check the passphrase, key file, crypttab and rd.luks options on the kernel command line"
#define HINT_DEVICE "check that the disk is attached and that the image has its drivers (unlock-mkinitrd --module)"
#define HINT_ROOT "check root=, rootfstype= and rootflags= on the kernel command line"
#define HINT_INIT "check init= on the kernel command line and that the root filesystem is the system's"
#define HINT_EXEC "check that the root filesystem holds an init for this machine and is not mounted noexec (rootflags=)"

static struct hotplug *hotplug;
/* The passphrases typed this boot: tried on the next volumes, then handed to the real system. */
static struct passcache typed;
/* The keyring key they were left in: taken back on every path that does not start the real init. */
static long typed_key = -1;
/* Our own argv, to try the boot again after the emergency shell; not once the switch has begun. */
static char **init_argv;
static bool switch_begun;

static void mount_api_filesystems(void)
{
	static const struct {
		const char *type, *target;
		unsigned long flags;
	} mounts[] = {
		{ "proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC },
		{ "sysfs", "/sys", MS_NOSUID | MS_NODEV | MS_NOEXEC },
		{ "devtmpfs", "/dev", MS_NOSUID },
		{ "tmpfs", "/run", MS_NOSUID | MS_NODEV },
	};
	struct stat root, st;

	if (stat("/", &root) < 0)
		root.st_dev = 0;
	for (size_t i = 0; i < ARRAY_SIZE(mounts); i++) {
		mkdir(mounts[i].target, 0755);
		/* Already there: a boot tried again after the emergency shell, or a wrapper's mount. */
		if (stat(mounts[i].target, &st) == 0 && st.st_dev != root.st_dev)
			continue;
		if (mount(mounts[i].type, mounts[i].target, mounts[i].type, mounts[i].flags, NULL) < 0 && errno != EBUSY)
			log_error("cannot mount %s: %s", mounts[i].target, strerror(errno));
	}
}

static void console_attach(void)
{
	int fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

/* A root= that never appears: say what the opened volumes hold. A volume group or RAID array
 * inside one (Debian's "encrypted LVM") needs a tool the image may lack; a mistyped UUID is
 * corrected by the one shown. */
static void root_missing_explain(const struct boot_config *cfg)
{
	for (int i = 0; cfg->luks_enabled && i < cfg->n_volumes; i++) {
		char path[sizeof(cfg->volumes[i].name) + 16], type[64], uuid[64];
		snprintf(path, sizeof(path), "/dev/mapper/%s", cfg->volumes[i].name);
		if (access(path, F_OK) < 0 || device_fstype(path, type, sizeof(type)) < 0 || strcmp(type, "swap") == 0)
			continue;
		if (stack_member_type(type) && stack_can_assemble(type))
			continue; /* stack_explain_missing said what the tool knows */
		if (stack_member_type(type))
			log_error("%s holds an %s, but this image has no %s to activate it: build the image with "
				  "unlock-mkinitrd --tool %s", path, stack_member_type(type), stack_tool_name(type),
				  stack_tool_name(type));
		else if (device_uuid(path, uuid, sizeof(uuid)) == 0)
			log_error("%s holds %s with UUID=%s; if that is the root filesystem, boot with root=UUID=%s",
				  path, type, uuid, uuid);
	}
}

static int root_mount(const struct boot_config *cfg, struct modules *m)
{
	char dev[BOOT_PATH_MAX], type[64];
	unsigned long flags = cfg->root_read_write ? 0 : MS_RDONLY;
	int r;

	if (!cfg->root[0])
		return log_error_ret(-EINVAL, "no root= on the kernel command line");
	r = other_device_wait(cfg->root, cfg->timeout_sec, m, dev, sizeof(dev));
	if (r == -ENODEV)
		return r;
	if (r < 0) {
		log_error("root device %s did not appear within %d s", cfg->root, cfg->timeout_sec);
		stack_explain_missing(cfg->root);
		root_missing_explain(cfg);
		modules_explain_missing_device();
		return r;
	}
	if (cfg->rootfstype[0])
		snprintf(type, sizeof(type), "%s", cfg->rootfstype);
	else if (device_fstype(dev, type, sizeof(type)) < 0)
		return log_error_ret(-ENOENT, "%s: no filesystem found on the root device", dev);
	fs_drivers_wait();
	modules_load_for_fs(m, type);
	mkdir(SYSROOT, 0755);
	if (mount(dev, SYSROOT, type, flags, cfg->rootflags[0] ? cfg->rootflags : NULL) < 0)
		return log_error_ret(-errno, "cannot mount root %s (%s) on %s: %s", dev, type, SYSROOT, strerror(errno));
	log_debug("root %s (%s) mounted on %s", dev, type, SYSROOT);
	return 0;
}

/* Deletes the initramfs contents (rootfs on the same device), freeing its memory before handing over. */
static void remove_tree(int dirfd, dev_t root_dev)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		struct stat st;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != root_dev)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				remove_tree(sub, root_dev);
			unlinkat(dirfd, e->d_name, AT_REMOVEDIR);
		} else {
			unlinkat(dirfd, e->d_name, 0);
		}
	}
	closedir(d);
}

/* The default is looked for as the kernel would; an init= given must be there. */
static int real_init_find(const struct boot_config *cfg, char *init, size_t size)
{
	return sysroot_find_init(SYSROOT, strcmp(cfg->init, "/sbin/init") == 0 ? NULL : cfg->init, init, size);
}

static int switch_root(void)
{
	static const char *const moves[] = { "/dev", "/proc", "/sys", "/run" };
	char target[BOOT_PATH_MAX + 16];
	struct stat st;
	int fd;

	switch_begun = true;
	for (size_t i = 0; i < ARRAY_SIZE(moves); i++) {
		snprintf(target, sizeof(target), SYSROOT "%s", moves[i]);
		if (mount(moves[i], target, NULL, MS_MOVE, NULL) < 0)
			umount2(moves[i], MNT_DETACH);
	}
	if (chdir(SYSROOT) < 0 || stat("/", &st) < 0)
		return log_error_ret(-errno, "cannot enter %s: %s", SYSROOT, strerror(errno));
	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		remove_tree(fd, st.st_dev);
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 || chdir("/") < 0)
		return log_error_ret(-errno, "cannot switch to the root filesystem: %s", strerror(errno));
	return 0;
}

/* Returns only when the kernel refused to run it (a wrong architecture, a missing interpreter, a
 * noexec root): -errno, for emergency(), which opens the consoles again. The consoles close on the
 * way, as the real init opens its own. */
static int real_init_exec(char *init, char **argv)
{
	log_set_sink(NULL);
	ask_consoles_close();
	argv[0] = init;
	execv(init, argv);
	return -errno;
}

/* The loader stopped, and no module keeps a pointer to it. */
static void loader_stop(void)
{
	ask_use_loader(NULL);
	boot_wait_loader(NULL);
	hotplug_stop(hotplug);
	hotplug = NULL;
}

/* What the real system's udev, systemd-cryptsetup and GDM take over from the boot. */
static void system_hand_over(void)
{
	int r;

	pcscd_stop();
	udevdb_hand_over();
	if ((r = passcache_hand_over(&typed, &typed_key)) < 0)
		log_warning("cannot leave the typed passphrases in the kernel keyring for the system: %s; "
			    "volumes it opens later ask again", strerror(-r));
	else if (r > 0)
		log_debug("%d typed passphrase(s) left in root's keyring as \"%s\" for the system", r, PASSCACHE_KEYRING_NAME);
	passcache_clear(&typed);
}

/* The shell runs as our child, in a session of its own with the console as its controlling
 * terminal (job control, Ctrl-C); PID 1 reaps it and every orphan meanwhile. 0 once it exited. */
static int shell_run(void)
{
	pid_t shell = fork(), pid;

	if (shell < 0)
		return -errno;
	if (shell == 0) {
		int fd;
		setsid();
		fd = open("/dev/console", O_RDWR | O_NOCTTY);
		if (fd >= 0) {
			ioctl(fd, TIOCSCTTY, 1);
			dup2(fd, STDIN_FILENO);
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			if (fd > STDERR_FILENO)
				close(fd);
		}
		execl("/bin/sh", "sh", "-i", (char *)NULL);
		_exit(127);
	}
	while ((pid = waitpid(-1, NULL, 0)) != shell)
		if (pid < 0 && errno != EINTR)
			return -errno;
	/* The shell led the console's session: its exit hung the terminal up, and every descriptor
	 * PID 1 holds on it with it. */
	ask_consoles_close();
	console_attach();
	ask_consoles_refresh();
	return 0;
}

/* Nothing left to do but reap the children that end up with PID 1 until someone reboots. */
static noreturn void wait_for_reboot(void)
{
	reboot(RB_ENABLE_CAD);
	for (;;)
		if (waitpid(-1, NULL, 0) < 0)
			sleep(60);
}

/* A shell on the console, returning once it exited; without one, the wait for a reboot. */
static void shell_offer(const char *what, const char *on_exit)
{
	char msg[160];

	if (access("/bin/sh", X_OK) < 0) {
		ask_say("unlock: no shell in this image; press Ctrl-Alt-Del to reboot.\n");
		wait_for_reboot();
	}
	snprintf(msg, sizeof(msg), "unlock: starting %s on /dev/console; exit it to %s.\n", what, on_exit);
	ask_say(msg);
	if (shell_run() < 0)
		ask_say("unlock: the shell could not be started.\n");
}

/* Whatever failed, the reason is on every console and no secret is left behind: not in memory, not
 * in the keyring. With a shell, the person gets one; when it exits, the boot starts again from the
 * image's /init (volumes already open stay open), or, past the switch, they are told to reboot. */
static noreturn __attribute__((format(printf, 2, 3))) void emergency(const char *hint, const char *fmt, ...)
{
	char what[384], msg[640];
	bool can_retry;
	va_list ap;

	passcache_clear(&typed);
	passcache_take_back(typed_key);
	typed_key = -1;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	ask_consoles_refresh();
	log_set_sink(ask_log_to_consoles);
	snprintf(msg, sizeof(msg),
		 "\nunlock: boot failed: %s.\n"
		 "unlock: %s.\n",
		 what, hint);
	ask_say(msg);
	can_retry = !switch_begun && access("/init", X_OK) == 0;
	shell_offer("an emergency shell", can_retry ? "try the boot again" : "end it");
	if (can_retry) {
		ask_say("unlock: the emergency shell exited; trying the boot again.\n");
		log_set_sink(NULL);
		ask_consoles_close();
		execv("/init", init_argv);
		log_set_sink(ask_log_to_consoles);
		ask_consoles_refresh();
	}
	ask_say("unlock: the boot cannot be tried again from here; press Ctrl-Alt-Del to reboot.\n");
	wait_for_reboot();
}

/* rd.break, rd.shell: a shell before anything is opened; the boot goes on when it exits. */
static void break_shell(void)
{
	ask_consoles_refresh();
	ask_say("\nunlock: boot stopped: rd.break/rd.shell was given.\n");
	shell_offer("a shell", "continue the boot");
}

int init_main(int argc, char **argv)
{
	static struct boot_config cfg;
	static char init[BOOT_PATH_MAX];
	struct timespec at_main;
	struct modules *m = NULL;
	int r;

	(void)argc;
	init_argv = argv;
	/* When main began, for rd.debug: the time from the kernel's "Run /init" to here is the
	 * program's own start (no dynamic loader: it is static). */
	clock_gettime(CLOCK_BOOTTIME, &at_main);
	mount_api_filesystems();
	console_attach();
	ask_consoles_open();
	if (boot_config_load(&cfg, NULL, "/etc/crypttab") < 0)
		emergency(HINT_CONFIG, "the boot configuration could not be read");
	boot_wait_setup(&cfg);
	if (cfg.debug) {
		log_set_max_level(LOG_LEVEL_DEBUG);
		log_set_uptime(true);
	}
	if (hotplug_start(&hotplug, boot_waits_for_no_device) < 0)
		log_error("cannot load device drivers in the background; only built-in drivers are available");
	ask_use_loader(hotplug);
	boot_wait_loader(hotplug);
	log_set_sink(ask_log_to_consoles);
	log_debug("started: %d volume(s) to open, root=%s; main began at %lld.%06ld s", cfg.luks_enabled ? cfg.n_volumes : 0,
		  cfg.root, (long long)at_main.tv_sec, at_main.tv_nsec / 1000);
	modules_open_nowait(&m);
	boot_modules_preload(&cfg, m);
	if (cfg.debug_shell)
		break_shell();
	r = cfg.luks_enabled ? volumes_open(&cfg, m, &typed) : 0;
	if (r == VOLUMES_DEVICE_MISSING)
		emergency(HINT_DEVICE, "a device an encrypted volume needs did not appear");
	if (r < 0)
		emergency(HINT_VOLUMES, "an encrypted volume could not be opened");
	/* Resume only after its (encrypted) device is open, and before root is touched. */
	if (cfg.resume[0]) {
		char dev[BOOT_PATH_MAX];
		if (other_device_wait(cfg.resume, 5, m, dev, sizeof(dev)) == 0) {
			swap_resume_from(dev);
		} else {
			log_warning("resume device %s not found; booting normally", cfg.resume);
			stack_explain_missing(cfg.resume);
		}
	}
	if (root_mount(&cfg, m) < 0)
		emergency(HINT_ROOT, "the root filesystem could not be mounted");
	/* Before the hand-over: an emergency shell must not find the passphrases in the keyring. */
	if (real_init_find(&cfg, init, sizeof(init)) < 0)
		emergency(HINT_INIT, "the real init was not found on the root filesystem");
	modules_close(m);
	loader_stop();
	system_hand_over();
	log_debug("handing over to %s", init);
	if (switch_root() < 0)
		emergency(HINT_EXEC, "could not switch to the root filesystem");
	r = real_init_exec(init, argv);
	emergency(HINT_EXEC, "the kernel could not start the real init %s: %s", init, strerror(-r));
}
