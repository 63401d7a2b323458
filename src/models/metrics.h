/* The metrics sink of a run: a passive collector that the models report
 * into, synchronously, as observers.  It is not an entity: it schedules
 * nothing and sends no messages; a sampler entity scheduled by the kernel
 * calls metrics_sample on its period.  docs/metrics.md defines every
 * metric and every exported name.
 *
 * Recording never allocates, except the first time a host reports an
 * acceptance through an interleave width (their histogram set is made) and
 * when a series grows on metrics_sample.  Times are simulated ns and must
 * not go backwards across calls that take NOW_NS for the same gauge. */
#ifndef DCDSIM_MODELS_METRICS_H
#define DCDSIM_MODELS_METRICS_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/stats.h"

struct extent_map;

#define METRICS_MAX_REQUEST_SIZES 16
#define METRICS_MAX_REQUEST_SIZE (UINT64_C(1) << 62)
#define METRICS_MAX_REGIONS 8	/* DC regions per device (CXL) */
#define METRICS_MAX_HOST 65535	/* host IDs are 16-bit in event records */

#define METRICS_ERROR (metrics_error_quark())
GQuark metrics_error_quark(void);

enum metrics_error {
	METRICS_ERROR_REQUEST_SIZE,	/* fragmentation request sizes */
	METRICS_ERROR_DEVICE_NAME,
};

/* The stages of acceptance latency; docs/metrics.md gives the boundaries. */
enum metrics_stage {
	METRICS_STAGE_FM,		/* "fm" */
	METRICS_STAGE_DEVICE,		/* "device": device and event log wait */
	METRICS_STAGE_INTERRUPT,	/* "interrupt" */
	METRICS_STAGE_HANDLING,		/* "handling": host event handling */
	METRICS_STAGE_REALIZE,		/* "realize": realize and online */
	METRICS_STAGE_RESPONSE,		/* "response" */
	METRICS_STAGE_ASSEMBLY,		/* "assembly": interleave assembly */
	METRICS_STAGE_COUNT
};

/* Why capacity is assigned or pending on a device yet usable by no host. */
enum metrics_stranded_cause {
	METRICS_STRANDED_UNANSWERED_OFFER,	/* "unanswered_offer" */
	METRICS_STRANDED_HALF_BUILT,		/* "half_built_interleave" */
	METRICS_STRANDED_IGNORED_RELEASE,	/* "ignored_release" */
	METRICS_STRANDED_DROPPED_CHAIN,		/* "dropped_chain" */
	METRICS_STRANDED_COUNT
};

/* Why a capacity request was refused. */
enum metrics_block_cause {
	METRICS_BLOCK_NO_CAPACITY,	/* "no_capacity" */
	METRICS_BLOCK_NO_CONTIGUOUS,	/* "no_contiguous" */
	METRICS_BLOCK_EXTENT_LIMIT,	/* "extent_limit" */
	METRICS_BLOCK_TAG_LIMIT,	/* "tag_limit" */
	METRICS_BLOCK_LOG_FULL,		/* "log_full" */
	METRICS_BLOCK_COUNT
};

/* Plain counters; the comment is the exported name. */
enum metrics_counter {
	METRICS_REQUESTS_SUBMITTED,	/* requests.submitted */
	METRICS_REQUESTS_REJECTED,	/* requests.rejected */
	METRICS_RELEASES_REQUESTED,	/* releases.requested */
	METRICS_RELEASES_DEFERRED,	/* releases.deferred */
	METRICS_RELEASES_IGNORED,	/* releases.ignored */
	METRICS_RELEASES_RETRIED,	/* releases.retried */
	METRICS_RELEASES_FORCED,	/* releases.forced */
	METRICS_LOST_IN_USE_BYTES,	/* forced_release.lost_in_use_bytes */
	METRICS_LOG_OVERFLOWS,		/* event_log.overflows */
	METRICS_LOG_RETRIES,		/* event_log.retries */
	METRICS_COUNTER_COUNT
};

/* The names above, as used in exported names. */
const char *metrics_stage_name(enum metrics_stage stage);
const char *metrics_stranded_cause_name(enum metrics_stranded_cause cause);
const char *metrics_block_cause_name(enum metrics_block_cause cause);
const char *metrics_counter_name(enum metrics_counter counter);

/* The fragmentation indexes as pure functions of FREE (F, free space),
 * FITS (S, the number of whole requests the free extents hold) and
 * REQUEST (r > 0), F and r in the same unit (blocks or bytes), S * r <= F.
 *
 * Unusable free space index: (F - S * r) / F, 0 when F = 0. */
double metrics_unusable_index(uint64_t free, uint64_t fits, uint64_t request);

/* What the extfrag index reports when a free extent can hold the request
 * (S > 0): the index only explains failures (Linux reports -1000 on its
 * 0..1000 scale). */
#define METRICS_EXTFRAG_FITS (-1.0)

/* Linux's extfrag index 1 - (1 + F / r) / N, N = EXTENTS free extents
 * (N > 0 when F > 0): 0 when F = 0, METRICS_EXTFRAG_FITS when S > 0, else
 * clamped below at 0 (only N = 1 goes negative).  In [0, 1): towards 0 the
 * request fails for lack of free space, towards 1 for fragmentation. */
double metrics_extfrag_index(uint64_t free, uint64_t extents, uint64_t fits, uint64_t request);

struct metrics;

/* A sink whose fragmentation metrics use the request sizes REQUEST_SIZES
 * (bytes, 1..METRICS_MAX_REQUEST_SIZE, distinct; up to
 * METRICS_MAX_REQUEST_SIZES of them, possibly none).  The caller owns the
 * result (metrics_free).  NULL with ERROR set on a bad size. */
struct metrics *metrics_new(const uint64_t *request_sizes, size_t n_request_sizes,
			    GError **error);
void metrics_free(struct metrics *m);

/* Registers a device named NAME (letters, digits, '_' and '-'; unique)
 * with its extent and tag limits, its gauges starting at NOW_NS with
 * nothing in use.  Devices get ids 0, 1, ... in registration order, stored
 * in OUT_DEVICE.  False with ERROR set on a bad or duplicate name. */
bool metrics_device_add(struct metrics *m, const char *name, uint64_t now_ns,
			uint64_t max_extents, uint64_t max_tags, unsigned *out_device,
			GError **error);

/* Attaches MAP as DC region REGION of DEVICE, or replaces the map of a
 * region attached before (e.g. after Set DC Region Config): regions are
 * attached in index order, 0 first.  MAP is borrowed: it must stay valid
 * until replaced or until metrics_free. */
void metrics_device_set_region(struct metrics *m, unsigned device, unsigned region,
			       const struct extent_map *map);

/* The number of extents counting against DEVICE's extent limit, and of
 * tags in use, from NOW_NS on. */
void metrics_device_set_extents(struct metrics *m, unsigned device, uint64_t now_ns,
				uint64_t extents);
void metrics_device_set_tags(struct metrics *m, unsigned device, uint64_t now_ns,
			     uint64_t tags);

/* Appends one value to every series, at NOW_NS (not before the previous
 * sample): fragmentation of every attached region and device, extent and
 * tag utilization, stranded bytes by cause.  O(sizes * free extents). */
void metrics_sample(struct metrics *m, uint64_t now_ns);

/* A request whose capacity came online on HOST through a WAYS-way
 * interleave set; STAGE_NS[s] is the time spent in stage s, the total
 * latency their sum.  Recorded overall, for the host and for the width. */
void metrics_record_acceptance(struct metrics *m, unsigned host, unsigned ways,
			       const uint64_t stage_ns[METRICS_STAGE_COUNT]);

/* Release request -> capacity free on the device. */
void metrics_record_reclaim(struct metrics *m, uint64_t latency_ns);

/* A request refused for CAUSE (also counted in requests.blocked). */
void metrics_record_blocked(struct metrics *m, enum metrics_block_cause cause);

void metrics_count(struct metrics *m, enum metrics_counter counter, uint64_t n);

/* Bytes stranded for CAUSE change by DELTA_BYTES at NOW_NS; the level must
 * stay >= 0. */
void metrics_stranded_add(struct metrics *m, enum metrics_stranded_cause cause,
			  uint64_t now_ns, int64_t delta_bytes);

/* The export, in a deterministic order (docs/metrics.md): the same calls
 * in the same order give the same walk.  A callback returns true to stop
 * the walk; the foreach function then returns true.  Names, histograms
 * (the acceptance sets are merged for the walk) and arrays are valid only
 * during the call; a series with no values (N = 0) gets NULL arrays. */
typedef bool (*metrics_scalar_fn)(const char *name, double value, const char *unit,
				  void *user_data);
typedef bool (*metrics_histogram_fn)(const char *name, const struct sim_hist *hist,
				     void *user_data);
typedef bool (*metrics_series_fn)(const char *name, const uint64_t *t_ns, const double *value,
				  size_t n, void *user_data);

/* Time integrals and means run up to NOW_NS. */
bool metrics_foreach_scalar(const struct metrics *m, uint64_t now_ns, metrics_scalar_fn fn,
			    void *user_data);
bool metrics_foreach_histogram(const struct metrics *m, metrics_histogram_fn fn,
			       void *user_data);
bool metrics_foreach_series(const struct metrics *m, metrics_series_fn fn, void *user_data);

#endif
