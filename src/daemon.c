/* daemon.c — signals and clocks for the long-running commands. */
#include <signal.h>
#include <string.h>

#include "daemon.h"

volatile sig_atomic_t daemon_stop;
volatile sig_atomic_t daemon_hup;
volatile sig_atomic_t daemon_usr1;

static void
on_stop(int sig)
{
	(void)sig;
	daemon_stop = 1;
}

static void
on_hup(int sig)
{
	(void)sig;
	daemon_hup = 1;
}

static void
on_usr1(int sig)
{
	(void)sig;
	daemon_usr1 = 1;
}

void
daemon_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

uint64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}
