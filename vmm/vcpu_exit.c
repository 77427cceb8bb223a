/* vCPU exits that end the guest: which exit code conduit ends with and the
 * one-line message that says why (a guest triple fault, a failed VM entry
 * with the hardware's reason, a KVM internal error with its suberror and
 * what KVM reported with it, an exit reason conduit does not handle). Pure:
 * it reads only the struct kvm_run, so every case is unit-tested. */
#include <stdarg.h>
#include <stdio.h>
#include "vcpu_exit.h"
#include "vm.h"

#define VMX_ENTRY_FAILURE   (1ULL << 31)
#define VMX_INVALID_STATE   33
#define VMX_MSR_LOADING     34
#define VMX_MACHINE_CHECK   41
#define SVM_EXIT_ERR        (~0ULL)
#define INTERNAL_DATA_MAX   16
#define INSN_BYTES_MAX      15

struct msg {
	char *buf;
	size_t len;
	size_t used;
};

/* Appends to the message; what does not fit is cut, the text stays
 * NUL-terminated. */
__attribute__((format(printf, 2, 3)))
static void add(struct msg *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (m->used + 1 >= m->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(m->buf + m->used, m->len - m->used, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	m->used += (size_t)n;
	if (m->used >= m->len)
		m->used = m->len - 1;
}

static const char *entry_failure_name(uint64_t reason)
{
	if (reason == SVM_EXIT_ERR)
		return "VMRUN refused the VMCB (SVM_EXIT_ERR)";
	if (!(reason & VMX_ENTRY_FAILURE))
		return NULL;
	switch (reason & 0xffff) {
	case VMX_INVALID_STATE:
		return "invalid guest state";
	case VMX_MSR_LOADING:
		return "MSR loading";
	case VMX_MACHINE_CHECK:
		return "machine-check event";
	}
	return NULL;
}

static void fail_entry(struct msg *m, const struct kvm_run *run, int id)
{
	uint64_t reason = run->fail_entry.hardware_entry_failure_reason;
	const char *name = entry_failure_name(reason);

	add(m, "vCPU %d: VM entry failed on host CPU %u, hardware reason 0x%llx", id,
	    run->fail_entry.cpu, (unsigned long long)reason);
	if (name)
		add(m, " (%s)", name);
}

static const char *suberror_name(uint32_t suberror)
{
	switch (suberror) {
	case KVM_INTERNAL_ERROR_EMULATION:
		return "emulation failure: KVM cannot emulate the instruction";
	case KVM_INTERNAL_ERROR_SIMUL_EX:
		return "simultaneous exceptions";
	case KVM_INTERNAL_ERROR_DELIVERY_EV:
		return "exit while delivering an event";
	case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON:
		return "unexpected exit reason";
	}
	return "unknown suberror";
}

static void add_words(struct msg *m, const __u64 *w, uint32_t from, uint32_t to)
{
	uint32_t i;

	if (from >= to)
		return;
	add(m, ", data");
	for (i = from; i < to; i++)
		add(m, " 0x%llx", (unsigned long long)w[i]);
}

/* internal.data[] as KVM fills it: for an emulation failure that carries
 * the instruction, data[0] is the flags and data[1..2] the length and
 * bytes (struct emulation_failure); the words after are debug data. */
static void internal_error(struct msg *m, const struct kvm_run *run, int id)
{
	uint32_t suberror = run->internal.suberror;
	uint32_t ndata = run->internal.ndata, from = 0, i, n;

	if (ndata > INTERNAL_DATA_MAX)
		ndata = INTERNAL_DATA_MAX;
	add(m, "vCPU %d: KVM internal error: %s (suberror %u)", id, suberror_name(suberror),
	    suberror);
	if (suberror == KVM_INTERNAL_ERROR_EMULATION && ndata >= 3 &&
	    (run->emulation_failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES)) {
		n = run->emulation_failure.insn_size;
		if (n > INSN_BYTES_MAX)
			n = INSN_BYTES_MAX;
		add(m, ", instruction");
		for (i = 0; i < n; i++)
			add(m, " %02x", run->emulation_failure.insn_bytes[i]);
		from = 3;
	}
	add_words(m, run->internal.data, from, ndata);
}

int vcpu_exit_report(const struct kvm_run *run, int id, char *buf, size_t len)
{
	struct msg m = { .buf = buf, .len = len, .used = 0 };

	if (len)
		buf[0] = '\0';
	switch (run->exit_reason) {
	case KVM_EXIT_SHUTDOWN:
		add(&m, "vCPU %d: guest triple fault (shutdown)", id);
		return EXIT_CRASH;
	case KVM_EXIT_FAIL_ENTRY:
		fail_entry(&m, run, id);
		return EXIT_CRASH;
	case KVM_EXIT_INTERNAL_ERROR:
		internal_error(&m, run, id);
		return EXIT_CRASH;
	}
	add(&m, "vCPU %d: unexpected exit reason %u", id, run->exit_reason);
	return EXIT_ERROR;
}
