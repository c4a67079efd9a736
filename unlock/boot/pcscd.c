/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "boot/pcscd.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"

#define PCSCD "/usr/sbin/pcscd"
#define PCSCD_SOCKET "/run/pcscd/pcscd.comm"
#define PCSCD_READY_MS 5000
#define PCSCD_STOP_MS 2000
/* How long a started pcscd is given to find the readers before it is started again. */
#define PCSCD_RESCAN_MS 3000

static pid_t pcscd_pid;
static long long pcscd_started_ms;

static void pcscd_wait_ready(void)
{
	long long deadline = monotonic_ms() + PCSCD_READY_MS;

	while (access(PCSCD_SOCKET, F_OK) < 0 && monotonic_ms() < deadline && waitpid(pcscd_pid, NULL, WNOHANG) == 0)
		usleep(20000);
	if (access(PCSCD_SOCKET, F_OK) < 0)
		log_warning("pcscd did not start within %d s: smart card readers cannot be used", PCSCD_READY_MS / 1000);
}

static void pcscd_start(void)
{
	static char *const argv[] = { (char *)PCSCD, (char *)"--foreground", NULL };
	static char *const env[] = { (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	posix_spawn_file_actions_t actions;
	int r;

	mkdir("/run/pcscd", 0755);
	unlink(PCSCD_SOCKET);
	if (posix_spawn_file_actions_init(&actions) != 0)
		return;
	r = posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	if (r == 0)
		r = posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	if (r == 0)
		r = posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
	if (r == 0)
		r = posix_spawn(&pcscd_pid, PCSCD, &actions, NULL, argv, env);
	posix_spawn_file_actions_destroy(&actions);
	if (r != 0) {
		pcscd_pid = 0;
		log_warning("cannot start pcscd: %s: smart card readers cannot be used", strerror(r));
		return;
	}
	pcscd_started_ms = monotonic_ms();
	log_debug("pcscd started (pid %d)", (int)pcscd_pid);
	pcscd_wait_ready();
}

void pcscd_before_token(int attempt)
{
	if (access(PCSCD, X_OK) < 0)
		return;
	if (pcscd_pid && attempt > 0 && monotonic_ms() - pcscd_started_ms >= PCSCD_RESCAN_MS)
		pcscd_stop();
	if (!pcscd_pid)
		pcscd_start();
}

void pcscd_stop(void)
{
	long long deadline = monotonic_ms() + PCSCD_STOP_MS;

	if (!pcscd_pid)
		return;
	kill(pcscd_pid, SIGTERM);
	while (waitpid(pcscd_pid, NULL, WNOHANG) == 0 && monotonic_ms() < deadline)
		usleep(20000);
	if (waitpid(pcscd_pid, NULL, WNOHANG) == 0) {
		kill(pcscd_pid, SIGKILL);
		waitpid(pcscd_pid, NULL, 0);
	}
	log_debug("pcscd stopped");
	pcscd_pid = 0;
}
