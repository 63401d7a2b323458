/* The workload: tenants that ask the FM for capacity, use it once their
 * host says it is online, stop using it and have the FM release it after a
 * holding time (docs/host.md).  Lua declares it; the per-event path is C.
 *
 * The workload is an entity.  It sends add and release requests to the
 * FM's request port, use messages to each host's application port, and
 * hears from the hosts on its tenant port when a request's capacity is
 * online (or never will be).  Wiring: workload_connect_fm(),
 * workload_connect_host() per host, host_connect_tenant() with
 * workload_tenant_port(); then workload_start().
 *
 * Requests come from generators (Poisson or periodic arrivals, in bursts,
 * with size, holding-time and in-use distributions, each drawing from its
 * own stream "workload.<name>") and from items: a trace of timed requests,
 * or requests a script submits now.  A request's id tells which generator
 * or item it came from, so nothing is kept for a request before it is
 * online; one that never comes online costs nothing. */
#ifndef DCDSIM_MODELS_WORKLOAD_H
#define DCDSIM_MODELS_WORKLOAD_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/fm.h"
#include "models/host.h"
#include "sim/sim.h"

#define WORKLOAD_NAME_SIZE 32
/* A holding or use time that never ends. */
#define WORKLOAD_NEVER SIM_TIME_NEVER

enum workload_dist_kind {
	WORKLOAD_DIST_FIXED,		/* a */
	WORKLOAD_DIST_UNIFORM,		/* [a, b) */
	WORKLOAD_DIST_EXPONENTIAL,	/* mean a */
	WORKLOAD_DIST_NORMAL,		/* mean a, deviation b, clamped at 0 */
	WORKLOAD_DIST_LOGNORMAL,	/* mu a, sigma b of the underlying normal */
	WORKLOAD_DIST_PARETO,		/* scale a, shape b */
	WORKLOAD_DIST_WEIBULL,		/* scale a, shape b */
};

/* A distribution of sizes (bytes) or times (ns). */
struct workload_dist {
	enum workload_dist_kind kind;
	double a, b;
};

/* "fixed", "uniform", "exponential", "normal", "lognormal", "pareto",
 * "weibull". */
const char *workload_dist_name(enum workload_dist_kind kind);
bool workload_dist_from_name(const char *name, enum workload_dist_kind *out);

/* One draw (sim_rng.h), never negative; the parameters must be valid. */
double workload_dist_draw(const struct workload_dist *d, struct sim_rng *r);

enum workload_arrival {
	WORKLOAD_POISSON,	/* exponential gaps of mean 1 / rate */
	WORKLOAD_PERIODIC,	/* one every period */
};

struct workload_gen_config {
	char name[WORKLOAD_NAME_SIZE];	/* its stream is "workload.<name>" */
	unsigned host;			/* the host id its tenant runs on */
	enum workload_arrival arrival;
	double rate;			/* Poisson: arrivals per second */
	uint64_t period;		/* periodic: ns between arrivals */
	uint64_t start;			/* first arrival not before (ns) */
	uint64_t stop;			/* no arrival after (ns); 0: never stops */
	uint64_t max_requests;		/* 0: no limit */
	unsigned burst;			/* requests per arrival, >= 1 */
	struct workload_dist size;	/* bytes, rounded up to size_unit */
	uint64_t size_unit;		/* the host's block size times its ways */
	struct workload_dist hold;	/* ns from online to the release */
	double use_fraction;		/* of the capacity in use once online */
	double busy_release;		/* probability the release comes in use */
	struct workload_dist busy_tail;	/* ns the use outlasts such a release */
	double forced;			/* probability a release is forced */
	uint8_t region;
	uint8_t select;			/* enum proto_select */
	bool tagged;			/* each request gets a tag of its own */
};

/* Defaults: Poisson at 1/s from 0 forever, bursts of 1, 1 GiB fixed
 * size in 2 MiB units, exponential holding time of mean 1 s, nothing in
 * use, nothing forced, region 0, free selection, untagged. */
void workload_gen_config_init(struct workload_gen_config *cfg);

/* One timed request of a trace or a script.  Times after online are
 * relative to it; WORKLOAD_NEVER for never. */
struct workload_item {
	uint64_t at;			/* submit time (ns, absolute) */
	unsigned host;
	uint64_t size;			/* bytes over the whole interleave set */
	uint8_t region;
	uint8_t select;			/* enum proto_select */
	uint64_t tag;			/* 0: none (proto_tag_from_u64) */
	double use_fraction;		/* of the capacity in use once online */
	uint64_t use_for;		/* ns after online the use stops */
	uint64_t hold;			/* ns after online the release goes */
	bool forced;			/* the release is forced */
};

#define WORKLOAD_ERROR (workload_error_quark())
GQuark workload_error_quark(void);

enum workload_error {
	WORKLOAD_ERROR_CONFIG,
};

/* Messages name the generator: "workload 'w0': rate must be positive". */
bool workload_gen_config_validate(const struct workload_gen_config *cfg, GError **error);

struct workload;

/* A workload for hosts 0..NHOSTS-1. */
struct workload *workload_new(struct sim *k, unsigned nhosts);
void workload_free(struct workload *w);

/* Adds a generator (copied); false with ERROR on a bad configuration or an
 * unknown host.  Before workload_start(). */
bool workload_add_generator(struct workload *w, const struct workload_gen_config *cfg,
			    GError **error);
/* Adds trace items (copied), submitted at their times once started. */
bool workload_add_items(struct workload *w, const struct workload_item *items, size_t n,
			GError **error);

/* Wiring (ports copied). */
void workload_connect_fm(struct workload *w, const struct fm_request_port *port);
void workload_connect_host(struct workload *w, unsigned host, const struct host_app_port *port);
void workload_tenant_port(struct workload *w, struct host_tenant_port *out);

/* Schedules the generators' first arrivals and the trace. */
void workload_start(struct workload *w);

/* Scripted actions, sent now (from a handler or between runs).  The add
 * returns its request id (ITEM's time is ignored); the release gets an id
 * of its own, returned (0 with a bad host). */
uint64_t workload_submit_add(struct workload *w, const struct workload_item *item);
uint64_t workload_submit_release(struct workload *w, const struct fm_release_request *request);
/* Set DC Region Config: REQUEST's device, region, block size and sanitize
 * flag go to the FM with an id of their own, returned (0 when no FM is
 * connected). */
uint64_t workload_submit_region(struct workload *w, const struct fm_region_request *request);
void workload_submit_destroy(struct workload *w, unsigned host);

/* Observer: what the workload sent and heard. */
enum workload_event {
	WORKLOAD_EVENT_ADD,		/* an add request went to the FM */
	WORKLOAD_EVENT_RELEASE,		/* a release request went to the FM */
	WORKLOAD_EVENT_ONLINE,		/* a host said a request is online */
	WORKLOAD_EVENT_FAILED,		/* ... or never will be */
};

typedef void (*workload_observer_fn)(enum workload_event event, uint64_t request, void *data);

void workload_set_observer(struct workload *w, workload_observer_fn fn, void *data);

struct workload_stats {
	uint64_t adds, releases, forced, online, failed;
	uint64_t online_bytes;
};

void workload_get_stats(const struct workload *w, struct workload_stats *out);

typedef struct workload workload;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(workload, workload_free)

#endif
