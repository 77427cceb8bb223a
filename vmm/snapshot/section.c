/* Tagged sections (see section.h): a format's header and sections put
 * through the cursor, each section's length filled in once its payload is
 * written; and the walk that reads them back in order, with the one-line
 * messages for a truncated, mistagged or oversized input. */
#include <stdio.h>
#include <stdlib.h>
#include "section.h"

static void put_section(struct snap_out *o, const struct snap_sect *s, const void *state)
{
	size_t at;
	uint32_t n;
	unsigned i;

	snap_put_u16(o, s->tag);
	snap_put_u16(o, 0);
	at = o->len;
	snap_put_u32(o, 0);
	s->put(o, state);
	if (snap_out_error(o))
		return;
	n = (uint32_t)(o->len - at - 4);
	for (i = 0; i < 4; i++)
		o->buf[at + i] = (uint8_t)(n >> (8 * i));
}

int snap_sect_encode(const struct snap_sect_format *f, const void *state, uint8_t **out,
		     size_t *len)
{
	struct snap_out o;
	size_t i;

	snap_out_init(&o);
	snap_put_u32(&o, f->magic);
	snap_put_u16(&o, f->version);
	snap_put_u16(&o, 0);
	for (i = 0; i < f->n_sect; i++)
		put_section(&o, &f->sect[i], state);
	if (snap_out_error(&o)) {
		snap_out_free(&o);
		*out = NULL;
		*len = 0;
		return -1;
	}
	*out = o.buf;
	*len = o.len;
	return 0;
}

static int get_header(const struct snap_sect_format *f, struct snap_in *in, char *err,
		      size_t errlen)
{
	uint32_t magic = snap_get_u32(in);
	uint16_t version = snap_get_u16(in), zero = snap_get_u16(in);

	if (snap_in_failed(in)) {
		snprintf(err, errlen, "%s: truncated at byte %zu (in the header)", f->what,
			 in->len);
		return -1;
	}
	if (magic != f->magic) {
		snprintf(err, errlen, "%s: magic 0x%08x, not 0x%08x (\"%s\")", f->what, magic,
			 f->magic, f->magic_name);
		return -1;
	}
	if (version != f->version) {
		snprintf(err, errlen, "%s: version %u, this conduit reads version %u", f->what,
			 version, f->version);
		return -1;
	}
	if (zero) {
		snprintf(err, errlen, "%s: header's reserved field is 0x%x, not 0", f->what, zero);
		return -1;
	}
	return 0;
}

/* The header of section s, which must come next, and sub set to its payload. */
static int get_section(const char *what, struct snap_in *in, const struct snap_sect *s,
		       struct snap_in *sub, char *err, size_t errlen)
{
	uint16_t tag = snap_get_u16(in), zero = snap_get_u16(in);
	uint32_t len = snap_get_u32(in);
	size_t at = in->off;

	if (snap_in_failed(in)) {
		snprintf(err, errlen, "%s: truncated at byte %zu (in the %s section's header)",
			 what, in->len, s->name);
		return -1;
	}
	if (tag != s->tag) {
		snprintf(err, errlen, "%s: a section tagged %u where the %s section (%u) belongs",
			 what, tag, s->name, s->tag);
		return -1;
	}
	if (zero) {
		snprintf(err, errlen, "%s: the %s section's reserved field is 0x%x, not 0",
			 what, s->name, zero);
		return -1;
	}
	if (len > snap_in_left(in)) {
		snprintf(err, errlen, "%s: truncated at byte %zu (the %s section says %u bytes, "
			 "%zu are left)", what, in->len, s->name, len, snap_in_left(in));
		return -1;
	}
	snap_in_init(sub, snap_get_span(in, len), len, in->base + at);
	return 0;
}

int snap_sect_expect(const struct snap_in *sub, const char *what, const char *name, size_t want,
		     char *err, size_t errlen)
{
	if (sub->len == want)
		return 0;
	snprintf(err, errlen, "%s: %s section of %zu bytes, expected %zu", what, name, sub->len,
		 want);
	return -1;
}

int snap_sect_decode(const struct snap_sect_format *f, const uint8_t *buf, size_t len,
		     void *state, char *err, size_t errlen)
{
	const struct snap_sect *s;
	struct snap_in in, sub;

	snap_in_init(&in, buf, len, 0);
	if (get_header(f, &in, err, errlen))
		return -1;
	for (s = f->sect; s < f->sect + f->n_sect; s++) {
		if (get_section(f->what, &in, s, &sub, err, errlen))
			return -1;
		if (s->len != SNAP_SECT_ANY_LEN &&
		    snap_sect_expect(&sub, f->what, s->name, s->len, err, errlen))
			return -1;
		if (s->get(&sub, state, err, errlen))
			return -1;
	}
	if (snap_in_left(&in)) {
		snprintf(err, errlen, "%s: %zu bytes after the last section", f->what,
			 snap_in_left(&in));
		return -1;
	}
	return 0;
}
