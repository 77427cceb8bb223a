/* Pausing and resuming the vCPUs (QMP stop / cont). vm_pause() sets the
 * request and kicks each vCPU out of KVM_RUN; each vCPU thread, seeing the
 * request, parks on a condition variable and counts itself; vm_pause()
 * returns once all started vCPUs are parked, so a caller knows no guest
 * instruction runs until vm_resume(). A stop of the VM (vm_request_exit)
 * releases parked vCPUs so their threads can end.
 *
 * The kvmclock is read at the pause and written back at the resume (as
 * QEMU does), so guest time does not jump by the time spent paused. */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include "log.h"
#include "vcpu.h"
#include "vm.h"
#include "vm_pause.h"

void vm_pause_init(struct vm_pause *p)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
}

void vm_pause_destroy(struct vm_pause *p)
{
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
}

void vm_pause_at_start(struct vm *vm)
{
	pthread_mutex_lock(&vm->pause.lock);
	vm->pause.paused = true;
	pthread_mutex_unlock(&vm->pause.lock);
}

static int started_vcpus(const struct vm *vm)
{
	int i, n = 0;

	for (i = 0; vm->vcpus && i < vm->n_cpus; i++)
		n += vm->vcpus[i].started;
	return n;
}

static void save_clock(struct vm *vm)
{
	struct kvm_clock_data c = { 0 };

	vm->pause.clock_saved = ioctl(vm->vm_fd, KVM_GET_CLOCK, &c) == 0;
	vm->pause.clock = c.clock;
	if (!vm->pause.clock_saved)
		pr_debug("KVM_GET_CLOCK: %s", strerror(errno));
}

static void restore_clock(struct vm *vm)
{
	struct kvm_clock_data c = { .clock = vm->pause.clock };

	if (vm->pause.clock_saved && ioctl(vm->vm_fd, KVM_SET_CLOCK, &c) < 0)
		pr_debug("KVM_SET_CLOCK: %s", strerror(errno));
	vm->pause.clock_saved = false;
}

int vm_pause(struct vm *vm)
{
	struct vm_pause *p = &vm->pause;
	int i, want;

	pthread_mutex_lock(&p->lock);
	if (p->paused) {
		pthread_mutex_unlock(&p->lock);
		return -EALREADY;
	}
	p->paused = true;
	pthread_mutex_unlock(&p->lock);
	for (i = 0; vm->vcpus && i < vm->n_cpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	want = started_vcpus(vm);
	pthread_mutex_lock(&p->lock);
	while (p->parked < want && !atomic_load(&vm->stopping))
		pthread_cond_wait(&p->cond, &p->lock);
	pthread_mutex_unlock(&p->lock);
	save_clock(vm);
	return 0;
}

int vm_resume(struct vm *vm)
{
	struct vm_pause *p = &vm->pause;

	pthread_mutex_lock(&p->lock);
	if (!p->paused) {
		pthread_mutex_unlock(&p->lock);
		return -EALREADY;
	}
	restore_clock(vm);
	p->paused = false;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

bool vm_paused(struct vm *vm)
{
	bool paused;

	pthread_mutex_lock(&vm->pause.lock);
	paused = vm->pause.paused;
	pthread_mutex_unlock(&vm->pause.lock);
	return paused;
}

void vm_pause_park(struct vcpu *v)
{
	struct vm_pause *p = &v->vm->pause;

	pthread_mutex_lock(&p->lock);
	if (p->paused && !atomic_load(&v->vm->stopping)) {
		p->parked++;
		pthread_cond_broadcast(&p->cond);
		while (p->paused && !atomic_load(&v->vm->stopping))
			pthread_cond_wait(&p->cond, &p->lock);
		p->parked--;
	}
	pthread_mutex_unlock(&p->lock);
}

void vm_pause_release(struct vm *vm)
{
	pthread_mutex_lock(&vm->pause.lock);
	pthread_cond_broadcast(&vm->pause.cond);
	pthread_mutex_unlock(&vm->pause.lock);
}
