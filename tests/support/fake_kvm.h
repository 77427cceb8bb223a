/* A fake KVM vm fd for tests and fuzzers: owns the answers to the vm ioctls
 * conduit's device code makes (KVM_IRQFD, KVM_SET_GSI_ROUTING,
 * KVM_SET_USER_MEMORY_REGION, KVM_IOEVENTFD, KVM_IRQ_LINE) and a model of
 * what KVM would hold after them: the attached irqfds, the last routing
 * table committed, the installed memory slots, the assigned ioeventfds.
 * Dirty logging: a slot's flags as last set (KVM_MEM_LOG_DIRTY_PAGES
 * gives it a dirty log, all set under KVM_DIRTY_LOG_INITIALLY_SET, that a
 * test marks with fake_kvm_dirty()), KVM_CHECK_EXTENSION of
 * KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 (cap_manual_protect), KVM_ENABLE_CAP of
 * it (recorded; a misuse once a slot has the flag), KVM_GET_DIRTY_LOG
 * (which clears what it hands out unless manual protect is on) and
 * KVM_CLEAR_DIRTY_LOG (recorded, with KVM's checks of its range).
 * A failure plan makes chosen calls fail, so error paths can be driven:
 * the n-th call that can fail in a real KVM (assigning an irqfd or an
 * ioeventfd, committing a routing table, creating a memory slot or
 * changing its flags) fails when bit n % 32 of fail_mask is set. Removals
 * never fail, as in KVM.
 * The x86 state ioctls on it (KVM_CHECK_EXTENSION, KVM_GET/SET_IRQCHIP,
 * _PIT2, _CLOCK) go to tests/support/fake_kvm_x86.c.
 * The fd is an eventfd of the test's own (fake_kvm_open()), so no other
 * code can mistake it; reached through tests/support/fake_ioctl.c. */
#ifndef CONDUIT_TESTS_FAKE_KVM_H
#define CONDUIT_TESTS_FAKE_KVM_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

#define FAKE_KVM_IRQFDS   4096
#define FAKE_KVM_ROUTES   4096
#define FAKE_KVM_SLOTS    512
#define FAKE_KVM_IOEVENTFDS 256
#define FAKE_KVM_LOG      64    /* KVM_IRQFD calls kept */

struct fake_kvm_irqfd {
	int efd, resamplefd;    /* resamplefd -1: none */
	uint32_t gsi;
};

struct fake_kvm_slot {
	bool used;
	uint64_t gpa, size, hva;
	uint32_t flags;
	uint64_t *dirty;                /* with KVM_MEM_LOG_DIRTY_PAGES: its log */
};

/* A KVM_CLEAR_DIRTY_LOG call, and the pages it found set and cleared. */
struct fake_kvm_clear {
	uint32_t slot, num_pages;
	uint64_t first_page, cleared;
};

struct fake_kvm {
	int fd;                         /* the fake vm fd; -1: none */
	/* The model of KVM's state. */
	struct fake_kvm_irqfd irqfd[FAKE_KVM_IRQFDS];
	unsigned n_irqfds;
	struct kvm_irq_routing_entry route[FAKE_KVM_ROUTES];
	unsigned n_routes;
	struct fake_kvm_slot slot[FAKE_KVM_SLOTS];
	struct kvm_ioeventfd ioeventfd[FAKE_KVM_IOEVENTFDS];
	unsigned n_ioeventfds;
	/* Counters, and the KVM_IRQFD calls in order (the first ones). */
	unsigned irqfd_calls, routing_commits, slot_calls, ioeventfd_calls,
		 irq_lines, other_calls;
	unsigned n_log;
	struct kvm_irqfd log[FAKE_KVM_LOG];
	/* Dirty logging: what KVM_CHECK_EXTENSION answers for
	 * KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 (the flags it takes; 0: none),
	 * what KVM_ENABLE_CAP set, the calls, the slot calls that had
	 * KVM_MEM_LOG_DIRTY_PAGES, the KVM_CLEAR_DIRTY_LOG calls (the first
	 * ones), and the pages write-protected again (by either ioctl). */
	int cap_manual_protect;
	uint64_t manual_protect;
	unsigned enable_cap_calls, log_flag_calls, get_dirty_calls, clear_calls;
	struct fake_kvm_clear clear[FAKE_KVM_LOG];
	uint64_t reprotected;
	/* The failure plan. */
	uint32_t fail_mask;
	int fail_errno;
	unsigned failable_calls, injected;
	/* Called with a description of a malformed call (the test fails). */
	void (*misuse)(const char *what);
};

extern struct fake_kvm fake_kvm;

/* Open the fake vm fd (once per process; again after fake_kvm_close()). */
int fake_kvm_open(void);
void fake_kvm_close(void);
/* Forget KVM's state, counters and the plan (the fd stays). */
void fake_kvm_reset(void);
/* From now on, fail the failable calls picked by mask (see above) with
 * err; counts failable calls and injected failures afresh. */
void fake_kvm_fail(uint32_t mask, int err);

/* The model: the irqfd attached on efd (NULL: none); the committed MSI
 * route of gsi (NULL: none); memory slots installed. */
const struct fake_kvm_irqfd *fake_kvm_irqfd_of(int efd);
const struct kvm_irq_routing_entry *fake_kvm_msi_route(uint32_t gsi);
unsigned fake_kvm_slots(void);
/* Mark page (from the slot's start) written in a slot's dirty log (the
 * test fails when the slot has none); the pages set in it. */
void fake_kvm_dirty(uint32_t slot, uint64_t page);
uint64_t fake_kvm_dirty_pages(uint32_t slot);

int fake_kvm_ioctl(unsigned long req, void *arg);

#endif
