/* Handing an opened VFIO device to an unprivileged conduit: a privileged
 * `conduit bind BDF --serve SOCKET` opens the device's cdev and /dev/iommu
 * and sends both fds over a Unix socket (SCM_RIGHTS) to the conduit started
 * with `--passthrough fd:SOCKET`, which then needs no access to /dev/vfio,
 * /dev/iommu or sysfs. */
#ifndef CONDUIT_FD_PASSING_H
#define CONDUIT_FD_PASSING_H

#include <stddef.h>
#include <sys/types.h>

#define FDPASS_NAME_LEN 40
#define FDPASS_MAGIC    "conduit-fds 1 "        /* then the device's name */

/* What a server hands over. */
struct fdpass_handoff {
	int device_fd;                  /* /dev/vfio/devices/vfioN, unbound */
	int iommufd;                    /* /dev/iommu */
	char name[FDPASS_NAME_LEN];     /* the device's PCI address */
};

/* Listen on path (created with mode 0600, owned by uid unless uid is
 * (uid_t)-1), accept one client whose uid is uid or 0, send it h, close and
 * remove the socket. ready() (may be NULL) runs once the socket listens.
 * Returns 0, or -1 with a one-line error. */
int fdpass_serve(const char *path, uid_t uid, const struct fdpass_handoff *h,
		 void (*ready)(const char *path), char *err, size_t errlen);

/* Connect to path and receive a handoff. Returns 0, or -1 with a one-line
 * error; on success the caller owns both fds. */
int fdpass_receive(const char *path, struct fdpass_handoff *h, char *err, size_t errlen);

/* Check a received message: the payload (len bytes, not NUL-terminated)
 * and the number of fds that came with it. Fills h->name. Pure, for tests. */
int fdpass_check_message(const char *payload, size_t len, int nfds,
			 struct fdpass_handoff *h, char *err, size_t errlen);

#endif
