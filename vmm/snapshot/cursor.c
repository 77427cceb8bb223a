/* The serialisation cursor: puts into a growing buffer, bounded gets from a
 * span, each side with its sticky error. Integers are written byte by byte,
 * little-endian, whatever the host. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cursor.h"

#define OUT_MIN_CAP 256

void snap_out_init(struct snap_out *o)
{
	memset(o, 0, sizeof(*o));
}

void snap_out_free(struct snap_out *o)
{
	free(o->buf);
	snap_out_init(o);
}

void snap_out_reset(struct snap_out *o)
{
	o->len = 0;
	o->err = 0;
}

int snap_out_error(const struct snap_out *o)
{
	return o->err;
}

/* Room for more bytes; false (and the sticky error) when there is none. */
static bool reserve(struct snap_out *o, size_t more)
{
	size_t cap = o->cap ? o->cap : OUT_MIN_CAP;
	uint8_t *buf;

	if (o->err)
		return false;
	if (more > SIZE_MAX - o->len)
		goto nomem;
	while (cap < o->len + more) {
		if (cap > SIZE_MAX / 2)
			goto nomem;
		cap *= 2;
	}
	if (cap == o->cap)
		return true;
	buf = realloc(o->buf, cap);
	if (!buf)
		goto nomem;
	o->buf = buf;
	o->cap = cap;
	return true;
nomem:
	o->err = -ENOMEM;
	return false;
}

static void put_le(struct snap_out *o, uint64_t v, unsigned bytes)
{
	unsigned i;

	if (!reserve(o, bytes))
		return;
	for (i = 0; i < bytes; i++)
		o->buf[o->len++] = (uint8_t)(v >> (8 * i));
}

void snap_put_u8(struct snap_out *o, uint8_t v)
{
	put_le(o, v, 1);
}

void snap_put_u16(struct snap_out *o, uint16_t v)
{
	put_le(o, v, 2);
}

void snap_put_u32(struct snap_out *o, uint32_t v)
{
	put_le(o, v, 4);
}

void snap_put_u64(struct snap_out *o, uint64_t v)
{
	put_le(o, v, 8);
}

void snap_put_bytes(struct snap_out *o, const void *p, size_t n)
{
	if (!reserve(o, n) || !n)
		return;
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

static bool char_ok(uint8_t c)
{
	return c >= 0x20 && c <= 0x7e;
}

bool snap_str_ok(const char *s)
{
	size_t n;

	for (n = 0; s[n]; n++)
		if (n >= SNAP_STR_MAX || !char_ok((uint8_t)s[n]))
			return false;
	return true;
}

void snap_put_str(struct snap_out *o, const char *s)
{
	if (o->err)
		return;
	if (!snap_str_ok(s)) {
		o->err = -EINVAL;
		return;
	}
	snap_put_u8(o, (uint8_t)strlen(s));
	snap_put_bytes(o, s, strlen(s));
}

void snap_in_init(struct snap_in *in, const void *p, size_t len, uint64_t base)
{
	memset(in, 0, sizeof(*in));
	in->p = p;
	in->len = len;
	in->base = base;
}

static void fail_at(struct snap_in *in, enum snap_in_error e, size_t want)
{
	if (in->err)
		return;
	in->err = e;
	in->err_off = in->off;
	in->err_want = want;
}

/* n bytes in place, advancing; NULL (and the sticky error) past the end. */
const uint8_t *snap_get_span(struct snap_in *in, size_t n)
{
	const uint8_t *p;

	if (in->err)
		return NULL;
	if (n > in->len - in->off) {
		fail_at(in, SNAP_IN_SHORT, n);
		return NULL;
	}
	p = in->p + in->off;
	in->off += n;
	return p;
}

static uint64_t get_le(struct snap_in *in, unsigned bytes)
{
	const uint8_t *p = snap_get_span(in, bytes);
	uint64_t v = 0;
	unsigned i;

	if (!p)
		return 0;
	for (i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

uint8_t snap_get_u8(struct snap_in *in)
{
	return (uint8_t)get_le(in, 1);
}

uint16_t snap_get_u16(struct snap_in *in)
{
	return (uint16_t)get_le(in, 2);
}

uint32_t snap_get_u32(struct snap_in *in)
{
	return (uint32_t)get_le(in, 4);
}

uint64_t snap_get_u64(struct snap_in *in)
{
	return get_le(in, 8);
}

void snap_get_bytes(struct snap_in *in, void *dst, size_t n)
{
	const uint8_t *p = snap_get_span(in, n);

	if (p)
		memcpy(dst, p, n);
	else if (n)
		memset(dst, 0, n);
}

void snap_get_str(struct snap_in *in, char *dst, size_t cap)
{
	size_t start = in->off, n, i;
	const uint8_t *p;

	if (cap)
		dst[0] = '\0';
	n = snap_get_u8(in);
	p = snap_get_span(in, n);
	if (!p)
		return;
	for (i = 0; i < n; i++)
		if (!char_ok(p[i]))
			break;
	if (i < n || n >= cap) {
		in->off = start;
		fail_at(in, SNAP_IN_BAD_STRING, 0);
		return;
	}
	memcpy(dst, p, n);
	dst[n] = '\0';
}

void snap_in_fail(struct snap_in *in, const char *why)
{
	if (in->err)
		return;
	fail_at(in, SNAP_IN_INVALID, 0);
	in->why = why;
}

bool snap_in_failed(const struct snap_in *in)
{
	return in->err != SNAP_IN_OK;
}

size_t snap_in_left(const struct snap_in *in)
{
	return in->len - in->off;
}

int snap_in_finish(const struct snap_in *in, const char *what, char *err, size_t errlen)
{
	uint64_t at = in->base + in->err_off;

	switch (in->err) {
	case SNAP_IN_SHORT:
		snprintf(err, errlen, "%s is too short: it ends at byte %" PRIu64
			 ", a field at byte %" PRIu64 " needs %zu bytes",
			 what, in->base + in->len, at, in->err_want);
		return -1;
	case SNAP_IN_BAD_STRING:
		snprintf(err, errlen, "%s has a bad string at byte %" PRIu64
			 " (too long, or not printable ASCII)", what, at);
		return -1;
	case SNAP_IN_INVALID:
		snprintf(err, errlen, "%s is invalid: %s (the field before byte %"
			 PRIu64 ")", what, in->why, at);
		return -1;
	case SNAP_IN_OK:
		break;
	}
	if (in->off < in->len) {
		snprintf(err, errlen, "%s has %zu bytes more than its fields "
			 "(they end at byte %" PRIu64 ")", what, in->len - in->off,
			 in->base + in->off);
		return -1;
	}
	return 0;
}
