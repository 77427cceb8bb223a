/* The one event loop: io_uring multishot polls on stdin, ioeventfds,
 * signalfd, timerfds and the VM's stop eventfd. */
#ifndef CONDUIT_EVENT_LOOP_H
#define CONDUIT_EVENT_LOOP_H

#include <stdbool.h>
#include <liburing.h>

#define EVENT_LOOP_MAX 64

typedef void (*event_fn)(void *opaque, int fd);

struct event_source {
	int fd;
	event_fn fn;
	void *opaque;
	bool armed;
	bool removed;
};

struct event_loop {
	struct io_uring ring;
	struct event_source src[EVENT_LOOP_MAX];
	int n;
	bool stop;
	unsigned long wakeups;
};

int event_loop_init(struct event_loop *l);
/* Call fn(opaque, fd) each time fd becomes readable. */
int event_loop_add(struct event_loop *l, int fd, event_fn fn, void *opaque);
/* Stop watching fd (e.g. stdin at end of file). */
void event_loop_remove(struct event_loop *l, int fd);
/* Run until event_loop_stop(); returns 0, or -errno if io_uring failed. */
int event_loop_run(struct event_loop *l);
void event_loop_stop(struct event_loop *l);
void event_loop_exit(struct event_loop *l);

#endif
