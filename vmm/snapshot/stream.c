/* The stream's record types: their names, the payload lengths each may
 * have and what their index counts, in one table the writer and the reader
 * both check against. */
#include <stddef.h>
#include "stream.h"

struct rec_rule {
	const char *name;
	size_t min;
	size_t max;
	char index;             /* 'v' a vCPU, 'd' a device, 0 none */
};

static const struct rec_rule rules[] = {
	[SNAPSHOT_REC_VCPU] = { "vcpu", 1, SNAPSHOT_VCPU_MAX, 'v' },
	[SNAPSHOT_REC_IRQCHIP] = { "irqchip", 1, SNAPSHOT_IRQCHIP_MAX, 0 },
	[SNAPSHOT_REC_CLOCK] = { "clock", SNAPSHOT_CLOCK_LEN, SNAPSHOT_CLOCK_LEN, 0 },
	[SNAPSHOT_REC_RAM] = { "ram", 9, 8 + SNAPSHOT_RAM_CHUNK_MAX, 0 },
	[SNAPSHOT_REC_DEVICE_STATE] = { "device-state", 0, SNAPSHOT_DEVICE_MAX, 'd' },
	[SNAPSHOT_REC_DEVICE_DATA] = { "device-data", 1, SNAPSHOT_DATA_CHUNK_MAX, 'd' },
	[SNAPSHOT_REC_END] = { "end", 4, 4, 0 },
};

static const struct rec_rule *rule(unsigned type)
{
	if (type >= sizeof(rules) / sizeof(rules[0]) || !rules[type].name)
		return NULL;
	return &rules[type];
}

const char *snapshot_rec_name(unsigned type)
{
	const struct rec_rule *r = rule(type);

	return r ? r->name : NULL;
}

void snapshot_rec_len_range(unsigned type, size_t *min, size_t *max)
{
	const struct rec_rule *r = rule(type);

	*min = r ? r->min : 0;
	*max = r ? r->max : 0;
}

char snapshot_rec_index_kind(unsigned type)
{
	const struct rec_rule *r = rule(type);

	return r ? r->index : 0;
}
