/* A minimal AML (ACPI Machine Language) encoder: just the terms the DSDT needs. */
#ifndef CONDUIT_AML_H
#define CONDUIT_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct aml {
	uint8_t *buf;
	size_t len;
	size_t cap;
	bool failed;        /* an allocation failed or a length overflowed */
};

void aml_init(struct aml *a);
void aml_free(struct aml *a);
void aml_bytes(struct aml *a, const void *p, size_t n);
void aml_byte(struct aml *a, uint8_t b);
void aml_nameseg(struct aml *a, const char *name4);
void aml_integer(struct aml *a, uint64_t v);
void aml_eisaid(struct aml *a, const char *id7);

/* Open a construct that carries a PkgLength (Scope, Device, Package...);
 * aml_close() back-patches it. The returned mark is passed to aml_close. */
size_t aml_scope_open(struct aml *a, const char *path);
size_t aml_device_open(struct aml *a, const char *name4);
size_t aml_package_open(struct aml *a, uint8_t n_elements);
void aml_close(struct aml *a, size_t mark);

void aml_name(struct aml *a, const char *name4);   /* NameOp + NameSeg */
void aml_buffer(struct aml *a, const uint8_t *p, size_t n);

/* Encode a PkgLength for a payload of n bytes; returns the bytes used (1-4)
 * or 0 if n is too large. */
int aml_pkglength(uint8_t out[4], size_t payload);

#endif
