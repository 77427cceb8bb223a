/* A minimal AML encoder (ACPI spec, chapter 20): integers, names and name
 * paths, EISA ids, Scope/Device/Package/Method/If/Field with back-patched
 * PkgLength, Buffers, OperationRegion, and the few operators and operands
 * the DSDT's methods use (Store, And, Notify, Return, LocalN, ArgN). */
#include <stdlib.h>
#include <string.h>
#include "aml.h"

#define AML_ZERO      0x00
#define AML_ONE       0x01
#define AML_NAME      0x08
#define AML_BYTE      0x0a
#define AML_WORD      0x0b
#define AML_DWORD     0x0c
#define AML_QWORD     0x0e
#define AML_SCOPE     0x10
#define AML_BUFFER    0x11
#define AML_PACKAGE   0x12
#define AML_METHOD    0x14
#define AML_DUAL_NAME 0x2e
#define AML_MULTI_NAME 0x2f
#define AML_EXT       0x5b
#define AML_LOCAL0    0x60
#define AML_ARG0      0x68
#define AML_STORE_OP  0x70
#define AML_AND_OP    0x7b
#define AML_NOTIFY_OP 0x86
#define AML_IF        0xa0
#define AML_RETURN_OP 0xa4
/* after AML_EXT */
#define AML_REGION    0x80
#define AML_FIELD     0x81
#define AML_DEVICE    0x82

void aml_init(struct aml *a)
{
	memset(a, 0, sizeof(*a));
}

void aml_free(struct aml *a)
{
	free(a->buf);
	memset(a, 0, sizeof(*a));
}

static bool reserve(struct aml *a, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (a->failed)
		return false;
	if (a->len + n <= a->cap)
		return true;
	cap = a->cap ? a->cap * 2 : 256;
	while (cap < a->len + n)
		cap *= 2;
	p = realloc(a->buf, cap);
	if (!p) {
		a->failed = true;
		return false;
	}
	a->buf = p;
	a->cap = cap;
	return true;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (!reserve(a, n))
		return;
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

void aml_nameseg(struct aml *a, const char *name4)
{
	char seg[4] = { '_', '_', '_', '_' };
	size_t n = strlen(name4);

	memcpy(seg, name4, n < 4 ? n : 4);
	aml_bytes(a, seg, 4);
}

static void le(struct aml *a, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		aml_byte(a, (uint8_t)(v >> (8 * i)));
}

void aml_integer(struct aml *a, uint64_t v)
{
	if (v == 0)
		aml_byte(a, AML_ZERO);
	else if (v == 1)
		aml_byte(a, AML_ONE);
	else if (v <= 0xff) {
		aml_byte(a, AML_BYTE);
		le(a, v, 1);
	} else if (v <= 0xffff) {
		aml_byte(a, AML_WORD);
		le(a, v, 2);
	} else if (v <= 0xffffffff) {
		aml_byte(a, AML_DWORD);
		le(a, v, 4);
	} else {
		aml_byte(a, AML_QWORD);
		le(a, v, 8);
	}
}

/* "PNP0A08" -> the 32-bit compressed EISA id, stored as a DWord. */
void aml_eisaid(struct aml *a, const char *id)
{
	uint32_t v;
	int i;

	v = ((id[0] - 0x40) & 0x1f) << 26 | ((id[1] - 0x40) & 0x1f) << 21 |
	    ((id[2] - 0x40) & 0x1f) << 16;
	for (i = 3; i < 7; i++) {
		int c = id[i];
		int x = c >= 'A' ? c - 'A' + 10 : c - '0';

		v |= (uint32_t)(x & 0xf) << (4 * (6 - i));
	}
	/* Stored big-endian in the DWord. */
	v = (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
	aml_byte(a, AML_DWORD);
	le(a, v, 4);
}

int aml_pkglength(uint8_t out[4], size_t payload)
{
	size_t total;
	int n;

	if (payload > (1U << 28) - 5)
		return 0;
	for (n = 1; n <= 4; n++) {
		total = payload + n;
		if (n == 1 && total < 0x40) {
			out[0] = (uint8_t)total;
			return 1;
		}
		if (n > 1 && total < (1ULL << (4 + 8 * (n - 1)))) {
			int i;

			out[0] = (uint8_t)((n - 1) << 6 | (total & 0xf));
			for (i = 1; i < n; i++)
				out[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
			return n;
		}
	}
	return 0;
}

void aml_close(struct aml *a, size_t mark)
{
	uint8_t pl[4];
	int n;

	if (a->failed || mark > a->len)
		return;
	n = aml_pkglength(pl, a->len - mark);
	if (!n || !reserve(a, n)) {
		a->failed = true;
		return;
	}
	memmove(a->buf + mark + n, a->buf + mark, a->len - mark);
	memcpy(a->buf + mark, pl, n);
	a->len += n;
}

size_t aml_scope_open(struct aml *a, const char *path)
{
	size_t mark;

	aml_byte(a, AML_SCOPE);
	mark = a->len;
	if (path[0] == '\\') {
		aml_byte(a, '\\');
		path++;
	}
	aml_nameseg(a, path);
	return mark;
}

size_t aml_device_open(struct aml *a, const char *name4)
{
	size_t mark;

	aml_byte(a, AML_EXT);
	aml_byte(a, AML_DEVICE);
	mark = a->len;
	aml_nameseg(a, name4);
	return mark;
}

size_t aml_package_open(struct aml *a, uint8_t n_elements)
{
	size_t mark;

	aml_byte(a, AML_PACKAGE);
	mark = a->len;
	aml_byte(a, n_elements);
	return mark;
}

void aml_name(struct aml *a, const char *name4)
{
	aml_byte(a, AML_NAME);
	aml_nameseg(a, name4);
}

void aml_buffer(struct aml *a, const uint8_t *p, size_t n)
{
	size_t mark;

	aml_byte(a, AML_BUFFER);
	mark = a->len;
	aml_integer(a, n);
	aml_bytes(a, p, n);
	aml_close(a, mark);
}

/* One segment of a path: up to the next '.' or the end. */
static const char *path_seg(struct aml *a, const char *p)
{
	char seg[5] = { 0 };
	size_t n = 0;

	while (p[n] && p[n] != '.')
		n++;
	memcpy(seg, p, n < 4 ? n : 4);
	aml_nameseg(a, seg);
	return p[n] == '.' ? p + n + 1 : p + n;
}

void aml_namestring(struct aml *a, const char *path)
{
	unsigned n = 1;
	const char *p;

	if (path[0] == '\\') {
		aml_byte(a, '\\');
		path++;
	}
	for (p = path; *p; p++)
		n += *p == '.';
	if (n == 2)
		aml_byte(a, AML_DUAL_NAME);
	else if (n > 2) {
		aml_byte(a, AML_MULTI_NAME);
		aml_byte(a, (uint8_t)n);
	}
	while (n--)
		path = path_seg(a, path);
}

size_t aml_method_open(struct aml *a, const char *name4, unsigned nargs, bool serialized)
{
	size_t mark;

	aml_byte(a, AML_METHOD);
	mark = a->len;
	aml_nameseg(a, name4);
	aml_byte(a, (uint8_t)((nargs & 7) | (serialized ? 1 << 3 : 0)));
	return mark;
}

size_t aml_if_open(struct aml *a)
{
	aml_byte(a, AML_IF);
	return a->len;
}

void aml_operation_region(struct aml *a, const char *name4, uint8_t space,
			  uint64_t offset, uint64_t len)
{
	aml_byte(a, AML_EXT);
	aml_byte(a, AML_REGION);
	aml_nameseg(a, name4);
	aml_byte(a, space);
	aml_integer(a, offset);
	aml_integer(a, len);
}

size_t aml_field_open(struct aml *a, const char *region4, uint8_t flags)
{
	size_t mark;

	aml_byte(a, AML_EXT);
	aml_byte(a, AML_FIELD);
	mark = a->len;
	aml_nameseg(a, region4);
	aml_byte(a, flags);
	return mark;
}

/* A field's bit count is in PkgLength form but counts only itself. */
void aml_field_unit(struct aml *a, const char *name4, unsigned bits)
{
	aml_nameseg(a, name4);
	if (bits < 0x40) {
		aml_byte(a, (uint8_t)bits);
	} else if (bits < 0x1000) {
		aml_byte(a, (uint8_t)(1 << 6 | (bits & 0xf)));
		aml_byte(a, (uint8_t)(bits >> 4));
	} else {
		a->failed = true;
	}
}

void aml_store(struct aml *a)
{
	aml_byte(a, AML_STORE_OP);
}

void aml_and(struct aml *a)
{
	aml_byte(a, AML_AND_OP);
}

void aml_notify(struct aml *a)
{
	aml_byte(a, AML_NOTIFY_OP);
}

void aml_return(struct aml *a)
{
	aml_byte(a, AML_RETURN_OP);
}

void aml_local(struct aml *a, unsigned n)
{
	if (n > 7)
		a->failed = true;
	aml_byte(a, (uint8_t)(AML_LOCAL0 + (n & 7)));
}

void aml_arg(struct aml *a, unsigned n)
{
	if (n > 6)
		a->failed = true;
	aml_byte(a, (uint8_t)(AML_ARG0 + (n < 7 ? n : 0)));
}

void aml_null_name(struct aml *a)
{
	aml_byte(a, 0x00);
}
