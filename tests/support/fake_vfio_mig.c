/* The fake vfio device's migration v2 side (see fake_vfio_mig.h). */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/vfio.h>
#include "fake_vfio_mig.h"

#define NR     8
#define ERR    VFIO_DEVICE_STATE_ERROR
#define STOP   VFIO_DEVICE_STATE_STOP
#define RUN    VFIO_DEVICE_STATE_RUNNING
#define SC     VFIO_DEVICE_STATE_STOP_COPY
#define RES    VFIO_DEVICE_STATE_RESUMING
#define RP2P   VFIO_DEVICE_STATE_RUNNING_P2P
#define PRE    VFIO_DEVICE_STATE_PRE_COPY
#define PP2P   VFIO_DEVICE_STATE_PRE_COPY_P2P

/* hop[cur][target]: the next state for a device with every flag, by the
 * uAPI's rules (shortest walk, no saving state inside it). Columns in
 * enum order: ERROR, STOP, RUNNING, STOP_COPY, RESUMING, RUNNING_P2P,
 * PRE_COPY, PRE_COPY_P2P. */
static const uint8_t hop[NR][NR] = {
	[ERR]  = { ERR, ERR,  ERR,  ERR,  ERR,  ERR,  ERR,  ERR },
	[STOP] = { ERR, STOP, RP2P, SC,   RES,  RP2P, RP2P, RP2P },
	[RUN]  = { ERR, RP2P, RUN,  RP2P, RP2P, RP2P, PRE,  RP2P },
	[SC]   = { ERR, STOP, STOP, SC,   STOP, STOP, ERR,  ERR },
	[RES]  = { ERR, STOP, STOP, STOP, RES,  STOP, STOP, STOP },
	[RP2P] = { ERR, STOP, RUN,  STOP, STOP, RP2P, RUN,  PP2P },
	[PRE]  = { ERR, RUN,  RUN,  PP2P, RUN,  RUN,  PRE,  PP2P },
	[PP2P] = { ERR, RP2P, RP2P, SC,   RP2P, RP2P, PRE,  PP2P },
};

/* What each state needs of the VFIO_MIGRATION_* flags. */
static uint32_t needs(uint32_t state)
{
	switch (state) {
	case RP2P:
		return VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P;
	case PRE:
		return VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_PRE_COPY;
	case PP2P:
		return VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P | VFIO_MIGRATION_PRE_COPY;
	default:
		return VFIO_MIGRATION_STOP_COPY;
	}
}

static bool has(uint32_t flags, uint32_t state)
{
	return state < NR && state != ERR && (flags & needs(state)) == needs(state);
}

uint32_t fake_vfio_mig_next(uint32_t flags, uint32_t cur, uint32_t target)
{
	uint32_t next;

	if (!has(flags, cur) || !has(flags, target))
		return ERR;
	next = hop[cur][target];
	while (next != ERR && !has(flags, next))
		next = hop[next][target];
	return next;
}

bool fake_vfio_mig_arc(uint32_t flags, uint32_t cur, uint32_t next)
{
	uint32_t t;

	if (cur == next || next == ERR)
		return false;
	for (t = 0; t < NR; t++)
		if (fake_vfio_mig_next(flags, cur, t) == next)
			return true;
	return false;
}

/* ---- the device ---- */

void fake_vfio_mig_reset(struct fake_vfio_mig *m)
{
	memset(m, 0, sizeof(*m));
	m->state = RUN;
	m->data_fd = -1;
}

static void end_session(struct fake_vfio_mig *m)
{
	m->data_fd = -1;        /* the caller owns the fd and closes it */
}

int fake_vfio_mig_device_reset(struct fake_vfio_mig *m)
{
	if (m->reset_errno) {
		errno = m->reset_errno;
		return -1;
	}
	end_session(m);
	m->state = RUN;
	return 0;
}

static bool saving(uint32_t s)
{
	return s == PRE || s == PP2P || s == SC;
}

/* The arc cur -> next opens a session: into the saving states from
 * outside them, or into RESUMING. */
static bool opens_session(uint32_t cur, uint32_t next)
{
	return (saving(next) && !saving(cur)) || next == RES;
}

static int new_session(struct fake_vfio_mig *m, uint32_t next)
{
	int fd = memfd_create("fake-vfio-mig", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	m->data_fd = fd;
	m->pos = 0;
	m->resumed_len = 0;
	m->limit = next == SC ? m->stop_copy_bytes :
		   next == RES ? 0 : m->initial_bytes + m->dirty_bytes;
	return fd;
}

static void log_arc(struct fake_vfio_mig *m, uint32_t cur, uint32_t next)
{
	if (m->n_arcs < FAKE_MIG_LOG) {
		m->arc[m->n_arcs][0] = cur;
		m->arc[m->n_arcs][1] = next;
	}
	m->n_arcs++;
}

static int set_state(struct fake_vfio_mig *m, struct vfio_device_feature_mig_state *st)
{
	uint32_t cur = m->state, next = st->device_state;

	m->sets++;
	st->data_fd = -1;
	if (cur == next)
		return 0;
	if (cur == SC && (next == PRE || next == PP2P))
		m->forbidden++;
	if (!fake_vfio_mig_arc(m->flags, cur, next)) {
		m->refused++;
		errno = EINVAL;
		return -1;
	}
	if (m->fail_arc && cur == m->fail_from && next == m->fail_to) {
		if (m->fail_to_error) {
			end_session(m);
			m->state = ERR;
		}
		errno = m->fail_errno ? m->fail_errno : EIO;
		return -1;
	}
	log_arc(m, cur, next);
	if (opens_session(cur, next))
		st->data_fd = new_session(m, next);
	else if (next == SC)
		m->limit += m->stop_copy_bytes;         /* PRE_COPY's session goes on */
	else if (!saving(next) && next != RES)
		end_session(m);
	m->state = next;
	return 0;
}

static int migration(struct fake_vfio_mig *m, struct vfio_device_feature *f)
{
	struct vfio_device_feature_migration mig = { .flags = m->flags };

	if (f->flags & VFIO_DEVICE_FEATURE_SET) {
		errno = EINVAL;
		return -1;
	}
	if (!(f->flags & VFIO_DEVICE_FEATURE_PROBE))
		memcpy(f->data, &mig, sizeof(mig));
	return 0;
}

static int device_state(struct fake_vfio_mig *m, struct vfio_device_feature *f)
{
	struct vfio_device_feature_mig_state st;

	if (f->flags & VFIO_DEVICE_FEATURE_PROBE)
		return 0;
	memcpy(&st, f->data, sizeof(st));
	if (f->flags & VFIO_DEVICE_FEATURE_GET) {
		m->gets++;
		st.device_state = m->state;
		st.data_fd = -1;
		memcpy(f->data, &st, sizeof(st));
		return 0;
	}
	if (set_state(m, &st) < 0)
		return -1;
	memcpy(f->data, &st, sizeof(st));
	return 0;
}

static int data_size(struct fake_vfio_mig *m, struct vfio_device_feature *f)
{
	struct vfio_device_feature_mig_data_size size = { .stop_copy_length = m->data_size };

	if (f->flags & VFIO_DEVICE_FEATURE_SET) {
		errno = EINVAL;
		return -1;
	}
	if (!(f->flags & VFIO_DEVICE_FEATURE_PROBE))
		memcpy(f->data, &size, sizeof(size));
	return 0;
}

static bool pow2_page(uint64_t size)
{
	return size >= 4096 && !(size & (size - 1));
}

static int log_start(struct fake_vfio_mig *m, const struct vfio_device_feature_dma_logging_control *c,
		     void (*misuse)(const char *))
{
	const struct vfio_device_feature_dma_logging_range *r =
		(const void *)(uintptr_t)c->ranges;
	uint32_t i;

	if (m->logging) {
		errno = EBUSY;          /* one START, then a STOP */
		return -1;
	}
	if (!c->num_ranges || c->num_ranges > 256 || !pow2_page(c->page_size)) {
		if (misuse)
			misuse("DMA_LOGGING_START: malformed ranges or page size");
		errno = c->num_ranges > 256 ? E2BIG : EINVAL;
		return -1;
	}
	for (i = 0; i < c->num_ranges; i++) {
		if ((r[i].iova | r[i].length) & (c->page_size - 1)) {
			errno = EINVAL;
			return -1;
		}
		if (i < FAKE_MIG_RANGES) {
			m->log_range[i].iova = r[i].iova;
			m->log_range[i].length = r[i].length;
		}
	}
	m->n_log_ranges = c->num_ranges;
	m->log_starts++;
	m->logging = true;
	return 0;
}

/* REPORT: set the bits of the logged IOVAs in range and forget them. */
static int log_report(struct fake_vfio_mig *m, const struct vfio_device_feature_dma_logging_report *r)
{
	uint64_t *bits = (uint64_t *)(uintptr_t)r->bitmap;
	unsigned i, kept = 0;

	if (!m->logging || !pow2_page(r->page_size)) {
		errno = EINVAL;
		return -1;
	}
	m->reports++;
	for (i = 0; i < m->n_dma_dirty; i++) {
		uint64_t a = m->dma_dirty[i], page;

		if (a < r->iova || a - r->iova >= r->length) {
			m->dma_dirty[kept++] = a;
			continue;
		}
		page = (a - r->iova) / r->page_size;
		bits[page / 64] |= 1ULL << (page % 64);
	}
	m->n_dma_dirty = kept;
	return 0;
}

static int dma_logging(struct fake_vfio_mig *m, struct vfio_device_feature *f,
		       void (*misuse)(const char *))
{
	uint32_t index = f->flags & VFIO_DEVICE_FEATURE_MASK;
	bool get = f->flags & VFIO_DEVICE_FEATURE_GET;
	struct vfio_device_feature_dma_logging_control c;
	struct vfio_device_feature_dma_logging_report r;

	if (!m->dma_logging) {
		errno = ENOTTY;
		return -1;
	}
	if ((index == VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT) != get) {
		errno = EINVAL;         /* REPORT is GET only, the others SET */
		return -1;
	}
	if (f->flags & VFIO_DEVICE_FEATURE_PROBE)
		return 0;
	switch (index) {
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_START:
		memcpy(&c, f->data, sizeof(c));
		if (log_start(m, &c, misuse))
			return -1;
		if (m->dma_page_size)
			c.page_size = m->dma_page_size;
		memcpy(f->data, &c, sizeof(c));
		return 0;
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP:
		m->logging = false;
		return 0;
	default:
		memcpy(&r, f->data, sizeof(r));
		return log_report(m, &r);
	}
}

/* How much payload each feature carries. */
static size_t payload(uint32_t index)
{
	switch (index) {
	case VFIO_DEVICE_FEATURE_MIGRATION:
		return sizeof(struct vfio_device_feature_migration);
	case VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE:
		return sizeof(struct vfio_device_feature_mig_state);
	case VFIO_DEVICE_FEATURE_MIG_DATA_SIZE:
		return sizeof(struct vfio_device_feature_mig_data_size);
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_START:
		return sizeof(struct vfio_device_feature_dma_logging_control);
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT:
		return sizeof(struct vfio_device_feature_dma_logging_report);
	default:
		return 0;
	}
}

int fake_vfio_mig_feature(struct fake_vfio_mig *m, void *arg, void (*misuse)(const char *))
{
	struct vfio_device_feature *f = arg;
	uint32_t index = f->flags & VFIO_DEVICE_FEATURE_MASK;
	uint32_t how = f->flags & ~VFIO_DEVICE_FEATURE_MASK;
	const uint32_t get_set = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET;

	if (how & ~(get_set | VFIO_DEVICE_FEATURE_PROBE) || f->argsz < sizeof(*f) ||
	    (!(how & VFIO_DEVICE_FEATURE_PROBE) && (how & get_set) == get_set) ||
	    (!(how & VFIO_DEVICE_FEATURE_PROBE) && !(how & get_set)) ||
	    (!(how & VFIO_DEVICE_FEATURE_PROBE) && f->argsz < sizeof(*f) + payload(index))) {
		if (misuse)
			misuse("VFIO_DEVICE_FEATURE: malformed argument");
		errno = EINVAL;
		return -1;
	}
	if (!m->flags && index != VFIO_DEVICE_FEATURE_DMA_LOGGING_START &&
	    index != VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP &&
	    index != VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT) {
		errno = ENOTTY;         /* vfio-pci without migration */
		return -1;
	}
	if (index >= VFIO_DEVICE_FEATURE_DMA_LOGGING_START &&
	    index <= VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT)
		return dma_logging(m, f, misuse);
	switch (index) {
	case VFIO_DEVICE_FEATURE_MIGRATION:
		return migration(m, f);
	case VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE:
		return device_state(m, f);
	case VFIO_DEVICE_FEATURE_MIG_DATA_SIZE:
		return data_size(m, f);
	}
	errno = ENOTTY;
	return -1;
}

/* ---- the data fd ---- */

uint8_t fake_vfio_mig_byte(uint64_t pos)
{
	return (uint8_t)(pos * 131 + (pos >> 8) + 7);
}

bool fake_vfio_mig_owns(const struct fake_vfio_mig *m, int fd)
{
	return m->data_fd >= 0 && fd == m->data_fd;
}

/* EINTR or EAGAIN on every Nth call, as configured: 0 or -1. */
static int interrupted(struct fake_vfio_mig *m)
{
	m->io_calls++;
	if (m->eintr_every && m->io_calls % m->eintr_every == 0) {
		errno = EINTR;
		return -1;
	}
	if (m->eagain_every && m->io_calls % m->eagain_every == 0) {
		errno = EAGAIN;
		return -1;
	}
	return 0;
}

static size_t io_len(const struct fake_vfio_mig *m, size_t len)
{
	return m->max_io && len > m->max_io ? m->max_io : len;
}

long fake_vfio_mig_read(struct fake_vfio_mig *m, void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t i, n;

	if (!saving(m->state)) {
		errno = EBADF;          /* RESUMING's fd is write-only */
		return -1;
	}
	if (interrupted(m))
		return -1;
	if (m->pos == m->limit) {
		if (m->state == SC)
			return 0;
		errno = ENOMSG;
		return -1;
	}
	n = io_len(m, len);
	if (n > m->limit - m->pos)
		n = (size_t)(m->limit - m->pos);
	for (i = 0; i < n; i++)
		p[i] = fake_vfio_mig_byte(m->pos + i);
	m->pos += n;
	return (long)n;
}

long fake_vfio_mig_write(struct fake_vfio_mig *m, const void *buf, size_t len)
{
	size_t n, keep;

	if (m->state != RES) {
		errno = EBADF;          /* a saving fd is read-only */
		return -1;
	}
	if (interrupted(m))
		return -1;
	n = io_len(m, len);
	keep = m->resumed_len < FAKE_MIG_RESUME_MAX ?
	       FAKE_MIG_RESUME_MAX - (size_t)m->resumed_len : 0;
	if (keep)
		memcpy(m->resumed + m->resumed_len, buf, n < keep ? n : keep);
	m->resumed_len += n;
	return (long)n;
}

int fake_vfio_mig_data_ioctl(struct fake_vfio_mig *m, unsigned long req, void *arg)
{
	struct vfio_precopy_info *info = arg;
	uint64_t initial = m->initial_bytes, all = m->initial_bytes + m->dirty_bytes;

	if (req != VFIO_MIG_GET_PRECOPY_INFO) {
		errno = ENOTTY;
		return -1;
	}
	if (!arg || info->argsz < sizeof(*info) || (m->state != PRE && m->state != PP2P)) {
		errno = EINVAL;
		return -1;
	}
	m->precopy_infos++;
	info->flags = 0;
	info->initial_bytes = m->pos < initial ? initial - m->pos : 0;
	info->dirty_bytes = all - (m->pos > initial ? m->pos : initial);
	return 0;
}
