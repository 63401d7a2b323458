/* A Dynamic Capacity Device: DC regions whose blocks it lends to hosts in
 * extents, a Dynamic Capacity event log per host, the host mailbox commands
 * (4800h-4803h, Get/Clear Event Records), the FM API commands (5602h,
 * 5604h, 5605h) and the Add Capacity Response / Capacity Released records
 * to the FM (DCD-REFERENCE.md §2-4, §6; docs/models.md).
 *
 * The device is an entity: it owns its state and talks only through the
 * messages of proto.h.  Wiring, at setup:
 *   - dcd_mbox_port(dev, host) and dcd_fm_api_port(dev) are where hosts
 *     and the FM send commands;
 *   - dcd_connect_host(dev, host, port) and dcd_connect_fm(dev, port) tell
 *     the device where its interrupts, outputs, completions and FM records
 *     go.  Every host id below config.nhosts must be connected before the
 *     device receives a command naming it.
 *
 * Profiles: `spec` (CXL r3.1: a full log makes the FM command fail with
 * Retry Required, the extent list generation number moves on every change,
 * every selection and removal policy) and `qemu` (QEMU's emulation: an
 * 8-record log that drops and counts overflow, prescriptive adds and
 * releases only, an Add DC Response always answers the oldest pending
 * offer, a generation number that never moves, 512 extents, tags untracked).
 *
 * Observers that are not entities (metrics, invariant checkers) may call
 * the functions marked "observer" below: they read, never change, and
 * never schedule. */
#ifndef DCDSIM_MODELS_DCD_H
#define DCDSIM_MODELS_DCD_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/extent_map.h"
#include "models/latency.h"
#include "models/proto.h"
#include "sim/sim.h"

#define DCD_REGIONS_MAX 8
#define DCD_HOSTS_MAX 64
/* Region base and decode length unit (CXL capacity multiplier). */
#define DCD_REGION_ALIGN (UINT64_C(256) << 20)

enum dcd_profile {
	DCD_PROFILE_SPEC,
	DCD_PROFILE_QEMU,
};

/* "spec", "qemu". */
const char *dcd_profile_name(enum dcd_profile profile);
bool dcd_profile_from_name(const char *name, enum dcd_profile *out);

struct dcd_region_config {
	uint64_t base;		/* DPA, DCD_REGION_ALIGN aligned */
	uint64_t decode_len;	/* a multiple of DCD_REGION_ALIGN */
	uint64_t len;		/* <= decode_len, a multiple of block_size */
	uint64_t block_size;	/* a power of two >= 64 */
	uint32_t dsmas_handle;
	bool sanitize_on_release;
};

struct dcd_config {
	enum dcd_profile profile;
	unsigned nregions;			/* 1..DCD_REGIONS_MAX */
	struct dcd_region_config regions[DCD_REGIONS_MAX];
	unsigned nhosts;			/* host ids 0..nhosts-1 */
	uint32_t max_extents;			/* pending ones count too */
	uint32_t max_tags;			/* distinct tags in use (spec) */
	uint32_t log_capacity;			/* records per host event log */
	uint32_t payload_size;			/* mailbox payload bytes */
	/* Free selection: the most extents one add may be served with. */
	uint32_t free_max_extents;
	/* How Free and Contiguous adds choose DPA; RANDOM draws from the
	 * device's stream "dcd<id>". */
	enum extent_alloc_policy alloc_policy;
	struct latency_params latency;
};

/* The defaults of PROFILE, with no region:
 *   spec: 1024 extents, 256 tags, 32-record logs, 4 KiB payload, 8 extents
 *         per Free add, first fit;
 *   qemu: 512 extents, 0 tags (untracked), 8-record logs, 2 KiB payload,
 *         first fit (unused: prescriptive only).
 * One host, default latencies. */
void dcd_config_init(struct dcd_config *cfg, enum dcd_profile profile);

/* Lays out COUNT regions as QEMU does: TOTAL bytes split equally from DPA
 * BASE, each region's length and decode length TOTAL / COUNT (which must
 * be a multiple of DCD_REGION_ALIGN), block size BLOCK_SIZE.  False with
 * ERROR when the split is impossible. */
bool dcd_config_set_uniform_regions(struct dcd_config *cfg, uint64_t base, uint64_t total,
				    unsigned count, uint64_t block_size, GError **error);

#define DCD_ERROR (dcd_error_quark())
GQuark dcd_error_quark(void);

enum dcd_error {
	DCD_ERROR_CONFIG,	/* a rule of the configuration is broken */
	DCD_ERROR_INVARIANT,	/* dcd_check_invariants found a broken one */
};

/* Checks the configuration as the Linux driver checks what a device
 * reports: 1..8 regions in increasing DPA order without overlap (by decode
 * length), base 256 MiB aligned, decode length a non-zero multiple of
 * 256 MiB, length non-zero, <= decode length and a multiple of the block
 * size, block size a power of two >= 64 B; and the limits: 1..DCD_HOSTS_MAX
 * hosts, at least one extent, log capacity and payload for one entry.  The
 * error names the region and the rule. */
bool dcd_config_validate(const struct dcd_config *cfg, GError **error);

struct dcd;

/* A device called "dcd<ID>" with configuration CFG (copied), its random
 * stream "dcd<ID>".  NULL with ERROR set on a bad configuration. */
struct dcd *dcd_new(struct sim *k, unsigned id, const struct dcd_config *cfg, GError **error);
void dcd_free(struct dcd *dev);

/* Wiring (see the top of this file).  The ports are copied. */
void dcd_connect_host(struct dcd *dev, unsigned host, const struct proto_host_port *port);
void dcd_connect_fm(struct dcd *dev, const struct proto_fm_port *port);
void dcd_mbox_port(struct dcd *dev, unsigned host, struct proto_mbox_port *out);
void dcd_fm_api_port(struct dcd *dev, struct proto_fm_api_port *out);

/* Observer notes: synchronous calls to an optional observer, made after
 * the device state changed.  The observer must not change the device. */
enum dcd_note_kind {
	DCD_NOTE_USAGE,		/* capacity changed state; extents, tags set */
	DCD_NOTE_REGION_MAP,	/* REGION's map was replaced (5602h) */
	DCD_NOTE_LOG_OVERFLOW,	/* a record to HOST was dropped (log full); an
				 * Add Capacity record marks its offer dropped */
	DCD_NOTE_LOG_RETRY,	/* an FM command got Retry Required (log full) */
};

struct dcd_note {
	enum dcd_note_kind kind;
	unsigned host;		/* LOG_OVERFLOW, LOG_RETRY */
	unsigned region;	/* REGION_MAP */
	uint64_t extents;	/* USAGE: extents counting against the limit */
	uint64_t tags;		/* USAGE: distinct tags in use */
};

typedef void (*dcd_observer_fn)(const struct dcd *dev, const struct dcd_note *note,
				void *data);

void dcd_set_observer(struct dcd *dev, dcd_observer_fn fn, void *data);

/* Observer: identity and configuration. */
unsigned dcd_get_id(const struct dcd *dev);
const char *dcd_get_name(const struct dcd *dev);
const struct dcd_config *dcd_get_config(const struct dcd *dev);

/* Observer: the map of REGION (valid until the region's configuration is
 * changed by 5602h, announced by DCD_NOTE_REGION_MAP, or dcd_free). */
const struct extent_map *dcd_region_map(const struct dcd *dev, unsigned region);

/* Observer: counters of the whole device. */
struct dcd_stats {
	uint64_t extents;		/* counting against max_extents */
	uint64_t tags;			/* distinct tags in use */
	uint64_t pending_groups;	/* offers not answered yet */
	uint64_t dead_groups;		/* of which hit by a forced release */
	uint64_t dropped_groups;	/* of which lost records of their chain */
	uint64_t dropped_bytes;		/* still pending in those */
	uint64_t sanitize_jobs;		/* released ranges not yet sanitized */
	uint64_t records_posted;	/* to host logs */
	uint64_t records_dropped;	/* qemu profile and forced releases */
	uint64_t retries;		/* Retry Required returned */
	uint64_t bytes[EXTENT_STATE_COUNT];
};

void dcd_get_stats(const struct dcd *dev, struct dcd_stats *out);

/* Observer: per host. */
struct dcd_host_stats {
	uint32_t log_count;		/* records readable in the log */
	uint32_t log_posting;		/* records being posted */
	uint64_t overflow;		/* records dropped, ever */
	uint32_t generation;		/* extent list generation number */
	uint64_t extents;		/* in the host's extent list */
	uint64_t pending_groups;
	bool mbox_busy;
};

void dcd_get_host_stats(const struct dcd *dev, unsigned host, struct dcd_host_stats *out);

/* Observer: calls FN for each extent in HOST's extent list (accepted and
 * releasing, in DPA order); a non-zero return stops the walk and is
 * returned. */
int dcd_host_extents_foreach(const struct dcd *dev, unsigned host, extent_map_fn fn,
			     void *data);

/* Observer: checks every invariant of the device: per region the blocks of
 * all states add up to the region's length and the map is consistent;
 * every non-free entry has a valid host (sanitizing: none) and a known
 * offer or release; extents, tags, releasing bytes and each offer's
 * pending entries within their limits and matching the counters; every
 * log within its capacity; every offer queued once.
 * O(n log n); for tests and the validation tool. */
bool dcd_check_invariants(const struct dcd *dev, GError **error);

#endif
