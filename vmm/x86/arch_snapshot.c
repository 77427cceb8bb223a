/* x86's snapshot part of vmm/arch.h: the VM's in-kernel state (PIC,
 * IOAPIC, PIT, KVM clock: vmm/x86/vm_save.c) as the irqchip record, and
 * each vCPU's (vmm/x86/vcpu_save.c) as a vCPU record; on a restore the
 * same decoded and loaded, against what this host's KVM offers. */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "../arch.h"
#include "../machine_internal.h"
#include "../snapshot/stream.h"
#include "vcpu_save.h"
#include "vm_save.h"

/* What a restore keeps from its first record to its last. */
struct arch_restore {
	struct vcpu_save_host host;
	struct vcpu_save vcpu;
};

int arch_snapshot_write_vm(struct machine *m, struct snapshot_writer *w, char *err,
			   size_t errlen)
{
	struct vm_save s;
	uint8_t *buf;
	size_t len;
	int ret;

	if (vm_save_capture(m->vm.vm_fd, &s, err, errlen))
		return -1;
	/* The clock as it was at the pause, not as it ran on since. */
	if (m->vm.pause.clock_saved)
		s.clock.clock = m->vm.pause.clock;
	if (vm_save_encode(&s, &buf, &len)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ret = snapshot_write_record(w, SNAPSHOT_REC_IRQCHIP, 0, buf, len);
	free(buf);
	if (ret) {
		snprintf(err, errlen, "writing the VM's state: %s", strerror(-ret));
		return -1;
	}
	return 0;
}

int arch_snapshot_write_vcpus(struct machine *m, struct snapshot_writer *w, char *err,
			      size_t errlen)
{
	struct vcpu_save_host h;
	struct vcpu_save s = { 0 };
	uint8_t *buf;
	size_t len;
	int i, ret = 0;

	if (vcpu_save_probe(m->vm.kvm_fd, m->vm.vm_fd, &h, err, errlen))
		return -1;
	for (i = 0; i < m->n_vcpus && !ret; i++) {
		if (vcpu_save_capture(m->vcpus[i].fd, i, &h, &s, err, errlen)) {
			ret = -1;
			break;
		}
		if (vcpu_save_encode(&s, &buf, &len)) {
			snprintf(err, errlen, "out of memory");
			ret = -1;
			break;
		}
		ret = snapshot_write_record(w, SNAPSHOT_REC_VCPU, (unsigned)i, buf, len);
		free(buf);
		if (ret)
			snprintf(err, errlen, "writing vCPU %d's state: %s", i, strerror(-ret));
	}
	vcpu_save_free(&s);
	vcpu_save_host_free(&h);
	return ret ? -1 : 0;
}

struct arch_restore *arch_restore_begin(struct machine *m, char *err, size_t errlen)
{
	struct arch_restore *r = calloc(1, sizeof(*r));

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (vcpu_save_probe(m->vm.kvm_fd, m->vm.vm_fd, &r->host, err, errlen)) {
		free(r);
		return NULL;
	}
	return r;
}

int arch_restore_vm(struct arch_restore *r, struct vm *vm, const uint8_t *data, size_t len,
		    char *err, size_t errlen)
{
	struct vm_save s;
	uint64_t advance;

	(void)r;
	if (vm_save_decode(data, len, &s, err, errlen) ||
	    vm_save_restore(vm->vm_fd, &s, VM_SAVE_CLOCK_FREEZE, &advance, err, errlen))
		return -1;
	/* A --paused restore holds this clock until cont, as a stop does. */
	vm->pause.clock = s.clock.clock;
	vm->pause.clock_saved = true;
	return 0;
}

int arch_restore_vcpu(struct arch_restore *r, int vcpu_fd, int id, const uint8_t *data,
		      size_t len, char *err, size_t errlen)
{
	return vcpu_save_decode(data, len, &r->vcpu, err, errlen) ||
	       vcpu_save_restore(vcpu_fd, id, &r->host, &r->vcpu, 0, err, errlen) ? -1 : 0;
}

void arch_restore_end(struct arch_restore *r)
{
	if (!r)
		return;
	vcpu_save_free(&r->vcpu);
	vcpu_save_host_free(&r->host);
	free(r);
}
