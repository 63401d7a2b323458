/* A whole fabric built from plain configuration structs: the FM, N
 * devices, M hosts with their interleave sets, the workload and the
 * metrics sink, every port wired and every observer connected
 * (docs/host.md).  The scenario layer fills these structs; C tests fill
 * them directly.
 *
 * Hosts get ids 0..M-1 in configuration order (the id devices know them
 * by), devices 0..N-1.  Names are what configurations refer to and what
 * metrics export.  The metrics glue is here: it ties the FM's reports to
 * the hosts' (acceptance latency by stage, blocking, rejections), follows
 * the devices' pending capacity as stranded unanswered offers (dropped
 * chains for the offers that lost records to a full log), and samples
 * on the configured period while anything else is scheduled. */
#ifndef DCDSIM_MODELS_FABRIC_H
#define DCDSIM_MODELS_FABRIC_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/dcd.h"
#include "models/fm.h"
#include "models/host.h"
#include "models/metrics.h"
#include "models/workload.h"
#include "sim/sim.h"

#define FABRIC_NAME_SIZE 32

struct fabric_device_config {
	char name[FABRIC_NAME_SIZE];	/* letters, digits, '_' and '-' */
	struct dcd_config dcd;		/* nhosts is set to the fabric's host count */
};

struct fabric_host_config {
	/* Name, policy and its parameters, ways, granularity, DC region,
	 * memory block, latencies: start from host_config_init().  Its
	 * devices and decoders are filled from the names below. */
	struct host_config host;
	char devices[INTERLEAVE_MAX_WAYS][FABRIC_NAME_SIZE];	/* by position */
	uint64_t dpa_skip;		/* decoder start within the DC region */
	uint64_t dpa_len;		/* decoder length; 0: the rest of the region */
};

struct fabric_workload_config {
	char host[FABRIC_NAME_SIZE];
	struct workload_gen_config gen;	/* host and size_unit are filled */
};

struct fabric_item {
	char host[FABRIC_NAME_SIZE];
	struct workload_item item;	/* host is filled */
};

struct fabric_metrics_config {
	uint64_t sample_period;		/* ns; 0: no sampling */
	uint64_t request_sizes[METRICS_MAX_REQUEST_SIZES];	/* fragmentation */
	size_t n_request_sizes;
};

/* The arrays are borrowed for fabric_new() only. */
struct fabric_config {
	struct fm_config fm;
	const struct fabric_device_config *devices;
	size_t n_devices;
	const struct fabric_host_config *hosts;
	size_t n_hosts;
	const struct fabric_workload_config *workloads;
	size_t n_workloads;
	const struct fabric_item *items;
	size_t n_items;
	struct fabric_metrics_config metrics;
};

/* An empty fabric: default FM, no sampling. */
void fabric_config_init(struct fabric_config *cfg);

#define FABRIC_ERROR (fabric_error_quark())
GQuark fabric_error_quark(void);

enum fabric_error {
	FABRIC_ERROR_CONFIG,	/* e.g. "host 'h1': interleave over unknown device 'dcd7'" */
	FABRIC_ERROR_INVARIANT,	/* fabric_check_invariants found a broken one */
};

struct fabric;

/* Builds and wires the fabric on kernel K (borrowed) and schedules its
 * first events (workload, sampler) from now.  NULL with ERROR on a bad
 * configuration; every component's message names it. */
struct fabric *fabric_new(struct sim *k, const struct fabric_config *cfg, GError **error);
void fabric_free(struct fabric *f);

/* Runs the kernel until UNTIL (absolute ns) or until nothing is left. */
bool fabric_run(struct fabric *f, uint64_t until, GError **error);

/* The parts, for export, scripted actions and observers. */
struct sim *fabric_get_sim(const struct fabric *f);
struct metrics *fabric_get_metrics(const struct fabric *f);
struct fm *fabric_get_fm(const struct fabric *f);
struct workload *fabric_get_workload(const struct fabric *f);
size_t fabric_get_n_devices(const struct fabric *f);
size_t fabric_get_n_hosts(const struct fabric *f);
struct dcd *fabric_get_device(const struct fabric *f, size_t i);
struct host *fabric_get_host(const struct fabric *f, size_t i);
/* The index of the device or host called NAME; false if there is none. */
bool fabric_find_device(const struct fabric *f, const char *name, unsigned *out);
bool fabric_find_host(const struct fabric *f, const char *name, unsigned *out);

/* Checks every component's invariants (the FM's shadows and interleave
 * intersections, the devices) and those across them:
 *   - no host can access DPA its device does not hold accepted (or
 *     releasing) for it, wherever the host has caught up with its event
 *     log (nothing readable or being posted, nothing ever dropped);
 *   - when QUIESCENT (nothing scheduled): the FM's shadow holds exactly
 *     what the devices hold accepted, every offered chain is answered or
 *     timed out (unless the device dropped records of that host), no piece waits for partners, and each host holds on
 *     each device what the device lends it (stale extents and refused
 *     releases aside).
 * O(extents · log extents). */
bool fabric_check_invariants(const struct fabric *f, bool quiescent, GError **error);

typedef struct fabric fabric;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(fabric, fabric_free)

#endif
