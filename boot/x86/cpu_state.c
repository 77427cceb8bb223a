/* The 64-bit boot protocol's entry state: flat __BOOT_CS (0x10) and
 * __BOOT_DS (0x18) segments, paging on with the first 4 GiB identity
 * mapped, interrupts off and rsi pointing at the zero page. */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include "cpu_state.h"

#define CR0_PE  (1ULL << 0)
#define CR0_ET  (1ULL << 4)
#define CR0_NE  (1ULL << 5)
#define CR0_PG  (1ULL << 31)
#define CR4_PAE (1ULL << 5)
#define CR4_LA57 (1ULL << 12)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)
#define PTE_P   1ULL
#define PTE_W   2ULL
#define PTE_PS  (1ULL << 7)

int boot_write_tables(const struct guest_mem *gm, bool la57)
{
	uint64_t *pml5 = gpa_to_hva(gm, BOOT_PML5, 4096);
	uint64_t *gdt = gpa_to_hva(gm, BOOT_GDT, 4 * 8);
	uint64_t *pml4 = gpa_to_hva(gm, BOOT_PML4, 6 * 4096);
	uint64_t *pdpt, *pd;
	int i;

	if (!gdt || !pml4 || !pml5)
		return -EINVAL;
	memset(pml5, 0, 4096);
	if (la57)
		pml5[0] = BOOT_PML4 | PTE_P | PTE_W;
	gdt[0] = 0;
	gdt[1] = 0;
	gdt[2] = 0x00af9b000000ffffULL;     /* 0x10: 64-bit code */
	gdt[3] = 0x00cf93000000ffffULL;     /* 0x18: flat data */
	memset(pml4, 0, 6 * 4096);
	pdpt = pml4 + 512;
	pd = pdpt + 512;
	pml4[0] = (BOOT_PML4 + 0x1000) | PTE_P | PTE_W;
	for (i = 0; i < 4; i++)
		pdpt[i] = (BOOT_PML4 + 0x2000 + i * 0x1000ULL) | PTE_P | PTE_W;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | PTE_P | PTE_W | PTE_PS;
	return 0;
}

static void seg(struct kvm_segment *s, uint16_t sel, uint8_t type, uint8_t l,
		uint8_t db)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = 0;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->l = l;
	s->db = db;
	s->g = 1;
}

int boot_set_regs(int fd, uint64_t entry, uint64_t zero_page, bool la57)
{
	struct kvm_sregs sr;
	struct kvm_regs r;
	struct kvm_fpu fpu;

	if (ioctl(fd, KVM_GET_SREGS, &sr) < 0)
		return -errno;
	seg(&sr.cs, 0x10, 0xb, 1, 0);
	seg(&sr.ds, 0x18, 0x3, 0, 1);
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	sr.gdt.base = BOOT_GDT;
	sr.gdt.limit = 4 * 8 - 1;
	sr.idt.base = 0;
	sr.idt.limit = 0;
	sr.cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
	sr.cr3 = la57 ? BOOT_PML5 : BOOT_PML4;
	sr.cr4 = CR4_PAE | (la57 ? CR4_LA57 : 0);
	sr.efer = EFER_LME | EFER_LMA;
	if (ioctl(fd, KVM_SET_SREGS, &sr) < 0) {
		/* Some KVMs (PVM) list LA57 in their CPUID but refuse CR4.LA57:
		 * the tables map the same 4 GiB from the PML4 too, so enter in
		 * 4-level paging there. */
		if (errno != EINVAL || !la57)
			return -errno;
		sr.cr3 = BOOT_PML4;
		sr.cr4 = CR4_PAE;
		if (ioctl(fd, KVM_SET_SREGS, &sr) < 0)
			return -errno;
	}

	memset(&fpu, 0, sizeof(fpu));
	fpu.fcw = 0x37f;
	fpu.mxcsr = 0x1f80;
	if (ioctl(fd, KVM_SET_FPU, &fpu) < 0)
		return -errno;

	memset(&r, 0, sizeof(r));
	r.rip = entry;
	r.rsi = zero_page;
	r.rsp = BOOT_STACK_TOP;
	r.rflags = 2;
	return ioctl(fd, KVM_SET_REGS, &r) < 0 ? -errno : 0;
}
