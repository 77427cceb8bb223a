/* The root file system of a `conduit exec` guest, built in memory as an
 * initramfs (boot/initramfs.h): a static busybox and its applet links
 * (made by the init at boot), the init script and report helper
 * (boot/exec_blobs.S), the command as a shell script, the host files the
 * command needs (its own file when it is a host path, --file copies), and
 * the kernel modules chosen by vmm/exec.c with boot/modules.h.
 *
 * Layout: /init, /bin/busybox, /conduit/{command,report,modules},
 * /lib/modules/conduit/NN-NAME.ko, the guest's working directory (the
 * host's, so relative paths mean the same), each file at its guest path
 * with its parent directories, and /dev/console for the kernel. */
#ifndef CONDUIT_EXEC_ROOTFS_H
#define CONDUIT_EXEC_ROOTFS_H

#include <stddef.h>
#include "initramfs.h"
#include "modules.h"

/* A static busybox is at most this big; a command or --file at most
 * EXEC_FILE_MAX (guest RAM bounds the sum: the initrd must fit). */
#define EXEC_BUSYBOX_MAX (16UL << 20)
#define EXEC_FILE_MAX    (1UL << 30)

struct exec_file {
	const char *src;        /* host path */
	const char *dst;        /* absolute guest path */
};

struct exec_rootfs {
	const char *busybox;            /* host path of a static busybox */
	const char *cwd;                /* the command's directory: absolute */
	char *const *argv;              /* the command; argv[0] as the guest finds it */
	int argc;
	const struct exec_file *files;  /* copied in, in order */
	size_t n_files;
	struct modules *mods;           /* NULL when no module is loaded */
	const struct module_order *order;
};

/* Check that path is a static ELF busybox: 0, or -1 with a one-line err
 * that names the file and the Debian package (busybox-static). */
int exec_busybox_check(const char *path, char *err, size_t errlen);

/* The shell script that runs argv in cwd: each word single-quoted, so no
 * argument is ever split, globbed or expanded. malloc'd, NULL on ENOMEM. */
char *exec_command_script(const char *cwd, char *const *argv, int argc);

/* Build the whole archive into ir (initialised by the caller, finished
 * here). Returns 0 or -1 with a one-line err naming the file at fault. */
int exec_rootfs_build(const struct exec_rootfs *r, struct initramfs *ir,
		      char *err, size_t errlen);

#endif
