/* What vfio/passthrough.c shares with vfio/hotplug.c. */
#ifndef CONDUIT_PASSTHROUGH_INTERNAL_H
#define CONDUIT_PASSTHROUGH_INTERNAL_H

#include "passthrough.h"

/* Choose (want, auto: by what the devices have) and open the backend. */
struct vfio_backend *passthrough_open_backend(enum vfio_backend_kind want,
					      const struct passthrough_dev *devs, int n,
					      char *err, size_t errlen);

#endif
