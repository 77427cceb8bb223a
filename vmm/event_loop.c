/* The event loop on liburing. Each source is a multishot poll (POLLIN) whose
 * completions carry the source's index; a completion without
 * IORING_CQE_F_MORE means the kernel ended the multishot and it is re-armed.
 * The loop sleeps in io_uring_wait_cqe: no busy polling. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include "event_loop.h"
#include "log.h"

#define RING_ENTRIES 64
#define CANCEL_TAG   (~0ULL)

int event_loop_init(struct event_loop *l)
{
	memset(l, 0, sizeof(*l));
	return io_uring_queue_init(RING_ENTRIES, &l->ring, 0);
}

static int arm(struct event_loop *l, int i)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&l->ring);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_poll_multishot(sqe, l->src[i].fd, POLLIN);
	io_uring_sqe_set_data64(sqe, (uint64_t)i);
	l->src[i].armed = true;
	return 0;
}

int event_loop_add(struct event_loop *l, int fd, event_fn fn, void *opaque)
{
	int i = l->n;

	if (i == EVENT_LOOP_MAX)
		return -ENOSPC;
	l->src[i] = (struct event_source){ .fd = fd, .fn = fn, .opaque = opaque };
	l->n++;
	return arm(l, i);
}

void event_loop_remove(struct event_loop *l, int fd)
{
	struct io_uring_sqe *sqe;
	int i;

	for (i = 0; i < l->n; i++) {
		if (l->src[i].fd != fd || l->src[i].removed)
			continue;
		l->src[i].removed = true;
		sqe = io_uring_get_sqe(&l->ring);
		if (sqe) {
			io_uring_prep_poll_remove(sqe, (uint64_t)i);
			io_uring_sqe_set_data64(sqe, CANCEL_TAG);
		}
	}
}

void event_loop_stop(struct event_loop *l)
{
	l->stop = true;
}

static void dispatch(struct event_loop *l, struct io_uring_cqe *cqe)
{
	uint64_t tag = io_uring_cqe_get_data64(cqe);
	struct event_source *s;

	if (tag == CANCEL_TAG || tag >= (uint64_t)l->n)
		return;
	s = &l->src[tag];
	if (!(cqe->flags & IORING_CQE_F_MORE))
		s->armed = false;
	if (s->removed)
		return;
	if (cqe->res < 0) {
		pr_warn("event loop: poll on fd %d failed: %s", s->fd, strerror(-cqe->res));
		s->removed = true;
		return;
	}
	s->fn(s->opaque, s->fd);
	if (!s->armed && !s->removed)
		arm(l, (int)tag);
}

int event_loop_run(struct event_loop *l)
{
	struct io_uring_cqe *cqe;
	unsigned head, seen;
	int ret;

	while (!l->stop) {
		ret = io_uring_submit_and_wait(&l->ring, 1);
		if (ret < 0 && ret != -EINTR && ret != -EAGAIN)
			return ret;
		l->wakeups++;
		seen = 0;
		io_uring_for_each_cqe(&l->ring, head, cqe) {
			dispatch(l, cqe);
			seen++;
			if (l->stop)
				break;
		}
		io_uring_cq_advance(&l->ring, seen);
	}
	return 0;
}

void event_loop_exit(struct event_loop *l)
{
	io_uring_queue_exit(&l->ring);
}
