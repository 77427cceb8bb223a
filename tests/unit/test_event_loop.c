/* Tests of the event loop (vmm/event_loop.c) on a real io_uring: POLLIN and
 * POLLOUT sources, removing one source of two on the same fd, and a
 * removed source's slot taken again once its poll has ended, with no
 * completion of the old source reaching the new one. */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include "suites.h"
#include "../../vmm/event_loop.h"

static struct event_loop loop;
static int calls[EVENT_LOOP_MAX + 1];

static void count_and_stop(void *opaque, int fd)
{
	uint64_t v;

	calls[(intptr_t)opaque]++;
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		ck_abort_msg("read: %d", errno);
	event_loop_stop(&loop);
}

static void writable(void *opaque, int fd)
{
	calls[(intptr_t)opaque]++;
	event_loop_stop(&loop);
}

static void kick(int fd)
{
	uint64_t one = 1;

	ck_assert_int_eq(write(fd, &one, sizeof(one)), sizeof(one));
}

static void run_once(void)
{
	loop.stop = false;
	ck_assert_int_eq(event_loop_run(&loop), 0);
}

START_TEST(pollout_and_remove_id)
{
	int sv[2], in_id, out_id;

	ck_assert_int_eq(event_loop_init(&loop), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	in_id = event_loop_add_events(&loop, sv[0], POLLIN, count_and_stop, (void *)0);
	out_id = event_loop_add_events(&loop, sv[0], POLLOUT, writable, (void *)1);
	ck_assert_int_ge(in_id, 0);
	ck_assert_int_ge(out_id, 0);
	ck_assert_int_ne(in_id, out_id);
	run_once();                     /* writable at once */
	ck_assert_int_ge(calls[1], 1);
	event_loop_remove_id(&loop, out_id);
	calls[1] = 0;
	ck_assert_int_eq(write(sv[1], "x", 1), 1);
	run_once();
	ck_assert_int_eq(calls[0], 1);  /* the POLLIN source still works */
	ck_assert_int_eq(calls[1], 0);
	event_loop_exit(&loop);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(slots_used_again)
{
	int efd[EVENT_LOOP_MAX], extra = eventfd(0, EFD_NONBLOCK), i, id;

	memset(calls, 0, sizeof(calls));
	ck_assert_int_eq(event_loop_init(&loop), 0);
	for (i = 0; i < EVENT_LOOP_MAX; i++) {
		efd[i] = eventfd(0, EFD_NONBLOCK);
		ck_assert_int_eq(event_loop_add(&loop, efd[i], count_and_stop,
						(void *)(intptr_t)i), 0);
	}
	ck_assert_int_eq(event_loop_add(&loop, extra, count_and_stop, NULL), -ENOSPC);
	/* source 5 fires and is removed in the same batch of completions */
	kick(efd[5]);
	event_loop_remove(&loop, efd[5]);
	kick(efd[6]);
	run_once();
	ck_assert_int_eq(calls[6], 1);
	/* once the cancel has completed, slot 5 is taken by the new source */
	while ((id = event_loop_add_events(&loop, extra, POLLIN, count_and_stop,
					   (void *)(intptr_t)EVENT_LOOP_MAX)) == -ENOSPC) {
		kick(efd[7]);
		run_once();
	}
	ck_assert_int_eq(id, 5);
	kick(extra);
	run_once();
	ck_assert_int_eq(calls[EVENT_LOOP_MAX], 1);
	ck_assert_int_eq(calls[5], 0);  /* nothing of the old source reached it */
	event_loop_exit(&loop);
	for (i = 0; i < EVENT_LOOP_MAX; i++)
		close(efd[i]);
	close(extra);
}
END_TEST

Suite *event_loop_suite(void)
{
	Suite *s = suite_create("event_loop");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, pollout_and_remove_id);
	tcase_add_test(tc, slots_used_again);
	suite_add_tcase(s, tc);
	return s;
}
