/* Firmware loading for --bios: checking the image, the read-only memory
 * slot that ends at 4 GiB, and the copy of its top into shadow RAM. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../../vmm/memslot.h"
#include "firmware.h"

#define RESET_VECTOR_OFFSET 16  /* from the end of the image */

static bool size_ok(uint64_t len)
{
	return len >= FIRMWARE_MIN_SIZE && len <= FIRMWARE_MAX_SIZE && len % FIRMWARE_MIN_SIZE == 0;
}

const char *firmware_path(const char *bios)
{
	return strcmp(bios, "seabios") ? bios : SEABIOS_PATH;
}

int firmware_check(const uint8_t *data, size_t len, char *err, size_t errlen)
{
	const uint8_t *rv;
	int i;

	if (!size_ok(len)) {
		snprintf(err, errlen, "is %zu bytes: a firmware image is a multiple of 64 KiB "
			 "from 64 KiB to 16 MiB", len);
		return -1;
	}
	rv = data + len - RESET_VECTOR_OFFSET;
	for (i = 0; i < 4 && rv[i] == 0x90; i++)
		;
	/* jmp rel16 / jmp ptr16:16 / jmp rel8 */
	if (rv[i] != 0xe9 && rv[i] != 0xea && rv[i] != 0xeb) {
		snprintf(err, errlen, "is not a firmware image: no jump at its reset vector "
			 "(16 bytes from the end)");
		return -1;
	}
	return 0;
}

static int read_all(int fd, uint8_t *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += (size_t)n;
	}
	return 0;
}

int firmware_load(const char *bios, struct firmware *fw, char *err, size_t errlen)
{
	const char *path = firmware_path(bios);
	char why[160];
	struct stat st;
	int fd, ret = -1;

	memset(fw, 0, sizeof(*fw));
	snprintf(fw->path, sizeof(fw->path), "%s", path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "--bios %s: %s%s", path, strerror(errno),
			 errno == ENOENT && path != bios ? " (install the seabios package)" : "");
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "--bios %s: not a regular file", path);
		goto out;
	}
	if (!size_ok((uint64_t)st.st_size)) {
		snprintf(err, errlen, "--bios %s: is %lld bytes: a firmware image is a multiple "
			 "of 64 KiB from 64 KiB to 16 MiB", path, (long long)st.st_size);
		goto out;
	}
	fw->size = (size_t)st.st_size;
	fw->image = mmap(NULL, fw->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fw->image == MAP_FAILED) {
		fw->image = NULL;
		snprintf(err, errlen, "--bios %s: %s", path, strerror(errno));
		goto out;
	}
	if (read_all(fd, fw->image, fw->size)) {
		snprintf(err, errlen, "--bios %s: cannot read it", path);
		goto out;
	}
	if (firmware_check(fw->image, fw->size, why, sizeof(why))) {
		snprintf(err, errlen, "--bios %s: %s", path, why);
		goto out;
	}
	ret = 0;
out:
	close(fd);
	if (ret)
		firmware_free(fw);
	return ret;
}

int firmware_map(const struct firmware *fw, int vm_fd, int slot, char *err, size_t errlen)
{
	uint64_t gpa = MEM_4G - fw->size;
	int ret;

	ret = slot < 0 ? -ENOSPC : memslot_set(vm_fd, slot, gpa, fw->size, fw->image,
					       KVM_MEM_READONLY);
	if (ret) {
		snprintf(err, errlen, "mapping the firmware at 0x%llx: %s",
			 (unsigned long long)gpa, strerror(-ret));
		return -1;
	}
	return 0;
}

int firmware_shadow(const struct firmware *fw, const struct guest_mem *gm, char *err,
		    size_t errlen)
{
	size_t low = fw->size < FIRMWARE_LOW_SIZE ? fw->size : FIRMWARE_LOW_SIZE;
	uint8_t *shadow = gpa_to_hva(gm, 0x100000 - low, low);

	if (!shadow) {
		snprintf(err, errlen, "no RAM below 1 MiB for the firmware's shadow copy");
		return -1;
	}
	memcpy(shadow, fw->image + fw->size - low, low);
	return 0;
}

void firmware_free(struct firmware *fw)
{
	if (fw->image)
		munmap(fw->image, fw->size);
	fw->image = NULL;
	fw->size = 0;
}
