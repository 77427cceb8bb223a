/* Buffered terminal output for the serial port. */
#ifndef CONDUIT_OUTPUT_H
#define CONDUIT_OUTPUT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define OUTPUT_BUF 4096
#define OUTPUT_FLUSH_NS 10000000L   /* a partial line waits at most 10 ms */

struct event_loop;

struct output {
	int fd;                 /* where bytes go (stdout) */
	int timer_fd;           /* timerfd that flushes a partial line */
	pthread_mutex_t lock;
	uint8_t buf[OUTPUT_BUF];
	size_t len;
	int timer_armed;
	uint64_t writes;        /* write(2) calls made */
};

int output_init(struct output *o, int fd, struct event_loop *loop);
/* Queue one byte: flushed at a newline, when the buffer fills, or by the timer. */
void output_byte(struct output *o, uint8_t b);
/* Write a block now (after flushing what is queued). */
void output_write(struct output *o, const uint8_t *buf, size_t len);
void output_flush(struct output *o);
void output_close(struct output *o);

#endif
