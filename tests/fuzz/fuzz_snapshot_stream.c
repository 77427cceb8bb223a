/* Fuzzer for the snapshot stream's reader (vmm/snapshot/; groundwork for
 * issue 15): the input is a flags byte, then a stream loaded against a
 * fixed machine (2 MiB of RAM at 0 and 1 MiB at 4 GiB, 2 vCPUs, devices
 * serial0, vcon and pt0, an mdev of type mtty-2 at slot 3). Flags bit 0:
 * when the stream ends in an end record's header and 4 bytes, those bytes
 * are set to the right checksum first, so mutations get past it.
 *
 * Each record goes to a callback that reads it as a device's load function
 * would: a list of bounded gets (a FIFO length refused above 16, an IRQ pin
 * above 23) and one check. Checked: the error is one line; loading from an
 * fd, with ram records read in place into the machine's RAM or not, gives
 * the same result and the same line as from memory; a record
 * handed over lies inside the machine's RAM and device list; and a stream
 * that loads is written again by the writer byte for byte. */
#include <sys/mman.h>
#include <unistd.h>
#include "fuzz.h"
#include "../../vmm/snapshot/cursor.h"
#include "../../vmm/snapshot/shape.h"
#include "../../vmm/snapshot/stream.h"

#define LOW_RAM  (2U << 20)
#define HIGH_RAM (1U << 20)
#define HIGH_GPA (1ULL << 32)

static struct snapshot_shape machine;
static uint8_t *guest_ram;
static int memfd = -1;

static void setup_once(void)
{
	if (guest_ram)
		return;
	snapshot_shape_init(&machine);
	if (snapshot_shape_add_ram(&machine, 0, LOW_RAM) ||
	    snapshot_shape_add_ram(&machine, HIGH_GPA, HIGH_RAM) ||
	    snapshot_shape_set_vcpus(&machine, 2) ||
	    snapshot_shape_add_device(&machine, "serial0", "serial", "", SNAPSHOT_NO_SLOT) ||
	    snapshot_shape_add_device(&machine, "vcon", "virtio-console", "", 2) ||
	    snapshot_shape_add_device(&machine, "pt0", "vfio-mdev", "mtty-2", 3))
		abort();
	guest_ram = malloc(LOW_RAM + HIGH_RAM);
	memfd = memfd_create("fuzz-snap", 0);
	if (!guest_ram || memfd < 0)
		abort();
}

static void load_serial(struct snap_in *in)
{
	unsigned fifo;

	snap_get_u8(in);                /* IER */
	snap_get_u8(in);                /* LCR */
	fifo = snap_get_u16(in);
	if (fifo > 16)
		snap_in_fail(in, "a FIFO of more than 16 bytes");
	snap_get_span(in, fifo);
}

static void load_device(struct snap_in *in, const struct snapshot_record *rec)
{
	uint8_t config[64];
	char name[16];

	if (!strcmp(rec->dev->id, "serial0")) {
		load_serial(in);
	} else if (!strcmp(rec->dev->id, "vcon")) {
		snap_get_u16(in);
		snap_get_str(in, name, sizeof(name));
	} else {
		FUZZ_ASSERT(!strcmp(rec->dev->id, "pt0"));
		snap_get_bytes(in, config, sizeof(config));
	}
}

static void load_irqchip(struct snap_in *in)
{
	unsigned n = snap_get_u8(in), i;

	for (i = 0; i < n && !snap_in_failed(in); i++) {
		if (snap_get_u8(in) > 23)
			snap_in_fail(in, "an IRQ pin above 23");
		snap_get_u32(in);
	}
}

static uint8_t *ram_at(uint64_t gpa)
{
	return gpa < LOW_RAM ? guest_ram + gpa : guest_ram + LOW_RAM + (gpa - HIGH_GPA);
}

/* The reader's ram destination (a load in place): checked by the reader
 * against the shape first. */
static uint8_t *ram_dest(void *opaque, uint64_t gpa, size_t len)
{
	FUZZ_ASSERT(snapshot_shape_has_ram(&machine, gpa, len));
	return ram_at(gpa);
}

static void load_ram(const struct snapshot_record *rec)
{
	uint64_t gpa = rec->gpa;

	FUZZ_ASSERT(rec->len > 0 && rec->len <= SNAPSHOT_RAM_CHUNK_MAX);
	FUZZ_ASSERT(snapshot_shape_has_ram(&machine, gpa, rec->len));
	if (rec->data != ram_at(gpa))   /* not read in place */
		memcpy(ram_at(gpa), rec->data, rec->len);
}

static int load_record(void *opaque, const struct snapshot_record *rec, char *err, size_t errlen)
{
	struct snap_in in;
	char name[16];

	snap_in_init(&in, rec->data, rec->len, rec->offset + SNAPSHOT_REC_HDR_LEN);
	switch (rec->type) {
	case SNAPSHOT_REC_VCPU:
		FUZZ_ASSERT(rec->index < machine.vcpus);
		snap_get_u64(&in);
		snap_get_u32(&in);
		snap_get_str(&in, name, sizeof(name));
		break;
	case SNAPSHOT_REC_IRQCHIP:
		load_irqchip(&in);
		break;
	case SNAPSHOT_REC_CLOCK:
		FUZZ_ASSERT(rec->len == SNAPSHOT_CLOCK_LEN);
		snap_get_u64(&in);
		snap_get_u64(&in);
		break;
	case SNAPSHOT_REC_RAM:
		load_ram(rec);
		return 0;
	case SNAPSHOT_REC_DEVICE_STATE:
		FUZZ_ASSERT(rec->dev && snapshot_shape_find(&machine, rec->dev->id) >= 0);
		load_device(&in, rec);
		break;
	case SNAPSHOT_REC_DEVICE_DATA:
		FUZZ_ASSERT(rec->dev && rec->len >= 1 && rec->len <= SNAPSHOT_DATA_CHUNK_MAX);
		return 0;
	default:
		FUZZ_ASSERT(!"a record of a type the reader should not hand over");
	}
	return snap_in_finish(&in, "a record", err, errlen);
}

static void check_line(int ret, const char *err)
{
	if (ret == 0)
		return;
	FUZZ_ASSERT(ret == -1);
	FUZZ_ASSERT(err[0] && strlen(err) < SNAPSHOT_ERR_LEN - 1);
	FUZZ_ASSERT(!strchr(err, '\n'));
}

static int load_from_fd(const uint8_t *p, size_t n, bool in_place, char *err)
{
	struct snapshot_reader r;
	int ret;

	if (ftruncate(memfd, 0) || pwrite(memfd, p, n, 0) != (ssize_t)n ||
	    lseek(memfd, 0, SEEK_SET) != 0)
		abort();
	snapshot_reader_init_fd(&r, memfd);
	if (in_place)
		snapshot_reader_set_ram_dest(&r, ram_dest, NULL);
	ret = snapshot_load(&r, &machine, load_record, NULL, err, SNAPSHOT_ERR_LEN);
	snapshot_reader_free(&r);
	return ret;
}

static void write_one(struct snapshot_writer *w, const struct snapshot_record *rec)
{
	int ret;

	if (rec->type == SNAPSHOT_REC_RAM)
		ret = snapshot_write_ram(w, rec->gpa, rec->data, rec->len);
	else
		ret = snapshot_write_record(w, rec->type, rec->index, rec->data, rec->len);
	FUZZ_ASSERT(ret == 0);
}

/* A stream that loaded, read again and written by the writer: the same
 * bytes (the format leaves no choice), but for the version and the end
 * record's checksum when it was an older version's stream. */
static void rewrite(const uint8_t *p, size_t n)
{
	struct snapshot_writer w;
	struct snapshot_reader r;
	struct snapshot_record rec;
	char err[SNAPSHOT_ERR_LEN];
	uint8_t *back;
	int ret;

	snapshot_reader_init_mem(&r, p, n);
	FUZZ_ASSERT(snapshot_read_header(&r, err, sizeof(err)) == 0);
	if (ftruncate(memfd, 0) || lseek(memfd, 0, SEEK_SET) != 0)
		abort();
	FUZZ_ASSERT(snapshot_writer_open(&w, memfd, &r.shape) == 0);
	while ((ret = snapshot_read_record(&r, &rec, err, sizeof(err))) == 1)
		write_one(&w, &rec);
	FUZZ_ASSERT(ret == 0);
	FUZZ_ASSERT(snapshot_write_end(&w) == 0);
	FUZZ_ASSERT(w.offset == n);
	back = malloc(n);
	if (!back || pread(memfd, back, n, 0) != (ssize_t)n)
		abort();
	if (r.version == SNAPSHOT_VERSION) {
		FUZZ_ASSERT(!memcmp(back, p, n));
	} else {
		FUZZ_ASSERT(back[SNAPSHOT_MAGIC_LEN] == SNAPSHOT_VERSION);
		FUZZ_ASSERT(!memcmp(back, p, SNAPSHOT_MAGIC_LEN));
		FUZZ_ASSERT(!memcmp(back + SNAPSHOT_MAGIC_LEN + 4, p + SNAPSHOT_MAGIC_LEN + 4,
				    n - SNAPSHOT_MAGIC_LEN - 4 - 4));
	}
	free(back);
	snapshot_writer_free(&w);
	snapshot_reader_free(&r);
}

/* Set the checksum of a trailing end record to what it must be, by the
 * header's format version (1: zlib's crc32; anything else: the current). */
static void fix_checksum(uint8_t *p, size_t n)
{
	static const uint8_t end_hdr[] = { SNAPSHOT_REC_END, 0, 0, 0, 4, 0, 0, 0 };
	uint32_t crc, version = SNAPSHOT_VERSION;

	if (n < 12 || memcmp(p + n - 12, end_hdr, sizeof(end_hdr)))
		return;
	if (n >= 12 && p[8] == 1 && !p[9] && !p[10] && !p[11])
		version = 1;
	crc = snapshot_sum_of(version, p, n - 12);
	p[n - 4] = (uint8_t)crc;
	p[n - 3] = (uint8_t)(crc >> 8);
	p[n - 2] = (uint8_t)(crc >> 16);
	p[n - 1] = (uint8_t)(crc >> 24);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err_mem[SNAPSHOT_ERR_LEN], err_fd[SNAPSHOT_ERR_LEN];
	struct snapshot_reader r;
	uint8_t *p;
	size_t n;
	int ret, ret_fd;

	if (size < 1)
		return 0;
	setup_once();
	n = size - 1;
	p = malloc(n ? n : 1);
	if (!p)
		abort();
	memcpy(p, data + 1, n);
	if (data[0] & 1)
		fix_checksum(p, n);

	snapshot_reader_init_mem(&r, p, n);
	ret = snapshot_load(&r, &machine, load_record, NULL, err_mem, sizeof(err_mem));
	snapshot_reader_free(&r);
	check_line(ret, err_mem);

	ret_fd = load_from_fd(p, n, false, err_fd);
	FUZZ_ASSERT(ret_fd == ret);
	if (ret)
		FUZZ_ASSERT(!strcmp(err_mem, err_fd));
	ret_fd = load_from_fd(p, n, true, err_fd);
	FUZZ_ASSERT(ret_fd == ret);
	if (ret)
		FUZZ_ASSERT(!strcmp(err_mem, err_fd));
	else
		rewrite(p, n);
	free(p);
	return 0;
}
