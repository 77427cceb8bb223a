/* Tagged sections over the serialisation cursor (cursor.h): the framing of
 * the x86 state encodings (vmm/x86/vcpu_save_codec.c, vm_save_codec.c),
 * written and walked here once for both. Groundwork for issue 15.
 *
 * An encoding (all integers little-endian) is a header, u32 magic, u16
 * version and u16 0, then its sections in a fixed order, each a u16 tag, a
 * u16 0, a u32 payload length and the payload; nothing follows the last.
 * A format is a table of its sections, and both directions walk it.
 *
 * Decoding takes untrusted bytes: the header, then each section's tag,
 * reserved field and length (and a fixed-size section's exact size) are
 * checked before the section's get function sees its payload. A failure is
 * one line that starts with the format's name, e.g. "vCPU state: truncated
 * at byte 40 (in the LAPIC section's header)". */
#ifndef CONDUIT_SNAPSHOT_SECTION_H
#define CONDUIT_SNAPSHOT_SECTION_H

#include <stddef.h>
#include <stdint.h>
#include "cursor.h"

#define SNAP_SECT_ANY_LEN SIZE_MAX      /* a section whose get checks its size */

struct snap_sect {
	uint16_t tag;
	const char *name;       /* "LAPIC", for the messages */
	size_t len;             /* the payload's exact size, or SNAP_SECT_ANY_LEN */
	/* Puts the payload of state's section. */
	void (*put)(struct snap_out *o, const void *state);
	/* Gets the payload from sub (exactly the section) into state: 0, or -1
	 * and one line in err. */
	int (*get)(struct snap_in *sub, void *state, char *err, size_t errlen);
};

struct snap_sect_format {
	const char *what;       /* "vCPU state": starts every message */
	uint32_t magic;
	const char *magic_name; /* the magic as text ("cVCP"), for a message */
	uint16_t version;
	const struct snap_sect *sect;
	size_t n_sect;
};

/* The header and every section of state: 0 and a malloc()ed buffer in
 * (*out, *len), or -1 when memory ran out (*out NULL, *len 0). */
int snap_sect_encode(const struct snap_sect_format *f, const void *state, uint8_t **out,
		     size_t *len);
/* Checks and walks buf, handing each section to its get function: 0, or -1
 * and one line in err. What the get functions stored before a failure stays
 * in state for the caller to free. */
int snap_sect_decode(const struct snap_sect_format *f, const uint8_t *buf, size_t len,
		     void *state, char *err, size_t errlen);
/* For a get function: sub (a section called name, or part of one) must be
 * exactly want bytes. 0, or -1 and "<what>: <name> section of N bytes,
 * expected M" in err. */
int snap_sect_expect(const struct snap_in *sub, const char *what, const char *name, size_t want,
		     char *err, size_t errlen);

#endif
