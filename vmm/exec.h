/* `conduit exec [options] -- COMMAND [ARGS...]`: boot a fresh guest on an
 * initramfs built in memory, run COMMAND in it as root with its stdout and
 * stderr on conduit's, and exit with COMMAND's status. */
#ifndef CONDUIT_EXEC_H
#define CONDUIT_EXEC_H

/* argv[0] is "exec". Returns conduit's exit code. */
int exec_main(int argc, char **argv);

#endif
