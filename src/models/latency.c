#include "models/latency.h"

#include <string.h>

#define US UINT64_C(1000)
#define MS UINT64_C(1000000)
#define GIB (UINT64_C(1) << 30)

#define ROW(field, def, unit, text) \
	{ #field, def, unit, text, offsetof(struct latency_params, field) }

/* Defaults are orders of magnitude from public measurements of comparable
 * paths (MCTP FM API over a BMC, PCIe mailbox firmware, MSI-X, memory
 * hot-plug), meant to be swept, not trusted to a digit. */
static const struct latency_param_info table[] = {
	ROW(fm_api_cmd, 100 * US, "ns",
	    "FM API command (Initiate DC Add/Release, Set DC Region Config): arrival to execution"),
	ROW(mbox_cmd_base, 10 * US, "ns",
	    "mailbox command: doorbell to execution, before per-entry time"),
	ROW(mbox_per_extent, 100, "ns/extent",
	    "mailbox time per entry a command carries in or out (range, extent, record, region)"),
	ROW(event_record_post, 1 * US, "ns",
	    "device firmware time to post one event record into a log"),
	ROW(irq_delivery, 5 * US, "ns",
	    "event log empty -> non-empty to the host's interrupt handler (and record to FM)"),
	ROW(sanitize_per_gib, 100 * MS, "ns/GiB",
	    "sanitize of released capacity, one job at a time per device"),
	ROW(host_cache_flush_per_gib, 2 * MS, "ns/GiB",
	    "host CPU cache flush for a region, proportional to its size"),
	ROW(host_extent_create, 50 * US, "ns",
	    "host: create one region extent (DAX) device"),
	ROW(host_online_per_block, 2 * MS, "ns/block",
	    "host: online one memory block of the region extent"),
	ROW(host_record_handle, 2 * US, "ns/record",
	    "host interrupt thread: handle one Dynamic Capacity event record"),
};

G_DEFINE_QUARK(dcdsim-latency-error-quark, latency_error)

static uint64_t *field(struct latency_params *params, const struct latency_param_info *info)
{
	return (uint64_t *)((char *)params + info->offset);
}

void latency_params_init(struct latency_params *params)
{
	g_return_if_fail(params != NULL);
	for (size_t i = 0; i < G_N_ELEMENTS(table); i++)
		*field(params, &table[i]) = table[i].default_value;
}

const struct latency_param_info *latency_param_table(size_t *n_out)
{
	if (n_out)
		*n_out = G_N_ELEMENTS(table);
	return table;
}

const struct latency_param_info *latency_param_find(const char *name)
{
	g_return_val_if_fail(name != NULL, NULL);
	for (size_t i = 0; i < G_N_ELEMENTS(table); i++)
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

static const struct latency_param_info *find_or_error(const char *name, GError **error)
{
	const struct latency_param_info *info = latency_param_find(name);

	if (!info)
		g_set_error(error, LATENCY_ERROR, LATENCY_ERROR_UNKNOWN,
			    "unknown latency parameter '%s'", name);
	return info;
}

bool latency_params_set(struct latency_params *params, const char *name, uint64_t value,
			GError **error)
{
	const struct latency_param_info *info;

	g_return_val_if_fail(params != NULL && name != NULL, false);
	info = find_or_error(name, error);
	if (!info)
		return false;
	*field(params, info) = value;
	return true;
}

bool latency_params_get(const struct latency_params *params, const char *name,
			uint64_t *out, GError **error)
{
	const struct latency_param_info *info;

	g_return_val_if_fail(params != NULL && name != NULL && out != NULL, false);
	info = find_or_error(name, error);
	if (!info)
		return false;
	*out = *(const uint64_t *)((const char *)params + info->offset);
	return true;
}

uint64_t latency_per_gib(uint64_t per_gib, uint64_t bytes)
{
	/* whole GiB and the remainder apart, so neither product overflows
	 * before the saturation checks */
	uint64_t whole = bytes / GIB, part = bytes % GIB;
	uint64_t t;

	if (whole && per_gib > UINT64_MAX / whole)
		return UINT64_MAX;
	t = per_gib * whole;
	/* per_gib = q * 2^30 + r and part < 2^30 keep both products below
	 * 2^64: q * part < 2^34 * 2^30, r * part < 2^60 */
	if (part) {
		uint64_t q = per_gib / GIB, r = per_gib % GIB;
		uint64_t rest = q * part + (r * part + GIB - 1) / GIB;

		if (t > UINT64_MAX - rest)
			return UINT64_MAX;
		t += rest;
	}
	return t;
}

uint64_t latency_mbox(const struct latency_params *params, uint64_t entries)
{
	uint64_t per;

	g_return_val_if_fail(params != NULL, 0);
	if (entries && params->mbox_per_extent > UINT64_MAX / entries)
		return UINT64_MAX;
	per = params->mbox_per_extent * entries;
	if (params->mbox_cmd_base > UINT64_MAX - per)
		return UINT64_MAX;
	return params->mbox_cmd_base + per;
}
