/* cmd.h — one entry point per subcommand; each returns the exit status. */
#ifndef CNETMON_CMD_H
#define CNETMON_CMD_H

int cmd_read(int argc, char **argv);
int cmd_containers(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_learn(int argc, char **argv);
int cmd_graph(int argc, char **argv);

#endif
