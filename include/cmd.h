/* cmd.h — one entry point per subcommand; each returns the exit status. */
#ifndef CNETMON_CMD_H
#define CNETMON_CMD_H

int cmd_read(int argc, char **argv);
int cmd_containers(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_learn(int argc, char **argv);
int cmd_graph(int argc, char **argv);

/* A repeatable option's value appended to list (n of max used); -1 and a
 * message naming opt when full. */
int cmd_opt_push(const char **list, int *n, int max, const char *opt, const char *arg);

#endif
