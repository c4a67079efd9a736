/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UNLOCK_TIMESPAN_H
#define UNLOCK_TIMESPAN_H

/*
 * A time span as systemd writes them in crypttab and on the kernel command line: "90", "30s",
 * "2min", "1min30s", "500ms", "1h", "infinity" (0: no limit). A number without unit is seconds.
 * Stores whole seconds, rounded up; -1 on anything else, or more than a year.
 */
int parse_time_span_sec(const char *text, int *sec);

#endif
