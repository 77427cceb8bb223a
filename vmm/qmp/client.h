/* `conduit ctl`: send one QMP command to a running conduit's --api-socket. */
#ifndef CONDUIT_QMP_CLIENT_H
#define CONDUIT_QMP_CLIENT_H

/* argv[0] is "ctl". Returns the exit code: 0 success, 1 failure (one line
 * on stderr), 2 usage error. */
int qmp_ctl_main(int argc, char **argv);

#endif
