/* The event loop on liburing. Each source is a multishot poll (POLLIN, or
 * POLLOUT for a socket with output waiting) whose completions carry the
 * source's index and the slot's generation; a completion without
 * IORING_CQE_F_MORE means the kernel ended the multishot and it is re-armed.
 * A removed source's slot is taken again once its poll has ended (its last
 * completion came); the generation in the tag keeps a late completion or
 * POLL_REMOVE of the old source off the new one.
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

#define RING_ENTRIES EVENT_LOOP_MAX
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

static uint64_t tag_of(const struct event_loop *l, int i)
{
	return (uint64_t)l->src[i].gen << 32 | (uint64_t)i;
}

/* A free submission entry; a full queue is submitted first. */
static struct io_uring_sqe *get_sqe(struct event_loop *l)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&l->ring);

	if (!sqe && io_uring_submit(&l->ring) >= 0)
		sqe = io_uring_get_sqe(&l->ring);
	return sqe;
}

static int arm(struct event_loop *l, int i)
{
	struct io_uring_sqe *sqe = get_sqe(l);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_poll_multishot(sqe, l->src[i].fd, l->src[i].events);
	io_uring_sqe_set_data64(sqe, tag_of(l, i));
	l->src[i].armed = true;
	return 0;
}

/* A slot whose source was removed and whose poll has ended, or a new one. */
static int free_slot(struct event_loop *l)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (l->src[i].removed && !l->src[i].armed)
			return i;
	return l->n < EVENT_LOOP_MAX ? l->n : -1;
}

int event_loop_add_events(struct event_loop *l, int fd, unsigned events,
			  event_fn fn, void *opaque)
{
	int i = free_slot(l), ret;

	if (i < 0)
		return -ENOSPC;
	l->src[i] = (struct event_source){ .fd = fd, .fn = fn, .opaque = opaque,
					   .events = events, .gen = l->src[i].gen + 1 };
	if (i == l->n)
		l->n++;
	ret = arm(l, i);
	if (ret) {
		l->src[i].removed = true;
		return ret;
	}
	return i;
}

int event_loop_add(struct event_loop *l, int fd, event_fn fn, void *opaque)
{
	int ret = event_loop_add_events(l, fd, POLLIN, fn, opaque);

	return ret < 0 ? ret : 0;
}

void event_loop_remove_id(struct event_loop *l, int id)
{
	struct io_uring_sqe *sqe;

	if (id < 0 || id >= l->n || l->src[id].removed)
		return;
	l->src[id].removed = true;
	if (!l->src[id].armed)
		return;
	sqe = get_sqe(l);
	if (sqe) {
		io_uring_prep_poll_remove(sqe, tag_of(l, id));
		io_uring_sqe_set_data64(sqe, CANCEL_TAG);
	}
}

void event_loop_remove(struct event_loop *l, int fd)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (l->src[i].fd == fd)
			event_loop_remove_id(l, i);
}

void event_loop_stop(struct event_loop *l)
{
	l->stop = true;
}

static void dispatch(struct event_loop *l, struct io_uring_cqe *cqe)
{
	uint64_t tag = io_uring_cqe_get_data64(cqe);
	uint32_t i = (uint32_t)tag;
	struct event_source *s;

	if (tag == CANCEL_TAG || i >= (uint32_t)l->n || l->src[i].gen != (unsigned)(tag >> 32))
		return;
	s = &l->src[i];
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
	/* fn may have removed this source, and a source added since may have
	 * taken the slot (then it is armed already) */
	if (!s->armed && !s->removed)
		arm(l, (int)i);
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
