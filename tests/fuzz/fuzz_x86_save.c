/* Fuzzer for the decoders of the x86 saved state (vmm/x86/vcpu_save_codec.c
 * and vm_save_codec.c), whose bytes come from a snapshot file or a
 * migration socket. Input: a selector byte (even: a vCPU's state, odd: the
 * VM's), then the bytes to decode. Invariants: a decode either fails with
 * one line that names what it read ("vCPU state: ..." or "VM state: ...")
 * and leaves nothing allocated, or succeeds and encoding the result gives
 * back exactly the input (the encoding is canonical: every byte is a
 * field or a checked zero). */
#include "fuzz.h"
#include "../../vmm/x86/vcpu_save.h"
#include "../../vmm/x86/vm_save.h"

static void check_error(const char *err, const char *what)
{
	FUZZ_ASSERT(!strncmp(err, what, strlen(what)));
	FUZZ_ASSERT(strlen(err) > strlen(what));
	FUZZ_ASSERT(!strchr(err, '\n'));
}

static void check_same(const uint8_t *a, size_t a_len, uint8_t *b, size_t b_len)
{
	FUZZ_ASSERT(a_len == b_len);
	FUZZ_ASSERT(!memcmp(a, b, a_len));
	free(b);
}

static void vcpu(const uint8_t *p, size_t n)
{
	struct vcpu_save s = { 0 };
	char err[256] = "";
	uint8_t *out;
	size_t len;

	if (vcpu_save_decode(p, n, &s, err, sizeof(err))) {
		check_error(err, "vCPU state: ");
		FUZZ_ASSERT(!s.msrs && !s.xsave);
		return;
	}
	FUZZ_ASSERT(s.n_msrs <= VCPU_SAVE_MAX_MSRS);
	FUZZ_ASSERT(s.fpu_kind != VCPU_SAVE_FPU_XSAVE || s.xsave_len <= VCPU_SAVE_MAX_XSAVE);
	FUZZ_ASSERT(s.xcrs.nr_xcrs <= KVM_MAX_XCRS);
	FUZZ_ASSERT(vcpu_save_encode(&s, &out, &len) == 0);
	check_same(p, n, out, len);
	vcpu_save_free(&s);
}

static void vm(const uint8_t *p, size_t n)
{
	struct vm_save s;
	char err[256] = "";
	uint8_t *out;
	size_t len;

	if (vm_save_decode(p, n, &s, err, sizeof(err))) {
		check_error(err, "VM state: ");
		return;
	}
	FUZZ_ASSERT(vm_save_encode(&s, &out, &len) == 0);
	check_same(p, n, out, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] & 1)
		vm(data + 1, size - 1);
	else
		vcpu(data + 1, size - 1);
	return 0;
}
