/* The init script and report helper every `conduit exec` guest gets
 * (boot/exec_blobs.S). */
#ifndef CONDUIT_EXEC_BLOBS_H
#define CONDUIT_EXEC_BLOBS_H

extern const unsigned char exec_init[], exec_init_end[];
extern const unsigned char exec_report[], exec_report_end[];

#endif
