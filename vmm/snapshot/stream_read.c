/* The stream's reader. The input is untrusted (a file, a socket): every
 * length is checked against its cap before anything is allocated or read,
 * every index against the header, and each way the stream can be wrong is
 * one line naming the byte and the record. From an fd it reads in pieces of
 * at most RBUF_SIZE bytes (or straight into a payload buffer, or a ram
 * record's destination in guest RAM, already sized and checked), as the
 * bytes arrive. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "stream.h"

#define RBUF_SIZE (64U << 10)
#define RAM_PIECE (256U << 10)                /* read in place, then summed */
#define HDR_FIXED (SNAPSHOT_MAGIC_LEN + 8)      /* magic, version, shape length */

/* Outcomes of taking bytes from the source. */
enum take_result { TAKE_ALL, TAKE_SHORT, TAKE_ERROR };

static void reader_init(struct snapshot_reader *r)
{
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->state = SNAPSHOT_READ_HEADER;
}

void snapshot_reader_init_fd(struct snapshot_reader *r, int fd)
{
	reader_init(r);
	r->fd = fd;
}

void snapshot_reader_set_live(struct snapshot_reader *r, int idle_ms)
{
	r->live = true;
	r->idle_ms = idle_ms;
}

void snapshot_reader_set_ram_dest(struct snapshot_reader *r, snapshot_ram_dest_fn fn,
				  void *opaque)
{
	r->ram_dest = fn;
	r->ram_dest_opaque = opaque;
}

void snapshot_reader_init_mem(struct snapshot_reader *r, const void *buf, size_t len)
{
	reader_init(r);
	r->mem = buf;
	r->mem_len = len;
}

void snapshot_reader_free(struct snapshot_reader *r)
{
	snapshot_sum_free(&r->sum);
	free(r->rbuf);
	free(r->payload);
	r->rbuf = NULL;
	r->payload = NULL;
	r->payload_cap = 0;
}

/* What a stream that stops short is. */
static const char *cut(const struct snapshot_reader *r)
{
	return r->live ? "the source closed the connection (cancelled or failed there)" :
			 "the snapshot is truncated";
}

static int fail(struct snapshot_reader *r)
{
	r->state = SNAPSHOT_READ_FAILED;
	return -1;
}

/* Until fd is readable, at most ms (0: for ever): 0, -ETIMEDOUT, -errno. */
static int wait_in(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int ret = poll(&pfd, 1, ms ? ms : -1);

	if (ret > 0 || (ret < 0 && errno == EINTR))
		return 0;
	return ret ? -errno : -ETIMEDOUT;
}

/* One read(2) of at most len bytes: how many, 0 at the end, or -errno;
 * -ETIMEDOUT when nothing came for idle_ms (0: no limit). */
static ssize_t read_some(int fd, uint8_t *p, size_t len, int idle_ms)
{
	ssize_t n;
	int ret;

	if (idle_ms && (ret = wait_in(fd, idle_ms)))
		return ret;
	for (;;) {
		n = read(fd, p, len);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		ret = wait_in(fd, idle_ms);
		if (ret)
			return ret;
	}
}

/* read_some(), its time counted in io_ns. */
static ssize_t read_timed(struct snapshot_reader *r, uint8_t *p, size_t len)
{
	uint64_t t0 = snapshot_clock_ns();
	ssize_t n = read_some(r->fd, p, len, r->idle_ms);

	r->io_ns += snapshot_clock_ns() - t0;
	return n;
}

/* Up to n bytes from the fd, through the read buffer, or straight into dst
 * when the buffer is empty and n fills it: how many (fewer only at the end
 * of the stream), or -errno. */
static ssize_t take_fd(struct snapshot_reader *r, uint8_t *dst, size_t n)
{
	size_t got = 0, k;
	ssize_t m;

	if (!r->rbuf) {
		r->rbuf = malloc(RBUF_SIZE);
		if (!r->rbuf)
			return -ENOMEM;
	}
	while (got < n) {
		if (r->rpos == r->rlen && n - got >= RBUF_SIZE) {
			m = read_timed(r, dst + got, n - got);
			if (m <= 0)
				return m < 0 ? m : (ssize_t)got;
			got += (size_t)m;
			continue;
		}
		if (r->rpos == r->rlen) {
			m = read_timed(r, r->rbuf, RBUF_SIZE);
			if (m <= 0)
				return m < 0 ? m : (ssize_t)got;
			r->rpos = 0;
			r->rlen = (size_t)m;
		}
		k = n - got < r->rlen - r->rpos ? n - got : r->rlen - r->rpos;
		snapshot_copy(dst + got, r->rbuf + r->rpos, k);
		r->rpos += k;
		got += k;
	}
	return (ssize_t)got;
}

static size_t take_mem(struct snapshot_reader *r, uint8_t *dst, size_t n)
{
	size_t left = r->mem_len - (size_t)r->offset;
	size_t k = n < left ? n : left;

	if (k)
		memcpy(dst, r->mem + r->offset, k);
	return k;
}

/* n bytes into dst, r->offset moved past what came. */
static enum take_result take(struct snapshot_reader *r, void *dst, size_t n,
			     char *err, size_t errlen)
{
	ssize_t got;

	if (r->fd < 0) {
		got = (ssize_t)take_mem(r, dst, n);
	} else {
		got = take_fd(r, dst, n);
		if (got == -ETIMEDOUT && r->live) {
			snprintf(err, errlen, "nothing came from the source for %d %s (at byte %"
				 PRIu64 "): it hangs or is gone",
				 r->idle_ms % 1000 ? r->idle_ms : r->idle_ms / 1000,
				 r->idle_ms % 1000 ? "ms" : "s", r->offset);
			return TAKE_ERROR;
		}
		if (got < 0) {
			snprintf(err, errlen, "reading the snapshot at byte %" PRIu64 ": %s",
				 r->offset, strerror((int)-got));
			return TAKE_ERROR;
		}
	}
	r->offset += (uint64_t)got;
	return (size_t)got == n ? TAKE_ALL : TAKE_SHORT;
}

static int payload_room(struct snapshot_reader *r, size_t len, char *err, size_t errlen)
{
	uint8_t *p;

	if (len <= r->payload_cap)
		return 0;
	p = realloc(r->payload, len);
	if (!p) {
		snprintf(err, errlen, "reading the snapshot: no memory for %zu bytes", len);
		return -1;
	}
	r->payload = p;
	r->payload_cap = len;
	return 0;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return le16(p) | (uint32_t)le16(p + 2) << 16;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static int header_short(struct snapshot_reader *r, const uint8_t *magic,
			char *err, size_t errlen)
{
	if (r->offset == 0 && r->live)
		snprintf(err, errlen, "the source closed the connection before sending anything");
	else if (r->offset == 0)
		snprintf(err, errlen, "the snapshot is empty");
	else if (r->offset < SNAPSHOT_MAGIC_LEN && memcmp(magic, SNAPSHOT_MAGIC, r->offset))
		snprintf(err, errlen, "not a conduit snapshot");
	else
		snprintf(err, errlen, "%s at byte %" PRIu64
			 ", inside its header", cut(r), r->offset);
	return fail(r);
}

/* The version and the shape's length, checked. */
static int read_fixed(struct snapshot_reader *r, uint32_t *shape_len, char *err, size_t errlen)
{
	uint8_t h[HDR_FIXED];
	uint32_t version;

	switch (take(r, h, SNAPSHOT_MAGIC_LEN, err, errlen)) {
	case TAKE_ERROR:
		return fail(r);
	case TAKE_SHORT:
		return header_short(r, h, err, errlen);
	case TAKE_ALL:
		break;
	}
	if (memcmp(h, SNAPSHOT_MAGIC, SNAPSHOT_MAGIC_LEN)) {
		snprintf(err, errlen, "not a conduit snapshot");
		return fail(r);
	}
	switch (take(r, h + SNAPSHOT_MAGIC_LEN, 8, err, errlen)) {
	case TAKE_ERROR:
		return fail(r);
	case TAKE_SHORT:
		return header_short(r, h, err, errlen);
	case TAKE_ALL:
		break;
	}
	version = le32(h + SNAPSHOT_MAGIC_LEN);
	*shape_len = le32(h + SNAPSHOT_MAGIC_LEN + 4);
	if (version < SNAPSHOT_VERSION_OLDEST || version > SNAPSHOT_VERSION) {
		snprintf(err, errlen, "the snapshot has format version %" PRIu32
			 "; this conduit reads versions %d to %d", version,
			 SNAPSHOT_VERSION_OLDEST, SNAPSHOT_VERSION);
		return fail(r);
	}
	r->version = version;
	if (*shape_len > SNAPSHOT_SHAPE_MAX) {
		snprintf(err, errlen, "the snapshot's header says it has %" PRIu32
			 " bytes, more than the %u conduit takes", *shape_len, SNAPSHOT_SHAPE_MAX);
		return fail(r);
	}
	if (snapshot_sum_init(&r->sum, version)) {
		snprintf(err, errlen, "reading the snapshot: out of memory");
		return fail(r);
	}
	snapshot_sum_update(&r->sum, h, sizeof(h));
	return 0;
}

int snapshot_read_header(struct snapshot_reader *r, char *err, size_t errlen)
{
	struct snap_in in;
	uint32_t len = 0;

	if (r->state != SNAPSHOT_READ_HEADER) {
		snprintf(err, errlen, "the snapshot's header was read already");
		return fail(r);
	}
	if (read_fixed(r, &len, err, errlen) || payload_room(r, len, err, errlen))
		return fail(r);
	switch (take(r, r->payload, len, err, errlen)) {
	case TAKE_ERROR:
		return fail(r);
	case TAKE_SHORT:
		snprintf(err, errlen, "%s at byte %" PRIu64
			 ", inside its header (bytes 0 to %" PRIu32 ")", cut(r), r->offset,
			 HDR_FIXED + len - 1);
		return fail(r);
	case TAKE_ALL:
		break;
	}
	snapshot_sum_update(&r->sum, r->payload, len);
	snap_in_init(&in, r->payload, len, HDR_FIXED);
	if (snapshot_shape_decode(&in, &r->shape, err, errlen))
		return fail(r);
	r->state = SNAPSHOT_READ_RECORDS;
	return 0;
}

/* "record 3 (ram) at byte 120" */
static void where(char *buf, size_t len, const struct snapshot_record *rec)
{
	snprintf(buf, len, "record %u (%s) at byte %" PRIu64, rec->seq,
		 snapshot_rec_name(rec->type), rec->offset);
}

static int check_len(struct snapshot_reader *r, const struct snapshot_record *rec,
		     char *err, size_t errlen)
{
	char w[64];
	size_t min, max;

	snapshot_rec_len_range(rec->type, &min, &max);
	if (rec->len >= min && rec->len <= max)
		return 0;
	where(w, sizeof(w), rec);
	if (min == max)
		snprintf(err, errlen, "%s has %zu bytes; %s records have %zu", w, rec->len,
			 snapshot_rec_name(rec->type), min);
	else
		snprintf(err, errlen, "%s has %zu bytes; %s records have %zu to %zu", w,
			 rec->len, snapshot_rec_name(rec->type), min, max);
	return fail(r);
}

static int check_index(struct snapshot_reader *r, struct snapshot_record *rec,
		       char *err, size_t errlen)
{
	const struct snapshot_shape *s = &r->shape;
	char w[64];

	where(w, sizeof(w), rec);
	switch (snapshot_rec_index_kind(rec->type)) {
	case 'v':
		if (rec->index < s->vcpus)
			return 0;
		snprintf(err, errlen, "%s is for vCPU %u; the snapshot's header has %u vCPU%s",
			 w, rec->index, s->vcpus, s->vcpus == 1 ? "" : "s");
		return fail(r);
	case 'd':
		if (rec->index < s->n_devices) {
			rec->dev = &s->dev[rec->index];
			return 0;
		}
		snprintf(err, errlen, "%s is for device %u; the snapshot's header has %u device%s",
			 w, rec->index, s->n_devices, s->n_devices == 1 ? "" : "s");
		return fail(r);
	default:
		if (rec->index == 0)
			return 0;
		snprintf(err, errlen, "%s has index %u; %s records have index 0", w,
			 rec->index, snapshot_rec_name(rec->type));
		return fail(r);
	}
}

/* The record's header into rec: 0, 1 at a clean end of the stream, -1. */
static int read_rec_hdr(struct snapshot_reader *r, struct snapshot_record *rec,
			uint8_t *h, char *err, size_t errlen)
{
	memset(rec, 0, sizeof(*rec));
	rec->seq = r->records + 1;
	rec->offset = r->offset;
	switch (take(r, h, SNAPSHOT_REC_HDR_LEN, err, errlen)) {
	case TAKE_ERROR:
		return fail(r);
	case TAKE_SHORT:
		if (r->offset != rec->offset)
			snprintf(err, errlen, "%s at byte %" PRIu64
				 ", inside the header of record %u at byte %" PRIu64,
				 cut(r), r->offset, rec->seq, rec->offset);
		else if (r->live && r->records)
			snprintf(err, errlen, "%s at byte %" PRIu64 ", after record %u, before "
				 "the end record", cut(r), r->offset, r->records);
		else if (r->live)
			snprintf(err, errlen, "%s at byte %" PRIu64 ", after the header",
				 cut(r), r->offset);
		else if (r->records)
			snprintf(err, errlen, "the snapshot has no end record: it stops at byte %"
				 PRIu64 ", after record %u", r->offset, r->records);
		else
			snprintf(err, errlen, "the snapshot has no end record: it stops at byte %"
				 PRIu64 ", after its header", r->offset);
		return fail(r);
	case TAKE_ALL:
		break;
	}
	rec->type = le16(h);
	rec->index = le16(h + 2);
	rec->len = le32(h + 4);
	if (!snapshot_rec_name(rec->type)) {
		snprintf(err, errlen, "record %u at byte %" PRIu64 " has an unknown type %u",
			 rec->seq, rec->offset, (unsigned)rec->type);
		return fail(r);
	}
	if (check_len(r, rec, err, errlen) || check_index(r, rec, err, errlen))
		return -1;
	return 0;
}

/* n bytes of the payload of rec (rec_len bytes in all) into dst. */
static int take_payload(struct snapshot_reader *r, const struct snapshot_record *rec,
			size_t rec_len, uint8_t *dst, size_t n, char *err, size_t errlen)
{
	char w[64];

	switch (take(r, dst, n, err, errlen)) {
	case TAKE_ERROR:
		return fail(r);
	case TAKE_SHORT:
		where(w, sizeof(w), rec);
		snprintf(err, errlen, "%s at byte %" PRIu64
			 ", inside %s, which has %zu bytes", cut(r), r->offset, w, rec_len);
		return fail(r);
	case TAKE_ALL:
		break;
	}
	return 0;
}

static int read_payload(struct snapshot_reader *r, struct snapshot_record *rec,
			char *err, size_t errlen)
{
	if (payload_room(r, rec->len, err, errlen) ||
	    take_payload(r, rec, rec->len, r->payload, rec->len, err, errlen))
		return fail(r);
	rec->data = r->payload;
	return 0;
}

/* After the end record, the stream must end too. */
static int check_end(struct snapshot_reader *r, const struct snapshot_record *rec,
		     char *err, size_t errlen)
{
	uint32_t want = le32(rec->data);
	uint64_t end = r->offset;
	uint8_t b;

	if (want != snapshot_sum_value(&r->sum)) {
		snprintf(err, errlen, "the snapshot is corrupted: its end record's checksum is "
			 "0x%08" PRIx32 ", the %" PRIu64 " bytes before it sum to 0x%08" PRIx32,
			 want, rec->offset, snapshot_sum_value(&r->sum));
		return fail(r);
	}
	switch (take(r, &b, 1, err, errlen)) {
	case TAKE_ERROR:
		return fail(r);
	case TAKE_ALL:
		snprintf(err, errlen, "the snapshot goes on after its end record, "
			 "which ends at byte %" PRIu64, end);
		return fail(r);
	case TAKE_SHORT:
		break;
	}
	r->state = SNAPSHOT_READ_DONE;
	return 0;
}

static int check_ram(struct snapshot_reader *r, struct snapshot_record *rec,
		     char *err, size_t errlen)
{
	char w[64];

	rec->gpa = le64(rec->data);
	rec->data += 8;
	rec->len -= 8;
	if (snapshot_shape_has_ram(&r->shape, rec->gpa, rec->len))
		return 0;
	where(w, sizeof(w), rec);
	snprintf(err, errlen, "%s is for 0x%" PRIx64 "-0x%" PRIx64 ", outside the guest's RAM",
		 w, rec->gpa, rec->gpa + (rec->len - 1));
	return fail(r);
}

/* A ram record with a destination set (h: its header, already read): the
 * gpa first, then, when gpa..gpa+len lies in the shape's RAM and the
 * destination has memory there, the bytes straight into that memory, the
 * checksum taken over them where they landed, piece by piece while they are
 * still in the cache. Otherwise the bytes go to the payload buffer, as any
 * record's, and the errors are the same, in the same order, as without a
 * destination. */
static int read_ram_in_place(struct snapshot_reader *r, struct snapshot_record *rec,
			     const uint8_t *h, char *err, size_t errlen)
{
	size_t len = rec->len - 8, off, n;
	uint8_t *dst = NULL;
	uint8_t g[8];

	if (take_payload(r, rec, rec->len, g, sizeof(g), err, errlen))
		return -1;
	if (snapshot_shape_has_ram(&r->shape, le64(g), len))
		dst = r->ram_dest(r->ram_dest_opaque, le64(g), len);
	if (!dst) {
		if (payload_room(r, rec->len, err, errlen))
			return fail(r);
		memcpy(r->payload, g, sizeof(g));
		if (take_payload(r, rec, rec->len, r->payload + 8, len, err, errlen))
			return -1;
		rec->data = r->payload;
		return 0;
	}
	snapshot_sum_update(&r->sum, h, SNAPSHOT_REC_HDR_LEN);
	snapshot_sum_update(&r->sum, g, sizeof(g));
	for (off = 0; off < len; off += n) {
		n = len - off < RAM_PIECE ? len - off : RAM_PIECE;
		if (take_payload(r, rec, rec->len, dst + off, n, err, errlen))
			return -1;
		snapshot_sum_update(&r->sum, dst + off, n);
	}
	r->records++;
	rec->gpa = le64(g);
	rec->data = dst;
	rec->len = len;
	return 1;
}

static int not_reading(struct snapshot_reader *r, char *err, size_t errlen)
{
	if (r->state == SNAPSHOT_READ_DONE)
		return 0;
	if (r->state == SNAPSHOT_READ_HEADER)
		snprintf(err, errlen, "the snapshot's header is not read yet");
	else
		snprintf(err, errlen, "the snapshot stopped at an earlier error");
	return fail(r);
}

int snapshot_read_record(struct snapshot_reader *r, struct snapshot_record *rec,
			 char *err, size_t errlen)
{
	uint8_t h[SNAPSHOT_REC_HDR_LEN];
	int ret;

	if (r->state != SNAPSHOT_READ_RECORDS)
		return not_reading(r, err, errlen);
	if (read_rec_hdr(r, rec, h, err, errlen))
		return -1;
	if (rec->type == SNAPSHOT_REC_RAM && r->ram_dest) {
		ret = read_ram_in_place(r, rec, h, err, errlen);
		if (ret)
			return ret;
	} else if (read_payload(r, rec, err, errlen)) {
		return -1;
	}
	if (rec->type == SNAPSHOT_REC_END)
		return check_end(r, rec, err, errlen);
	snapshot_sum_update(&r->sum, h, sizeof(h));
	snapshot_sum_update(&r->sum, rec->data, rec->len);
	r->records++;
	if (rec->type == SNAPSHOT_REC_RAM && check_ram(r, rec, err, errlen))
		return -1;
	return 1;
}

int snapshot_load(struct snapshot_reader *r, const struct snapshot_shape *expected,
		  snapshot_record_fn fn, void *opaque, char *err, size_t errlen)
{
	struct snapshot_record rec;
	char w[64];
	int ret;

	if (snapshot_read_header(r, err, errlen))
		return -1;
	if (snapshot_shape_check(expected, &r->shape, err, errlen))
		return fail(r);
	while ((ret = snapshot_read_record(r, &rec, err, errlen)) == 1) {
		if (!fn)
			continue;
		if (errlen)
			err[0] = '\0';
		if (fn(opaque, &rec, err, errlen)) {
			if (!err[0]) {
				where(w, sizeof(w), &rec);
				snprintf(err, errlen, "%s was refused", w);
			}
			return fail(r);
		}
	}
	return ret;
}
