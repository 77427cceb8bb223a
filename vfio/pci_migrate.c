/* A passed-through device's migration data through VFIO migration v2: the
 * source and destination steps of vfio/pci_migrate.h on the device's
 * struct vfio_mig (v->mig), each one a target for vfio_mig_goto, whose
 * planner walks single arcs and never STOP_COPY -> PRE_COPY(_P2P). */
#include <stdio.h>
#include <string.h>
#include "../vmm/log.h"
#include "pci_migrate.h"
#include "vfio_pci.h"

#define S_RUNNING     VFIO_DEVICE_STATE_RUNNING
#define S_STOP        VFIO_DEVICE_STATE_STOP
#define S_STOP_COPY   VFIO_DEVICE_STATE_STOP_COPY
#define S_RESUMING    VFIO_DEVICE_STATE_RESUMING
#define S_RUN_P2P     VFIO_DEVICE_STATE_RUNNING_P2P
#define S_PRE         VFIO_DEVICE_STATE_PRE_COPY
#define S_PRE_P2P     VFIO_DEVICE_STATE_PRE_COPY_P2P

int vfio_pci_mig_probe(struct vfio_pci *v, const char *driver, char *err, size_t errlen)
{
	if (v->mig_probed)
		vfio_mig_release(&v->mig);
	v->mig_probed = false;
	if (vfio_mig_init(&v->mig, v->fd, v->bdf, driver, err, errlen))
		return -1;
	v->mig_probed = true;
	vdev_pr(LOG_DEBUG, v, "migration: %s, in %s", vfio_mig_flags_name(v->mig.flags),
		vfio_mig_state_name(v->mig.state));
	return 0;
}

bool vfio_pci_mig_offers(const struct vfio_pci *v, uint32_t flag)
{
	return v->mig_probed && (v->mig.flags & flag) == flag;
}

const char *vfio_pci_mig_name(const struct vfio_pci *v)
{
	return v->bdf;
}

int vfio_pci_mig_fd(const struct vfio_pci *v)
{
	return v->fd;
}

uint32_t vfio_pci_mig_state(const struct vfio_pci *v)
{
	return v->mig_probed ? v->mig.state : VFIO_MIG_UNKNOWN;
}

uint32_t vfio_pci_mig_flags(const struct vfio_pci *v)
{
	return v->mig_probed ? v->mig.flags : 0;
}

static int not_probed(struct vfio_pci *v, char *err, size_t errlen)
{
	if (v->mig_probed)
		return 0;
	vdev_errmsg(v, err, errlen, "migration was not probed");
	return -1;
}

static int go(struct vfio_pci *v, uint32_t target, char *err, size_t errlen)
{
	if (not_probed(v, err, errlen))
		return -1;
	return vfio_mig_goto(&v->mig, target, err, errlen);
}

/* ---- source ---- */

int vfio_pci_mig_start(struct vfio_pci *v, char *err, size_t errlen)
{
	if (not_probed(v, err, errlen))
		return -1;
	v->mig.data_cap = 0;
	if (!vfio_pci_mig_offers(v, VFIO_MIGRATION_PRE_COPY))
		return 0;
	return go(v, S_PRE, err, errlen);
}

int vfio_pci_mig_precopy(struct vfio_pci *v, uint64_t budget, vfio_mig_sink sink, void *opaque,
			 uint64_t *initial, uint64_t *dirty, char *err, size_t errlen)
{
	enum vfio_mig_read_end end;

	*initial = *dirty = 0;
	if (not_probed(v, err, errlen))
		return -1;
	if (v->mig.state != S_PRE)
		return 0;
	if (vfio_mig_read(&v->mig, budget, sink, opaque, &end, err, errlen))
		return -1;
	return vfio_mig_precopy_info(&v->mig, initial, dirty, err, errlen);
}

int vfio_pci_mig_data_size(struct vfio_pci *v, uint64_t *bytes, char *err, size_t errlen)
{
	if (not_probed(v, err, errlen))
		return -1;
	return vfio_mig_data_size(&v->mig, bytes, err, errlen);
}

int vfio_pci_mig_quiesce(struct vfio_pci *v, char *err, size_t errlen)
{
	if (not_probed(v, err, errlen))
		return -1;
	if (!vfio_pci_mig_offers(v, VFIO_MIGRATION_P2P))
		return 0;
	if (v->mig.state == S_PRE)
		return go(v, S_PRE_P2P, err, errlen);
	return go(v, S_RUN_P2P, err, errlen);
}

/* In STOP_COPY: the cap on the session's data, from the device's estimate
 * on top of what PRE_COPY already gave; none when it has no estimate. */
static void set_cap(struct vfio_pci *v)
{
	uint64_t size, cap;
	char msg[256];

	if (vfio_mig_data_size(&v->mig, &size, msg, sizeof(msg))) {
		vdev_pr(LOG_DEBUG, v, "no cap on its STOP_COPY data: %s", msg);
		v->mig.data_cap = 0;
		return;
	}
	cap = vfio_mig_data_cap(size);
	v->mig.data_cap = cap > UINT64_MAX - v->mig.data_bytes ? UINT64_MAX :
			  cap + v->mig.data_bytes;
}

int vfio_pci_mig_stop_copy(struct vfio_pci *v, vfio_mig_sink sink, void *opaque,
			   char *err, size_t errlen)
{
	enum vfio_mig_read_end end;

	if (go(v, S_STOP_COPY, err, errlen))
		return -1;
	set_cap(v);
	if (vfio_mig_read(&v->mig, 0, sink, opaque, &end, err, errlen))
		return -1;
	if (end != VFIO_MIG_READ_END) {
		vdev_errmsg(v, err, errlen, "its STOP_COPY data did not end");
		return -1;
	}
	return go(v, S_STOP, err, errlen);
}

int vfio_pci_mig_cancel(struct vfio_pci *v, char *err, size_t errlen)
{
	if (not_probed(v, err, errlen))
		return -1;
	v->mig.data_cap = 0;
	if (vfio_mig_goto(&v->mig, S_RUNNING, err, errlen) == 0)
		return 0;
	if (v->mig.state != S_RUNNING)
		return -1;
	log_msg(LOG_WARN, "%s", err);  /* reset out of ERROR: RUNNING */
	err[0] = '\0';
	return 0;
}

/* ---- destination ---- */

int vfio_pci_mig_load_start(struct vfio_pci *v, char *err, size_t errlen)
{
	if (not_probed(v, err, errlen))
		return -1;
	v->mig.data_cap = 0;
	return go(v, S_RESUMING, err, errlen);
}

int vfio_pci_mig_load_chunk(struct vfio_pci *v, const void *buf, size_t len,
			    char *err, size_t errlen)
{
	if (not_probed(v, err, errlen))
		return -1;
	return vfio_mig_write(&v->mig, buf, len, err, errlen);
}

int vfio_pci_mig_load_end(struct vfio_pci *v, char *err, size_t errlen)
{
	if (not_probed(v, err, errlen))
		return -1;
	if (v->mig.state != S_RESUMING) {
		vdev_errmsg(v, err, errlen, "its migration data ends in %s, not RESUMING",
			    vfio_mig_state_name(v->mig.state));
		return -1;
	}
	return go(v, S_STOP, err, errlen);
}

int vfio_pci_mig_running_p2p(struct vfio_pci *v, char *err, size_t errlen)
{
	if (not_probed(v, err, errlen))
		return -1;
	if (!vfio_pci_mig_offers(v, VFIO_MIGRATION_P2P))
		return 0;
	return go(v, S_RUN_P2P, err, errlen);
}

int vfio_pci_mig_running(struct vfio_pci *v, char *err, size_t errlen)
{
	return go(v, S_RUNNING, err, errlen);
}
