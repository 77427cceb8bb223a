/* The event loop on liburing. Each source is a multishot poll (POLLIN) whose
 * completions carry the source's index; a completion without
 * IORING_CQE_F_MORE means the kernel ended the multishot and it is re-armed.
 * The loop sleeps in io_uring_wait_cqe: no busy polling. The ring accepts
 * only poll requests, so under the seccomp sandbox (vmm/seccomp.c) it is no
 * way to open files or sockets behind the filter's back. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "event_loop.h"
#include "log.h"

#define RING_ENTRIES 64
#define CANCEL_TAG   (~0ULL)

/* The ring starts disabled, is limited to POLL_ADD and POLL_REMOVE, then
 * enabled; the limits cannot be changed afterwards. The raw syscall: some
 * shared liburing builds (Debian's 2.3) do not export the helpers. */
static int restrict_ring(struct io_uring *ring)
{
	struct io_uring_restriction res[] = {
		{ .opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_POLL_ADD },
		{ .opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_POLL_REMOVE },
	};

	if (syscall(__NR_io_uring_register, ring->ring_fd, IORING_REGISTER_RESTRICTIONS,
		    res, sizeof(res) / sizeof(res[0])) < 0 ||
	    syscall(__NR_io_uring_register, ring->ring_fd, IORING_REGISTER_ENABLE_RINGS,
		    NULL, 0) < 0)
		return -errno;
	return 0;
}

int event_loop_init(struct event_loop *l)
{
	int ret;

	memset(l, 0, sizeof(*l));
	ret = io_uring_queue_init(RING_ENTRIES, &l->ring, IORING_SETUP_R_DISABLED);
	if (ret)
		return ret;
	ret = restrict_ring(&l->ring);
	if (ret) {
		io_uring_queue_exit(&l->ring);
		errno = -ret;
	}
	return ret;
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
