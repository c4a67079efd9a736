/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The passphrase question on a real terminal (a pseudo-terminal): what a person types, how it
 * ends, and what a mistake costs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "boot/console.h"

#define PROMPT "Passphrase for test: "

struct answer {
	int r;
	char secret[64];
	char screen[512];
};

/* What the terminal's other end shows, until text appears or nothing more has come for
 * quiet_ms (at most 5 s in all). */
static void screen_read(int master, char *screen, size_t size, const char *text, int quiet_ms)
{
	size_t len = strlen(screen);
	int quiet = 0;

	for (int waited = 0; waited < 500 && quiet * 10 < quiet_ms && len + 1 < size; waited++) {
		if (text && strstr(screen, text))
			return;
		ssize_t n = read(master, screen + len, size - 1 - len);
		if (n > 0) {
			len += (size_t)n;
			quiet = 0;
		} else {
			usleep(10000);
			quiet++;
		}
		screen[len] = '\0';
	}
}

/* A person who waits for the prompt, then types what they type; the question asked for at most
 * max characters and timeout_sec. */
static void ask(const char *typed, size_t max, int timeout_sec, struct answer *a)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY), pid;
	struct consoles c = { .n = 1 };
	struct secret *s = NULL;

	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	c.fd[0] = open(ptsname(master), O_RDWR | O_NOCTTY);
	assert_true(c.fd[0] >= 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char screen[512] = "";
		fcntl(master, F_SETFL, O_NONBLOCK);
		screen_read(master, screen, sizeof(screen), PROMPT, 5000);
		usleep(50000); /* the question has switched echo off and flushed what came before */
		if (write(master, typed, strlen(typed)) < 0)
			_exit(1);
		_exit(0);
	}
	a->r = consoles_read_secret(&c, PROMPT, max, timeout_sec, &s);
	waitpid(pid, NULL, 0);
	a->secret[0] = a->screen[0] = '\0';
	if (a->r == 0) {
		snprintf(a->secret, sizeof(a->secret), "%.*s", (int)s->len, (const char *)s->data);
		secret_free(s);
	}
	fcntl(master, F_SETFL, O_NONBLOCK);
	/* The question has returned: what it wrote is in the terminal already. */
	screen_read(master, a->screen, sizeof(a->screen), NULL, 300);
	close(c.fd[0]);
	close(master);
}

static void a_line_is_the_answer(void **state)
{
	struct answer a;

	(void)state;
	ask("correct horse\n", 64, 5, &a);
	assert_int_equal(a.r, 0);
	assert_string_equal(a.secret, "correct horse");
	assert_null(strstr(a.screen, "correct horse")); /* no echo */
}

/* Ctrl-D after some characters hands them over without Enter: a try is used, nothing else. */
static void ctrl_d_costs_one_try(void **state)
{
	struct answer a;

	(void)state;
	ask("stray\x04", 64, 5, &a);
	assert_int_equal(a.r, -EAGAIN);
	assert_non_null(strstr(a.screen, "not ended with Enter"));
}

static void an_overlong_line_costs_one_try(void **state)
{
	struct answer a;

	(void)state;
	ask("0123456789abcdefghijklmnopqrstuvwxyz\n", 16, 5, &a);
	assert_int_equal(a.r, -EAGAIN);
	assert_non_null(strstr(a.screen, "Passphrase too long"));
	/* exactly max characters still fit */
	ask("0123456789abcdef\n", 16, 5, &a);
	assert_int_equal(a.r, 0);
	assert_string_equal(a.secret, "0123456789abcdef");
}

static void no_answer_times_out(void **state)
{
	struct answer a;

	(void)state;
	ask("", 64, 1, &a);
	assert_int_equal(a.r, -ETIMEDOUT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_line_is_the_answer),
		cmocka_unit_test(ctrl_d_costs_one_try),
		cmocka_unit_test(an_overlong_line_costs_one_try),
		cmocka_unit_test(no_answer_times_out),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
