/* The one event loop: io_uring multishot polls on stdin, ioeventfds,
 * signalfd, timerfds, the VM's stop eventfd and the control socket's
 * listening and client sockets (vmm/qmp/). */
#ifndef CONDUIT_EVENT_LOOP_H
#define CONDUIT_EVENT_LOOP_H

#include <stdbool.h>
#include <liburing.h>

/* Sources at once; a removed source's slot is used again once the kernel
 * has ended its poll. The control socket takes up to 33 (vmm/qmp/). */
#define EVENT_LOOP_MAX 128

typedef void (*event_fn)(void *opaque, int fd);

struct event_source {
	int fd;
	event_fn fn;
	void *opaque;
	unsigned events;        /* POLLIN, POLLOUT */
	unsigned gen;           /* bumped when the slot is used again */
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
/* Call fn(opaque, fd) each time fd has one of events (POLLIN, POLLOUT).
 * Returns the source's id (>= 0), for event_loop_remove_id(), or -errno. */
int event_loop_add_events(struct event_loop *l, int fd, unsigned events,
			  event_fn fn, void *opaque);
/* Stop watching fd, every source on it (e.g. stdin at end of file). */
void event_loop_remove(struct event_loop *l, int fd);
/* Stop watching one source, by the id event_loop_add_events() returned. */
void event_loop_remove_id(struct event_loop *l, int id);
/* Run until event_loop_stop(); returns 0, or -errno if io_uring failed. */
int event_loop_run(struct event_loop *l);
void event_loop_stop(struct event_loop *l);
void event_loop_exit(struct event_loop *l);

#endif
