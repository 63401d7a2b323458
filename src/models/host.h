/* A host driver: one DC region interleaved over 1..16 devices, the
 * endpoint decoders that map it, the interrupt thread that drains the
 * devices' Dynamic Capacity event logs, a host policy that decides on
 * offers and releases, and the applications that keep memory in use
 * (DCD-REFERENCE.md §5, docs/host.md).
 *
 * The host is an entity: it talks to its devices only through the
 * messages of proto.h (interrupt, event records, mailbox commands and
 * completions), to its applications (the workload) through the messages
 * below.  Wiring, at setup, for each position p of the interleave set:
 *   dcd_connect_host(dev, host id, port from host_device_port(h, p));
 *   host_connect_device(h, p, port from dcd_mbox_port(dev, host id));
 * then host_connect_tenant() with the workload's port; the workload sends
 * to host_app_port().
 *
 * The interrupt thread is one per host and serialized: every step costs
 * simulated time and a mailbox command waits for its completion before the
 * thread goes on.  On an interrupt it runs Get Event Records, handles each
 * record, Clear Event Records, and repeats until a Get returns nothing.
 *
 * Region extents.  What the host surfaces is a region extent: one piece
 * (an accepted device extent) per position, all with the same tag and the
 * same DPA offset and length in their decoders (interleave.h).  A 1-way
 * host realizes an accepted extent before answering (as Linux does): the
 * Add DC Response then brings it online.  An N-way host answers first,
 * keeps each accepted piece until its partners arrive (stranded as a
 * half-built interleave), realizes the region extent when the set is
 * complete, and gives the pieces back (Release DC) after the assembly
 * timeout otherwise.
 *
 * Simulator bookkeeping: records carry the FM request id (struct
 * proto_sim); the host passes it through to its reports and uses it as the
 * handle its applications name capacity by.  Policies never see it. */
#ifndef DCDSIM_MODELS_HOST_H
#define DCDSIM_MODELS_HOST_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/interleave.h"
#include "models/latency.h"
#include "models/metrics.h"
#include "models/proto.h"
#include "sim/sim.h"

#define HOST_NAME_SIZE 32
#define HOST_MEMORY_BLOCK_DEFAULT (UINT64_C(128) << 20)

/* What a host does with a release record whose memory is in use. */
enum host_busy_release {
	HOST_BUSY_IGNORE,	/* answer nothing: the FM must ask again (Linux) */
	HOST_BUSY_DEFER,	/* release once the applications stop using it */
	HOST_BUSY_NOW,		/* release at once: what is in use is lost */
};

/* What a host does with a forced release record (the access is gone). */
enum host_forced {
	HOST_FORCED_IGNORE,	/* keep the extent as it was, stale (Linux) */
	HOST_FORCED_DROP,	/* drop the region extent, give back its partners */
};

/* The committed endpoint decoder of one position: the DPA range of the
 * device the region maps.  Filled by whoever wires the host from the
 * device's configuration (it stands in for discovery with 4800h). */
struct host_decoder {
	uint64_t dpa_base;
	uint64_t dpa_len;
	uint64_t block_size;		/* of the DC region; 0: unknown */
	uint32_t payload_size;		/* the device's mailbox payload */
};

struct host_policy_ops;

struct host_config {
	char name[HOST_NAME_SIZE];
	char policy[HOST_NAME_SIZE];	/* a built-in policy (host_policy_find) */
	/* A plugged-in policy instead (a Lua policy), borrowed: it must
	 * outlive the host; POLICY then only names it in messages. */
	const struct host_policy_ops *policy_ops;
	void *policy_data;
	unsigned ways;			/* 1, 2, 3, 4, 6, 8, 12 or 16 */
	uint64_t granularity;		/* 256 B .. 16 KiB */
	unsigned devices[INTERLEAVE_MAX_WAYS];	/* fabric device ids, by position */
	unsigned region;		/* the DC region index the decoders sit in */
	struct host_decoder decoders[INTERLEAVE_MAX_WAYS];
	uint64_t memory_block;		/* bytes onlined per step */
	/* Policy parameters; host_config_init sets the policy's defaults. */
	enum host_busy_release busy_release;
	enum host_forced forced;
	bool tag_groups;		/* a tag is one group, used and released whole */
	bool region_updates;		/* re-read the DC configuration on 03h */
	/* ns an open chain may wait before it is answered empty; 0: forever.
	 * Non-zero also guards against dropped records: a chain ends where a
	 * Get reports an overflow, and a refused answer resyncs (docs/host.md). */
	uint64_t chain_timeout;
	uint64_t assembly_timeout;	/* ns a piece waits for its partners */
	uint32_t max_pending;		/* extents per chain; 0: no limit */
	uint64_t alignment;		/* a misaligned extent drops its tag group; 0: off */
	struct latency_params latency;	/* the host_* fields */
};

#define HOST_ERROR (host_error_quark())
GQuark host_error_quark(void);

enum host_error {
	HOST_ERROR_CONFIG,	/* a bad configuration, or a policy that cannot serve it */
	HOST_ERROR_INVARIANT,	/* host_check_invariants found a broken one */
};

/* Defaults for POLICY ("linux", "linux-tags", "interleave"): 1 way at
 * 256 B granularity, region 0, no decoder, 128 MiB memory blocks, default
 * latencies, and the policy's parameters (docs/host.md):
 *   linux       ignore in-use releases, ignore forced releases, no tag
 *               groups, no 03h handling, no chain timeout;
 *   linux-tags  as linux, plus tag groups, 03h handled, chain timeout 20 s,
 *               100 pending extents, 2 MiB alignment;
 *   interleave  defer in-use releases, drop on forced release, tag groups
 *               off, 03h handled, chain timeout 20 s, assembly timeout 1 s.
 * Fails with ERROR for an unknown policy name. */
bool host_config_init(struct host_config *cfg, const char *policy, GError **error);

/* Checks CFG: a known policy (or policy_ops) that supports it (linux and linux-tags: 1 way
 * only), valid ways and granularity, one decoder per position of equal,
 * non-zero length, a non-zero power-of-two memory block.  Messages name
 * the host: "host 'h0': policy 'linux' supports only 1-way DC regions,
 * got 2". */
bool host_config_validate(const struct host_config *cfg, GError **error);

struct host;

/* Host ID (the id devices know it by, in event records) with CFG (copied).
 * NULL with ERROR on a bad configuration. */
struct host *host_new(struct sim *k, unsigned id, const struct host_config *cfg,
		      GError **error);
void host_free(struct host *h);

/* ---- wiring ---------------------------------------------------------- */

/* The port the device at POSITION delivers to (give it to
 * dcd_connect_host), and the device's mailbox port. */
void host_device_port(struct host *h, unsigned position, struct proto_host_port *out);
void host_connect_device(struct host *h, unsigned position, const struct proto_mbox_port *mbox);

/* Application -> host.  USE: BYTES of the capacity of add request REQUEST
 * are in use from now (0: the applications stopped using it). */
struct host_use_msg {
	uint64_t request;
	uint64_t bytes;
};

struct host_app_port {
	void *target;
	sim_handler_fn use;		/* struct host_use_msg */
	sim_handler_fn destroy;		/* no payload: tear the region down */
};

void host_app_port(struct host *h, struct host_app_port *out);

/* Host -> application: the capacity of add request REQUEST is online
 * (BYTES of it) or, ONLINE 0, will not come online. */
struct host_capacity_msg {
	uint64_t request;
	uint64_t bytes;
	uint16_t host;
	uint8_t online;
};

struct host_tenant_port {
	void *target;
	sim_handler_fn capacity;	/* struct host_capacity_msg */
};

void host_connect_tenant(struct host *h, const struct host_tenant_port *port);

/* ---- reports to the metrics ------------------------------------------ */

enum host_report_kind {
	HOST_REPORT_SETTLED,	/* a request is online (bytes > 0) or never will be */
	HOST_REPORT_STRANDED,	/* bytes stranded for CAUSE changed by DELTA */
	HOST_REPORT_DEFERRED,	/* a release record was deferred */
	HOST_REPORT_IGNORED,	/* a release record was ignored */
	HOST_REPORT_LOST,	/* BYTES in use lost (forced release, teardown) */
};

/* Valid during the observer call only.  For SETTLED with BYTES > 0 the
 * stamps (simulated ns) follow the request: the arrival of the interrupt
 * (from DEVICE) that started the drain that read its first closing record,
 * that read, the first and the last piece decided, the last region extent
 * realized, and online (the later of realized and the last Add DC
 * Response done). */
struct host_report {
	enum host_report_kind kind;
	unsigned host;
	unsigned ways;
	uint64_t request;
	uint64_t bytes;
	int64_t delta;
	enum metrics_stranded_cause cause;
	unsigned device;
	uint64_t t_irq, t_read, t_decided_first, t_decided_last, t_realized, t_online;
};

/* Called synchronously; the observer must not call into the host except
 * through the observer functions below. */
typedef void (*host_observer_fn)(const struct host_report *report, void *data);

void host_set_observer(struct host *h, host_observer_fn fn, void *data);

/* ---- policies ---------------------------------------------------------- */

/* How an offered range meets what the host holds on a device. */
enum host_overlap {
	HOST_OVERLAP_NONE,
	HOST_OVERLAP_SOME,	/* overlaps an extent the host holds */
};

/* A host policy is a table of decisions; the host model does the rest.
 * The built-ins are "linux", "linux-tags" and "interleave"; a scenario
 * may plug in another table (a Lua policy) through host_config.policy_ops
 * or host_set_policy().  The decisions get the host read-only and may call
 * the observer functions and set policy timers (host_policy_timer). */
struct host_policy_ops {
	const char *name;
	/* Whether the policy supports CFG (e.g. its way count). */
	bool (*check)(const struct host_config *cfg, GError **error);
	/* A chain of N extents from POSITION closed: set ACCEPT[i] for each
	 * extent to accept (ACCEPT comes all false) and return true to answer
	 * now.  False waits: the extents stay pending and the next closing
	 * record of POSITION asks again over them all; the chain timeout, if
	 * any, answers empty. */
	bool (*decide_chain)(const struct host *h, void *data, unsigned position,
			     const struct proto_extent *offered, size_t n, bool *accept);
	/* A release record for REQUESTED on POSITION names region extents of
	 * the host with IN_USE bytes in use (0: idle).  DEFER on idle memory
	 * releases at once. */
	enum host_busy_release (*decide_release)(const struct host *h, void *data,
						 unsigned position,
						 const struct proto_extent *requested,
						 uint64_t in_use);
	/* A forced release record removed FORCED on POSITION under region
	 * extents of the host. */
	enum host_forced (*decide_forced)(const struct host *h, void *data, unsigned position,
					  const struct proto_extent *forced);
	/* Optional: Region Configuration Updated for the host's region came
	 * from POSITION; true re-reads the configuration.  NULL: the
	 * configuration's region_updates. */
	bool (*decide_region)(const struct host *h, void *data, unsigned position);
	/* Optional: a timer set with host_policy_timer() fired.  The policy
	 * may give capacity back from here (host_give_back). */
	void (*timer)(struct host *h, void *data, uint64_t arg);
	/* True when decide_chain accepts only extents host_overlap reports
	 * clear: the host then does not look each up again (it still checks
	 * the extents of one chain against each other). */
	bool accepts_clear;
};

/* The built-in policy called NAME, or NULL. */
const struct host_policy_ops *host_policy_find(const char *name);
/* "linux, linux-tags, interleave", for messages. */
const char *host_policy_names(void);

/* Replaces the policy (OPS and DATA borrowed: they must outlive the host). */
void host_set_policy(struct host *h, const struct host_policy_ops *ops, void *data);

/* From a decision: calls the policy's timer op with ARG after DELAY ns of
 * simulated time (a policy without one may not set timers). */
void host_policy_timer(const struct host *h, uint64_t delay, uint64_t arg);

/* From the policy's timer op: gives back, on the interrupt thread, every
 * region extent with a piece overlapping [START, START + LEN) of POSITION,
 * whole (what of it is in use is lost); with none, Release DC of the range
 * itself, as for a release record the host holds nothing for. */
void host_give_back(struct host *h, unsigned position, uint64_t start, uint64_t len);

/* Helpers for policies: whether [START, START + LEN) lies inside the
 * decoder of POSITION (false once the region is destroyed), whether it is
 * made of whole blocks of the region as the host last read it (a host
 * that handles Region Configuration Updated re-reads it), whether it
 * overlaps an extent the host holds there, and whether a region extent of
 * the host carries TAG. */
bool host_decoder_contains(const struct host *h, unsigned position, uint64_t start,
			   uint64_t len);
bool host_block_aligned(const struct host *h, unsigned position, uint64_t start, uint64_t len);
enum host_overlap host_overlap(const struct host *h, unsigned position, uint64_t start,
			       uint64_t len);
bool host_tag_in_use(const struct host *h, const uint8_t tag[PROTO_TAG_SIZE]);
/* The extents of POSITION's open chain (records read, not yet answered),
 * N of them; valid until the host next runs. */
const struct proto_extent *host_chain_get(const struct host *h, unsigned position, size_t *n);

/* ---- observers (not for entities) ------------------------------------ */

unsigned host_get_id(const struct host *h);
struct sim *host_get_sim(const struct host *h);
const char *host_get_name(const struct host *h);
const struct host_config *host_get_config(const struct host *h);

struct host_stats {
	uint64_t online_bytes;		/* in region extents online, HPA bytes */
	uint64_t in_use_bytes;
	uint64_t assembling_bytes;	/* accepted pieces waiting for partners */
	uint64_t stale_bytes;		/* kept after an ignored forced release */
	uint64_t region_extents;	/* live, any state */
	uint64_t chains_open;		/* read, not answered (broken ones too) */
	uint64_t records;		/* event records handled */
	uint64_t extents_accepted, extents_rejected;	/* offered extents */
	uint64_t releases, deferred, ignored;	/* release records by answer */
	uint64_t forced;		/* forced release records */
	uint64_t lost_bytes;		/* in use when access went */
	uint64_t chain_timeouts, assembly_timeouts;
	uint64_t offers_skipped;	/* answered empty to resync after a refusal */
	uint64_t mbox_failures;		/* responses and releases the device refused */
	uint64_t interrupts;
	bool region_destroyed;
};

void host_get_stats(const struct host *h, struct host_stats *out);

enum host_extent_state {
	HOST_EXTENT_REALIZING,	/* 1-way: accepted by the policy, response pending */
	HOST_EXTENT_ASSEMBLING,	/* N-way: waiting for partners or realization */
	HOST_EXTENT_ONLINE,
	HOST_EXTENT_RELEASING,	/* a Release DC is queued or in flight */
};

/* "realizing", "assembling", "online", "releasing". */
const char *host_extent_state_name(enum host_extent_state state);

/* One piece the host holds, as host_extents_foreach reports it. */
struct host_extent_info {
	unsigned device;		/* fabric device id */
	unsigned position;
	uint64_t start, len;		/* DPA */
	uint64_t request;
	uint8_t tag[PROTO_TAG_SIZE];
	enum host_extent_state state;
	bool stale;			/* forced away, kept (ignored) */
	bool accessible;		/* the applications may touch it */
	uint64_t hpa, hpa_len;		/* its region extent, HPA offsets */
	uint64_t in_use;		/* bytes of the region extent in use */
};

/* A non-zero return stops the walk and is returned. */
typedef int (*host_extent_fn)(const struct host_extent_info *info, void *data);

/* Every piece, by position then DPA. */
int host_extents_foreach(const struct host *h, host_extent_fn fn, void *data);

/* Whether the host may access DPA of device DEVICE: a piece of a region
 * extent that is online (or releasing after being online) and not stale. */
bool host_can_access(const struct host *h, unsigned device, uint64_t dpa);

/* Whether REQUEST still has pieces the host has not settled (online or
 * given up): the host will report it SETTLED later. */
bool host_request_open(const struct host *h, uint64_t request);

/* The host's own consistency: piece indexes, counters, states.  For tests. */
bool host_check_invariants(const struct host *h, GError **error);

/* For g_autoptr(dcdsim_host) only: a plain "host" would shadow every
 * "unsigned host" in the models. */
typedef struct host dcdsim_host;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(dcdsim_host, host_free)

#endif
