/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "boot/console.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"

static void consoles_add(struct consoles *c, const char *path)
{
	int fd;

	if (c->n >= CONSOLES_MAX)
		return;
	fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	c->fd[c->n++] = fd;
}

static bool word_in_list(const char *word, const char *list)
{
	size_t len = strlen(word);

	for (const char *p = strstr(list, word); p; p = strstr(p + 1, word))
		if ((p == list || p[-1] == ' ' || p[-1] == '\n') && (p[len] == ' ' || p[len] == '\n' || p[len] == '\0'))
			return true;
	return false;
}

bool console_names_all_in(const char *cmdline, const char *active)
{
	for (const char *p = cmdline; (p = strstr(p, "console=")); p += 8) {
		char name[32];
		size_t len = strcspn(p + 8, ", \t\n");
		if (p != cmdline && p[-1] != ' ')
			continue; /* another word ending in console=, such as earlycon's options */
		if (len == 0 || len >= sizeof(name))
			return false;
		memcpy(name, p + 8, len);
		name[len] = '\0';
		if (!word_in_list(name, active))
			return false;
	}
	return true;
}

bool consoles_named_registered(const char *cmdline)
{
	char active[256] = "";
	_cleanup_close_ int fd = open("/sys/class/tty/console/active", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, active, sizeof(active) - 1) : -1;

	if (n <= 0)
		return false;
	active[n] = '\0';
	return console_names_all_in(cmdline, active);
}

int consoles_open(struct consoles *c)
{
	char active[256] = "", *save = NULL;
	_cleanup_close_ int fd = open("/sys/class/tty/console/active", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, active, sizeof(active) - 1) : -1;

	c->n = 0;
	if (n > 0)
		active[n] = '\0';
	for (char *name = strtok_r(active, " \n", &save); name; name = strtok_r(NULL, " \n", &save)) {
		char path[64];
		snprintf(path, sizeof(path), "/dev/%s", name);
		consoles_add(c, path);
	}
	if (c->n == 0)
		consoles_add(c, "/dev/console");
	return c->n;
}

void consoles_close(struct consoles *c)
{
	for (int i = 0; i < c->n; i++)
		close(c->fd[i]);
	c->n = 0;
}

void consoles_write(const struct consoles *c, const char *text)
{
	for (int i = 0; i < c->n; i++)
		if (write(c->fd[i], text, strlen(text)) < 0)
			continue; /* a console that cannot be written to is no reason to stop booting */
}

/* Canonical mode without echo: a console becomes readable only when a whole line was entered there. */
static void consoles_quiet(const struct consoles *c, struct termios *saved, bool *is_tty)
{
	for (int i = 0; i < c->n; i++) {
		struct termios t;
		is_tty[i] = tcgetattr(c->fd[i], &saved[i]) == 0;
		if (!is_tty[i])
			continue;
		t = saved[i];
		t.c_lflag &= ~(tcflag_t)ECHO;
		t.c_lflag |= ICANON | ECHONL;
		tcsetattr(c->fd[i], TCSAFLUSH, &t);
	}
}

static void consoles_restore(const struct consoles *c, const struct termios *saved, const bool *is_tty)
{
	for (int i = 0; i < c->n; i++)
		if (is_tty[i])
			tcsetattr(c->fd[i], TCSAFLUSH, &saved[i]);
}

int consoles_read_secret(const struct consoles *c, const char *prompt, size_t max, int timeout_sec, struct secret **out)
{
	long long deadline = monotonic_ms() + (long long)timeout_sec * 1000;
	struct termios saved[CONSOLES_MAX];
	bool is_tty[CONSOLES_MAX];
	struct pollfd pfd[CONSOLES_MAX];
	_cleanup_secret_ struct secret *s = secret_new(max + 1);
	int r = -EIO;

	if (!s)
		return -ENOMEM;
	consoles_quiet(c, saved, is_tty);
	consoles_write(c, prompt);
	for (int i = 0; i < c->n; i++)
		pfd[i] = (struct pollfd){ .fd = c->fd[i], .events = POLLIN };
	while (r == -EIO) {
		long long left = deadline - monotonic_ms();
		int ready;
		if (timeout_sec > 0 && left <= 0) {
			r = -ETIMEDOUT;
			break;
		}
		ready = poll(pfd, (nfds_t)c->n, timeout_sec > 0 ? (int)MIN(left, INT_MAX) : -1);
		if (ready < 0 && errno != EINTR)
			break;
		for (int i = 0; i < c->n && r == -EIO; i++) {
			ssize_t n;
			if (!(pfd[i].revents & POLLIN))
				continue;
			n = read(c->fd[i], s->data, s->capacity);
			if (n <= 0)
				continue;
			s->len = (size_t)n;
			if (s->data[s->len - 1] != '\n') {
				/* Ctrl-D after some characters, or more than max: the rest of the line is
				 * dropped and the answer costs a try, as a wrong one does. */
				consoles_write(c, (size_t)n == s->capacity ? "\nPassphrase too long.\n"
									   : "\nThe passphrase was not ended with Enter.\n");
				explicit_bzero(s->data, s->capacity);
				s->len = 0;
				tcflush(c->fd[i], TCIFLUSH);
				r = -EAGAIN;
				break;
			}
			s->len--;
			r = 0;
		}
	}
	consoles_restore(c, saved, is_tty);
	if (r < 0)
		return r;
	*out = s;
	s = NULL;
	return 0;
}
