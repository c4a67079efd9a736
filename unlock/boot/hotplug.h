/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_HOTPLUG_H
#define UNLOCK_HOTPLUG_H

#include <stdbool.h>

struct hotplug;

/* A netlink socket that receives the kernel's uevents (non-blocking), or -1. */
int uevent_socket(void);
/* Reads every pending uevent and calls each(MODALIAS, data), if given, for those the kernel sent;
 * returns how many MODALIAS= it found in them. */
int uevent_drain(int fd, void (*each)(const char *modalias, void *data), void *data);

/*
 * Asked by the loader's thread before each load; true holds it until hotplug_wake. The boot says
 * so when every device it waits for is present: drivers for the others (a SATA controller with no
 * disk) would only compete with key derivation and the root filesystem's driver for the CPUs, and
 * the real system's udev loads them.
 */
typedef bool hotplug_hold_fn(void);

/*
 * Loads drivers in the background: one pass over the modaliases the kernel has announced, then
 * every uevent until hotplug_stop. The caller meanwhile waits for devices and loads dm-crypt.
 * hold may be NULL.
 */
int hotplug_start(struct hotplug **out, hotplug_hold_fn *hold);
/* The answer of the hold function may have changed: ask it again. */
void hotplug_wake(struct hotplug *h);
/* From now on the loader is never held: it loads the remaining drivers meanwhile. */
void hotplug_release(struct hotplug *h);
/* Waits up to timeout_sec for the first pass: the devices present at boot (consoles, keyboards)
 * have drivers. False when it is still busy (a driver that hangs in its probe). From then on the
 * loader is never held. */
bool hotplug_settle(struct hotplug *h, int timeout_sec);
/* Stops the background loader once its current load returns, even in the middle of the first pass
 * (the real system's udev loads the rest), and frees it; NULL is fine. */
void hotplug_stop(struct hotplug *h);

#endif
