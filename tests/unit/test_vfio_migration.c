/* Unit tests for VFIO migration v2 (vfio/migration.h): the planner against
 * the fake's own model of the kernel's state machine for every (flags,
 * from, to), never the forbidden STOP_COPY -> PRE_COPY arcs; a device on
 * the fake taken from state to state one arc at a time, its data fd kept
 * and closed, ERROR -> reset, the cannot-migrate wording; reading and
 * writing its data through ENOMSG, EINTR, EAGAIN and short transfers. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vfio.h>
#include "../../vfio/migration.h"
#include "suites.h"
#include "../support/fake_ioctl.h"
#include "../support/fake_vfio.h"

#define NR      VFIO_MIG_NR_STATES
#define FULL    (VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P | VFIO_MIGRATION_PRE_COPY)
#define S_ERR   VFIO_DEVICE_STATE_ERROR
#define S_STOP  VFIO_DEVICE_STATE_STOP
#define S_RUN   VFIO_DEVICE_STATE_RUNNING
#define S_SC    VFIO_DEVICE_STATE_STOP_COPY
#define S_RES   VFIO_DEVICE_STATE_RESUMING
#define S_RP2P  VFIO_DEVICE_STATE_RUNNING_P2P
#define S_PRE   VFIO_DEVICE_STATE_PRE_COPY
#define S_PP2P  VFIO_DEVICE_STATE_PRE_COPY_P2P

/* ---- the planner ---- */

/* Arcs on the shortest walk from -> to over the fake's single arcs, any
 * state inside; -1 when there is none. */
static int fake_shortest(uint32_t flags, uint32_t from, uint32_t to)
{
	int dist[NR];
	uint32_t queue[NR], s, t;
	unsigned head = 0, tail = 0;

	for (s = 0; s < NR; s++)
		dist[s] = -1;
	dist[from] = 0;
	queue[tail++] = from;
	while (head < tail) {
		s = queue[head++];
		for (t = 0; t < NR; t++) {
			if (dist[t] >= 0 || !fake_vfio_mig_arc(flags, s, t))
				continue;
			dist[t] = dist[s] + 1;
			queue[tail++] = t;
		}
	}
	return dist[to];
}

/* The kernel's own walk for a combination request, as the fake models
 * it: its states in walk[], how many; -1 when the kernel refuses. */
static int kernel_walk(uint32_t flags, uint32_t from, uint32_t to, uint32_t walk[NR])
{
	uint32_t s = from;
	int n = 0;

	while (s != to) {
		s = fake_vfio_mig_next(flags, s, to);
		if (s == S_ERR || n == NR)
			return -1;
		walk[n++] = s;
	}
	return n;
}

static bool forbidden_arc(uint32_t from, uint32_t to)
{
	return from == S_SC && (to == S_PRE || to == S_PP2P);
}

START_TEST(arcs_match_the_fake)
{
	uint32_t flags, from, to;
	unsigned arcs = 0;

	for (flags = 0; flags < 16; flags++)
		for (from = 0; from <= NR; from++)
			for (to = 0; to <= NR; to++) {
				bool want = from < NR && to < NR &&
					    fake_vfio_mig_arc(flags, from, to);

				ck_assert_msg(vfio_mig_arc_offered(flags, from, to) == want,
					      "flags %s: %s -> %s: planner %d, fake %d",
					      vfio_mig_flags_name(flags), vfio_mig_state_name(from),
					      vfio_mig_state_name(to), !want, want);
				arcs += want;
			}
	/* per flag set: SC 6, SC+P2P 8, SC+PRE 9, all 15; twice (bit 3 is
	 * not a flag, and changes nothing) */
	ck_assert_uint_eq(arcs, 2 * (6 + 8 + 9 + 15));
}
END_TEST

/* One (flags, from, to): a valid, shortest walk of single arcs with only
 * RUNNING, RUNNING_P2P and STOP inside (or saving states between two
 * saving states), the kernel's own walk where the kernel takes the
 * request in one, never a forbidden arc. */
static void check_plan(uint32_t flags, uint32_t from, uint32_t to)
{
	uint32_t path[VFIO_MIG_MAX_PATH], walk[NR], s = from;
	int n = vfio_mig_plan(flags, from, to, path);
	int k, i;

	if (!vfio_mig_state_offered(flags, from) || !vfio_mig_state_offered(flags, to)) {
		ck_assert_int_eq(n, -EINVAL);
		return;
	}
	ck_assert_msg(n >= 0, "%s: %s -> %s: no plan (%d)", vfio_mig_flags_name(flags),
		      vfio_mig_state_name(from), vfio_mig_state_name(to), n);
	for (i = 0; i < n; i++) {
		ck_assert_msg(!forbidden_arc(s, path[i]), "forbidden arc planned");
		ck_assert_msg(fake_vfio_mig_arc(flags, s, path[i]),
			      "%s: %s -> %s: step %s -> %s is no arc",
			      vfio_mig_flags_name(flags), vfio_mig_state_name(from),
			      vfio_mig_state_name(to), vfio_mig_state_name(s),
			      vfio_mig_state_name(path[i]));
		if (i < n - 1)
			ck_assert(path[i] == S_RUN || path[i] == S_RP2P || path[i] == S_STOP ||
				  (vfio_mig_state_saving(path[i]) && vfio_mig_state_saving(from) &&
				   vfio_mig_state_saving(to)));
		s = path[i];
	}
	ck_assert_uint_eq(s, to);
	ck_assert_int_eq(n, fake_shortest(flags, from, to));
	k = kernel_walk(flags, from, to, walk);
	if (k < 0) {
		/* only STOP_COPY -> PRE_COPY(_P2P): planned out through STOP */
		ck_assert(forbidden_arc(from, to));
		ck_assert_uint_eq(path[0], S_STOP);
		return;
	}
	ck_assert_int_eq(n, k);
	for (i = 0; i < n; i++)
		ck_assert_uint_eq(path[i], walk[i]);
}

START_TEST(plan_every_triple)
{
	uint32_t flags, from, to;

	for (flags = 0; flags < 16; flags++)
		for (from = 0; from <= NR; from++)
			for (to = 0; to <= NR; to++)
				check_plan(flags, from, to);
}
END_TEST

START_TEST(never_stop_copy_to_pre_copy)
{
	uint32_t path[VFIO_MIG_MAX_PATH], flags, from, to;
	unsigned plans = 0;
	int n, i;

	for (flags = 0; flags < 16; flags++) {
		ck_assert(!vfio_mig_arc_offered(flags, S_SC, S_PRE));
		ck_assert(!vfio_mig_arc_offered(flags, S_SC, S_PP2P));
		for (from = 0; from < NR; from++)
			for (to = 0; to < NR; to++) {
				n = vfio_mig_plan(flags, from, to, path);
				for (i = 0; i < n; i++)
					ck_assert(!forbidden_arc(i ? path[i - 1] : from, path[i]));
				plans += n > 0;
			}
	}
	/* non-empty plans: 4*3 + 5*4 + 5*4 + 7*6 offered pairs, twice */
	ck_assert_uint_eq(plans, 2 * (12 + 20 + 20 + 42));
}
END_TEST

static void expect(uint32_t flags, uint32_t from, uint32_t to, int n, const uint32_t *want)
{
	uint32_t path[VFIO_MIG_MAX_PATH];
	int i;

	ck_assert_int_eq(vfio_mig_plan(flags, from, to, path), n);
	for (i = 0; i < n; i++)
		ck_assert_str_eq(vfio_mig_state_name(path[i]), vfio_mig_state_name(want[i]));
}

START_TEST(plan_examples)
{
	const uint32_t sc = VFIO_MIGRATION_STOP_COPY;
	const uint32_t pre = VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_PRE_COPY;
	const uint32_t p2p = VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P;

	expect(FULL, S_RUN, S_PRE, 1, (uint32_t[]){ S_PRE });
	expect(FULL, S_PRE, S_PP2P, 1, (uint32_t[]){ S_PP2P });
	expect(FULL, S_PRE, S_SC, 2, (uint32_t[]){ S_PP2P, S_SC });
	expect(FULL, S_RUN, S_SC, 3, (uint32_t[]){ S_RP2P, S_STOP, S_SC });
	expect(FULL, S_PRE, S_STOP, 3, (uint32_t[]){ S_RUN, S_RP2P, S_STOP });
	expect(FULL, S_SC, S_RUN, 3, (uint32_t[]){ S_STOP, S_RP2P, S_RUN });
	expect(FULL, S_SC, S_PRE, 4, (uint32_t[]){ S_STOP, S_RP2P, S_RUN, S_PRE });
	expect(FULL, S_SC, S_PP2P, 3, (uint32_t[]){ S_STOP, S_RP2P, S_PP2P });
	expect(FULL, S_RES, S_RUN, 3, (uint32_t[]){ S_STOP, S_RP2P, S_RUN });
	expect(p2p, S_RUN, S_SC, 3, (uint32_t[]){ S_RP2P, S_STOP, S_SC });
	expect(pre, S_PRE, S_SC, 1, (uint32_t[]){ S_SC });
	expect(pre, S_RUN, S_SC, 2, (uint32_t[]){ S_STOP, S_SC });
	expect(sc, S_RUN, S_RES, 2, (uint32_t[]){ S_STOP, S_RES });
	expect(sc, S_RUN, S_RUN, 0, NULL);
	expect(sc, S_RUN, S_PRE, -EINVAL, NULL);
	expect(p2p, S_RUN, S_PP2P, -EINVAL, NULL);
	expect(FULL, S_RUN, S_ERR, -EINVAL, NULL);
	expect(FULL, S_ERR, S_RUN, -EINVAL, NULL);
	expect(FULL, S_RUN, NR, -EINVAL, NULL);
	expect(VFIO_MIGRATION_P2P | VFIO_MIGRATION_PRE_COPY, S_RUN, S_STOP, -EINVAL, NULL);
}
END_TEST

START_TEST(names)
{
	ck_assert_str_eq(vfio_mig_state_name(S_PP2P), "PRE_COPY_P2P");
	ck_assert_str_eq(vfio_mig_state_name(S_ERR), "ERROR");
	ck_assert_str_eq(vfio_mig_state_name(NR), "unknown");
	ck_assert_str_eq(vfio_mig_flags_name(FULL), "STOP_COPY+P2P+PRE_COPY");
	ck_assert_str_eq(vfio_mig_flags_name(VFIO_MIGRATION_STOP_COPY | 8), "STOP_COPY");
	ck_assert_str_eq(vfio_mig_flags_name(0), "none");
	ck_assert(vfio_mig_state_saving(S_PP2P) && vfio_mig_state_saving(S_SC));
	ck_assert(!vfio_mig_state_saving(S_RES) && !vfio_mig_state_saving(S_RP2P));
}
END_TEST

/* ---- a device on the fake ---- */

#define DEV "0000:01:00.0"

static struct vfio_mig M;
static char err[512];

static void misuse(const char *what)
{
	ck_abort_msg("%s", what);
}

static void setup(void)
{
	fake_vfio_reset(NULL, -1);
	fake_vfio.misuse = misuse;
	fake_vfio.fd = memfd_create("fake-vfio-device", MFD_CLOEXEC);
	ck_assert_int_ge(fake_vfio.fd, 0);
	fake_ioctl_reset(0);
	memset(&M, 0, sizeof(M));
	M.data_fd = -1;
	err[0] = 0;
}

static void teardown(void)
{
	vfio_mig_release(&M);
	close(fake_vfio.fd);
	fake_vfio.fd = -1;
	fake_vfio.misuse = NULL;
	ck_assert_uint_eq(fake_ioctl.strays, 0);
}

/* A device with these flags in state, and M on it. */
static void device(uint32_t flags, uint32_t state)
{
	fake_vfio.mig.flags = flags;
	fake_vfio.mig.state = state;
	ck_assert_msg(vfio_mig_init(&M, fake_vfio.fd, DEV, "mtty", err, sizeof(err)) == 0,
		      "%s", err);
}

static bool is_open(int fd)
{
	return fd >= 0 && fcntl(fd, F_GETFD) >= 0;
}

START_TEST(cannot_migrate)
{
	ck_assert_int_eq(vfio_mig_init(&M, fake_vfio.fd, "0000:00:03.0", "vfio-pci", err,
				       sizeof(err)), -1);
	ck_assert_str_eq(err, "0000:00:03.0: vfio-pci offers no migration (VFIO_DEVICE_FEATURE_MIGRATION: Inappropriate ioctl for device)");
	ck_assert_int_eq(vfio_mig_init(&M, fake_vfio.fd, "0000:00:03.0", NULL, err,
				       sizeof(err)), -1);
	ck_assert_str_eq(err, "0000:00:03.0: its driver offers no migration (VFIO_DEVICE_FEATURE_MIGRATION: Inappropriate ioctl for device)");
	fake_vfio.mig.flags = VFIO_MIGRATION_P2P | VFIO_MIGRATION_PRE_COPY;
	ck_assert_int_eq(vfio_mig_init(&M, fake_vfio.fd, DEV, "mtty", err, sizeof(err)), -1);
	ck_assert_str_eq(err, DEV ": mtty offers migration without STOP_COPY (flags P2P+PRE_COPY): it cannot migrate");
	ck_assert_uint_eq(fake_vfio.mig.sets + fake_vfio.mig.gets, 0);
}
END_TEST

START_TEST(init_reads_flags_and_state)
{
	device(FULL | 8, S_STOP);
	ck_assert_uint_eq(M.flags, FULL);
	ck_assert_uint_eq(M.state, S_STOP);
	ck_assert_int_eq(M.data_fd, -1);
	ck_assert_str_eq(M.name, DEV);
}
END_TEST

static void expect_arcs(unsigned from_arc, const uint32_t (*want)[2], unsigned n)
{
	unsigned i;

	ck_assert_uint_eq(fake_vfio.mig.n_arcs, from_arc + n);
	for (i = 0; i < n; i++) {
		ck_assert_str_eq(vfio_mig_state_name(fake_vfio.mig.arc[from_arc + i][0]),
				 vfio_mig_state_name(want[i][0]));
		ck_assert_str_eq(vfio_mig_state_name(fake_vfio.mig.arc[from_arc + i][1]),
				 vfio_mig_state_name(want[i][1]));
	}
}

START_TEST(goto_one_arc_at_a_time)
{
	int fd;

	device(FULL, S_RUN);
	ck_assert_msg(vfio_mig_goto(&M, S_SC, err, sizeof(err)) == 0, "%s", err);
	expect_arcs(0, (const uint32_t[][2]){ { S_RUN, S_RP2P }, { S_RP2P, S_STOP },
					      { S_STOP, S_SC } }, 3);
	ck_assert_uint_eq(M.state, S_SC);
	fd = M.data_fd;
	ck_assert(is_open(fd));
	ck_assert_int_eq(fd, fake_vfio.mig.data_fd);
	ck_assert_msg(vfio_mig_goto(&M, S_RUN, err, sizeof(err)) == 0, "%s", err);
	expect_arcs(3, (const uint32_t[][2]){ { S_SC, S_STOP }, { S_STOP, S_RP2P },
					      { S_RP2P, S_RUN } }, 3);
	ck_assert_int_eq(M.data_fd, -1);
	ck_assert(!is_open(fd));
	ck_assert_uint_eq(fake_vfio.mig.refused, 0);
	ck_assert_uint_eq(fake_vfio.resets, 0);
}
END_TEST

START_TEST(pre_copy_session_goes_on_into_stop_copy)
{
	int fd;

	device(FULL, S_RUN);
	ck_assert_msg(vfio_mig_goto(&M, S_PRE, err, sizeof(err)) == 0, "%s", err);
	fd = M.data_fd;
	ck_assert(is_open(fd));
	ck_assert_msg(vfio_mig_goto(&M, S_PP2P, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(vfio_mig_goto(&M, S_SC, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(M.data_fd, fd);
	ck_assert(is_open(fd));
	expect_arcs(0, (const uint32_t[][2]){ { S_RUN, S_PRE }, { S_PRE, S_PP2P },
					      { S_PP2P, S_SC } }, 3);
	/* and back to PRE_COPY: through STOP, a new session */
	ck_assert_msg(vfio_mig_goto(&M, S_PRE, err, sizeof(err)) == 0, "%s", err);
	ck_assert(!is_open(fd) || fd == M.data_fd);
	ck_assert(is_open(M.data_fd));
	ck_assert_uint_eq(fake_vfio.mig.forbidden, 0);
	ck_assert_uint_eq(fake_vfio.mig.refused, 0);
}
END_TEST

/* Every offered (from, to) for every valid flag set, from a fresh M each
 * time: the device gets there by single arcs, never the forbidden one. */
START_TEST(goto_every_pair)
{
	static const uint32_t sets[] = {
		VFIO_MIGRATION_STOP_COPY, VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P,
		VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_PRE_COPY, FULL,
	};
	unsigned i, walks = 0;
	uint32_t from, to;

	for (i = 0; i < 4; i++)
		for (from = 1; from < NR; from++)
			for (to = 1; to < NR; to++) {
				if (!vfio_mig_state_offered(sets[i], from) ||
				    !vfio_mig_state_offered(sets[i], to))
					continue;
				vfio_mig_release(&M);
				device(sets[i], from);
				ck_assert_msg(vfio_mig_goto(&M, to, err, sizeof(err)) == 0,
					      "%s", err);
				ck_assert_uint_eq(fake_vfio.mig.state, to);
				ck_assert_uint_eq(M.state, to);
				/* (from a saving state the session the fake
				 * started in has no fd here) */
				if (from != to && !vfio_mig_state_saving(from))
					ck_assert(is_open(M.data_fd) ==
						  (vfio_mig_state_saving(to) || to == S_RES));
				walks++;
			}
	ck_assert_uint_eq(walks, 16 + 25 + 25 + 49);
	ck_assert_uint_eq(fake_vfio.mig.refused, 0);
	ck_assert_uint_eq(fake_vfio.mig.forbidden, 0);
}
END_TEST

START_TEST(error_is_reset)
{
	device(FULL, S_RUN);
	fake_vfio.mig.fail_arc = true;
	fake_vfio.mig.fail_from = S_STOP;
	fake_vfio.mig.fail_to = S_SC;
	fake_vfio.mig.fail_to_error = true;
	ck_assert_int_eq(vfio_mig_goto(&M, S_SC, err, sizeof(err)), -1);
	ck_assert_str_eq(err, DEV ": migration STOP -> STOP_COPY: Input/output error; the device is in ERROR: reset (VFIO_DEVICE_RESET), now RUNNING");
	ck_assert_uint_eq(fake_vfio.resets, 1);
	ck_assert_uint_eq(M.resets, 1);
	ck_assert_uint_eq(M.state, S_RUN);
	ck_assert_uint_eq(fake_vfio.mig.state, S_RUN);
	ck_assert_int_eq(M.data_fd, -1);
}
END_TEST

START_TEST(error_in_a_session_closes_it)
{
	int fd;

	device(FULL, S_RUN);
	ck_assert_msg(vfio_mig_goto(&M, S_PRE, err, sizeof(err)) == 0, "%s", err);
	fd = M.data_fd;
	fake_vfio.mig.fail_arc = true;
	fake_vfio.mig.fail_from = S_PP2P;
	fake_vfio.mig.fail_to = S_SC;
	fake_vfio.mig.fail_to_error = true;
	fake_vfio.mig.fail_errno = ENOMEM;
	ck_assert_int_eq(vfio_mig_goto(&M, S_SC, err, sizeof(err)), -1);
	ck_assert_str_eq(err, DEV ": migration PRE_COPY_P2P -> STOP_COPY: Cannot allocate memory; the device is in ERROR: reset (VFIO_DEVICE_RESET), now RUNNING");
	ck_assert(!is_open(fd));
	ck_assert_int_eq(M.data_fd, -1);
	ck_assert_uint_eq(fake_vfio.resets, 1);
}
END_TEST

START_TEST(failed_arc_stays)
{
	device(FULL, S_RUN);
	fake_vfio.mig.fail_arc = true;
	fake_vfio.mig.fail_from = S_RP2P;
	fake_vfio.mig.fail_to = S_STOP;
	fake_vfio.mig.fail_errno = EBUSY;
	ck_assert_int_eq(vfio_mig_goto(&M, S_STOP, err, sizeof(err)), -1);
	ck_assert_str_eq(err, DEV ": migration RUNNING_P2P -> STOP: Device or resource busy; the device stays in RUNNING_P2P");
	ck_assert_uint_eq(M.state, S_RP2P);
	ck_assert_uint_eq(fake_vfio.resets, 0);
	/* and on from there once the device takes it */
	fake_vfio.mig.fail_arc = false;
	ck_assert_msg(vfio_mig_goto(&M, S_RUN, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(fake_vfio.mig.state, S_RUN);
}
END_TEST

START_TEST(reset_fails)
{
	device(VFIO_MIGRATION_STOP_COPY, S_STOP);
	fake_vfio.mig.fail_arc = true;
	fake_vfio.mig.fail_from = S_STOP;
	fake_vfio.mig.fail_to = S_RES;
	fake_vfio.mig.fail_to_error = true;
	fake_vfio.mig.reset_errno = EIO;
	ck_assert_int_eq(vfio_mig_goto(&M, S_RES, err, sizeof(err)), -1);
	ck_assert_str_eq(err, DEV ": migration STOP -> RESUMING: Input/output error; the device is in ERROR and VFIO_DEVICE_RESET failed: Input/output error");
	ck_assert_uint_eq(M.state, S_ERR);
	ck_assert_uint_eq(M.resets, 0);
}
END_TEST

START_TEST(found_in_error)
{
	device(FULL, S_RUN);
	fake_vfio.mig.state = S_ERR;
	ck_assert_int_eq(vfio_mig_goto(&M, S_STOP, err, sizeof(err)), -1);
	ck_assert_str_eq(err, DEV ": migration to STOP: found in ERROR; the device is in ERROR: reset (VFIO_DEVICE_RESET), now RUNNING");
	ck_assert_uint_eq(fake_vfio.mig.state, S_RUN);
	ck_assert_uint_eq(fake_vfio.mig.sets, 0);
}
END_TEST

START_TEST(refusals_before_any_request)
{
	device(VFIO_MIGRATION_STOP_COPY, S_RUN);
	ck_assert_int_eq(vfio_mig_goto(&M, S_PRE, err, sizeof(err)), -1);
	ck_assert_str_eq(err, DEV ": no migration from RUNNING to PRE_COPY on a device that offers STOP_COPY");
	M.flags = FULL;
	M.state = S_SC;
	ck_assert_int_eq(vfio_mig_step(&M, (const uint32_t[]){ S_PRE }, 1, err, sizeof(err)), -1);
	ck_assert_str_eq(err, DEV ": migration STOP_COPY -> PRE_COPY is no arc of this device's state machine (STOP_COPY+P2P+PRE_COPY)");
	ck_assert_uint_eq(fake_vfio.mig.sets, 0);
	ck_assert_uint_eq(fake_vfio.mig.forbidden, 0);
}
END_TEST

/* ---- the data session ---- */

struct collect {
	uint8_t *buf;
	size_t len, cap;
	unsigned calls;
	unsigned fail_at;               /* this call fails; 0: none */
};

static int collect(void *opaque, const void *buf, size_t len, char *e, size_t elen)
{
	struct collect *c = opaque;

	if (++c->calls == c->fail_at) {
		snprintf(e, elen, "sink: the stream's file is full");
		return -1;
	}
	if (c->len + len > c->cap) {
		c->cap = (c->len + len) * 2;
		c->buf = realloc(c->buf, c->cap);
		ck_assert_ptr_nonnull(c->buf);
	}
	memcpy(c->buf + c->len, buf, len);
	c->len += len;
	return 0;
}

/* The stream's bytes [from, from + len) are c's [at, at + len). */
static void check_stream(const struct collect *c, size_t at, uint64_t from, size_t len)
{
	size_t i;

	ck_assert_uint_ge(c->len, at + len);
	for (i = 0; i < len; i++)
		if (c->buf[at + i] != fake_vfio_mig_byte(from + i))
			ck_abort_msg("stream byte %llu differs", (unsigned long long)(from + i));
}

static int read_all(struct collect *c, uint64_t budget, enum vfio_mig_read_end *end)
{
	return vfio_mig_read(&M, budget, collect, c, end, err, sizeof(err));
}

START_TEST(read_stop_copy_to_its_end)
{
	struct collect c = { 0 };
	enum vfio_mig_read_end end;
	const uint64_t size = 3 * VFIO_MIG_CHUNK + 123;

	device(VFIO_MIGRATION_STOP_COPY, S_RUN);
	fake_vfio.mig.stop_copy_bytes = size;
	ck_assert_msg(vfio_mig_goto(&M, S_SC, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(read_all(&c, 0, &end) == 0, "%s", err);
	ck_assert_int_eq(end, VFIO_MIG_READ_END);
	ck_assert_uint_eq(c.len, size);
	ck_assert_uint_eq(c.calls, 4);
	ck_assert_uint_eq(M.data_bytes, size);
	check_stream(&c, 0, 0, size);
	free(c.buf);
}
END_TEST

START_TEST(read_through_eintr_eagain_and_short_reads)
{
	struct collect c = { 0 };
	enum vfio_mig_read_end end;

	device(VFIO_MIGRATION_STOP_COPY, S_STOP);
	fake_vfio.mig.stop_copy_bytes = 10000;
	fake_vfio.mig.max_io = 999;
	fake_vfio.mig.eintr_every = 3;
	fake_vfio.mig.eagain_every = 5;
	ck_assert_msg(vfio_mig_goto(&M, S_SC, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(read_all(&c, 0, &end) == 0, "%s", err);
	ck_assert_int_eq(end, VFIO_MIG_READ_END);
	ck_assert_uint_eq(c.len, 10000);
	ck_assert_uint_eq(c.calls, 11);
	check_stream(&c, 0, 0, 10000);
	ck_assert_uint_gt(fake_vfio.mig.io_calls, 11 + 3);
	free(c.buf);
}
END_TEST

START_TEST(pre_copy_until_enomsg_then_stop_copy)
{
	struct collect c = { 0 };
	enum vfio_mig_read_end end;
	uint64_t initial, dirty;
	int fd;

	device(FULL, S_RUN);
	fake_vfio.mig.initial_bytes = 5000;
	fake_vfio.mig.dirty_bytes = 1000;
	fake_vfio.mig.stop_copy_bytes = 2000;
	ck_assert_msg(vfio_mig_goto(&M, S_PRE, err, sizeof(err)) == 0, "%s", err);
	fd = M.data_fd;
	ck_assert_msg(vfio_mig_precopy_info(&M, &initial, &dirty, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(initial, 5000);
	ck_assert_uint_eq(dirty, 1000);
	ck_assert_msg(read_all(&c, 4096, &end) == 0, "%s", err);
	ck_assert_int_eq(end, VFIO_MIG_READ_BUDGET);
	ck_assert_uint_eq(c.len, 4096);
	ck_assert_msg(vfio_mig_precopy_info(&M, &initial, &dirty, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(initial, 904);
	ck_assert_uint_eq(dirty, 1000);
	ck_assert_msg(read_all(&c, 0, &end) == 0, "%s", err);
	ck_assert_int_eq(end, VFIO_MIG_READ_FOR_NOW);
	ck_assert_uint_eq(c.len, 6000);
	ck_assert_msg(vfio_mig_precopy_info(&M, &initial, &dirty, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(initial + dirty, 0);
	/* ENOMSG again while nothing is new */
	ck_assert_msg(read_all(&c, 0, &end) == 0, "%s", err);
	ck_assert_int_eq(end, VFIO_MIG_READ_FOR_NOW);
	ck_assert_msg(vfio_mig_goto(&M, S_SC, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(M.data_fd, fd);
	ck_assert_msg(read_all(&c, 0, &end) == 0, "%s", err);
	ck_assert_int_eq(end, VFIO_MIG_READ_END);
	ck_assert_uint_eq(c.len, 8000);
	ck_assert_uint_eq(M.data_bytes, 8000);
	check_stream(&c, 0, 0, 8000);
	/* PRECOPY_INFO is for the PRE_COPY states only */
	ck_assert_int_eq(vfio_mig_precopy_info(&M, &initial, &dirty, err, sizeof(err)), -1);
	ck_assert_str_eq(err, DEV ": VFIO_MIG_GET_PRECOPY_INFO: not in PRE_COPY (STOP_COPY)");
	ck_assert_uint_eq(fake_vfio.mig.precopy_infos, 3);
	free(c.buf);
}
END_TEST

START_TEST(data_size_and_cap)
{
	struct collect c = { 0 };
	enum vfio_mig_read_end end;
	uint64_t len;

	device(VFIO_MIGRATION_STOP_COPY, S_STOP);
	fake_vfio.mig.data_size = 1000;
	ck_assert_msg(vfio_mig_data_size(&M, &len, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(len, 1000);
	ck_assert_uint_eq(vfio_mig_data_cap(1000), 2000 + (16u << 20));
	ck_assert_uint_eq(vfio_mig_data_cap(UINT64_MAX / 2), UINT64_MAX);
	/* exactly the cap: fine */
	fake_vfio.mig.stop_copy_bytes = 1000;
	ck_assert_msg(vfio_mig_goto(&M, S_SC, err, sizeof(err)) == 0, "%s", err);
	M.data_cap = 1000;
	ck_assert_msg(read_all(&c, 0, &end) == 0, "%s", err);
	ck_assert_uint_eq(c.len, 1000);
	/* one byte more: refused */
	ck_assert_msg(vfio_mig_goto(&M, S_STOP, err, sizeof(err)) == 0, "%s", err);
	fake_vfio.mig.stop_copy_bytes = 1001;
	ck_assert_msg(vfio_mig_goto(&M, S_SC, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(read_all(&c, 0, &end), -1);
	ck_assert_str_eq(err, DEV ": the device's migration data passes 1000 bytes, more than its MIG_DATA_SIZE estimate allows");
	free(c.buf);
}
END_TEST

START_TEST(sink_failure_stops_the_read)
{
	struct collect c = { .fail_at = 2 };
	enum vfio_mig_read_end end;

	device(VFIO_MIGRATION_STOP_COPY, S_STOP);
	fake_vfio.mig.stop_copy_bytes = 5000;
	fake_vfio.mig.max_io = 1000;
	ck_assert_msg(vfio_mig_goto(&M, S_SC, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(read_all(&c, 0, &end), -1);
	ck_assert_str_eq(err, "sink: the stream's file is full");
	ck_assert_uint_eq(c.len, 1000);
	ck_assert_uint_eq(fake_vfio.mig.pos, 2000);
	free(c.buf);
}
END_TEST

START_TEST(write_resuming_in_order)
{
	uint8_t chunk[5000];
	uint64_t i;
	int fd;

	device(VFIO_MIGRATION_STOP_COPY, S_RUN);
	fake_vfio.mig.max_io = 700;
	fake_vfio.mig.eintr_every = 4;
	fake_vfio.mig.eagain_every = 7;
	ck_assert_msg(vfio_mig_goto(&M, S_RES, err, sizeof(err)) == 0, "%s", err);
	fd = M.data_fd;
	ck_assert(is_open(fd));
	for (i = 0; i < 15000; i++) {
		chunk[i % 5000] = fake_vfio_mig_byte(i);
		if (i % 5000 == 4999)
			ck_assert_msg(vfio_mig_write(&M, chunk, sizeof(chunk), err,
						     sizeof(err)) == 0, "%s", err);
	}
	ck_assert_uint_eq(fake_vfio.mig.resumed_len, 15000);
	ck_assert_uint_eq(M.data_bytes, 15000);
	for (i = 0; i < 15000; i++)
		ck_assert_uint_eq(fake_vfio.mig.resumed[i], fake_vfio_mig_byte(i));
	ck_assert_msg(vfio_mig_goto(&M, S_STOP, err, sizeof(err)) == 0, "%s", err);
	ck_assert(!is_open(fd));
}
END_TEST

START_TEST(data_in_the_wrong_state)
{
	struct collect c = { 0 };
	enum vfio_mig_read_end end;
	uint64_t a, b;

	device(FULL, S_RUN);
	ck_assert_int_eq(read_all(&c, 0, &end), -1);
	ck_assert_str_eq(err, DEV ": no migration data to read in RUNNING");
	ck_assert_int_eq(vfio_mig_write(&M, "x", 1, err, sizeof(err)), -1);
	ck_assert_str_eq(err, DEV ": no migration data to write in RUNNING");
	ck_assert_int_eq(vfio_mig_precopy_info(&M, &a, &b, err, sizeof(err)), -1);
	ck_assert_str_eq(err, DEV ": VFIO_MIG_GET_PRECOPY_INFO: not in PRE_COPY (RUNNING)");
	ck_assert_uint_eq(fake_vfio.mig.io_calls, 0);
}
END_TEST

Suite *vfio_migration_suite(void)
{
	Suite *s = suite_create("vfio_migration");
	TCase *tp = tcase_create("plan");

	tcase_add_test(tp, arcs_match_the_fake);
	tcase_add_test(tp, plan_every_triple);
	tcase_add_test(tp, never_stop_copy_to_pre_copy);
	tcase_add_test(tp, plan_examples);
	tcase_add_test(tp, names);
	suite_add_tcase(s, tp);

	TCase *td = tcase_create("device");

	tcase_add_checked_fixture(td, setup, teardown);
	tcase_add_test(td, cannot_migrate);
	tcase_add_test(td, init_reads_flags_and_state);
	tcase_add_test(td, goto_one_arc_at_a_time);
	tcase_add_test(td, pre_copy_session_goes_on_into_stop_copy);
	tcase_add_test(td, goto_every_pair);
	tcase_add_test(td, error_is_reset);
	tcase_add_test(td, error_in_a_session_closes_it);
	tcase_add_test(td, failed_arc_stays);
	tcase_add_test(td, reset_fails);
	tcase_add_test(td, found_in_error);
	tcase_add_test(td, refusals_before_any_request);
	suite_add_tcase(s, td);

	TCase *tx = tcase_create("data");

	tcase_add_checked_fixture(tx, setup, teardown);
	tcase_add_test(tx, read_stop_copy_to_its_end);
	tcase_add_test(tx, read_through_eintr_eagain_and_short_reads);
	tcase_add_test(tx, pre_copy_until_enomsg_then_stop_copy);
	tcase_add_test(tx, data_size_and_cap);
	tcase_add_test(tx, sink_failure_stops_the_read);
	tcase_add_test(tx, write_resuming_in_order);
	tcase_add_test(tx, data_in_the_wrong_state);
	suite_add_tcase(s, tx);
	return s;
}
