/* A migration v2 data transfer session: reading a PRE_COPY or STOP_COPY
 * data fd into a sink chunk by chunk (ENOMSG in PRE_COPY: no more data for
 * now; end of file: all of it), writing the stream into a RESUMING data
 * fd however short the writes, and the two size estimates: PRE_COPY's
 * VFIO_MIG_GET_PRECOPY_INFO and the device's MIG_DATA_SIZE. Used by a
 * snapshot's save and restore (vfio/pci_migrate.c). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "helpers.h"
#include "migration.h"

static bool pre_copy(uint32_t state)
{
	return state == VFIO_DEVICE_STATE_PRE_COPY || state == VFIO_DEVICE_STATE_PRE_COPY_P2P;
}

/* EAGAIN: wait until the fd is ready for events. 0, or -1 with err. */
static int wait_fd(const struct vfio_mig *m, short events, char *err, size_t errlen)
{
	struct pollfd p = { .fd = m->data_fd, .events = events };
	int n;

	do
		n = poll(&p, 1, VFIO_MIG_POLL_MS);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		return 0;
	if (n == 0)
		snprintf(err, errlen, "%s: migration data fd not ready for %d s", m->name,
			 VFIO_MIG_POLL_MS / 1000);
	else
		snprintf(err, errlen, "%s: poll on the migration data fd: %s", m->name,
			 strerror(errno));
	return -1;
}

/* How much the next read may ask for: a chunk, less when the budget or
 * the cap end first (one byte past the cap, so passing it is seen). */
static size_t next_len(const struct vfio_mig *m, uint64_t budget, uint64_t done)
{
	uint64_t len = VFIO_MIG_CHUNK;

	if (budget && budget - done < len)
		len = budget - done;
	if (m->data_cap && m->data_cap - m->data_bytes + 1 < len)
		len = m->data_cap - m->data_bytes + 1;
	return (size_t)len;
}

/* One read(): bytes read, 0 at the end, -ENOMSG in PRE_COPY, -1 with err. */
static ssize_t read_once(struct vfio_mig *m, void *buf, size_t len, char *err, size_t errlen)
{
	for (;;) {
		ssize_t n = read(m->data_fd, buf, len);

		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			if (wait_fd(m, POLLIN, err, errlen))
				return -1;
			continue;
		}
		if (errno == ENOMSG && pre_copy(m->state))
			return -ENOMSG;
		snprintf(err, errlen, "%s: reading the migration data in %s after %llu bytes: %s",
			 m->name, vfio_mig_state_name(m->state),
			 (unsigned long long)m->data_bytes, strerror(errno));
		return -1;
	}
}

static int read_loop(struct vfio_mig *m, uint8_t *buf, uint64_t budget, vfio_mig_sink sink,
		     void *opaque, enum vfio_mig_read_end *end, char *err, size_t errlen)
{
	uint64_t done = 0;

	for (;;) {
		ssize_t n;

		if (budget && done == budget) {
			*end = VFIO_MIG_READ_BUDGET;
			return 0;
		}
		n = read_once(m, buf, next_len(m, budget, done), err, errlen);
		if (n == -ENOMSG || n == 0) {
			*end = n ? VFIO_MIG_READ_FOR_NOW : VFIO_MIG_READ_END;
			return 0;
		}
		if (n < 0)
			return -1;
		if (m->data_cap && m->data_bytes + (uint64_t)n > m->data_cap) {
			snprintf(err, errlen, "%s: the device's migration data passes %llu bytes, more than its MIG_DATA_SIZE estimate allows",
				 m->name, (unsigned long long)m->data_cap);
			return -1;
		}
		m->data_bytes += (uint64_t)n;
		done += (uint64_t)n;
		if (sink(opaque, buf, (size_t)n, err, errlen))
			return -1;
	}
}

int vfio_mig_read(struct vfio_mig *m, uint64_t budget, vfio_mig_sink sink, void *opaque,
		  enum vfio_mig_read_end *end, char *err, size_t errlen)
{
	uint8_t *buf;
	int ret;

	if (m->data_fd < 0 || !vfio_mig_state_saving(m->state)) {
		snprintf(err, errlen, "%s: no migration data to read in %s", m->name,
			 vfio_mig_state_name(m->state));
		return -1;
	}
	buf = malloc(VFIO_MIG_CHUNK);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", m->name);
		return -1;
	}
	ret = read_loop(m, buf, budget, sink, opaque, end, err, errlen);
	free(buf);
	return ret;
}

int vfio_mig_write(struct vfio_mig *m, const void *buf, size_t len, char *err, size_t errlen)
{
	const uint8_t *p = buf;

	if (m->data_fd < 0 || m->state != VFIO_DEVICE_STATE_RESUMING) {
		snprintf(err, errlen, "%s: no migration data to write in %s", m->name,
			 vfio_mig_state_name(m->state));
		return -1;
	}
	while (len) {
		ssize_t n = write(m->data_fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (wait_fd(m, POLLOUT, err, errlen))
				return -1;
			continue;
		}
		if (n <= 0) {
			snprintf(err, errlen, "%s: writing the migration data after %llu bytes: %s",
				 m->name, (unsigned long long)m->data_bytes,
				 n ? strerror(errno) : "the device takes no more");
			return -1;
		}
		m->data_bytes += (uint64_t)n;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int vfio_mig_precopy_info(struct vfio_mig *m, uint64_t *initial, uint64_t *dirty,
			  char *err, size_t errlen)
{
	struct vfio_precopy_info info = { .argsz = sizeof(info) };

	if (m->data_fd < 0 || !pre_copy(m->state)) {
		snprintf(err, errlen, "%s: VFIO_MIG_GET_PRECOPY_INFO: not in PRE_COPY (%s)",
			 m->name, vfio_mig_state_name(m->state));
		return -1;
	}
	if (ioctl(m->data_fd, VFIO_MIG_GET_PRECOPY_INFO, &info) < 0) {
		snprintf(err, errlen, "%s: VFIO_MIG_GET_PRECOPY_INFO: %s", m->name,
			 strerror(errno));
		return -1;
	}
	*initial = info.initial_bytes;
	*dirty = info.dirty_bytes;
	return 0;
}

int vfio_mig_data_size(struct vfio_mig *m, uint64_t *stop_copy_length,
		       char *err, size_t errlen)
{
	struct vfio_device_feature_mig_data_size size = { 0 };
	int ret;

	ret = vfio_device_feature(m->fd, VFIO_DEVICE_FEATURE_GET |
				  VFIO_DEVICE_FEATURE_MIG_DATA_SIZE, &size, sizeof(size));
	if (ret) {
		snprintf(err, errlen, "%s: VFIO_DEVICE_FEATURE_MIG_DATA_SIZE: %s", m->name,
			 strerror(-ret));
		return -1;
	}
	*stop_copy_length = size.stop_copy_length;
	return 0;
}

uint64_t vfio_mig_data_cap(uint64_t stop_copy_length)
{
	const uint64_t margin = 16ULL << 20;

	if (stop_copy_length > (UINT64_MAX - margin) / 2)
		return UINT64_MAX;
	return 2 * stop_copy_length + margin;
}
