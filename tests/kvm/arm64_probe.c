/* A probe of vmm/arm64/ on a real arm64 KVM (run in the nested arm64 L1):
 * it creates a VM with the guest memory map conduit uses, the in-kernel
 * GICv3 and ITS, two vCPUs (the second powered off until PSCI CPU_ON),
 * commits the interrupt routes conduit commits (SPIs, an MSI route with
 * the device id), raises one SPI by KVM_IRQ_LINE and one by an irqfd with
 * a resample fd (the INTx path), and runs the guest code of
 * arm64_probe_guest.S, checking every exit: the UART writes, an MMIO read
 * answered, the boot registers as the guest sees them, the pending SPIs in
 * the distributor, PSCI CPU_ON and the second vCPU's context id and MPIDR,
 * the INTx SPI acknowledged and its EOI signalling the resample fd, the
 * ITS set up by the guest and an MSI route with device id raising its
 * LPI (an MSI from an unmapped device id dropped), an undecodable MMIO
 * store (KVM_EXIT_ARM_NISV) and PSCI SYSTEM_OFF as a poweroff. Prints one line per check and "arm64-probe: N of M checks
 * passed"; exits 0 only when all passed. Static, no arguments. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>
#include "../../vmm/arm64/exit.h"
#include "../../vmm/arm64/gic.h"
#include "../../vmm/arm64/irq_route.h"
#include "../../vmm/arm64/layout.h"
#include "../../vmm/arm64/regs.h"
#include "../../vmm/arm64/vcpu_init.h"
#include "../../vmm/arm64/vm_caps.h"

/* The guest memory map of the arm64 port (vmm/arm64/layout.h), for
 * ARM64_RAM_MIN bytes of RAM; the guest code's addresses are these. */
#define RAM_SIZE        ARM64_RAM_MIN
#define MAP_TOP         (ARM64_PCI_MMIO64_BASE + ARM64_PCI_MMIO64_SIZE)
#define NR_SPIS         64
#define DTB_ADDR        (ARM64_RAM_BASE + 0x100000)     /* X0: the guest only reports it */

/* The report area the guest stores to (arm64_probe_guest.S). */
#define REPORT_BASE     0x09000100ULL
#define REP_X0          0
#define REP_EL          1
#define REP_DAIF        2
#define REP_LSR         3
#define REP_PENDING     4
#define REP_CPU_ON      5
#define REP_FLAG        6
#define REP_CONTEXT     7
#define REP_MPIDR1      8
#define REP_AFTER_OFF   9
#define REP_IAR_SPI     10
#define REP_IAR_AFTER   11
#define REP_CREADR      12
#define REP_ITS_READY   13
#define REP_IAR_LPI     14
#define REP_EOI_EXIT    15
#define REP_SLOTS       32
#define NISV_ADDR       (REPORT_BASE + 256)
#define ITS_DEVID       0x10            /* 00:02.0, as the guest's MAPD says */
#define LPI_FIRST       8192
#define LSR_VALUE       0x60

#define NVCPUS 2

extern const unsigned char probe_guest_start[], probe_guest_end[];

struct probe {
	struct arm64_layout l;
	int kvm_fd, vm_fd;
	int vcpu_fd[NVCPUS];
	struct kvm_run *run[NVCPUS];
	pthread_t thread[NVCPUS];
	struct arm64_gic gic;
	pthread_mutex_t lock;
	char uart[64];
	size_t uart_len;
	uint64_t report[REP_SLOTS];
	bool reported[REP_SLOTS];
	int msi_efd, resample_fd;       /* the MSI route's irqfd, INTx's resample */
	int signal_wrong_devid;         /* KVM_SIGNAL_MSI of an unmapped device */
	int its_ready;
	uint64_t resampled_at_exit;     /* the resample fd's count at the EOI's exit */
	int resample_errno;
	int nisv_exits;
	uint64_t nisv_ipa;
	enum arm64_event event;
	int events;
	char event_msg[256];
	char unexpected[256];
	atomic_bool stop;
};

static int checks, passed;

__attribute__((format(printf, 2, 3)))
static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	checks++;
	if (ok)
		passed++;
	printf("arm64-probe: %s: ", ok ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void note_unexpected(struct probe *p, int id, const char *what, uint64_t addr)
{
	pthread_mutex_lock(&p->lock);
	if (!p->unexpected[0])
		snprintf(p->unexpected, sizeof(p->unexpected), "vCPU %d: %s 0x%llx", id, what,
			 (unsigned long long)addr);
	pthread_mutex_unlock(&p->lock);
}

/* The guest has the ITS set up: an MSI from a device it did not map is
 * dropped (KVM_SIGNAL_MSI says 0), then the route with device id 0x10
 * fires through its irqfd. */
static void its_ready(struct probe *p)
{
	struct kvm_msi msi = { .address_lo = (uint32_t)arm64_its_doorbell(p->l.its_base),
			       .data = 0, .flags = KVM_MSI_VALID_DEVID, .devid = ITS_DEVID + 1 };
	uint64_t one = 1;

	p->signal_wrong_devid = ioctl(p->vm_fd, KVM_SIGNAL_MSI, &msi);
	p->its_ready++;
	if (write(p->msi_efd, &one, sizeof(one)) != sizeof(one))
		p->its_ready = -1000;
}

/* The exit right after the guest's EOI of the INTx: KVM has folded it by
 * now, so the resample fd has fired. */
static void eoi_exit(struct probe *p)
{
	if (read(p->resample_fd, &p->resampled_at_exit, sizeof(p->resampled_at_exit)) < 0)
		p->resample_errno = errno;
}

static void mmio(struct probe *p, int id, struct kvm_run *run)
{
	uint64_t addr = run->mmio.phys_addr, val = 0;
	unsigned len = run->mmio.len;

	if (len > 8) {
		note_unexpected(p, id, "MMIO of bad length at", addr);
		return;
	}
	pthread_mutex_lock(&p->lock);
	if (run->mmio.is_write) {
		memcpy(&val, run->mmio.data, len);
		if (addr == p->l.uart_base && len == 1 && p->uart_len + 1 < sizeof(p->uart)) {
			p->uart[p->uart_len++] = (char)val;
		} else if (addr >= REPORT_BASE && addr < REPORT_BASE + REP_SLOTS * 8 &&
			   len == 8 && !(addr & 7)) {
			p->report[(addr - REPORT_BASE) / 8] = val;
			p->reported[(addr - REPORT_BASE) / 8] = true;
			if ((addr - REPORT_BASE) / 8 == REP_ITS_READY)
				its_ready(p);
			if ((addr - REPORT_BASE) / 8 == REP_EOI_EXIT)
				eoi_exit(p);
		} else {
			pthread_mutex_unlock(&p->lock);
			note_unexpected(p, id, "MMIO write at", addr);
			return;
		}
	} else if (addr == p->l.uart_base + 5 && len == 1) {
		val = LSR_VALUE;
		memcpy(run->mmio.data, &val, len);
	} else {
		pthread_mutex_unlock(&p->lock);
		note_unexpected(p, id, "MMIO read at", addr);
		return;
	}
	pthread_mutex_unlock(&p->lock);
}

/* The store pair KVM cannot decode: recorded, then stepped over. */
static bool nisv(struct probe *p, int id, struct kvm_run *run)
{
	struct arm64_reg pc = { arm64_reg_pc(), 0 };
	char msg[256], err[256];

	arm64_nisv_report(run->arm_nisv.esr_iss, run->arm_nisv.fault_ipa, id, msg, sizeof(msg));
	printf("arm64-probe: %s\n", msg);
	pthread_mutex_lock(&p->lock);
	p->nisv_exits++;
	p->nisv_ipa = run->arm_nisv.fault_ipa;
	pthread_mutex_unlock(&p->lock);
	if (arm64_vcpu_pc(p->vcpu_fd[id], &pc.value))
		return false;
	pc.value += 4;
	return arm64_vcpu_set_regs(p->vcpu_fd[id], &pc, 1, err, sizeof(err)) == 0;
}

static void stop_all(struct probe *p)
{
	int i;

	atomic_store(&p->stop, true);
	for (i = 0; i < NVCPUS; i++) {
		__atomic_store_n(&p->run[i]->immediate_exit, 1, __ATOMIC_SEQ_CST);
		pthread_kill(p->thread[i], SIGUSR1);
	}
}

struct vcpu_arg {
	struct probe *p;
	int id;
};

static void *vcpu_thread(void *arg)
{
	struct vcpu_arg *a = arg;
	struct probe *p = a->p;
	struct kvm_run *run = p->run[a->id];
	int id = a->id;

	while (!atomic_load(&p->stop)) {
		if (ioctl(p->vcpu_fd[id], KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			note_unexpected(p, id, "KVM_RUN failed, errno", (uint64_t)errno);
			break;
		}
		switch (run->exit_reason) {
		case KVM_EXIT_MMIO:
			mmio(p, id, run);
			continue;
		case KVM_EXIT_ARM_NISV:
			if (nisv(p, id, run))
				continue;
			note_unexpected(p, id, "cannot step over the NISV access at",
					run->arm_nisv.fault_ipa);
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			pthread_mutex_lock(&p->lock);
			p->event = arm64_system_event(run->system_event.type,
						      run->system_event.ndata,
						      run->system_event.data, id,
						      p->event_msg, sizeof(p->event_msg));
			p->events++;
			pthread_mutex_unlock(&p->lock);
			break;
		default:
			note_unexpected(p, id, "exit reason", run->exit_reason);
			break;
		}
		break;
	}
	stop_all(p);
	return NULL;
}

static void kick(int sig)
{
	(void)sig;
}

static int setup_vm(struct probe *p, void **ram)
{
	struct kvm_userspace_memory_region mr;
	char err[256] = "";
	long type;

	check(arm64_layout_init(&p->l, RAM_SIZE, NVCPUS, err, sizeof(err)) == 0,
	      "layout for %llu MiB and %d vCPUs %s", RAM_SIZE >> 20, NVCPUS, err);
	p->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	check(p->kvm_fd >= 0, "open /dev/kvm");
	if (p->kvm_fd < 0)
		return -1;
	check(ioctl(p->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_PSCI_0_2) > 0,
	      "KVM_CAP_ARM_PSCI_0_2");
	type = arm64_vm_type(MAP_TOP, arm64_max_ipa_bits(p->kvm_fd), err, sizeof(err));
	check(type == 0, "VM type for the map up to 0x%llx: %ld %s (IPA size offered %d)",
	      MAP_TOP, type, err, arm64_max_ipa_bits(p->kvm_fd));
	if (type < 0)
		return -1;
	p->vm_fd = ioctl(p->kvm_fd, KVM_CREATE_VM, type);
	check(p->vm_fd >= 0, "KVM_CREATE_VM");
	if (p->vm_fd < 0)
		return -1;
	check(arm64_enable_nisv_exit(p->vm_fd) == 0, "KVM_CAP_ARM_NISV_TO_USER enabled");
	*ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*ram == MAP_FAILED)
		return -1;
	memcpy(*ram, probe_guest_start, (size_t)(probe_guest_end - probe_guest_start));
	mr = (struct kvm_userspace_memory_region){ .slot = 0, .guest_phys_addr = p->l.ram_base,
		.memory_size = p->l.ram_size, .userspace_addr = (uint64_t)(uintptr_t)*ram };
	check(ioctl(p->vm_fd, KVM_SET_USER_MEMORY_REGION, &mr) == 0, "RAM at 0x%llx",
	      (unsigned long long)p->l.ram_base);
	return 0;
}

static int setup_gic_and_vcpus(struct probe *p)
{
	struct arm64_gic_addrs a = { .dist = p->l.gicd_base, .redist = p->l.gicr_base,
				     .its = p->l.its_base };
	struct kvm_mp_state mp;
	char err[256] = "";
	uint64_t mpidr;
	int i, ret;
	long run_size = ioctl(p->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);

	check(arm64_gic_check(&a, NVCPUS, err, sizeof(err)) == 0, "GIC frames %s", err);
	ret = arm64_gic_create(p->vm_fd, &a, &p->gic, err, sizeof(err));
	check(ret == 0, "GICv3 and ITS created %s", err);
	if (ret)
		return -1;
	for (i = 0; i < NVCPUS; i++) {
		p->vcpu_fd[i] = ioctl(p->vm_fd, KVM_CREATE_VCPU, i);
		if (p->vcpu_fd[i] < 0)
			return -1;
		p->run[i] = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
				 p->vcpu_fd[i], 0);
		if (p->run[i] == MAP_FAILED)
			return -1;
		ret = arm64_vcpu_init(p->vm_fd, p->vcpu_fd[i], i, err, sizeof(err));
		check(ret == 0, "vCPU %d KVM_ARM_VCPU_INIT with PSCI 0.2 %s", i, err);
		if (ret)
			return -1;
		ret = arm64_vcpu_read_mpidr(p->vcpu_fd[i], &mpidr);
		check(ret == 0 && arm64_mpidr_affinity(mpidr) == arm64_vcpu_mpidr((unsigned)i),
		      "vCPU %d MPIDR 0x%llx, affinity expected 0x%llx", i,
		      (unsigned long long)mpidr, (unsigned long long)arm64_vcpu_mpidr((unsigned)i));
		ret = ioctl(p->vcpu_fd[i], KVM_GET_MP_STATE, &mp);
		check(ret == 0 && mp.mp_state == (i ? KVM_MP_STATE_STOPPED : KVM_MP_STATE_RUNNABLE),
		      "vCPU %d starts %s (mp_state %u)", i, i ? "powered off" : "runnable",
		      mp.mp_state);
	}
	ret = arm64_gic_init(&p->gic, NR_SPIS, err, sizeof(err));
	check(ret == 0, "GIC and ITS initialised with %u SPIs %s", NR_SPIS, err);
	check(arm64_msi_needs_devid(p->vm_fd) == 1, "KVM_CAP_MSI_DEVID on the VM once the ITS exists");
	return ret ? -1 : 0;
}

static int commit(int vm_fd, const struct kvm_irq_routing_entry *e, int n)
{
	struct kvm_irq_routing *t = calloc(1, sizeof(*t) + (size_t)n * sizeof(*e));
	int ret;

	if (!t)
		return -ENOMEM;
	t->nr = (uint32_t)n;
	memcpy(t->entries, e, (size_t)n * sizeof(*e));
	ret = ioctl(vm_fd, KVM_SET_GSI_ROUTING, t) < 0 ? -errno : 0;
	free(t);
	return ret;
}

/* The routes conduit commits, an MSI route without device id refused, and
 * two SPIs raised: the UART's by KVM_IRQ_LINE, INTA of slot 0 by an irqfd
 * with a resample fd (held high until the guest EOIs it). */
static int setup_irqs(struct probe *p)
{
	struct kvm_irq_routing_entry e[NR_SPIS + 1];
	uint64_t bell = arm64_its_doorbell(p->l.its_base), one = 1;
	uint32_t devid = arm64_pci_devid(0, 2, 0);      /* ITS_DEVID */
	uint32_t intx = arm64_pci_intx_spi(&p->l, 0, 1);
	struct kvm_irq_level line = { .irq = arm64_irq_line_spi(p->l.uart_spi), .level = 1 };
	struct kvm_irqfd fd = { .gsi = intx, .flags = KVM_IRQFD_FLAG_RESAMPLE };
	int n = arm64_default_routes(e, NR_SPIS), ret;
	int efd = eventfd(0, EFD_CLOEXEC), rfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct kvm_irqfd mfd = { .gsi = NR_SPIS };

	/* KVM 6.1 takes a route without KVM_MSI_VALID_DEVID too (the ITS
	 * then sees device id 0, another device): nothing to check there. */
	check(arm64_msi_route(&e[n], NR_SPIS, bell, 0, devid, bell) == 0, "MSI route built");
	ret = commit(p->vm_fd, e, n + 1);
	check(ret == 0, "%d SPI routes and an MSI route with device id 0x%x committed: %s", n,
	      devid, strerror(-ret));
	ret = ioctl(p->vm_fd, KVM_IRQ_LINE, &line);
	check(ret == 0, "KVM_IRQ_LINE 0x%x (SPI %u) raised", line.irq, p->l.uart_spi);
	fd.fd = (uint32_t)efd;
	fd.resamplefd = (uint32_t)rfd;
	ret = efd < 0 || rfd < 0 ? -1 : ioctl(p->vm_fd, KVM_IRQFD, &fd);
	check(ret == 0, "irqfd with resample on GSI %u (INTA, SPI %u)", intx, intx);
	if (ret == 0)
		check(write(efd, &one, sizeof(one)) == sizeof(one), "irqfd signalled");
	p->resample_fd = rfd;
	p->msi_efd = eventfd(0, EFD_CLOEXEC);
	mfd.fd = (uint32_t)p->msi_efd;
	ret = p->msi_efd < 0 ? -1 : ioctl(p->vm_fd, KVM_IRQFD, &mfd);
	check(ret == 0, "irqfd on the MSI route's GSI %u", mfd.gsi);
	return 0;
}

static void check_run(struct probe *p)
{
	uint64_t *r = p->report;
	unsigned intx = arm64_pci_intx_spi(&p->l, 0, 1);
	struct kvm_msi msi = { .address_lo = (uint32_t)arm64_its_doorbell(p->l.its_base),
			       .flags = KVM_MSI_VALID_DEVID };
	uint64_t resampled = 0;
	uint64_t want_pending = 1ULL << p->l.uart_spi | 1ULL << intx;

	check(!p->unexpected[0], "no unexpected exit %s", p->unexpected);
	check(p->uart_len == 3 && !memcmp(p->uart, "OKS", 3), "UART output '%.*s' (want 'OKS')",
	      (int)p->uart_len, p->uart);
	check(p->reported[REP_X0] && r[REP_X0] == DTB_ADDR, "X0 at entry 0x%llx (the DTB address)",
	      (unsigned long long)r[REP_X0]);
	check(p->reported[REP_EL] && r[REP_EL] == 1 << 2, "CurrentEL 0x%llx (EL1)",
	      (unsigned long long)r[REP_EL]);
	check(p->reported[REP_DAIF] && r[REP_DAIF] == 0x3c0, "DAIF 0x%llx (all masked)",
	      (unsigned long long)r[REP_DAIF]);
	check(p->reported[REP_LSR] && r[REP_LSR] == LSR_VALUE, "MMIO read answered: 0x%llx",
	      (unsigned long long)r[REP_LSR]);
	check(p->reported[REP_PENDING] && r[REP_PENDING] == want_pending,
	      "GICD_ISPENDR1 0x%llx (want 0x%llx: SPIs %u and %u pending)",
	      (unsigned long long)r[REP_PENDING], (unsigned long long)want_pending,
	      p->l.uart_spi, intx);
	check(p->reported[REP_CPU_ON] && r[REP_CPU_ON] == 0, "PSCI CPU_ON returned %lld",
	      (long long)r[REP_CPU_ON]);
	check(p->reported[REP_CONTEXT] && r[REP_CONTEXT] == 0x5ec0,
	      "vCPU 1 started with its context id 0x%llx", (unsigned long long)r[REP_CONTEXT]);
	check(p->reported[REP_MPIDR1] &&
	      arm64_mpidr_affinity(r[REP_MPIDR1]) == arm64_vcpu_mpidr(1),
	      "vCPU 1 sees MPIDR 0x%llx", (unsigned long long)r[REP_MPIDR1]);
	check(p->reported[REP_FLAG] && r[REP_FLAG] == 1, "vCPU 0 saw vCPU 1's flag in RAM");
	check(p->reported[REP_IAR_SPI] && r[REP_IAR_SPI] == 32 + intx,
	      "the guest acknowledged intid %llu (INTx, SPI %u, want intid %u)",
	      (unsigned long long)r[REP_IAR_SPI], intx, 32 + intx);
	if (read(p->resample_fd, &resampled, sizeof(resampled)) != sizeof(resampled))
		resampled = 0;
	check(p->resampled_at_exit == 1 && !resampled,
	      "its EOI signalled the resample fd once (count %llu at the next exit%s%s, %llu later)",
	      (unsigned long long)p->resampled_at_exit, p->resample_errno ? ": " : "",
	      p->resample_errno ? strerror(p->resample_errno) : "", (unsigned long long)resampled);
	check(p->reported[REP_IAR_AFTER] && r[REP_IAR_AFTER] == 1023,
	      "after the EOI the line is low: IAR %llu (1023: nothing pending)",
	      (unsigned long long)r[REP_IAR_AFTER]);
	check(p->reported[REP_CREADR] && r[REP_CREADR] == 96,
	      "the ITS took MAPD, MAPC, MAPTI (GITS_CREADR 0x%llx)",
	      (unsigned long long)r[REP_CREADR]);
	check(p->its_ready == 1 && p->signal_wrong_devid == 0,
	      "an MSI from device 0x%x (unmapped) dropped: KVM_SIGNAL_MSI %d", ITS_DEVID + 1,
	      p->signal_wrong_devid);
	check(p->reported[REP_IAR_LPI] && r[REP_IAR_LPI] == LPI_FIRST,
	      "the MSI route with device id 0x%x raised LPI %llu (want %u) through the ITS",
	      ITS_DEVID, (unsigned long long)r[REP_IAR_LPI], LPI_FIRST);
	msi.devid = ITS_DEVID;
	check(ioctl(p->vm_fd, KVM_SIGNAL_MSI, &msi) == 1,
	      "KVM_SIGNAL_MSI from device 0x%x delivered", ITS_DEVID);
	check(p->nisv_exits == 1 && p->nisv_ipa == NISV_ADDR,
	      "one KVM_EXIT_ARM_NISV at 0x%llx (want 0x%llx)", (unsigned long long)p->nisv_ipa,
	      NISV_ADDR);
	check(p->events == 1 && p->event == ARM64_EVENT_POWEROFF &&
	      !strcmp(p->event_msg, "vCPU 0: PSCI SYSTEM_OFF"),
	      "system event: '%s' -> %s", p->event_msg,
	      p->event == ARM64_EVENT_POWEROFF ? "poweroff" : "not poweroff");
	check(!p->reported[REP_AFTER_OFF], "nothing ran after SYSTEM_OFF");
}

int main(void)
{
	static struct probe p;
	struct vcpu_arg args[NVCPUS];
	struct sigaction sa = { .sa_handler = kick };
	char err[256] = "";
	void *ram;
	int i, ret;

	pthread_mutex_init(&p.lock, NULL);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	if (setup_vm(&p, &ram) || setup_gic_and_vcpus(&p) || setup_irqs(&p))
		goto out;
	ret = arm64_vcpu_set_boot(p.vcpu_fd[0], p.l.ram_base, DTB_ADDR, err, sizeof(err));
	check(ret == 0, "boot registers of vCPU 0 %s", err);
	if (ret)
		goto out;
	for (i = 0; i < NVCPUS; i++) {
		args[i] = (struct vcpu_arg){ &p, i };
		pthread_create(&p.thread[i], NULL, vcpu_thread, &args[i]);
	}
	for (i = 0; i < NVCPUS; i++)
		pthread_join(p.thread[i], NULL);
	check_run(&p);
out:
	printf("arm64-probe: %d of %d checks passed\n", passed, checks);
	return passed == checks && checks > 0 ? 0 : 1;
}
