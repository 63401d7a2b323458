/* Whole fabrics through fabric.h, no Lua: an FM, devices, hosts with
 * 1- and 2-way interleave sets and a scripted workload.  Each fixture
 * checks a flow end to end through the exported metrics, then the
 * fabric's invariants once nothing is left to run; a randomized run checks
 * them after every few events. */
#include <math.h>
#include <string.h>

#include "models/fabric.h"
#include "unit.h"

#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)
#define MS UINT64_C(1000000)
#define SEC UINT64_C(1000000000)
#define BS (2 * MIB)

struct e2e {
	struct sim *k;
	struct fabric *f;
	struct fabric_config cfg;
	struct fabric_device_config dev[3];
	struct fabric_host_config host[3];
	struct fabric_item items[16];
	struct fabric_workload_config wl[4];
};

/* FM, dcd0 and dcd1 (spec, one 1 GiB region of 2 MiB blocks), h0 (linux,
 * 1-way on dcd0) and h1 (interleave, 2-way on dcd0 and dcd1). */
static void e2e_init(struct e2e *e)
{
	memset(e, 0, sizeof(*e));
	e->k = sim_new(42);
	fabric_config_init(&e->cfg);
	for (unsigned d = 0; d < 2; d++) {
		g_snprintf(e->dev[d].name, FABRIC_NAME_SIZE, "dcd%u", d);
		dcd_config_init(&e->dev[d].dcd, DCD_PROFILE_SPEC);
		g_assert(dcd_config_set_uniform_regions(&e->dev[d].dcd, 0, GIB, 1, BS, NULL));
	}
	g_assert(host_config_init(&e->host[0].host, "linux", NULL));
	g_strlcpy(e->host[0].host.name, "h0", HOST_NAME_SIZE);
	g_strlcpy(e->host[0].devices[0], "dcd0", FABRIC_NAME_SIZE);
	g_assert(host_config_init(&e->host[1].host, "interleave", NULL));
	g_strlcpy(e->host[1].host.name, "h1", HOST_NAME_SIZE);
	e->host[1].host.ways = 2;
	e->host[1].host.granularity = 4096;
	g_strlcpy(e->host[1].devices[0], "dcd0", FABRIC_NAME_SIZE);
	g_strlcpy(e->host[1].devices[1], "dcd1", FABRIC_NAME_SIZE);
	e->cfg.devices = e->dev;
	e->cfg.n_devices = 2;
	e->cfg.hosts = e->host;
	e->cfg.n_hosts = 2;
	e->cfg.items = e->items;
	e->cfg.workloads = e->wl;
	e->cfg.metrics.sample_period = 100 * MS;
	e->cfg.metrics.request_sizes[0] = 2 * MIB;
	e->cfg.metrics.n_request_sizes = 1;
}

/* An add of SIZE for HOST at AT, never released unless HOLD says. */
static struct workload_item *e2e_item(struct e2e *e, const char *host, uint64_t at, uint64_t size)
{
	struct fabric_item *it = &e->items[e->cfg.n_items++];

	g_assert(e->cfg.n_items <= G_N_ELEMENTS(e->items));
	g_strlcpy(it->host, host, FABRIC_NAME_SIZE);
	it->item = (struct workload_item){
		.at = at,
		.size = size,
		.use_for = WORKLOAD_NEVER,
		.hold = WORKLOAD_NEVER,
	};
	return &it->item;
}

static void e2e_build(struct e2e *e)
{
	GError *error = NULL;

	e->f = fabric_new(e->k, &e->cfg, &error);
	if (error)
		fprintf(stderr, "%s\n", error->message);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e->f);
}

static void e2e_check(struct e2e *e, bool quiescent)
{
	GError *error = NULL;

	CU_ASSERT_TRUE(fabric_check_invariants(e->f, quiescent, &error));
	if (error) {
		fprintf(stderr, "at %" G_GUINT64_FORMAT " ns: %s\n", sim_now(e->k), error->message);
		g_error_free(error);
	}
}

static void e2e_run(struct e2e *e, uint64_t until)
{
	GError *error = NULL;

	CU_ASSERT_TRUE(fabric_run(e->f, until, &error));
	if (error) {
		fprintf(stderr, "%s\n", error->message);
		g_error_free(error);
	}
}

static void e2e_fini(struct e2e *e)
{
	e2e_run(e, SIM_TIME_NEVER);
	e2e_check(e, true);
	fabric_free(e->f);
	sim_free(e->k);
}

/* ---- metrics lookups ---------------------------------------------------------- */

struct lookup {
	const char *name;
	bool found;
	double value;
	uint64_t count, min, max;
};

static bool scalar_cb(const char *name, double value, const char *unit, void *data)
{
	struct lookup *l = data;

	(void)unit;
	if (strcmp(name, l->name))
		return false;
	l->found = true;
	l->value = value;
	return true;
}

static bool hist_cb(const char *name, const struct sim_hist *h, void *data)
{
	struct lookup *l = data;

	if (strcmp(name, l->name))
		return false;
	l->found = true;
	l->count = sim_hist_count(h);
	l->min = sim_hist_min(h);
	l->max = sim_hist_max(h);
	return true;
}

static double scalar(struct e2e *e, const char *name)
{
	struct lookup l = { .name = name };

	metrics_foreach_scalar(fabric_get_metrics(e->f), sim_now(e->k), scalar_cb, &l);
	if (!l.found)
		fprintf(stderr, "no scalar '%s'\n", name);
	CU_ASSERT_TRUE(l.found);
	return l.value;
}

static struct lookup hist(struct e2e *e, const char *name)
{
	struct lookup l = { .name = name };

	metrics_foreach_histogram(fabric_get_metrics(e->f), hist_cb, &l);
	return l;
}

/* The only value of histogram NAME (exact: min and max are). */
static uint64_t only(struct e2e *e, const char *name)
{
	struct lookup l = hist(e, name);

	CU_ASSERT_TRUE(l.found);
	CU_ASSERT_EQUAL(l.count, 1);
	CU_ASSERT_EQUAL(l.min, l.max);
	return l.max;
}

static uint64_t device_free(struct e2e *e, unsigned d)
{
	struct dcd_stats s;

	dcd_get_stats(fabric_get_device(e->f, d), &s);
	return s.bytes[EXTENT_FREE];
}

/* ---- fixtures ----------------------------------------------------------------- */

/* Acceptance latency is the sum of the modelled stages, 1- and 2-way. */
static void test_add_latency(void)
{
	struct e2e e;
	struct latency_params l;
	uint64_t get1, resp1, realize1, realize2;

	e2e_init(&e);
	e2e_item(&e, "h0", 1 * MS, 128 * MIB);
	e2e_item(&e, "h1", 100 * MS, 128 * MIB);
	e2e_build(&e);
	e2e_run(&e, SIM_TIME_NEVER);
	latency_params_init(&l);
	get1 = l.mbox_cmd_base + l.mbox_per_extent;
	resp1 = l.mbox_cmd_base + l.mbox_per_extent;
	/* a 1 GiB region flushed, one device, one 128 MiB block onlined */
	realize1 = l.host_cache_flush_per_gib + l.host_extent_create + l.host_online_per_block;
	CU_ASSERT_EQUAL(only(&e, "accept_latency_ns.host.0.stage.fm"), l.fm_api_cmd);
	CU_ASSERT_EQUAL(only(&e, "accept_latency_ns.host.0.stage.device"), l.event_record_post);
	CU_ASSERT_EQUAL(only(&e, "accept_latency_ns.host.0.stage.interrupt"),
			l.irq_delivery + get1);
	CU_ASSERT_EQUAL(only(&e, "accept_latency_ns.host.0.stage.handling"), l.host_record_handle);
	CU_ASSERT_EQUAL(only(&e, "accept_latency_ns.host.0.stage.assembly"), 0);
	CU_ASSERT_EQUAL(only(&e, "accept_latency_ns.host.0.stage.realize"), realize1);
	CU_ASSERT_EQUAL(only(&e, "accept_latency_ns.host.0.stage.response"), resp1);
	CU_ASSERT_EQUAL(only(&e, "accept_latency_ns.host.0.total"),
			l.fm_api_cmd + l.event_record_post + l.irq_delivery + get1 +
				l.host_record_handle + realize1 + resp1);
	/* 2-way: both chains come at once; the thread answers dcd0, clears
	 * and reads its empty log, then reads and answers dcd1; the 2 GiB
	 * region extent is realized after the second answer */
	realize2 = resp1 + 2 * l.host_cache_flush_per_gib + l.host_extent_create +
		   l.host_online_per_block;
	CU_ASSERT_EQUAL(only(&e, "accept_latency_ns.ways.2.stage.fm"), l.fm_api_cmd);
	CU_ASSERT_EQUAL(only(&e, "accept_latency_ns.ways.2.stage.device"), l.event_record_post);
	CU_ASSERT_EQUAL(only(&e, "accept_latency_ns.ways.2.stage.interrupt"),
			l.irq_delivery + get1);
	CU_ASSERT_EQUAL(only(&e, "accept_latency_ns.ways.2.stage.handling"), l.host_record_handle);
	CU_ASSERT_EQUAL(only(&e, "accept_latency_ns.ways.2.stage.assembly"),
			resp1 + 2 * l.mbox_cmd_base + get1 + l.host_record_handle);
	CU_ASSERT_EQUAL(only(&e, "accept_latency_ns.ways.2.stage.realize"), realize2);
	CU_ASSERT_EQUAL(only(&e, "accept_latency_ns.ways.2.stage.response"), 0);
	CU_ASSERT_EQUAL(scalar(&e, "requests.submitted"), 2);
	CU_ASSERT_EQUAL(scalar(&e, "requests.accepted"), 2);
	/* h1's part sits where both devices are free: above h0's 128 MiB */
	CU_ASSERT_TRUE(host_can_access(fabric_get_host(e.f, 1), 1, 128 * MIB));
	e2e_fini(&e);
}

/* A release that cuts into two extents gives both back whole. */
static void test_partial_overlap_release(void)
{
	struct e2e e;
	struct fm_release_request r = {
		.by = FM_RELEASE_BY_RANGE,
		.host = 0,
		.device = 0,
		.start = 64 * MIB,
		.len = 128 * MIB,
	};
	struct host_stats hs;

	e2e_init(&e);
	e2e_item(&e, "h0", 1 * MS, 128 * MIB);
	e2e_item(&e, "h0", 2 * MS, 128 * MIB);
	e2e_build(&e);
	e2e_run(&e, SEC);
	CU_ASSERT_EQUAL(device_free(&e, 0), GIB - 256 * MIB);
	CU_ASSERT_NOT_EQUAL(workload_submit_release(fabric_get_workload(e.f), &r), 0);
	e2e_run(&e, SIM_TIME_NEVER);
	CU_ASSERT_EQUAL(device_free(&e, 0), GIB);
	host_get_stats(fabric_get_host(e.f, 0), &hs);
	CU_ASSERT_EQUAL(hs.region_extents, 0);
	CU_ASSERT_EQUAL(hs.releases, 2);
	CU_ASSERT_EQUAL(hist(&e, "reclaim_latency_ns").count, 1);
	CU_ASSERT_EQUAL(scalar(&e, "releases.requested"), 1);
	e2e_fini(&e);
}

/* linux ignores a release in use: the FM re-issues twice, then forces;
 * the memory in use is lost and the ignored time stranded. */
static void test_in_use_ignored(void)
{
	struct e2e e;
	struct workload_item *it;
	struct lookup rl;
	double stranded;

	e2e_init(&e);
	it = e2e_item(&e, "h0", 1 * MS, 128 * MIB);
	it->use_fraction = 1;
	it->hold = 10 * MS;
	e2e_build(&e);
	e2e_run(&e, SIM_TIME_NEVER);
	CU_ASSERT_EQUAL(scalar(&e, "releases.ignored"), 3);
	CU_ASSERT_EQUAL(scalar(&e, "releases.retried"), 2);
	CU_ASSERT_EQUAL(scalar(&e, "releases.forced"), 1);
	CU_ASSERT_EQUAL(scalar(&e, "forced_release.lost_in_use_bytes"), 128 * MIB);
	/* from the first ignored record to the forced one: 3 release timeouts */
	stranded = scalar(&e, "stranded_byte_s.ignored_release");
	CU_ASSERT_DOUBLE_EQUAL(stranded, 128.0 * MIB * 3, 128.0 * MIB * 0.001);
	rl = hist(&e, "reclaim_latency_ns");
	CU_ASSERT_EQUAL(rl.count, 1);
	CU_ASSERT_TRUE(rl.max > 3 * SEC && rl.max < 3 * SEC + 10 * MS);
	CU_ASSERT_EQUAL(device_free(&e, 0), GIB);
	e2e_fini(&e);
}

/* interleave defers a release in use and answers when the use stops. */
static void test_in_use_deferred(void)
{
	struct e2e e;
	struct workload_item *it;
	struct lookup rl;

	e2e_init(&e);
	it = e2e_item(&e, "h1", 1 * MS, 256 * MIB);
	it->use_fraction = 0.5;
	it->use_for = 500 * MS;
	it->hold = 10 * MS;
	e2e_build(&e);
	e2e_run(&e, SIM_TIME_NEVER);
	CU_ASSERT_TRUE(scalar(&e, "releases.deferred") >= 1);
	CU_ASSERT_EQUAL(scalar(&e, "releases.ignored"), 0);
	CU_ASSERT_EQUAL(scalar(&e, "releases.retried"), 0);
	CU_ASSERT_EQUAL(scalar(&e, "releases.forced"), 0);
	CU_ASSERT_EQUAL(scalar(&e, "forced_release.lost_in_use_bytes"), 0);
	rl = hist(&e, "reclaim_latency_ns");
	CU_ASSERT_EQUAL(rl.count, 1);
	CU_ASSERT_TRUE(rl.max > 490 * MS && rl.max < 500 * MS);
	CU_ASSERT_EQUAL(device_free(&e, 0), GIB);
	CU_ASSERT_EQUAL(device_free(&e, 1), GIB);
	e2e_fini(&e);
}

/* A forced release takes memory in use: it is counted lost. */
static void test_forced_in_use(void)
{
	struct e2e e;
	struct workload_item *it;
	struct host_stats hs;

	e2e_init(&e);
	it = e2e_item(&e, "h0", 1 * MS, 128 * MIB);
	it->use_fraction = 0.5;
	it->hold = 10 * MS;
	it->forced = true;
	e2e_build(&e);
	e2e_run(&e, SIM_TIME_NEVER);
	CU_ASSERT_EQUAL(scalar(&e, "forced_release.lost_in_use_bytes"), 64 * MIB);
	CU_ASSERT_EQUAL(scalar(&e, "releases.forced"), 1);
	CU_ASSERT_EQUAL(hist(&e, "reclaim_latency_ns").count, 1);
	CU_ASSERT_EQUAL(device_free(&e, 0), GIB);
	/* linux ignores the record: the extent stays, stale */
	host_get_stats(fabric_get_host(e.f, 0), &hs);
	CU_ASSERT_EQUAL(hs.stale_bytes, 128 * MIB);
	CU_ASSERT_FALSE(host_can_access(fabric_get_host(e.f, 0), 0, 0));
	e2e_fini(&e);
}

/* A forced release of a 2-way request in full use: the FM forces both
 * devices, each forced piece takes the whole region extent, and the
 * in-use bytes are lost once. */
static void test_forced_two_way_in_use(void)
{
	struct e2e e;
	struct workload_item *it;

	e2e_init(&e);
	it = e2e_item(&e, "h1", 1 * MS, 512 * MIB);
	it->use_fraction = 1;
	it->hold = 10 * MS;
	it->forced = true;
	e2e_build(&e);
	e2e_run(&e, SIM_TIME_NEVER);
	CU_ASSERT_EQUAL(scalar(&e, "releases.forced"), 1);
	CU_ASSERT_EQUAL(scalar(&e, "forced_release.lost_in_use_bytes"), 512 * MIB);
	CU_ASSERT_EQUAL(device_free(&e, 0), GIB);
	CU_ASSERT_EQUAL(device_free(&e, 1), GIB);
	e2e_fini(&e);
}

/* linux ignores a forced release and keeps the extent, stale: the FM,
 * first fit, offers the freed DPA again and the host refuses every offer
 * that overlaps it, inside it or beyond.  The refusals count as rejected
 * requests; the capacity itself is free on the device. */
static void test_stale_blocks_offers(void)
{
	struct e2e e;
	struct workload_item *it;
	struct host_stats hs;

	e2e_init(&e);
	it = e2e_item(&e, "h0", 1 * MS, 128 * MIB);
	it->use_fraction = 1;
	it->hold = 10 * MS;
	it->forced = true;
	e2e_item(&e, "h0", 1 * SEC, 64 * MIB);
	e2e_item(&e, "h0", 2 * SEC, 256 * MIB);
	e2e_build(&e);
	e2e_run(&e, SIM_TIME_NEVER);
	host_get_stats(fabric_get_host(e.f, 0), &hs);
	CU_ASSERT_EQUAL(hs.stale_bytes, 128 * MIB);
	CU_ASSERT_EQUAL(hs.extents_rejected, 2);
	CU_ASSERT_EQUAL(scalar(&e, "requests.accepted"), 1);
	CU_ASSERT_EQUAL(scalar(&e, "requests.rejected"), 2);
	CU_ASSERT_TRUE(scalar(&e, "stranded_byte_s.unanswered_offer") > 0);
	CU_ASSERT_EQUAL(device_free(&e, 0), GIB);
	e2e_fini(&e);
}

static void no_tags_on_dcd1(struct e2e *e)
{
	e->dev[1].dcd.max_tags = 0;
	e->host[1].host.assembly_timeout = 100 * MS;
}

/* dcd1 refuses its part (tag limit): dcd0's piece waits for a partner
 * that never comes, stranded, until the assembly timeout gives it back. */
static void test_two_way_refused(void)
{
	struct e2e e;
	struct workload_item *it;
	struct latency_params l;
	double expect;

	e2e_init(&e);
	no_tags_on_dcd1(&e);
	it = e2e_item(&e, "h1", 1 * MS, 128 * MIB);
	it->tag = 5;
	e2e_build(&e);
	e2e_run(&e, SIM_TIME_NEVER);
	latency_params_init(&l);
	CU_ASSERT_EQUAL(scalar(&e, "blocked.tag_limit"), 1);
	CU_ASSERT_EQUAL(scalar(&e, "requests.accepted"), 0);
	CU_ASSERT_EQUAL(scalar(&e, "stranded_bytes.half_built_interleave.max"), 64 * MIB);
	/* from dcd0's answer to its Release DC completing */
	expect = 64.0 * MIB * (double)(100 * MS + l.mbox_cmd_base + l.mbox_per_extent) / 1e9;
	CU_ASSERT_DOUBLE_EQUAL(scalar(&e, "stranded_byte_s.half_built_interleave"), expect,
			       expect * 1e-9);
	CU_ASSERT_EQUAL(device_free(&e, 0), GIB);
	CU_ASSERT_EQUAL(device_free(&e, 1), GIB);
	e2e_fini(&e);
}

/* One qemu device whose 2-record log drops the closing record of a
 * 3-extent chain (free space fragmented by two early releases; the adds
 * are spaced so that the host keeps up with them). */
static void qemu_init(struct e2e *e, const char *policy)
{
	struct workload_item *it;

	e2e_init(e);
	dcd_config_init(&e->dev[0].dcd, DCD_PROFILE_QEMU);
	g_assert(dcd_config_set_uniform_regions(&e->dev[0].dcd, 0, GIB, 1, BS, NULL));
	e->dev[0].dcd.log_capacity = 2;
	e->cfg.n_devices = 1;
	g_assert(host_config_init(&e->host[0].host, policy, NULL));
	g_strlcpy(e->host[0].host.name, "h0", HOST_NAME_SIZE);
	e->cfg.n_hosts = 1;
	for (unsigned i = 0; i < 4; i++) {
		it = e2e_item(e, "h0", (1 + i) * 10 * MS, 2 * MIB);
		if (i % 2 == 0)
			it->hold = 50 * MS;
	}
	e2e_item(e, "h0", 100 * MS, 6 * MIB);
}

static void test_chain_timeout_tags(void)
{
	struct e2e e;
	struct host_stats hs;

	qemu_init(&e, "linux-tags");
	e2e_build(&e);
	e2e_run(&e, SIM_TIME_NEVER);
	host_get_stats(fabric_get_host(e.f, 0), &hs);
	CU_ASSERT_EQUAL(hs.chain_timeouts, 1);
	CU_ASSERT_EQUAL(scalar(&e, "event_log.overflows"), 1);
	CU_ASSERT_EQUAL(scalar(&e, "requests.rejected"), 1);
	CU_ASSERT_EQUAL(scalar(&e, "requests.accepted"), 4);
	/* the offer that lost its closing record waited out the 20 s chain
	 * timeout, stranded by the dropped chain; the others were answered
	 * at once */
	CU_ASSERT_DOUBLE_EQUAL(scalar(&e, "stranded_byte_s.dropped_chain"), 6.0 * MIB * 20,
			       6.0 * MIB * 0.01);
	CU_ASSERT_TRUE(scalar(&e, "stranded_byte_s.unanswered_offer") < 6.0 * MIB * 0.01);
	CU_ASSERT_EQUAL(device_free(&e, 0), GIB - 4 * MIB);
	e2e_fini(&e);
}

/* With a chain timeout (linux-tags, interleave by default) the host ends
 * the broken chain where the Get reported the overflow; the next offer's
 * answer is refused while the broken offer is qemu's oldest, so the host
 * answers that one empty and sends its answer again: the pipeline moves
 * on without waiting out the timeout. */
static void test_chain_resync(void)
{
	static const char *const policies[] = { "linux-tags", "interleave" };

	for (size_t i = 0; i < G_N_ELEMENTS(policies); i++) {
		struct e2e e;
		struct host_stats hs;
		struct dcd_stats ds;

		qemu_init(&e, policies[i]);
		e2e_item(&e, "h0", 200 * MS, 2 * MIB);
		e2e_build(&e);
		e2e_run(&e, SIM_TIME_NEVER);
		host_get_stats(fabric_get_host(e.f, 0), &hs);
		dcd_get_stats(fabric_get_device(e.f, 0), &ds);
		CU_ASSERT_EQUAL(hs.offers_skipped, 1);
		CU_ASSERT_EQUAL(hs.chain_timeouts, 0);
		CU_ASSERT_EQUAL(hs.mbox_failures, 0);
		CU_ASSERT_EQUAL(ds.pending_groups, 0);
		CU_ASSERT_EQUAL(scalar(&e, "requests.accepted"), 5);
		CU_ASSERT_EQUAL(scalar(&e, "requests.rejected"), 1);
		CU_ASSERT_EQUAL(scalar(&e, "stranded_bytes.dropped_chain.max"), 6 * MIB);
		CU_ASSERT_EQUAL(device_free(&e, 0), GIB - 6 * MIB);
		CU_ASSERT_TRUE(sim_now(e.k) < 20 * SEC);
		e2e_fini(&e);
	}
}

/* linux has no chain timeout: the broken chain stays open and swallows
 * the next offer, whose merged answer the device refuses. */
static void test_log_overflow_qemu(void)
{
	struct e2e e;
	struct host_stats hs;
	struct dcd_stats ds;

	qemu_init(&e, "linux");
	e2e_item(&e, "h0", 200 * MS, 2 * MIB);
	e2e_build(&e);
	e2e_run(&e, SIM_TIME_NEVER);
	host_get_stats(fabric_get_host(e.f, 0), &hs);
	dcd_get_stats(fabric_get_device(e.f, 0), &ds);
	CU_ASSERT_EQUAL(scalar(&e, "event_log.overflows"), 1);
	CU_ASSERT_EQUAL(hs.mbox_failures, 1);
	CU_ASSERT_EQUAL(hs.chains_open, 0);
	CU_ASSERT_EQUAL(ds.pending_groups, 2);
	CU_ASSERT_EQUAL(ds.bytes[EXTENT_PENDING], 8 * MIB);
	CU_ASSERT_EQUAL(scalar(&e, "requests.accepted"), 4);
	/* the offer that lost its closing record is stranded by the dropped
	 * chain, the one stuck behind it as an unanswered offer */
	CU_ASSERT_EQUAL(ds.dropped_groups, 1);
	CU_ASSERT_EQUAL(ds.dropped_bytes, 6 * MIB);
	CU_ASSERT_EQUAL(scalar(&e, "stranded_bytes.dropped_chain.max"), 6 * MIB);
	CU_ASSERT_TRUE(scalar(&e, "stranded_byte_s.dropped_chain") > 0);
	e2e_fini(&e);
}

/* ---- configuration errors ------------------------------------------------------ */

/* The error must start with MESSAGE (others' messages follow a prefix). */
static void expect_error(struct e2e *e, const char *message)
{
	GError *error = NULL;

	CU_ASSERT_PTR_NULL(fabric_new(e->k, &e->cfg, &error));
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	if (!g_str_has_prefix(error->message, message))
		fprintf(stderr, "got '%s'\n", error->message);
	CU_ASSERT_TRUE(g_str_has_prefix(error->message, message));
	g_error_free(error);
}

static void test_config_errors(void)
{
	struct e2e e;

	e2e_init(&e);
	g_strlcpy(e.host[1].devices[1], "dcd7", FABRIC_NAME_SIZE);
	expect_error(&e, "host 'h1': interleave over unknown device 'dcd7'");
	g_strlcpy(e.host[1].devices[1], "dcd0", FABRIC_NAME_SIZE);
	expect_error(&e, "host 'h1': interleave names device 'dcd0' twice");
	g_strlcpy(e.host[1].devices[1], "dcd1", FABRIC_NAME_SIZE);
	e.host[0].host.ways = 2;
	g_strlcpy(e.host[0].devices[1], "dcd1", FABRIC_NAME_SIZE);
	expect_error(&e, "host 'h0': policy 'linux' supports only 1-way DC regions, got 2");
	e.host[0].host.ways = 1;
	e.host[0].dpa_skip = 512 * MIB;
	e.host[0].dpa_len = 768 * MIB;
	expect_error(&e, "host 'h0': the decoder does not fit in region 0 of device 'dcd0'");
	e.host[0].dpa_len = 0;
	e.host[0].host.region = 1;
	expect_error(&e, "host 'h0': device 'dcd0' has no DC region 1");
	e.host[0].host.region = 0;
	g_strlcpy(e.dev[1].name, "dcd0", FABRIC_NAME_SIZE);
	expect_error(&e, "device 'dcd0' is declared twice");
	g_strlcpy(e.dev[1].name, "dcd1", FABRIC_NAME_SIZE);
	e.dev[1].dcd.regions[0].block_size = 3;
	expect_error(&e, "device 'dcd1': dc region 0");
	e.dev[1].dcd.regions[0].block_size = BS;
	workload_gen_config_init(&e.wl[0].gen);
	g_strlcpy(e.wl[0].host, "h9", FABRIC_NAME_SIZE);
	e.cfg.n_workloads = 1;
	expect_error(&e, "workload 'workload': unknown host 'h9'");
	g_strlcpy(e.wl[0].host, "h0", FABRIC_NAME_SIZE);
	e.wl[0].gen.rate = 0;
	expect_error(&e, "workload 'workload': rate must be positive, got 0");
	e.wl[0].gen.rate = 1;
	e.cfg.n_workloads = 0;
	e2e_build(&e);
	e2e_fini(&e);
}

/* ---- the invariants under a random workload ------------------------------------ */

static void gen(struct e2e *e, unsigned i, const char *name, const char *host, double rate,
		double forced)
{
	struct workload_gen_config *g = &e->wl[i].gen;

	workload_gen_config_init(g);
	g_strlcpy(g->name, name, sizeof(g->name));
	g_strlcpy(e->wl[i].host, host, FABRIC_NAME_SIZE);
	g->rate = rate;
	g->stop = 20 * SEC;
	g->size = (struct workload_dist){ WORKLOAD_DIST_UNIFORM, 2.0 * MIB, 96.0 * MIB };
	g->hold = (struct workload_dist){ WORKLOAD_DIST_EXPONENTIAL, 2e9, 0 };
	g->use_fraction = 0.5;
	g->busy_release = 0.3;
	g->busy_tail = (struct workload_dist){ WORKLOAD_DIST_EXPONENTIAL, 1.5e9, 0 };
	g->forced = forced;
	g->burst = 2;
	e->cfg.n_workloads = i + 1;
}

/* Three spec hosts (linux, 2-way interleave, linux-tags) and a qemu one
 * (interleave, 1-way) under random tenants, a region torn down midway. */
static void random_init(struct e2e *e, uint64_t seed)
{
	e2e_init(e);
	sim_free(e->k);
	e->k = sim_new(seed);
	g_strlcpy(e->dev[2].name, "dcd2", FABRIC_NAME_SIZE);
	dcd_config_init(&e->dev[2].dcd, DCD_PROFILE_QEMU);
	g_assert(dcd_config_set_uniform_regions(&e->dev[2].dcd, 0, GIB, 1, BS, NULL));
	e->cfg.n_devices = 3;
	g_assert(host_config_init(&e->host[2].host, "linux-tags", NULL));
	g_strlcpy(e->host[2].host.name, "h2", HOST_NAME_SIZE);
	g_strlcpy(e->host[2].devices[0], "dcd1", FABRIC_NAME_SIZE);
	e->cfg.n_hosts = 3;
	e->host[1].host.assembly_timeout = 200 * MS;
	e->cfg.fm.release_timeout = 300 * MS;
	for (unsigned d = 0; d < 2; d++)
		e->dev[d].dcd.max_extents = 64;
	gen(e, 0, "a", "h0", 3, 0.1);
	gen(e, 1, "b", "h1", 3, 0.1);
	gen(e, 2, "c", "h2", 2, 0.2);
	e->wl[2].gen.tagged = true;
	e->wl[1].gen.select = PROTO_SELECT_PRESCRIPTIVE;
}

static void random_qemu_host(struct e2e *e)
{
	static struct fabric_host_config hosts[4];

	memcpy(hosts, e->host, sizeof(e->host));
	g_assert(host_config_init(&hosts[3].host, "interleave", NULL));
	g_strlcpy(hosts[3].host.name, "h3", HOST_NAME_SIZE);
	g_strlcpy(hosts[3].devices[0], "dcd2", FABRIC_NAME_SIZE);
	e->cfg.hosts = hosts;
	e->cfg.n_hosts = 4;
	gen(e, 3, "d", "h3", 4, 0.1);
}

static uint64_t random_run(uint64_t seed, bool check)
{
	struct e2e e;
	GError *error = NULL;
	struct fm_stats fs;
	struct dcd_host_stats qs;
	uint64_t fp = UINT64_C(0xcbf29ce484222325);
	bool destroyed = false;

	random_init(&e, seed);
	random_qemu_host(&e);
	e2e_build(&e);
	while (sim_events_pending(e.k)) {
		CU_ASSERT_TRUE_FATAL(sim_run(e.k, SIM_TIME_NEVER, 1, &error));
		if (!destroyed && sim_now(e.k) > 10 * SEC) {
			workload_submit_destroy(fabric_get_workload(e.f), 3);
			destroyed = true;
		}
		if (check && !fabric_check_invariants(e.f, false, &error)) {
			fprintf(stderr, "seed %" G_GUINT64_FORMAT " at %" G_GUINT64_FORMAT " ns: %s\n",
				seed, sim_now(e.k), error->message);
			g_clear_error(&error);
			CU_FAIL_FATAL("invariant broken");
		}
	}
	fm_get_stats(fabric_get_fm(e.f), &fs);
	CU_ASSERT_TRUE(fs.requests[FM_REQUEST_ADD] > 200);
	CU_ASSERT_TRUE(fs.forced > 0);
	CU_ASSERT_TRUE(scalar(&e, "requests.accepted") > 100);
	CU_ASSERT_TRUE(scalar(&e, "forced_release.lost_in_use_bytes") > 0);
	CU_ASSERT_TRUE(scalar(&e, "releases.deferred") > 0);
	CU_ASSERT_TRUE(scalar(&e, "releases.ignored") > 0);
	/* what the FM still waits for are qemu offers that lost records: the
	 * host resyncs only once it is told or an answer is refused */
	dcd_get_host_stats(fabric_get_device(e.f, 2), 3, &qs);
	CU_ASSERT_EQUAL(fs.active, qs.pending_groups);
	CU_ASSERT_TRUE(qs.overflow > 0 || qs.pending_groups == 0);
	metrics_foreach_scalar(fabric_get_metrics(e.f), sim_now(e.k), unit_fingerprint_scalar, &fp);
	e2e_fini(&e);
	return fp;
}

static void test_random_invariants(void)
{
	for (uint64_t seed = 1; seed <= 3; seed++)
		random_run(seed, true);
}

static void test_same_seed_same_results(void)
{
	uint64_t a = random_run(7, false), b = random_run(7, false), c = random_run(8, false);

	CU_ASSERT_EQUAL(a, b);
	CU_ASSERT_NOT_EQUAL(a, c);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "add latency", test_add_latency },
		{ "partial overlap release", test_partial_overlap_release },
		{ "in use ignored", test_in_use_ignored },
		{ "in use deferred", test_in_use_deferred },
		{ "forced in use", test_forced_in_use },
		{ "forced two way in use", test_forced_two_way_in_use },
		{ "stale blocks offers", test_stale_blocks_offers },
		{ "two way refused", test_two_way_refused },
		{ "chain timeout tags", test_chain_timeout_tags },
		{ "chain resync", test_chain_resync },
		{ "log overflow qemu", test_log_overflow_qemu },
		{ "config errors", test_config_errors },
		{ "random invariants", test_random_invariants },
		{ "same seed same results", test_same_seed_same_results },
		{ NULL, NULL },
	};

	return unit_run("e2e", tests);
}
