#include "cmd.h"
#include "log.h"
int cmd_graph(int argc, char **argv) { (void)argc; (void)argv; log_warnx("graph: not built yet"); return 2; }
