/* arm64's snapshot part of vmm/arch.h: not yet. The GIC's and ITS's
 * state (KVM_DEV_ARM_VGIC_GRP_* and the ITS tables) and the vCPUs'
 * registers by KVM_GET_ONE_REG are what it would save; until then a save,
 * a migration and a restore are refused with one line. */
#include <stdio.h>
#include "../arch.h"

#define NOT_YET "snapshots and migration are not supported on arm64 yet"

int arch_snapshot_write_vm(struct machine *m, struct snapshot_writer *w, char *err,
			   size_t errlen)
{
	(void)m;
	(void)w;
	snprintf(err, errlen, NOT_YET);
	return -1;
}

int arch_snapshot_write_vcpus(struct machine *m, struct snapshot_writer *w, char *err,
			      size_t errlen)
{
	(void)m;
	(void)w;
	snprintf(err, errlen, NOT_YET);
	return -1;
}

struct arch_restore *arch_restore_begin(struct machine *m, char *err, size_t errlen)
{
	(void)m;
	snprintf(err, errlen, NOT_YET);
	return NULL;
}

int arch_restore_vm(struct arch_restore *r, struct vm *vm, const uint8_t *data, size_t len,
		    char *err, size_t errlen)
{
	(void)r;
	(void)vm;
	(void)data;
	(void)len;
	snprintf(err, errlen, NOT_YET);
	return -1;
}

int arch_restore_vcpu(struct arch_restore *r, int vcpu_fd, int id, const uint8_t *data,
		      size_t len, char *err, size_t errlen)
{
	(void)r;
	(void)vcpu_fd;
	(void)id;
	(void)data;
	(void)len;
	snprintf(err, errlen, NOT_YET);
	return -1;
}

void arch_restore_end(struct arch_restore *r)
{
	(void)r;
}
