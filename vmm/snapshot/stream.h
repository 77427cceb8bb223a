/* The snapshot and migration stream: its format, a writer to an fd and a
 * reader from an fd or from memory. A snapshot file
 * (vmm/machine_snapshot.c) is one.
 *
 * The stream (all integers little-endian):
 *   "CONDSNAP"     8 bytes of magic
 *   u32 version    SNAPSHOT_VERSION
 *   u32 length     of the shape, at most SNAPSHOT_SHAPE_MAX
 *   shape          the machine's shape (shape.h)
 *   records        each u16 type, u16 index, u32 length, then the payload
 *   end record     type SNAPSHOT_REC_END, index 0, length 4: the checksum
 *                  (checksum.h) of every byte of the stream before the record
 *
 * Version 2 is the one written. Version 1, the same but with zlib's crc32
 * in the end record, is still read, so snapshots of older conduits load.
 *
 * Records, with the payload length each may have (the reader checks a length
 * against it before it reads or allocates anything):
 *   vcpu           index a vCPU; 1 to 256 KiB, the vCPU's state
 *   irqchip        index 0; 1 to 64 KiB, the in-kernel PIC, IOAPIC and PIT
 *   clock          index 0; 16 bytes: the kvmclock (u64 ns) and the host's
 *                  CLOCK_REALTIME when it was read (u64 ns, 0 if not)
 *   ram            index 0; u64 gpa, then 1 byte to 1 MiB of guest RAM,
 *                  inside one RAM range of the shape
 *   device-state   index a device of the shape; 0 to 256 KiB, its state
 *   device-data    index a device; 1 byte to 1 MiB, a chunk of the data its
 *                  driver gives through VFIO migration, in order
 *   end            as above; nothing may follow it
 *
 * The reader hands records over as they arrive; the checksum is known only
 * at the end. So a loader applies them to a machine that is not running yet
 * and throws it away when the load fails; a snapshot in memory can be read
 * once without a callback to check it whole first. */
#ifndef CONDUIT_SNAPSHOT_STREAM_H
#define CONDUIT_SNAPSHOT_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "checksum.h"
#include "shape.h"

#define SNAPSHOT_MAGIC          "CONDSNAP"
#define SNAPSHOT_MAGIC_LEN      8
#define SNAPSHOT_VERSION        2       /* written */
#define SNAPSHOT_VERSION_OLDEST 1       /* the oldest read: zlib's crc32 */
#define SNAPSHOT_SHAPE_MAX      (16U << 10)
#define SNAPSHOT_REC_HDR_LEN    8
#define SNAPSHOT_RAM_CHUNK_MAX  (1U << 20)
#define SNAPSHOT_DATA_CHUNK_MAX (1U << 20)
#define SNAPSHOT_VCPU_MAX       (256U << 10)
#define SNAPSHOT_IRQCHIP_MAX    (64U << 10)
#define SNAPSHOT_DEVICE_MAX     (256U << 10)
#define SNAPSHOT_CLOCK_LEN      16
#define SNAPSHOT_ERR_LEN        256     /* room for any of the one-line errors */

enum snapshot_rec_type {
	SNAPSHOT_REC_VCPU = 1,
	SNAPSHOT_REC_IRQCHIP,
	SNAPSHOT_REC_CLOCK,
	SNAPSHOT_REC_RAM,
	SNAPSHOT_REC_DEVICE_STATE,
	SNAPSHOT_REC_DEVICE_DATA,
	SNAPSHOT_REC_END,
};

/* "vcpu", "ram", "device-state", ...; NULL for an unknown type. */
const char *snapshot_rec_name(unsigned type);
/* The payload lengths a record of a known type may have. */
void snapshot_rec_len_range(unsigned type, size_t *min, size_t *max);
/* What the index of a record of a known type counts: 'v' vCPUs, 'd'
 * devices, 0 nothing (the index must be 0). */
char snapshot_rec_index_kind(unsigned type);

/* CLOCK_MONOTONIC in ns, for io_ns. */
uint64_t snapshot_clock_ns(void);

/* memcpy() for the bytes of the stream, in pieces that stay fast when the
 * CPU is emulated (stream.c says why). */
void snapshot_copy(void *dst, const void *src, size_t len);

/* A writer's pace: called before each write() with the bytes about to go,
 * it returns how many may go now (1 to len; it may sleep first), or a
 * negative errno that fails the writer (a live migration's bandwidth cap,
 * vmm/migrate_throttle.h). */
typedef ssize_t (*snapshot_pace_fn)(void *opaque, size_t len);

/* Writer: the stream to a file or a socket, buffered; short writes, EINTR
 * and EAGAIN (it waits in poll()) are handled. Every function returns 0 or
 * a negative errno, and after a failure keeps returning it: -EINVAL for a
 * record the reader would refuse (a bug of the caller), -EMSGSIZE for a
 * payload above its type's cap, or what write(2) failed with. The fd is the
 * caller's; the shape must outlive the writer. */
struct snapshot_writer {
	int fd;
	const struct snapshot_shape *shape;
	uint8_t *buf;
	size_t len;
	struct snapshot_sum sum;        /* over every byte so far */
	uint64_t offset;        /* bytes of the stream so far */
	unsigned records;
	int err;
	bool ended;
	snapshot_pace_fn pace;          /* NULL: as fast as the fd takes it */
	void *pace_opaque;
	uint64_t io_ns;                 /* spent in write(2) and poll(2): the fd's
					 * pace (a slow reader) and the kernel's copy */
};

/* Starts the stream: magic, version and shape (buffered). */
int snapshot_writer_open(struct snapshot_writer *w, int fd, const struct snapshot_shape *shape);
/* Every write() from here on asks pace first. */
void snapshot_writer_set_pace(struct snapshot_writer *w, snapshot_pace_fn pace, void *opaque);
/* A vcpu, irqchip, clock, device-state or device-data record. */
int snapshot_write_record(struct snapshot_writer *w, enum snapshot_rec_type type,
			  unsigned index, const void *data, size_t len);
/* Guest RAM at gpa, cut into ram records of at most SNAPSHOT_RAM_CHUNK_MAX. */
int snapshot_write_ram(struct snapshot_writer *w, uint64_t gpa, const void *data, size_t len);
/* The same for RAM that may change while it is written (a running guest):
 * each byte is copied into the writer's buffer and the checksum taken over
 * the copy, so it covers exactly the bytes sent (a page changed meanwhile is
 * dirty again and goes later). */
int snapshot_write_ram_copy(struct snapshot_writer *w, uint64_t gpa, const void *data,
			    size_t len);
/* The end record, and everything written out. */
int snapshot_write_end(struct snapshot_writer *w);
/* Frees the buffer; does not close the fd nor write what is pending. */
void snapshot_writer_free(struct snapshot_writer *w);

/* A record as the reader hands it over; data points into the reader and is
 * good until the next read. */
struct snapshot_record {
	enum snapshot_rec_type type;
	unsigned index;
	const struct snapshot_device *dev;  /* device records: the snapshot's device */
	uint64_t gpa;                       /* ram: where data goes */
	const uint8_t *data;                /* the payload; for ram, after the gpa */
	size_t len;
	unsigned seq;                       /* 1 for the first record */
	uint64_t offset;                    /* where the record starts */
};

enum snapshot_reader_state {
	SNAPSHOT_READ_HEADER,
	SNAPSHOT_READ_RECORDS,
	SNAPSHOT_READ_DONE,
	SNAPSHOT_READ_FAILED,
};

/* Where a ram record's bytes go: the memory for gpa..gpa+len (inside one
 * RAM range of the snapshot's shape, checked before), or NULL (then they
 * go to the reader's buffer as without a destination). */
typedef uint8_t *(*snapshot_ram_dest_fn)(void *opaque, uint64_t gpa, size_t len);

/* Reader: from an fd (a file or a socket, read in bounded pieces as it
 * arrives) or from memory. */
struct snapshot_reader {
	int fd;                         /* -1: from memory */
	const uint8_t *mem;
	size_t mem_len;
	uint8_t *rbuf;                  /* fd: read, not yet taken */
	size_t rpos, rlen;
	uint64_t offset;                /* of the next byte taken */
	uint32_t version;               /* the stream's, once its header is read */
	struct snapshot_sum sum;        /* over every byte so far */
	uint8_t *payload;
	size_t payload_cap;
	unsigned records;
	bool live;                      /* a live migration's socket */
	int idle_ms;                    /* live: how long a read may wait; 0: for ever */
	snapshot_ram_dest_fn ram_dest;  /* NULL: ram records to payload too */
	void *ram_dest_opaque;
	enum snapshot_reader_state state;
	struct snapshot_shape shape;    /* the snapshot's, once the header is read */
	uint64_t io_ns;                 /* spent in read(2) and poll(2): the fd's
					 * pace (a slow writer) and the kernel's copy */
};

void snapshot_reader_init_fd(struct snapshot_reader *r, int fd);
/* The fd is a live migration's socket: a stream cut short is the source
 * closing the connection (so the errors say), and no byte for idle_ms
 * (0: no limit) is an error too (a source that hangs). */
void snapshot_reader_set_live(struct snapshot_reader *r, int idle_ms);
void snapshot_reader_init_mem(struct snapshot_reader *r, const void *buf, size_t len);
/* Ram records are read straight into what fn gives (no copy through the
 * reader's buffer); such a record's data then points there. The bytes land
 * before the stream's checksum is known: the memory must be a machine not
 * running yet, thrown away when the load fails (as any record's effect). */
void snapshot_reader_set_ram_dest(struct snapshot_reader *r, snapshot_ram_dest_fn fn,
				  void *opaque);
void snapshot_reader_free(struct snapshot_reader *r);

/* Magic, version and shape into r->shape: 0, or -1 and one line in err. */
int snapshot_read_header(struct snapshot_reader *r, char *err, size_t errlen);
/* The next record: 1 and *rec; 0 at the end (the checksum matches and
 * nothing follows); -1 and one line in err. After an error or the end, it
 * keeps returning that. */
int snapshot_read_record(struct snapshot_reader *r, struct snapshot_record *rec,
			 char *err, size_t errlen);

/* A loader's callback, per record: 0, or -1 with one line in err. */
typedef int (*snapshot_record_fn)(void *opaque, const struct snapshot_record *rec,
				  char *err, size_t errlen);

/* The whole stream: the header, the snapshot's shape checked against
 * expected (snapshot_shape_check()) before any record, then each record to
 * fn (none: only check). 0, or -1 and one line in err. */
int snapshot_load(struct snapshot_reader *r, const struct snapshot_shape *expected,
		  snapshot_record_fn fn, void *opaque, char *err, size_t errlen);

#endif
