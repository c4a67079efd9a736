/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "boot/hotplug.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/netlink.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/log.h"
#include "boot/modules.h"

/* Room for the burst of uevents a coldplug pass causes, so none is dropped. */
#define UEVENT_BUFFER_BYTES (4 * 1024 * 1024)

struct hotplug {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t settled_cond;
	pthread_cond_t wake_cond;
	bool settled;
	bool settling;           /* released, or someone waits for the first pass: never hold again */
	hotplug_hold_fn *hold;
	atomic_bool stopping;
	int uevent_fd;
	int stop_fd;
	struct modules *modules; /* the thread's own: a libkmod context is not shared across threads */
};

int uevent_socket(void)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	int size = UEVENT_BUFFER_BYTES;
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_KOBJECT_UEVENT);

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int uevent_drain(int fd, void (*each)(const char *modalias, void *data), void *data)
{
	char buf[8192];
	struct sockaddr_nl from;
	socklen_t from_len = sizeof(from);
	ssize_t n;
	int passed = 0;

	while ((n = recvfrom(fd, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&from, &from_len)) > 0) {
		/* Only the kernel's own events name drivers to load: a process can send to the group too. */
		bool from_kernel = from_len == sizeof(from) && from.nl_pid == 0;
		from_len = sizeof(from);
		if (!from_kernel)
			continue;
		buf[n] = '\0';
		for (char *p = buf; p < buf + n; p += strlen(p) + 1) {
			if (strncmp(p, "MODALIAS=", 9) != 0)
				continue;
			if (each)
				each(p + 9, data);
			passed++;
		}
	}
	return passed;
}

/* Before each load: while the boot needs no further device, wait until that changes. */
static void hold_while_unneeded(struct hotplug *h)
{
	bool told = false;

	pthread_mutex_lock(&h->lock);
	while (h->hold && !h->settling && !atomic_load(&h->stopping) && h->hold()) {
		if (!told)
			log_debug("every device the boot waits for is present; other drivers wait");
		told = true;
		pthread_cond_wait(&h->wake_cond, &h->lock);
	}
	pthread_mutex_unlock(&h->lock);
	if (told && !atomic_load(&h->stopping))
		log_debug("loading drivers again");
}

static void modalias_load(const char *modalias, void *arg)
{
	struct hotplug *h = arg;

	hold_while_unneeded(h);
	if (!atomic_load(&h->stopping))
		modules_load(h->modules, modalias);
}

static bool is_dot_entry(const struct dirent *e)
{
	return e->d_name[0] == '.';
}

/* The drivers of one bus's devices, in name order. (Not glob(3): statically linked, it brings
 * glibc's whole name service for its ~user expansion.) */
static void coldplug_bus(struct hotplug *h, const char *bus)
{
	char dir[PATH_MAX], path[PATH_MAX + 300], alias[512];
	struct dirent **devices;
	int n;

	snprintf(dir, sizeof(dir), "/sys/bus/%s/devices", bus);
	n = scandir(dir, &devices, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		if (!is_dot_entry(devices[i]) && !atomic_load(&h->stopping)) {
			snprintf(path, sizeof(path), "%s/%s/modalias", dir, devices[i]->d_name);
			if (read_one_line_file(path, alias, sizeof(alias)) == 0 && alias[0])
				modalias_load(alias, h);
			uevent_drain(h->uevent_fd, modalias_load, h);
		}
		free(devices[i]);
	}
	if (n >= 0)
		free(devices);
}

/* Drivers for the devices present now; devices they reveal (virtio-pci, then its disks) come as
 * uevents, handled between loads so a disk's driver does not wait for the whole pass. PCI goes
 * first: nearly every boot disk hangs from a PCI controller (NVMe, SATA, virtio, USB, SD hosts),
 * while the ACPI bus, first in the alphabet, has dozens of devices that name no module. A stop
 * ends the pass between two loads: what is left, the real system's udev loads. */
static void coldplug_pass(struct hotplug *h)
{
	struct dirent **buses;
	int n;

	coldplug_bus(h, "pci");
	n = scandir("/sys/bus", &buses, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		if (!is_dot_entry(buses[i]) && strcmp(buses[i]->d_name, "pci") != 0)
			coldplug_bus(h, buses[i]->d_name);
		free(buses[i]);
	}
	if (n >= 0)
		free(buses);
}

static void *hotplug_run(void *arg)
{
	struct hotplug *h = arg;
	struct pollfd fds[2] = { { .fd = h->uevent_fd, .events = POLLIN }, { .fd = h->stop_fd, .events = POLLIN } };

	coldplug_pass(h);
	if (atomic_load(&h->stopping))
		return NULL;
	uevent_drain(h->uevent_fd, modalias_load, h);
	log_debug("drivers for the devices present at boot are loaded");
	pthread_mutex_lock(&h->lock);
	h->settled = true;
	pthread_cond_broadcast(&h->settled_cond);
	pthread_mutex_unlock(&h->lock);
	while (poll(fds, 2, -1) >= 0 || errno == EINTR) {
		if (fds[1].revents)
			break;
		if (fds[0].revents)
			uevent_drain(h->uevent_fd, modalias_load, h);
	}
	return NULL;
}

static void hotplug_free(struct hotplug *h)
{
	if (h->uevent_fd >= 0)
		close(h->uevent_fd);
	if (h->stop_fd >= 0)
		close(h->stop_fd);
	modules_close(h->modules);
	pthread_cond_destroy(&h->settled_cond);
	pthread_cond_destroy(&h->wake_cond);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

int hotplug_start(struct hotplug **out, hotplug_hold_fn *hold)
{
	struct hotplug *h = calloc(1, sizeof(*h));
	int r;

	*out = NULL;
	if (!h)
		return -ENOMEM;
	atomic_init(&h->stopping, false);
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->settled_cond, NULL);
	pthread_cond_init(&h->wake_cond, NULL);
	h->hold = hold;
	/* The socket opens before the pass, so a device announced in between is not missed. */
	h->uevent_fd = uevent_socket();
	h->stop_fd = eventfd(0, EFD_CLOEXEC);
	r = modules_open(&h->modules);
	if (r == 0 && (h->uevent_fd < 0 || h->stop_fd < 0))
		r = log_error_ret(-EIO, "cannot listen for kernel device events: %s", strerror(errno));
	if (r == 0)
		r = -pthread_create(&h->thread, NULL, hotplug_run, h);
	if (r < 0) {
		hotplug_free(h);
		return r;
	}
	*out = h;
	return 0;
}

void hotplug_release(struct hotplug *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	h->settling = true;
	pthread_cond_broadcast(&h->wake_cond);
	pthread_mutex_unlock(&h->lock);
}

bool hotplug_settle(struct hotplug *h, int timeout_sec)
{
	struct timespec deadline;
	bool settled;

	if (!h)
		return true;
	hotplug_release(h);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += timeout_sec;
	pthread_mutex_lock(&h->lock);
	while (!h->settled && pthread_cond_timedwait(&h->settled_cond, &h->lock, &deadline) != ETIMEDOUT)
		;
	settled = h->settled;
	pthread_mutex_unlock(&h->lock);
	return settled;
}

void hotplug_wake(struct hotplug *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	pthread_cond_broadcast(&h->wake_cond);
	pthread_mutex_unlock(&h->lock);
}

void hotplug_stop(struct hotplug *h)
{
	uint64_t one = 1;

	if (!h)
		return;
	atomic_store(&h->stopping, true);
	hotplug_wake(h);
	/* Should the wake-up fail, the thread keeps its memory; exec ends it anyway. */
	if (write(h->stop_fd, &one, sizeof(one)) != sizeof(one))
		return;
	pthread_join(h->thread, NULL);
	hotplug_free(h);
}
