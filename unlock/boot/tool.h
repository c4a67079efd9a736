/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_TOOL_H
#define UNLOCK_TOOL_H

#include <stddef.h>

/*
 * Runs a program of the image (lvm, mdadm) as a child with standard input from /dev/null and a
 * fixed environment (PATH, lvm's quiet flag), and keeps what it prints (standard output and error,
 * the first size - 1 bytes) in out. A child still running after timeout_sec is killed: PID 1
 * never waits on a tool for ever. Returns its
 * exit status (0 to 255), -ETIMEDOUT, or -errno when it could not be started.
 */
int tool_run(char *const argv[], int timeout_sec, char *out, size_t size);

/* The first of paths that exists and is executable, or NULL. */
const char *tool_find(const char *const paths[]);

#endif
