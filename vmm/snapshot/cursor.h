/* The serialisation cursor of snapshot state: fixed-width little-endian
 * integers, byte blobs and short strings, put into a growable buffer and got
 * back from a read-only span. Every device's state save
 * and load, and the x86 state codecs, use it.
 *
 * Both sides keep a sticky error: after the first failure every put is
 * dropped and every get returns zeros (an empty string, zeroed bytes), so a
 * device's save or load function is a list of puts or gets followed by one
 * check (snap_out_error(), snap_in_finish()).
 *
 * A short string is a u8 length and that many bytes, no NUL: printable ASCII
 * (0x20-0x7e) only, at most SNAP_STR_MAX bytes. What is read back can go
 * into a message to the user as it is. */
#ifndef CONDUIT_SNAPSHOT_CURSOR_H
#define CONDUIT_SNAPSHOT_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SNAP_STR_MAX 255

/* Output: a buffer that grows as needed. */
struct snap_out {
	uint8_t *buf;
	size_t len;
	size_t cap;
	int err;                /* sticky: 0, -ENOMEM or -EINVAL (a bad string) */
};

void snap_out_init(struct snap_out *o);
void snap_out_free(struct snap_out *o);
/* Empty the buffer (keeping its memory) and clear the error. */
void snap_out_reset(struct snap_out *o);
/* 0, or the first error of a put since init or reset. */
int snap_out_error(const struct snap_out *o);

void snap_put_u8(struct snap_out *o, uint8_t v);
void snap_put_u16(struct snap_out *o, uint16_t v);
void snap_put_u32(struct snap_out *o, uint32_t v);
void snap_put_u64(struct snap_out *o, uint64_t v);
void snap_put_bytes(struct snap_out *o, const void *p, size_t n);
/* A short string: -EINVAL (sticky) for one that breaks the rule above. */
void snap_put_str(struct snap_out *o, const char *s);

/* Whether s may be written as a short string. */
bool snap_str_ok(const char *s);

/* Input: a span of bytes that is never written. */
enum snap_in_error {
	SNAP_IN_OK,
	SNAP_IN_SHORT,          /* a get went past the end */
	SNAP_IN_BAD_STRING,     /* a string broke the rule, or did not fit */
	SNAP_IN_INVALID,        /* the caller refused a value (snap_in_fail) */
};

struct snap_in {
	const uint8_t *p;
	size_t len;
	size_t off;             /* the next byte to get */
	uint64_t base;          /* where p is in the stream, for messages */
	enum snap_in_error err; /* sticky */
	size_t err_off;         /* where the failed get started */
	size_t err_want;        /* SNAP_IN_SHORT: the bytes it wanted */
	const char *why;        /* SNAP_IN_INVALID: the caller's reason */
};

/* base: the stream offset of p[0], only for the messages. */
void snap_in_init(struct snap_in *in, const void *p, size_t len, uint64_t base);

uint8_t snap_get_u8(struct snap_in *in);
uint16_t snap_get_u16(struct snap_in *in);
uint32_t snap_get_u32(struct snap_in *in);
uint64_t snap_get_u64(struct snap_in *in);
/* n bytes into dst (zeros after an error). */
void snap_get_bytes(struct snap_in *in, void *dst, size_t n);
/* n bytes in place, or NULL after an error. */
const uint8_t *snap_get_span(struct snap_in *in, size_t n);
/* A short string into dst, NUL-terminated; SNAP_IN_BAD_STRING when it breaks
 * the rule or needs more than cap - 1 bytes. dst is "" after an error. */
void snap_get_str(struct snap_in *in, char *dst, size_t cap);

/* Refuse a value just got (out of range, inconsistent): why is a literal
 * such as "an IRQ line above 23", kept for snap_in_finish()'s message. */
void snap_in_fail(struct snap_in *in, const char *why);

bool snap_in_failed(const struct snap_in *in);
size_t snap_in_left(const struct snap_in *in);

/* The one check at the end: 0 when no get failed and every byte was got;
 * otherwise -1 and one line in err naming what (e.g. "device serial0's
 * state") and the byte where it went wrong. */
int snap_in_finish(const struct snap_in *in, const char *what, char *err, size_t errlen);

#endif
