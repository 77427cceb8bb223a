/* A device's migration v2 state, through VFIO_DEVICE_FEATURE: what its
 * driver offers (VFIO_DEVICE_FEATURE_MIGRATION), its current state, and
 * moving it one single arc per request along the planner's walk
 * (vfio/mig_plan.c), with the data session's fd kept and closed as the
 * walk opens and ends it. A failed arc reads the state back; a device
 * left in ERROR is reset to RUNNING. Groundwork for issue 15; nothing uses
 * it yet. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "../vmm/log.h"
#include "helpers.h"
#include "migration.h"

int vfio_mig_probe(int fd, uint32_t *flags)
{
	struct vfio_device_feature_migration mig = { 0 };
	int ret;

	ret = vfio_device_feature(fd, VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIGRATION,
				  &mig, sizeof(mig));
	if (ret)
		return ret;
	*flags = (uint32_t)(mig.flags & VFIO_MIG_FLAGS);
	return 0;
}

int vfio_mig_get_state(int fd, uint32_t *state)
{
	struct vfio_device_feature_mig_state st = { .data_fd = -1 };
	int ret;

	ret = vfio_device_feature(fd, VFIO_DEVICE_FEATURE_GET |
				  VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, &st, sizeof(st));
	if (ret)
		return ret;
	*state = st.device_state;
	return 0;
}

int vfio_mig_set_state(int fd, uint32_t state, int *data_fd)
{
	struct vfio_device_feature_mig_state st = { .device_state = state, .data_fd = -1 };
	int ret;

	*data_fd = -1;
	ret = vfio_device_feature(fd, VFIO_DEVICE_FEATURE_SET |
				  VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, &st, sizeof(st));
	if (ret)
		return ret;
	*data_fd = st.data_fd;
	return 0;
}

int vfio_mig_init(struct vfio_mig *m, int fd, const char *name, const char *driver,
		  char *err, size_t errlen)
{
	const char *who = driver && *driver ? driver : "its driver";
	int ret;

	memset(m, 0, sizeof(*m));
	m->fd = fd;
	m->data_fd = -1;
	m->state = VFIO_MIG_UNKNOWN;
	snprintf(m->name, sizeof(m->name), "%s", name);
	ret = vfio_mig_probe(fd, &m->flags);
	if (ret == -ENOTTY) {
		snprintf(err, errlen, "%s: %s offers no migration (VFIO_DEVICE_FEATURE_MIGRATION: %s)",
			 m->name, who, strerror(-ret));
		return -1;
	}
	if (ret) {
		snprintf(err, errlen, "%s: VFIO_DEVICE_FEATURE_MIGRATION: %s", m->name,
			 strerror(-ret));
		return -1;
	}
	if (!(m->flags & VFIO_MIGRATION_STOP_COPY)) {
		snprintf(err, errlen, "%s: %s offers migration without STOP_COPY (flags %s): it cannot migrate",
			 m->name, who, vfio_mig_flags_name(m->flags));
		return -1;
	}
	ret = vfio_mig_get_state(fd, &m->state);
	if (ret) {
		snprintf(err, errlen, "%s: VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE (get): %s",
			 m->name, strerror(-ret));
		return -1;
	}
	return 0;
}

static void close_session(struct vfio_mig *m)
{
	if (m->data_fd >= 0)
		close(m->data_fd);
	m->data_fd = -1;
	m->data_bytes = 0;
}

void vfio_mig_release(struct vfio_mig *m)
{
	close_session(m);
}

/* After an arc into state: a new session's fd replaces the old one; a
 * state outside the saving states and RESUMING has none. */
static void track_session(struct vfio_mig *m, uint32_t state, int data_fd)
{
	if (data_fd >= 0) {
		close_session(m);
		m->data_fd = data_fd;
	} else if (!vfio_mig_state_saving(state) && state != VFIO_DEVICE_STATE_RESUMING) {
		close_session(m);
	}
	m->state = state;
}

static void append(char *err, size_t errlen, const char *fmt, ...)
{
	size_t n = strnlen(err, errlen);
	va_list ap;

	if (n + 1 >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - n, fmt, ap);
	va_end(ap);
}

/* After a failure whose message is in err: read the state back and say
 * where the device is; one in ERROR is reset, which takes it to RUNNING. */
static int settle(struct vfio_mig *m, char *err, size_t errlen)
{
	int ret = vfio_mig_get_state(m->fd, &m->state);

	if (ret) {
		m->state = VFIO_MIG_UNKNOWN;
		append(err, errlen, "; its state cannot be read back: %s", strerror(-ret));
		return -1;
	}
	if (m->state != VFIO_DEVICE_STATE_ERROR) {
		track_session(m, m->state, -1);
		append(err, errlen, "; the device stays in %s", vfio_mig_state_name(m->state));
		return -1;
	}
	close_session(m);
	if (ioctl(m->fd, VFIO_DEVICE_RESET) < 0) {
		append(err, errlen, "; the device is in ERROR and VFIO_DEVICE_RESET failed: %s",
		       strerror(errno));
		return -1;
	}
	m->resets++;
	m->state = VFIO_DEVICE_STATE_RUNNING;
	append(err, errlen, "; the device is in ERROR: reset (VFIO_DEVICE_RESET), now RUNNING");
	return -1;
}

int vfio_mig_step(struct vfio_mig *m, const uint32_t *path, int n, char *err, size_t errlen)
{
	int i, ret, data_fd;

	for (i = 0; i < n; i++) {
		if (!vfio_mig_arc_offered(m->flags, m->state, path[i])) {
			snprintf(err, errlen, "%s: migration %s -> %s is no arc of this device's state machine (%s)",
				 m->name, vfio_mig_state_name(m->state),
				 vfio_mig_state_name(path[i]), vfio_mig_flags_name(m->flags));
			return -1;
		}
		ret = vfio_mig_set_state(m->fd, path[i], &data_fd);
		if (ret) {
			snprintf(err, errlen, "%s: migration %s -> %s: %s", m->name,
				 vfio_mig_state_name(m->state), vfio_mig_state_name(path[i]),
				 strerror(-ret));
			return settle(m, err, errlen);
		}
		pr_info("%s: migration %s -> %s", m->name, vfio_mig_state_name(m->state),
			 vfio_mig_state_name(path[i]));
		track_session(m, path[i], data_fd);
	}
	return 0;
}

int vfio_mig_goto(struct vfio_mig *m, uint32_t target, char *err, size_t errlen)
{
	uint32_t path[VFIO_MIG_MAX_PATH], cur;
	int n, ret;

	ret = vfio_mig_get_state(m->fd, &cur);
	if (ret) {
		snprintf(err, errlen, "%s: VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE (get): %s",
			 m->name, strerror(-ret));
		return -1;
	}
	if (cur != m->state)
		track_session(m, cur, -1);
	if (cur == VFIO_DEVICE_STATE_ERROR) {
		snprintf(err, errlen, "%s: migration to %s: found in ERROR", m->name,
			 vfio_mig_state_name(target));
		return settle(m, err, errlen);
	}
	n = vfio_mig_plan(m->flags, cur, target, path);
	if (n < 0) {
		snprintf(err, errlen, "%s: no migration from %s to %s on a device that offers %s",
			 m->name, vfio_mig_state_name(cur), vfio_mig_state_name(target),
			 vfio_mig_flags_name(m->flags));
		return -1;
	}
	return vfio_mig_step(m, path, n, err, errlen);
}
