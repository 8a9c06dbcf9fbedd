#include "cmd.h"
#include "log.h"
int cmd_learn(int argc, char **argv) { (void)argc; (void)argv; log_warnx("learn: not built yet"); return 2; }
