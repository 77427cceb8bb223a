/* The stream's writer: header and records into a buffer that goes out to
 * the fd when it fills, large payloads straight from the caller's memory,
 * the checksum kept over every byte on the way (a running guest's RAM copied
 * into the buffer first and summed there). A record is checked against
 * the same rules the reader applies before any of it is written. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "stream.h"

#define WBUF_SIZE (1U << 20)
#define SUM_PIECE (64U << 10)        /* copied, then summed while in the cache */

/* How much of len may go now: all of it, or what the pace allows. */
static ssize_t paced(struct snapshot_writer *w, size_t len)
{
	return w->pace ? w->pace(w->pace_opaque, len) : (ssize_t)len;
}

static int write_all(struct snapshot_writer *w, const uint8_t *p, size_t len)
{
	struct pollfd pfd = { .fd = w->fd, .events = POLLOUT };
	size_t allowed = 0;
	ssize_t n;

	while (len) {
		if (!allowed) {
			n = paced(w, len);
			if (n <= 0)
				return n < 0 ? (int)n : -EIO;
			allowed = (size_t)n < len ? (size_t)n : len;
		}
		n = write(w->fd, p, allowed);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
				return -errno;
			continue;
		}
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
		allowed -= (size_t)n;
	}
	return 0;
}

/* write_all(), its time counted in io_ns. */
static int write_timed(struct snapshot_writer *w, const uint8_t *p, size_t len)
{
	uint64_t t0 = snapshot_clock_ns();
	int ret = write_all(w, p, len);

	w->io_ns += snapshot_clock_ns() - t0;
	return ret;
}

static int flush(struct snapshot_writer *w)
{
	int ret;

	if (w->err)
		return w->err;
	ret = write_timed(w, w->buf, w->len);
	w->len = 0;
	if (ret)
		w->err = ret;
	return ret;
}

/* Bytes of the stream, into the checksum and out through the buffer. */
static int emit(struct snapshot_writer *w, const void *p, size_t len)
{
	int ret;

	if (w->err || !len)
		return w->err;
	snapshot_sum_update(&w->sum, p, len);
	w->offset += len;
	if (w->len + len <= WBUF_SIZE) {
		snapshot_copy(w->buf + w->len, p, len);
		w->len += len;
		return 0;
	}
	ret = flush(w);
	if (ret)
		return ret;
	if (len < WBUF_SIZE) {
		snapshot_copy(w->buf, p, len);
		w->len = len;
		return 0;
	}
	ret = write_timed(w, p, len);
	if (ret)
		w->err = ret;
	return ret;
}

/* Bytes of memory that may change meanwhile (a running guest's RAM) into
 * the stream: copied into the buffer first and the checksum taken over the copy,
 * so the checksum covers exactly the bytes that go out. */
static int emit_copy(struct snapshot_writer *w, const uint8_t *p, size_t len)
{
	size_t n;

	while (len && !w->err) {
		if (w->len == WBUF_SIZE && flush(w))
			break;
		n = WBUF_SIZE - w->len < len ? WBUF_SIZE - w->len : len;
		n = n < SUM_PIECE ? n : SUM_PIECE;
		snapshot_copy(w->buf + w->len, p, n);
		snapshot_sum_update(&w->sum, w->buf + w->len, n);
		w->len += n;
		w->offset += n;
		p += n;
		len -= n;
	}
	return w->err;
}

static void le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *p, uint32_t v)
{
	le16(p, (uint16_t)v);
	le16(p + 2, (uint16_t)(v >> 16));
}

static void le64(uint8_t *p, uint64_t v)
{
	le32(p, (uint32_t)v);
	le32(p + 4, (uint32_t)(v >> 32));
}

static int emit_rec_hdr(struct snapshot_writer *w, unsigned type, unsigned index, size_t len)
{
	uint8_t hdr[SNAPSHOT_REC_HDR_LEN];

	le16(hdr, (uint16_t)type);
	le16(hdr + 2, (uint16_t)index);
	le32(hdr + 4, (uint32_t)len);
	w->records++;
	return emit(w, hdr, sizeof(hdr));
}

int snapshot_writer_open(struct snapshot_writer *w, int fd, const struct snapshot_shape *shape)
{
	struct snap_out o;
	uint8_t v[8];
	int ret;

	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->shape = shape;
	w->buf = malloc(WBUF_SIZE);
	if (!w->buf || snapshot_sum_init(&w->sum, SNAPSHOT_VERSION))
		return w->err = -ENOMEM;
	snap_out_init(&o);
	snapshot_shape_encode(shape, &o);
	ret = snap_out_error(&o);
	if (!ret && o.len > SNAPSHOT_SHAPE_MAX)
		ret = -EMSGSIZE;
	if (ret) {
		snap_out_free(&o);
		return w->err = ret;
	}
	le32(v, SNAPSHOT_VERSION);
	le32(v + 4, (uint32_t)o.len);
	emit(w, SNAPSHOT_MAGIC, SNAPSHOT_MAGIC_LEN);
	emit(w, v, sizeof(v));
	ret = emit(w, o.buf, o.len);
	snap_out_free(&o);
	return ret;
}

void snapshot_writer_set_pace(struct snapshot_writer *w, snapshot_pace_fn pace, void *opaque)
{
	w->pace = pace;
	w->pace_opaque = opaque;
}

static int check_index(const struct snapshot_writer *w, unsigned type, unsigned index)
{
	switch (snapshot_rec_index_kind(type)) {
	case 'v':
		return index < w->shape->vcpus ? 0 : -EINVAL;
	case 'd':
		return index < w->shape->n_devices ? 0 : -EINVAL;
	default:
		return index == 0 ? 0 : -EINVAL;
	}
}

static int check_len(unsigned type, size_t len)
{
	size_t min, max;

	snapshot_rec_len_range(type, &min, &max);
	if (len > max)
		return -EMSGSIZE;
	return len < min ? -EINVAL : 0;
}

int snapshot_write_record(struct snapshot_writer *w, enum snapshot_rec_type type,
			  unsigned index, const void *data, size_t len)
{
	int ret;

	if (w->err)
		return w->err;
	if (w->ended || type == SNAPSHOT_REC_RAM || type == SNAPSHOT_REC_END ||
	    !snapshot_rec_name(type))
		return w->err = -EINVAL;
	ret = check_index(w, type, index);
	if (!ret)
		ret = check_len(type, len);
	if (ret)
		return w->err = ret;
	emit_rec_hdr(w, type, index, len);
	return emit(w, data, len);
}

static int write_ram(struct snapshot_writer *w, uint64_t gpa, const void *data, size_t len,
		     bool copy)
{
	const uint8_t *p = data;
	uint8_t g[8];
	size_t n;

	if (w->err)
		return w->err;
	if (w->ended || !snapshot_shape_has_ram(w->shape, gpa, len))
		return w->err = -EINVAL;
	while (len) {
		n = len < SNAPSHOT_RAM_CHUNK_MAX ? len : SNAPSHOT_RAM_CHUNK_MAX;
		le64(g, gpa);
		emit_rec_hdr(w, SNAPSHOT_REC_RAM, 0, 8 + n);
		emit(w, g, sizeof(g));
		if (copy ? emit_copy(w, p, n) : emit(w, p, n))
			return w->err;
		gpa += n;
		p += n;
		len -= n;
	}
	return 0;
}

int snapshot_write_ram(struct snapshot_writer *w, uint64_t gpa, const void *data, size_t len)
{
	return write_ram(w, gpa, data, len, false);
}

int snapshot_write_ram_copy(struct snapshot_writer *w, uint64_t gpa, const void *data,
			    size_t len)
{
	return write_ram(w, gpa, data, len, true);
}

int snapshot_write_end(struct snapshot_writer *w)
{
	uint8_t c[4];

	if (w->err)
		return w->err;
	if (w->ended)
		return w->err = -EINVAL;
	le32(c, snapshot_sum_value(&w->sum));
	emit_rec_hdr(w, SNAPSHOT_REC_END, 0, sizeof(c));
	emit(w, c, sizeof(c));
	w->ended = true;
	return flush(w);
}

void snapshot_writer_free(struct snapshot_writer *w)
{
	snapshot_sum_free(&w->sum);
	free(w->buf);
	w->buf = NULL;
	w->len = 0;
}
