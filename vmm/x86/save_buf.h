/* The byte buffers under the x86 state encodings (vcpu_save.c, vm_save.c):
 * a growing little-endian writer and a bounds-checked reader of fixed-width
 * fields, both sticky on their first failure so a caller checks once at the
 * end. Sections are a u16 tag, a u16 zero and a u32 payload length.
 * Groundwork for issue 15 (snapshot, restore, migration); nothing uses it
 * yet. When the shared stream cursor (vmm/snapshot/) lands, these move onto
 * it. */
#ifndef CONDUIT_X86_SAVE_BUF_H
#define CONDUIT_X86_SAVE_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct save_wr {
	uint8_t *buf;
	size_t len, cap;
	bool nomem;             /* an allocation failed: buf is freed, len 0 */
};

void save_wr_u8(struct save_wr *w, uint8_t v);
void save_wr_u16(struct save_wr *w, uint16_t v);
void save_wr_u32(struct save_wr *w, uint32_t v);
void save_wr_u64(struct save_wr *w, uint64_t v);
void save_wr_bytes(struct save_wr *w, const void *p, size_t n);
/* Starts a section: writes its tag, a zero and a length to be filled by
 * save_wr_end(w, returned offset) once the payload is written. */
size_t save_wr_begin(struct save_wr *w, uint16_t tag);
void save_wr_end(struct save_wr *w, size_t at);
/* Hands the buffer over (*out, *len): 0, or -1 when memory ran out. */
int save_wr_finish(struct save_wr *w, uint8_t **out, size_t *len);

struct save_rd {
	const uint8_t *p;
	size_t len, off;
	bool short_read;        /* a read went past len: truncated at off */
};

uint8_t save_rd_u8(struct save_rd *r);
uint16_t save_rd_u16(struct save_rd *r);
uint32_t save_rd_u32(struct save_rd *r);
uint64_t save_rd_u64(struct save_rd *r);
/* n bytes into p (zeros past the end, short_read set). */
void save_rd_bytes(struct save_rd *r, void *p, size_t n);
size_t save_rd_left(const struct save_rd *r);

/* Reads the header of the section that must come next (tag, named name)
 * and sets *sub to its payload: 0, or -1 with one line in err starting
 * with what ("vCPU state: truncated at byte 40 (in the LAPIC section)"). */
int save_rd_section(struct save_rd *r, const char *what, uint16_t tag, const char *name,
		    struct save_rd *sub, char *err, size_t errlen);
/* A fixed-size section's payload must be exactly want bytes. */
int save_rd_expect(const struct save_rd *sub, const char *what, const char *name, size_t want,
		   char *err, size_t errlen);
/* After the last section: nothing may follow. */
int save_rd_end(const struct save_rd *r, const char *what, char *err, size_t errlen);

#endif
