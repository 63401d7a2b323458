/* The fabric manager: takes capacity and release requests from the
 * workload, turns them into FM API commands to the devices of the host's
 * interleave set, retries, times out, re-issues and forces, and reports
 * every request's outcome and stage timestamps to an optional observer
 * (docs/models.md).
 *
 * The FM is an entity.  It keeps its own shadow of each device's DPA
 * assignments (an extent map per region: pending where it prescribed an
 * offer, accepted per Add Capacity Response record, free again per Capacity
 * Released record or an unanswered offer's close) and prescribes from it
 * with its allocation policy whenever it must: for Prescriptive requests,
 * for devices of the qemu profile (prescriptive only) and for N-way
 * interleave sets, whose per-device parts must sit at the same DPA offset
 * in every device's region.  Capacity a device chose itself (Free or
 * Contiguous) enters the shadow with the Add Capacity Response.
 *
 * Wiring, at setup: fm_add_device(fm, device, cfg, api_port) for each
 * device (its configuration stands in for discovery with 5600h/5601h),
 * then dcd_connect_fm(dev, port from fm_device_port(fm, device));
 * fm_add_host(fm, host, devices, ways) for each host; the workload sends
 * requests to the port of fm_request_port(). */
#ifndef DCDSIM_MODELS_FM_H
#define DCDSIM_MODELS_FM_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/dcd.h"
#include "models/extent_map.h"
#include "models/proto.h"
#include "sim/sim.h"

/* Devices per interleave set (CXL allows 1..16 ways). */
#define FM_WAYS_MAX 16

struct fm_config {
	/* How the FM chooses DPA when it prescribes; RANDOM draws from the
	 * stream "fm". */
	enum extent_alloc_policy alloc_policy;
	/* The most extents one device part of an add may be made of when the
	 * FM prescribes (further capped by each device's payload and, under
	 * spec, its log capacity). */
	uint32_t max_extents_per_add;
	/* Retry Required: wait retry_backoff, doubling per retry, at most
	 * retry_backoff_max; after retry_max retries an add is blocked
	 * (log_full) and a release command is dropped (its timeout acts). */
	uint64_t retry_backoff;		/* ns */
	uint64_t retry_backoff_max;	/* ns */
	uint32_t retry_max;
	/* Release orchestration: when a host has not released everything
	 * release_timeout after the request (or its last re-issue), re-issue
	 * the release for what is left, up to release_reissue_max times; then
	 * force it when release_force, else give up (outcome timeout). */
	uint64_t release_timeout;	/* ns */
	uint32_t release_reissue_max;
	bool release_force;
	/* Ask devices to sanitize what is released (flag bit 5). */
	bool release_sanitize;
};

/* Defaults: first fit, 8 extents per part, backoff 100 us doubling to
 * 10 ms, 8 retries, release timeout 1 s, 2 re-issues, then force, no
 * sanitize flag. */
void fm_config_init(struct fm_config *cfg);

#define FM_ERROR (fm_error_quark())
GQuark fm_error_quark(void);

enum fm_error {
	FM_ERROR_CONFIG,	/* a bad configuration or wiring */
	FM_ERROR_INVARIANT,	/* fm_check_invariants found a broken one */
};

bool fm_config_validate(const struct fm_config *cfg, GError **error);

struct fm;

struct fm *fm_new(struct sim *k, const struct fm_config *cfg, GError **error);
/* Frees the FM and whatever it tracks; call it after the run. */
void fm_free(struct fm *fm);

/* Wiring.  DEVICE is the caller's fabric-wide device id (unique); CFG is
 * the device's configuration (copied); PORT is the device's FM API port. */
bool fm_add_device(struct fm *fm, unsigned device, const struct dcd_config *cfg,
		   const struct proto_fm_api_port *port, GError **error);
/* The port to give the device with dcd_connect_fm(). */
void fm_device_port(struct fm *fm, unsigned device, struct proto_fm_port *out);
/* HOST's interleave set: WAYS devices (1..FM_WAYS_MAX), in position order.
 * Every device must know the host, and with WAYS > 1 have the same region
 * count, lengths and block sizes (parts sit at equal region offsets). */
bool fm_add_host(struct fm *fm, unsigned host, const unsigned *devices, unsigned ways,
		 GError **error);

/* Requests: messages to the FM, ids chosen by the sender (non-zero, never
 * reused in a run). */
struct fm_add_request {
	uint64_t id;
	uint64_t size;		/* bytes over the whole interleave set */
	uint16_t host;
	uint8_t policy;		/* enum proto_select: free, contiguous, prescriptive */
	uint8_t region;
	uint8_t tag[PROTO_TAG_SIZE];
};

enum fm_release_by {
	FM_RELEASE_BY_ADD,	/* what add request ADD_ID got (and, forced, still has pending) */
	FM_RELEASE_BY_TAG,	/* every extent of the host with TAG in REGION */
	FM_RELEASE_BY_RANGE,	/* [START, START + LEN) of DEVICE */
};

struct fm_release_request {
	uint64_t id;
	uint64_t add_id;
	uint64_t start, len;
	uint16_t host;
	uint16_t device;
	uint8_t by;		/* enum fm_release_by */
	uint8_t region;		/* BY_TAG */
	uint8_t forced;		/* 1: Forced Removal at once */
	uint8_t tag[PROTO_TAG_SIZE];
};

/* Set DC Region Config of one device (the region must lend nothing). */
struct fm_region_request {
	uint64_t id;
	uint64_t block_size;
	uint16_t device;
	uint8_t region;
	uint8_t sanitize;	/* 1: sanitize on release */
};

struct fm_request_port {
	void *target;
	sim_handler_fn add;		/* struct fm_add_request */
	sim_handler_fn release;		/* struct fm_release_request */
	sim_handler_fn region;		/* struct fm_region_request */
};

void fm_request_port(struct fm *fm, struct fm_request_port *out);

enum fm_request_kind {
	FM_REQUEST_ADD,
	FM_REQUEST_RELEASE,
	FM_REQUEST_REGION,
	FM_REQUEST_KIND_COUNT
};

enum fm_outcome {
	FM_OUTCOME_DONE,	/* add: all accepted; release: all released; region: set */
	FM_OUTCOME_PARTIAL,	/* add: the hosts accepted part */
	FM_OUTCOME_REJECTED,	/* add: the hosts accepted nothing */
	FM_OUTCOME_BLOCKED,	/* refused for lack of resources: see cause */
	FM_OUTCOME_FAILED,	/* refused for another reason: see rc */
	FM_OUTCOME_FORCED,	/* release: completed by a forced release */
	FM_OUTCOME_TIMEOUT,	/* release: still not released, not forced */
	FM_OUTCOME_COUNT
};

/* "add", "release", "region"; "done", "partial", ... */
const char *fm_request_kind_name(enum fm_request_kind kind);
const char *fm_outcome_name(enum fm_outcome outcome);

/* A finished request, for the metrics.  Times are simulated ns; 0 where
 * the stage never happened. */
struct fm_report {
	uint64_t id;
	enum fm_request_kind kind;
	enum fm_outcome outcome;
	unsigned host;
	unsigned ways;
	uint64_t size;		/* add: asked; release: to release when asked */
	uint64_t bytes;		/* add: accepted; release: released */
	enum proto_cause cause;	/* BLOCKED */
	enum proto_rc rc;	/* FAILED: the first device refusal */
	uint32_t retries;	/* commands retried after Retry Required */
	uint32_t reissues;	/* release re-issued after a timeout */
	bool forced;		/* a forced release was sent */
	uint64_t t_arrival;	/* the request reached the FM */
	uint64_t t_sent;	/* its first FM API command left */
	uint64_t t_started;	/* every device had accepted its first command */
	uint64_t t_forced;	/* the forced release left */
	uint64_t t_done;	/* last response / release seen */
};

/* Called synchronously when a request finishes; REPORT is valid during the
 * call only.  The observer is not an entity: it must not call the FM. */
typedef void (*fm_observer_fn)(const struct fm_report *report, void *data);

void fm_set_observer(struct fm *fm, fm_observer_fn fn, void *data);

/* Observer: counters. */
struct fm_stats {
	uint64_t requests[FM_REQUEST_KIND_COUNT];	/* arrived */
	uint64_t outcomes[FM_OUTCOME_COUNT];		/* finished */
	uint64_t blocked[PROTO_CAUSE_COUNT];		/* by cause */
	uint64_t commands;				/* FM API commands sent */
	uint64_t retries, reissues, forced;
	uint64_t active;				/* requests not finished */
};

void fm_get_stats(const struct fm *fm, struct fm_stats *out);

/* Observer: the FM's shadow of REGION of DEVICE (NULL if unknown). */
const struct extent_map *fm_shadow_map(const struct fm *fm, unsigned device, unsigned region);

/* Observer, for tests: every shadow and every interleave set's free-space
 * intersection is a consistent extent map, and each intersection's free
 * space is what its devices' shadows give when recomputed from scratch.
 * O(entries log entries). */
bool fm_check_invariants(const struct fm *fm, GError **error);

#endif
