/* A minimal AML (ACPI Machine Language) encoder: just the terms the DSDT
 * needs. AML is prefix notation: an operator's function emits its opcode,
 * and the caller then emits its operands in order (e.g. aml_store(), then
 * the source, then the target). */
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

/* A name path: "\\_SB.PCI0.PCNT", "PCI0.S08", "HINS"; segments shorter
 * than four characters are padded with '_'. */
void aml_namestring(struct aml *a, const char *path);

/* Method(name, nargs, Serialized or NotSerialized) { ... aml_close } */
size_t aml_method_open(struct aml *a, const char *name4, unsigned nargs, bool serialized);
/* If (predicate) { ... aml_close }: emit the predicate, then the body. */
size_t aml_if_open(struct aml *a);

/* OperationRegion(name, space, offset, len); space: AML_SPACE_*. */
#define AML_SPACE_SYSTEM_IO 1
void aml_operation_region(struct aml *a, const char *name4, uint8_t space,
			  uint64_t offset, uint64_t len);
/* Field(region, flags) { units... aml_close }; flags: AML_FIELD_*. */
#define AML_FIELD_DWORD_ACC     0x03
#define AML_FIELD_WRITE_ZEROS   0x40
size_t aml_field_open(struct aml *a, const char *region4, uint8_t flags);
/* A named field of bits bits (1 to 4095) inside aml_field_open. */
void aml_field_unit(struct aml *a, const char *name4, unsigned bits);

/* Operators: each emits its opcode only (see the top of this file). */
void aml_store(struct aml *a);          /* Store(source, target) */
void aml_and(struct aml *a);            /* And(a, b, target) */
void aml_notify(struct aml *a);         /* Notify(object, value) */
void aml_return(struct aml *a);         /* Return(value) */
/* Operands. */
void aml_local(struct aml *a, unsigned n);      /* Local0-Local7 */
void aml_arg(struct aml *a, unsigned n);        /* Arg0-Arg6 */
void aml_null_name(struct aml *a);              /* no target */

/* Encode a PkgLength for a payload of n bytes; returns the bytes used (1-4)
 * or 0 if n is too large. */
int aml_pkglength(uint8_t out[4], size_t payload);

#endif
