/* daemon.h — what the long-running commands (run, containers --watch)
 * share: a stop flag set by SIGINT/SIGTERM, and clocks. */
#ifndef CNETMON_DAEMON_H
#define CNETMON_DAEMON_H

#include <signal.h>
#include <stdint.h>
#include <time.h>

extern volatile sig_atomic_t daemon_stop;
extern volatile sig_atomic_t daemon_hup;
extern volatile sig_atomic_t daemon_usr1;

/* SIGINT and SIGTERM set daemon_stop (the loop then finishes cleanly);
 * SIGHUP sets daemon_hup (files are reopened: logrotate), SIGUSR1
 * daemon_usr1 (the graph is written); SIGPIPE is
 * ignored (a sink's reader went away: its write fails instead). */
void daemon_catch_signals(void);
/* Nanoseconds on a clock (CLOCK_REALTIME for records, CLOCK_MONOTONIC for
 * intervals). */
uint64_t clock_ns(clockid_t id);

#endif
