/* Every modelled latency of the device, FM and host models, in one place.
 *
 * A latency is a named parameter in nanoseconds (or nanoseconds per unit:
 * per extent, per GiB, per memory block) with a documented default.  The
 * table below drives docs/models.md and the scenario binding: adding a
 * field to struct latency_params means adding one row to the table in
 * latency.c, nothing else.
 *
 * Who applies which latency (so that no delay is counted twice):
 *   fm_api_cmd        the device, between an FM API command's arrival and
 *                     its execution; the completion leaves at execution
 *   mbox_cmd_base,    the device, between a mailbox doorbell and the
 *   mbox_per_extent   command's execution (base + per input entry), and
 *                     between execution and the completion (per output
 *                     entry)
 *   event_record_post the device, per record, from the command that makes
 *                     it until it is readable in the log (records of one
 *                     log post one after another)
 *   irq_delivery      the device, from the log going non-empty to the
 *                     host's interrupt handler; also from a record to the
 *                     FM's handler (on top of event_record_post)
 *   sanitize_per_gib  the device's sanitize engine, one job at a time
 *   host_*            the host model, in its interrupt thread: per record
 *                     handled, per region extent realized (cache flush of
 *                     the region, device creation, onlining per memory
 *                     block) and per release (cache flush) */
#ifndef DCDSIM_MODELS_LATENCY_H
#define DCDSIM_MODELS_LATENCY_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct latency_params {
	uint64_t fm_api_cmd;			/* ns per FM API command */
	uint64_t mbox_cmd_base;			/* ns per mailbox command */
	uint64_t mbox_per_extent;		/* ns per entry a command moves */
	uint64_t event_record_post;		/* ns per event record */
	uint64_t irq_delivery;			/* ns */
	uint64_t sanitize_per_gib;		/* ns per GiB sanitized */
	uint64_t host_cache_flush_per_gib;	/* ns per GiB of region flushed */
	uint64_t host_extent_create;		/* ns per region extent device */
	uint64_t host_online_per_block;		/* ns per memory block onlined */
	uint64_t host_record_handle;		/* ns per event record handled */
};

/* One row of the parameter table. */
struct latency_param_info {
	const char *name;		/* the field's name, e.g. "fm_api_cmd" */
	uint64_t default_value;
	const char *unit;		/* "ns", "ns/extent", "ns/GiB", "ns/block",
					 * "ns/record" */
	const char *description;	/* one sentence for docs and help */
	size_t offset;			/* of the field in struct latency_params */
};

#define LATENCY_ERROR (latency_error_quark())
GQuark latency_error_quark(void);

enum latency_error {
	LATENCY_ERROR_UNKNOWN,	/* no parameter of that name */
};

/* Every field at its default. */
void latency_params_init(struct latency_params *params);

/* The table, in struct order; *N_OUT gets its length. */
const struct latency_param_info *latency_param_table(size_t *n_out);
/* The row called NAME, or NULL. */
const struct latency_param_info *latency_param_find(const char *name);

/* Sets or reads the parameter called NAME.  An unknown name is an error
 * naming it (the scenario spelled it). */
bool latency_params_set(struct latency_params *params, const char *name, uint64_t value,
			GError **error);
bool latency_params_get(const struct latency_params *params, const char *name,
			uint64_t *out, GError **error);

/* PER_GIB ns per GiB scaled to BYTES, rounded up, saturating at UINT64_MAX. */
uint64_t latency_per_gib(uint64_t per_gib, uint64_t bytes);

/* mbox_cmd_base + ENTRIES * mbox_per_extent, saturating. */
uint64_t latency_mbox(const struct latency_params *params, uint64_t entries);

#endif
