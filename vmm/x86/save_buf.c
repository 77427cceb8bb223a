/* The x86 state encodings' byte buffers (see save_buf.h): a little-endian
 * writer that grows with realloc and a reader that never reads past its
 * length. Groundwork for issue 15; nothing uses it yet. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "save_buf.h"

static bool wr_room(struct save_wr *w, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (w->nomem)
		return false;
	if (w->cap - w->len >= n)
		return true;
	cap = w->cap ? w->cap : 256;
	while (cap - w->len < n)
		cap *= 2;
	p = realloc(w->buf, cap);
	if (!p) {
		free(w->buf);
		w->buf = NULL;
		w->len = w->cap = 0;
		w->nomem = true;
		return false;
	}
	w->buf = p;
	w->cap = cap;
	return true;
}

static void wr_le(struct save_wr *w, uint64_t v, unsigned n)
{
	unsigned i;

	if (!wr_room(w, n))
		return;
	for (i = 0; i < n; i++)
		w->buf[w->len++] = (uint8_t)(v >> (8 * i));
}

void save_wr_u8(struct save_wr *w, uint8_t v)
{
	wr_le(w, v, 1);
}

void save_wr_u16(struct save_wr *w, uint16_t v)
{
	wr_le(w, v, 2);
}

void save_wr_u32(struct save_wr *w, uint32_t v)
{
	wr_le(w, v, 4);
}

void save_wr_u64(struct save_wr *w, uint64_t v)
{
	wr_le(w, v, 8);
}

void save_wr_bytes(struct save_wr *w, const void *p, size_t n)
{
	if (!n || !wr_room(w, n))
		return;
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

size_t save_wr_begin(struct save_wr *w, uint16_t tag)
{
	size_t at;

	save_wr_u16(w, tag);
	save_wr_u16(w, 0);
	at = w->len;
	save_wr_u32(w, 0);
	return at;
}

void save_wr_end(struct save_wr *w, size_t at)
{
	uint32_t n;
	unsigned i;

	if (w->nomem)
		return;
	n = (uint32_t)(w->len - at - 4);
	for (i = 0; i < 4; i++)
		w->buf[at + i] = (uint8_t)(n >> (8 * i));
}

int save_wr_finish(struct save_wr *w, uint8_t **out, size_t *len)
{
	if (w->nomem) {
		*out = NULL;
		*len = 0;
		return -1;
	}
	*out = w->buf;
	*len = w->len;
	w->buf = NULL;
	w->len = w->cap = 0;
	return 0;
}

static uint64_t rd_le(struct save_rd *r, unsigned n)
{
	uint64_t v = 0;
	unsigned i;

	if (r->short_read || r->len - r->off < n) {
		r->short_read = true;
		return 0;
	}
	for (i = 0; i < n; i++)
		v |= (uint64_t)r->p[r->off + i] << (8 * i);
	r->off += n;
	return v;
}

uint8_t save_rd_u8(struct save_rd *r)
{
	return (uint8_t)rd_le(r, 1);
}

uint16_t save_rd_u16(struct save_rd *r)
{
	return (uint16_t)rd_le(r, 2);
}

uint32_t save_rd_u32(struct save_rd *r)
{
	return (uint32_t)rd_le(r, 4);
}

uint64_t save_rd_u64(struct save_rd *r)
{
	return rd_le(r, 8);
}

void save_rd_bytes(struct save_rd *r, void *p, size_t n)
{
	if (r->short_read || r->len - r->off < n) {
		r->short_read = true;
		memset(p, 0, n);
		return;
	}
	memcpy(p, r->p + r->off, n);
	r->off += n;
}

size_t save_rd_left(const struct save_rd *r)
{
	return r->len - r->off;
}

int save_rd_section(struct save_rd *r, const char *what, uint16_t tag, const char *name,
		    struct save_rd *sub, char *err, size_t errlen)
{
	uint16_t got = save_rd_u16(r), zero = save_rd_u16(r);
	uint32_t len = save_rd_u32(r);

	if (r->short_read) {
		snprintf(err, errlen, "%s: truncated at byte %zu (in the %s section's header)",
			 what, r->len, name);
		return -1;
	}
	if (got != tag) {
		snprintf(err, errlen, "%s: a section tagged %u where the %s section (%u) belongs",
			 what, got, name, tag);
		return -1;
	}
	if (zero) {
		snprintf(err, errlen, "%s: the %s section's reserved field is 0x%x, not 0",
			 what, name, zero);
		return -1;
	}
	if (len > save_rd_left(r)) {
		snprintf(err, errlen, "%s: truncated at byte %zu (the %s section says %u bytes, "
			 "%zu are left)", what, r->len, name, len, save_rd_left(r));
		return -1;
	}
	*sub = (struct save_rd){ .p = r->p + r->off, .len = len };
	r->off += len;
	return 0;
}

int save_rd_expect(const struct save_rd *sub, const char *what, const char *name, size_t want,
		   char *err, size_t errlen)
{
	if (sub->len == want)
		return 0;
	snprintf(err, errlen, "%s: %s section of %zu bytes, expected %zu", what, name, sub->len, want);
	return -1;
}

int save_rd_end(const struct save_rd *r, const char *what, char *err, size_t errlen)
{
	if (!save_rd_left(r))
		return 0;
	snprintf(err, errlen, "%s: %zu bytes after the last section", what, save_rd_left(r));
	return -1;
}
