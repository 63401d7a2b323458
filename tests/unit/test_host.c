/* The host driver model against real devices driven by a fake FM: the
 * interrupt thread and its timing, each built-in policy's decisions, the
 * release, in-use, forced release, region update and teardown flows, N-way
 * assembly and its timeout, the configuration rules, and the piece index
 * under churn. */
#include <string.h>

#include "dcd_fake.h"
#include "models/dcd.h"
#include "models/host.h"
#include "unit.h"

#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)
#define BS (2 * MIB)
#define NDEV 2

struct rig {
	struct sim *k;
	struct dcd *dev[NDEV];
	struct fake_fm fm[NDEV];
	struct host *h;
	unsigned ndev;
	GArray *reports;		/* struct host_report */
	GArray *capacity;		/* struct host_capacity_msg */
	int64_t stranded[METRICS_STRANDED_COUNT];
	struct host_app_port app;
};

static void on_report(const struct host_report *r, void *data)
{
	struct rig *g = data;

	g_array_append_val(g->reports, *r);
	if (r->kind == HOST_REPORT_STRANDED)
		g->stranded[r->cause] += r->delta;
}

static void on_capacity(struct sim *k, void *target, const void *payload)
{
	struct rig *g = target;

	(void)k;
	g_array_append_vals(g->capacity, payload, 1);
}

typedef void (*host_tweak_fn)(struct host_config *cfg);

/* NDEVS spec devices of one 1 GiB region of 2 MiB blocks; a host of
 * POLICY interleaving them at 4 KiB, decoders over the whole region. */
static void rig_init(struct rig *g, const char *policy, unsigned ndevs, enum dcd_profile profile,
		     host_tweak_fn tweak)
{
	struct host_config hc;
	struct host_tenant_port tenant;
	GError *error = NULL;

	memset(g, 0, sizeof(*g));
	g->k = sim_new(1);
	g->ndev = ndevs;
	CU_ASSERT_TRUE_FATAL(host_config_init(&hc, policy, NULL));
	g_strlcpy(hc.name, "h0", sizeof(hc.name));
	hc.ways = ndevs;
	hc.granularity = 4096;
	for (unsigned d = 0; d < ndevs; d++) {
		struct dcd_config dc;

		dcd_config_init(&dc, profile);
		CU_ASSERT_TRUE_FATAL(dcd_config_set_uniform_regions(&dc, 0, GIB, 1, BS, NULL));
		g->dev[d] = dcd_new(g->k, d, &dc, &error);
		CU_ASSERT_PTR_NOT_NULL_FATAL(g->dev[d]);
		fake_fm_init(&g->fm[d], g->k, g->dev[d]);
		hc.devices[d] = d;
		hc.decoders[d] = (struct host_decoder){ 0, GIB, BS, dc.payload_size };
	}
	if (tweak)
		tweak(&hc);
	g->h = host_new(g->k, 0, &hc, &error);
	if (error)
		fprintf(stderr, "%s\n", error->message);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g->h);
	for (unsigned d = 0; d < ndevs; d++) {
		struct proto_host_port hp;
		struct proto_mbox_port mp;

		host_device_port(g->h, d, &hp);
		dcd_connect_host(g->dev[d], 0, &hp);
		dcd_mbox_port(g->dev[d], 0, &mp);
		host_connect_device(g->h, d, &mp);
	}
	g->reports = g_array_new(FALSE, FALSE, sizeof(struct host_report));
	g->capacity = g_array_new(FALSE, FALSE, sizeof(struct host_capacity_msg));
	host_set_observer(g->h, on_report, g);
	tenant = (struct host_tenant_port){ .target = g, .capacity = on_capacity };
	host_connect_tenant(g->h, &tenant);
	host_app_port(g->h, &g->app);
}

static void rig_check(struct rig *g)
{
	GError *error = NULL;

	for (unsigned d = 0; d < g->ndev; d++) {
		CU_ASSERT_TRUE(dcd_check_invariants(g->dev[d], &error));
		if (error) {
			fprintf(stderr, "%s\n", error->message);
			g_clear_error(&error);
		}
	}
	CU_ASSERT_TRUE(host_check_invariants(g->h, &error));
	if (error) {
		fprintf(stderr, "%s\n", error->message);
		g_clear_error(&error);
	}
}

static void rig_fini(struct rig *g)
{
	rig_check(g);
	host_free(g->h);
	for (unsigned d = 0; d < g->ndev; d++) {
		fake_fm_clear(&g->fm[d]);
		dcd_free(g->dev[d]);
	}
	g_array_unref(g->reports);
	g_array_unref(g->capacity);
	sim_free(g->k);
}

/* Prescriptive Initiate DC Add of N extents to device D for request REQ. */
static void fm_add(struct rig *g, unsigned d, uint64_t req, const struct proto_extent *e,
		   size_t n)
{
	struct proto_fm_cmd cmd = {
		.opcode = PROTO_OP_INITIATE_DC_ADD,
		.policy = PROTO_SELECT_PRESCRIPTIVE,
		.sim.request = req,
	};

	fake_fm_send(&g->fm[d], &cmd, e, n);
}

static void fm_release(struct rig *g, unsigned d, uint64_t req, uint64_t start, uint64_t len,
		       bool forced)
{
	struct proto_fm_cmd cmd = {
		.opcode = PROTO_OP_INITIATE_DC_RELEASE,
		.policy = PROTO_REMOVAL_PRESCRIPTIVE | (forced ? PROTO_RELEASE_FORCED : 0),
		.sim.request = req,
	};
	struct proto_extent e = { .start = start, .len = len };

	fake_fm_send(&g->fm[d], &cmd, &e, 1);
}

static void app_use(struct rig *g, uint64_t req, uint64_t bytes)
{
	struct host_use_msg m = { .request = req, .bytes = bytes };

	sim_schedule(g->k, 0, g->app.use, g->app.target, &m, sizeof(m));
}

static void run(struct rig *g)
{
	CU_ASSERT_TRUE(fake_run(g->k));
}

/* Runs until simulated time T (ns). */
static void run_until(struct rig *g, uint64_t t)
{
	GError *error = NULL;

	CU_ASSERT_TRUE(sim_run(g->k, t, 0, &error));
	if (error) {
		fprintf(stderr, "run failed: %s\n", error->message);
		g_clear_error(&error);
	}
}

static const struct host_report *last_report(struct rig *g, enum host_report_kind kind)
{
	for (guint i = g->reports->len; i-- > 0;) {
		const struct host_report *r = &g_array_index(g->reports, struct host_report, i);

		if (r->kind == kind)
			return r;
	}
	return NULL;
}

static unsigned count_reports(struct rig *g, enum host_report_kind kind)
{
	unsigned n = 0;

	for (guint i = 0; i < g->reports->len; i++)
		n += g_array_index(g->reports, struct host_report, i).kind == kind;
	return n;
}

static uint64_t device_bytes(struct rig *g, unsigned d, enum extent_state state)
{
	struct dcd_stats s;

	dcd_get_stats(g->dev[d], &s);
	return s.bytes[state];
}

static const struct host_capacity_msg *last_capacity(struct rig *g)
{
	CU_ASSERT_TRUE_FATAL(g->capacity->len > 0);
	return &g_array_index(g->capacity, struct host_capacity_msg, g->capacity->len - 1);
}

/* ---- the add flow and its timing -------------------------------------- */

static void test_add_timing(void)
{
	struct rig g;
	struct latency_params l;
	struct proto_extent e = { .start = 0, .len = 128 * MIB };
	const struct host_report *r;
	uint64_t irq, read, decided, realized, online;

	rig_init(&g, "linux", 1, DCD_PROFILE_SPEC, NULL);
	latency_params_init(&l);
	fm_add(&g, 0, 7, &e, 1);
	run(&g);
	/* FM API, one record posted, the interrupt; Get with one record out;
	 * one record handled; flush of the 1 GiB region, one extent device,
	 * one 128 MiB block onlined; Add DC Response with one range in */
	irq = l.fm_api_cmd + l.event_record_post + l.irq_delivery;
	read = irq + l.mbox_cmd_base + l.mbox_per_extent;
	decided = read + l.host_record_handle;
	realized = decided + l.host_cache_flush_per_gib + l.host_extent_create +
		   l.host_online_per_block;
	online = realized + l.mbox_cmd_base + l.mbox_per_extent;
	r = last_report(&g, HOST_REPORT_SETTLED);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->request, 7);
	CU_ASSERT_EQUAL(r->device, 0);
	CU_ASSERT_EQUAL(r->bytes, 128 * MIB);
	CU_ASSERT_EQUAL(r->ways, 1);
	CU_ASSERT_EQUAL(r->t_irq, irq);
	CU_ASSERT_EQUAL(r->t_read, read);
	CU_ASSERT_EQUAL(r->t_decided_first, decided);
	CU_ASSERT_EQUAL(r->t_decided_last, decided);
	CU_ASSERT_EQUAL(r->t_realized, realized);
	CU_ASSERT_EQUAL(r->t_online, online);
	CU_ASSERT_EQUAL(last_capacity(&g)->online, 1);
	CU_ASSERT_EQUAL(last_capacity(&g)->bytes, 128 * MIB);
	CU_ASSERT_TRUE(host_can_access(g.h, 0, 0));
	CU_ASSERT_TRUE(host_can_access(g.h, 0, 128 * MIB - 1));
	CU_ASSERT_FALSE(host_can_access(g.h, 0, 128 * MIB));
	CU_ASSERT_FALSE(host_can_access(g.h, 1, 0));
	CU_ASSERT_EQUAL(device_bytes(&g, 0, EXTENT_ACCEPTED), 128 * MIB);
	CU_ASSERT_FALSE(host_request_open(g.h, 7));
	rig_fini(&g);
}

/* Records of one chain arrive in one Get; each is handled in turn and the
 * log is cleared and read again until empty. */
static void test_chain_and_drain(void)
{
	struct rig g;
	struct proto_extent e[3] = {
		{ .start = 0, .len = 2 * MIB },
		{ .start = 64 * MIB, .len = 4 * MIB },
		{ .start = 512 * MIB, .len = 2 * MIB },
	};
	struct host_stats s;

	rig_init(&g, "linux", 1, DCD_PROFILE_SPEC, NULL);
	fm_add(&g, 0, 1, e, 3);
	run(&g);
	host_get_stats(g.h, &s);
	CU_ASSERT_EQUAL(s.records, 3);
	CU_ASSERT_EQUAL(s.extents_accepted, 3);
	CU_ASSERT_EQUAL(s.region_extents, 3);
	CU_ASSERT_EQUAL(s.online_bytes, 8 * MIB);
	CU_ASSERT_EQUAL(s.chains_open, 0);
	CU_ASSERT_EQUAL(last_capacity(&g)->bytes, 8 * MIB);
	CU_ASSERT_EQUAL(device_bytes(&g, 0, EXTENT_ACCEPTED), 8 * MIB);
	CU_ASSERT_EQUAL(count_reports(&g, HOST_REPORT_SETTLED), 1);
	rig_fini(&g);
}

/* ---- linux: what it rejects --------------------------------------------- */

static void decoder_upper_half(struct host_config *cfg)
{
	cfg->decoders[0].dpa_base = 512 * MIB;
	cfg->decoders[0].dpa_len = 512 * MIB;
}

static void test_linux_rejects(void)
{
	struct rig g;
	struct proto_extent tagged = { .start = 512 * MIB, .len = 2 * MIB };
	struct proto_extent outside = { .start = 0, .len = 2 * MIB };
	struct proto_extent straddle = { .start = 510 * MIB, .len = 4 * MIB };
	struct proto_extent good = { .start = 600 * MIB, .len = 2 * MIB };
	struct proto_extent chain[2] = { outside, good };
	struct host_stats s;

	rig_init(&g, "linux", 1, DCD_PROFILE_SPEC, decoder_upper_half);
	proto_tag_from_u64(tagged.tag, 5);
	fm_add(&g, 0, 1, &tagged, 1);
	run(&g);
	CU_ASSERT_EQUAL(last_capacity(&g)->online, 0);
	fm_add(&g, 0, 2, &straddle, 1);
	run(&g);
	CU_ASSERT_EQUAL(last_capacity(&g)->request, 2);
	CU_ASSERT_EQUAL(last_capacity(&g)->online, 0);
	fm_add(&g, 0, 3, chain, 2);
	run(&g);
	CU_ASSERT_EQUAL(last_capacity(&g)->request, 3);
	CU_ASSERT_EQUAL(last_capacity(&g)->bytes, 2 * MIB);
	host_get_stats(g.h, &s);
	CU_ASSERT_EQUAL(s.extents_rejected, 3);
	CU_ASSERT_EQUAL(s.extents_accepted, 1);
	/* what was refused is free again on the device */
	CU_ASSERT_EQUAL(device_bytes(&g, 0, EXTENT_ACCEPTED), 2 * MIB);
	CU_ASSERT_EQUAL(device_bytes(&g, 0, EXTENT_PENDING), 0);
	rig_fini(&g);
}

/* ---- release ---------------------------------------------------------------- */

/* A release of part of two extents gives both back whole (Linux). */
static void test_release_partial_overlap(void)
{
	struct rig g;
	struct proto_extent e[2] = { { .start = 0, .len = 128 * MIB },
				     { .start = 128 * MIB, .len = 128 * MIB } };
	struct host_stats s;
	uint64_t released = 0;

	rig_init(&g, "linux", 1, DCD_PROFILE_SPEC, NULL);
	fm_add(&g, 0, 1, e, 2);
	run(&g);
	g_array_set_size(g.fm[0].records, 0);
	fm_release(&g, 0, 2, 64 * MIB, 128 * MIB, false);
	run(&g);
	for (guint i = 0; i < g.fm[0].records->len; i++) {
		const struct proto_record *r = &g_array_index(g.fm[0].records, struct proto_record, i);

		if (r->type == PROTO_EVENT_CAPACITY_RELEASED)
			released += r->extent.len;
	}
	CU_ASSERT_EQUAL(released, 256 * MIB);
	CU_ASSERT_EQUAL(device_bytes(&g, 0, EXTENT_FREE), GIB);
	host_get_stats(g.h, &s);
	CU_ASSERT_EQUAL(s.region_extents, 0);
	CU_ASSERT_EQUAL(s.releases, 2);
	CU_ASSERT_FALSE(host_can_access(g.h, 0, 0));
	rig_fini(&g);
}

/* linux ignores a release of memory in use: nothing is sent back. */
static void test_release_in_use_ignored(void)
{
	struct rig g;
	struct proto_extent e = { .start = 0, .len = 128 * MIB };
	struct host_stats s;

	rig_init(&g, "linux", 1, DCD_PROFILE_SPEC, NULL);
	fm_add(&g, 0, 1, &e, 1);
	run(&g);
	app_use(&g, 1, 64 * MIB);
	fm_release(&g, 0, 2, 0, 128 * MIB, false);
	run(&g);
	host_get_stats(g.h, &s);
	CU_ASSERT_EQUAL(s.ignored, 1);
	CU_ASSERT_EQUAL(s.in_use_bytes, 64 * MIB);
	CU_ASSERT_EQUAL(count_reports(&g, HOST_REPORT_IGNORED), 1);
	CU_ASSERT_EQUAL(g.stranded[METRICS_STRANDED_IGNORED_RELEASE], 128 * MIB);
	CU_ASSERT_EQUAL(device_bytes(&g, 0, EXTENT_RELEASING), 128 * MIB);
	/* stopping does not help linux: it never answers by itself */
	app_use(&g, 1, 0);
	run(&g);
	CU_ASSERT_EQUAL(device_bytes(&g, 0, EXTENT_RELEASING), 128 * MIB);
	/* asked again while idle, it releases */
	fm_release(&g, 0, 3, 0, 128 * MIB, false);
	run(&g);
	CU_ASSERT_EQUAL(device_bytes(&g, 0, EXTENT_FREE), GIB);
	CU_ASSERT_EQUAL(g.stranded[METRICS_STRANDED_IGNORED_RELEASE], 0);
	rig_fini(&g);
}

/* interleave (1-way here) defers: the release goes when the use stops. */
static void test_release_in_use_deferred(void)
{
	struct rig g;
	struct proto_extent e = { .start = 0, .len = 128 * MIB };
	struct host_stats s;
	GError *error = NULL;

	rig_init(&g, "interleave", 1, DCD_PROFILE_SPEC, NULL);
	fm_add(&g, 0, 1, &e, 1);
	run(&g);
	app_use(&g, 1, 128 * MIB);
	fm_release(&g, 0, 2, 0, 2 * MIB, false);
	run(&g);
	host_get_stats(g.h, &s);
	CU_ASSERT_EQUAL(s.deferred, 1);
	CU_ASSERT_EQUAL(device_bytes(&g, 0, EXTENT_RELEASING), 2 * MIB);
	CU_ASSERT_EQUAL(device_bytes(&g, 0, EXTENT_ACCEPTED), 126 * MIB);
	CU_ASSERT_TRUE(sim_run(g.k, sim_now(g.k) + 1000000, 0, &error));
	app_use(&g, 1, 0);
	run(&g);
	CU_ASSERT_EQUAL(device_bytes(&g, 0, EXTENT_FREE), GIB);
	host_get_stats(g.h, &s);
	CU_ASSERT_EQUAL(s.region_extents, 0);
	rig_fini(&g);
}

/* ---- forced release ---------------------------------------------------- */

static void test_forced_linux_stale(void)
{
	struct rig g;
	struct proto_extent e = { .start = 0, .len = 128 * MIB };
	struct proto_extent again = { .start = 64 * MIB, .len = 2 * MIB };
	const struct host_report *r;
	struct host_stats s;

	rig_init(&g, "linux", 1, DCD_PROFILE_SPEC, NULL);
	fm_add(&g, 0, 1, &e, 1);
	run(&g);
	app_use(&g, 1, 100 * MIB);
	/* half the extent, from its middle: 36 MiB of the 100 in use go */
	fm_release(&g, 0, 2, 64 * MIB, 64 * MIB, true);
	run(&g);
	r = last_report(&g, HOST_REPORT_LOST);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->bytes, 36 * MIB);
	host_get_stats(g.h, &s);
	CU_ASSERT_EQUAL(s.forced, 1);
	CU_ASSERT_EQUAL(s.stale_bytes, 128 * MIB);
	CU_ASSERT_FALSE(host_can_access(g.h, 0, 0));
	/* the stale extent blocks a new offer of the freed DPA */
	fm_add(&g, 0, 3, &again, 1);
	run(&g);
	CU_ASSERT_EQUAL(last_capacity(&g)->request, 3);
	CU_ASSERT_EQUAL(last_capacity(&g)->online, 0);
	rig_fini(&g);
}

static void test_forced_interleave_drops(void)
{
	struct rig g;
	struct proto_extent e = { .start = 0, .len = 128 * MIB };
	struct host_stats s;

	rig_init(&g, "interleave", 1, DCD_PROFILE_SPEC, NULL);
	fm_add(&g, 0, 1, &e, 1);
	run(&g);
	app_use(&g, 1, 128 * MIB);
	fm_release(&g, 0, 2, 0, 128 * MIB, true);
	run(&g);
	host_get_stats(g.h, &s);
	CU_ASSERT_EQUAL(s.lost_bytes, 128 * MIB);
	CU_ASSERT_EQUAL(s.region_extents, 0);
	CU_ASSERT_EQUAL(device_bytes(&g, 0, EXTENT_FREE), GIB);
	rig_fini(&g);
}

/* Both pieces of a 2-way region extent (64 MiB of HPA at 128 MiB), in
 * full use. */
static void two_way_in_use(struct rig *g)
{
	struct proto_extent e = { .start = 64 * MIB, .len = 32 * MIB };

	fm_add(g, 0, 1, &e, 1);
	fm_add(g, 1, 1, &e, 1);
	run(g);
	CU_ASSERT_EQUAL_FATAL(last_capacity(g)->bytes, 64 * MIB);
	app_use(g, 1, 64 * MIB);
	run(g);
}

/* Forcing one device's piece away takes every stripe of the region
 * extent: all that is in use is lost, not the device's half. */
static void test_forced_two_way_drops(void)
{
	struct rig g;
	struct host_stats s;

	rig_init(&g, "interleave", 2, DCD_PROFILE_SPEC, NULL);
	two_way_in_use(&g);
	fm_release(&g, 0, 2, 64 * MIB, 32 * MIB, true);
	run(&g);
	host_get_stats(g.h, &s);
	CU_ASSERT_EQUAL(s.lost_bytes, 64 * MIB);
	CU_ASSERT_EQUAL(count_reports(&g, HOST_REPORT_LOST), 1);
	/* the partner piece was given back */
	CU_ASSERT_EQUAL(s.region_extents, 0);
	CU_ASSERT_EQUAL(device_bytes(&g, 1, EXTENT_FREE), GIB);
	rig_fini(&g);
}

static void forced_ignore(struct host_config *cfg)
{
	cfg->forced = HOST_FORCED_IGNORE;
}

/* A stale 2-way region extent: 2 MiB forced off device 0 loses the
 * stripes that held it (4 MiB of HPA); the same DPA forced off device 1
 * loses nothing more; the teardown loses the rest, once. */
static void test_forced_two_way_stale(void)
{
	struct rig g;
	struct host_stats s;

	rig_init(&g, "interleave", 2, DCD_PROFILE_SPEC, forced_ignore);
	two_way_in_use(&g);
	fm_release(&g, 0, 2, 64 * MIB, 2 * MIB, true);
	run(&g);
	host_get_stats(g.h, &s);
	CU_ASSERT_EQUAL(s.lost_bytes, 4 * MIB);
	CU_ASSERT_EQUAL(s.stale_bytes, 64 * MIB);
	fm_release(&g, 1, 3, 64 * MIB, 2 * MIB, true);
	run(&g);
	host_get_stats(g.h, &s);
	CU_ASSERT_EQUAL(s.lost_bytes, 4 * MIB);
	sim_schedule(g.k, 0, g.app.destroy, g.app.target, NULL, 0);
	run(&g);
	host_get_stats(g.h, &s);
	CU_ASSERT_EQUAL(s.lost_bytes, 64 * MIB);
	rig_fini(&g);
}

/* ---- N-way assembly ----------------------------------------------------- */

static void test_two_way_assembly(void)
{
	struct rig g;
	struct proto_extent e = { .start = 64 * MIB, .len = 32 * MIB };
	struct latency_params l;
	const struct host_report *r;
	struct host_stats s;

	rig_init(&g, "interleave", 2, DCD_PROFILE_SPEC, NULL);
	latency_params_init(&l);
	fm_add(&g, 0, 1, &e, 1);
	fm_add(&g, 1, 1, &e, 1);
	run(&g);
	r = last_report(&g, HOST_REPORT_SETTLED);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->bytes, 64 * MIB);
	CU_ASSERT_EQUAL(r->ways, 2);
	/* both devices answer, then the region extent is realized */
	CU_ASSERT_TRUE(r->t_decided_last > r->t_decided_first);
	CU_ASSERT_EQUAL(r->t_online, r->t_realized);
	CU_ASSERT_EQUAL(g.stranded[METRICS_STRANDED_HALF_BUILT], 0);
	CU_ASSERT_TRUE(count_reports(&g, HOST_REPORT_STRANDED) >= 2);
	CU_ASSERT_TRUE(host_can_access(g.h, 0, 64 * MIB));
	CU_ASSERT_TRUE(host_can_access(g.h, 1, 96 * MIB - 1));
	host_get_stats(g.h, &s);
	CU_ASSERT_EQUAL(s.online_bytes, 64 * MIB);
	/* releasing one device's piece gives back both */
	fm_release(&g, 1, 2, 64 * MIB, 2 * MIB, false);
	run(&g);
	CU_ASSERT_EQUAL(device_bytes(&g, 0, EXTENT_FREE), GIB);
	CU_ASSERT_EQUAL(device_bytes(&g, 1, EXTENT_FREE), GIB);
	rig_fini(&g);
}

static void short_assembly(struct host_config *cfg)
{
	cfg->assembly_timeout = 50000000;	/* 50 ms */
}

static void test_two_way_timeout(void)
{
	struct rig g;
	struct proto_extent e = { .start = 0, .len = 32 * MIB };
	const struct host_report *r;
	struct host_stats s;
	uint64_t t_half = 0;

	rig_init(&g, "interleave", 2, DCD_PROFILE_SPEC, short_assembly);
	fm_add(&g, 0, 1, &e, 1);
	run(&g);
	r = last_report(&g, HOST_REPORT_SETTLED);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->bytes, 0);
	CU_ASSERT_EQUAL(last_capacity(&g)->online, 0);
	host_get_stats(g.h, &s);
	CU_ASSERT_EQUAL(s.assembly_timeouts, 1);
	CU_ASSERT_EQUAL(s.region_extents, 0);
	CU_ASSERT_EQUAL(device_bytes(&g, 0, EXTENT_FREE), GIB);
	/* stranded as half built from the answer to the give-back */
	for (guint i = 0; i < g.reports->len; i++) {
		const struct host_report *x = &g_array_index(g.reports, struct host_report, i);

		if (x->kind == HOST_REPORT_STRANDED && x->cause == METRICS_STRANDED_HALF_BUILT)
			t_half += x->delta > 0;
	}
	CU_ASSERT_EQUAL(t_half, 1);
	CU_ASSERT_EQUAL(g.stranded[METRICS_STRANDED_HALF_BUILT], 0);
	rig_fini(&g);
}

/* ---- linux-tags --------------------------------------------------------- */

static void test_tags_groups(void)
{
	struct rig g;
	struct proto_extent e[3] = {
		{ .start = 0, .len = 2 * MIB },
		{ .start = 8 * MIB, .len = 2 * MIB },
		{ .start = 16 * MIB, .len = 2 * MIB },
	};
	struct proto_extent dup = { .start = 32 * MIB, .len = 2 * MIB };
	struct host_stats s;

	rig_init(&g, "linux-tags", 1, DCD_PROFILE_SPEC, NULL);
	for (unsigned i = 0; i < 3; i++)
		proto_tag_from_u64(e[i].tag, 9);
	proto_tag_from_u64(dup.tag, 9);
	fm_add(&g, 0, 1, e, 3);
	run(&g);
	CU_ASSERT_EQUAL(last_capacity(&g)->bytes, 6 * MIB);
	/* a tag is unique host-wide */
	fm_add(&g, 0, 2, &dup, 1);
	run(&g);
	CU_ASSERT_EQUAL(last_capacity(&g)->online, 0);
	/* a release of one extent releases the whole group */
	fm_release(&g, 0, 3, 8 * MIB, 2 * MIB, false);
	run(&g);
	host_get_stats(g.h, &s);
	CU_ASSERT_EQUAL(s.region_extents, 0);
	CU_ASSERT_EQUAL(device_bytes(&g, 0, EXTENT_FREE), GIB);
	rig_fini(&g);
}

static void small_blocks(struct host_config *cfg)
{
	cfg->alignment = 4 * MIB;
}

static void test_tags_misaligned_group(void)
{
	struct rig g;
	struct proto_extent e[3] = {
		{ .start = 0, .len = 4 * MIB },
		{ .start = 8 * MIB, .len = 2 * MIB },
		{ .start = 16 * MIB, .len = 4 * MIB },
	};

	rig_init(&g, "linux-tags", 1, DCD_PROFILE_SPEC, small_blocks);
	proto_tag_from_u64(e[0].tag, 7);
	proto_tag_from_u64(e[1].tag, 7);
	proto_tag_from_u64(e[2].tag, 8);
	fm_add(&g, 0, 1, e, 3);
	run(&g);
	/* 8 MiB + 2 MiB is misaligned: the tag-7 group goes, tag 8 stays */
	CU_ASSERT_EQUAL(last_capacity(&g)->bytes, 4 * MIB);
	CU_ASSERT_TRUE(host_can_access(g.h, 0, 16 * MIB));
	CU_ASSERT_FALSE(host_can_access(g.h, 0, 0));
	rig_fini(&g);
}

static void few_pending(struct host_config *cfg)
{
	cfg->max_pending = 2;
}

static void test_tags_pending_limit(void)
{
	struct rig g;
	struct proto_extent e[3] = {
		{ .start = 0, .len = 2 * MIB },
		{ .start = 8 * MIB, .len = 2 * MIB },
		{ .start = 16 * MIB, .len = 2 * MIB },
	};

	rig_init(&g, "linux-tags", 1, DCD_PROFILE_SPEC, few_pending);
	fm_add(&g, 0, 1, e, 3);
	run(&g);
	CU_ASSERT_EQUAL(last_capacity(&g)->online, 0);
	CU_ASSERT_EQUAL(device_bytes(&g, 0, EXTENT_FREE), GIB);
	rig_fini(&g);
}

/* A qemu log drops the chain's closing record: linux-tags answers the
 * stuck chain after its timeout with an empty response. */
static void test_tags_chain_timeout(void)
{
	struct rig g;
	struct proto_extent e[10];
	struct host_stats s;
	struct dcd_stats ds;

	rig_init(&g, "linux-tags", 1, DCD_PROFILE_QEMU, NULL);
	for (unsigned i = 0; i < 10; i++)
		e[i] = (struct proto_extent){ .start = i * 4 * MIB, .len = 2 * MIB };
	fm_add(&g, 0, 1, e, 10);
	run(&g);
	host_get_stats(g.h, &s);
	CU_ASSERT_EQUAL(s.records, 8);
	CU_ASSERT_EQUAL(s.chain_timeouts, 1);
	CU_ASSERT_EQUAL(s.chains_open, 0);
	CU_ASSERT_EQUAL(sim_now(g.k) >= UINT64_C(20000000000), true);
	dcd_get_stats(g.dev[0], &ds);
	CU_ASSERT_EQUAL(ds.pending_groups, 0);
	CU_ASSERT_EQUAL(device_bytes(&g, 0, EXTENT_FREE), GIB);
	rig_fini(&g);
}

/* One 2 MiB extent at DPA I * 4 MiB for request REQ. */
static void add_one(struct rig *g, uint64_t req, unsigned i)
{
	struct proto_extent e = { .start = i * 4 * MIB, .len = 2 * MIB };

	fm_add(g, 0, req, &e, 1);
}

/* The closing record of an offer is dropped and the host is told (Get
 * reports the overflow): it ends the open chain there.  The next offer is
 * a chain of its own; qemu refuses its answer while the broken offer is
 * the oldest, so the host answers that one empty and sends its answer
 * again, long before the chain timeout. */
static void test_tags_broken_chain_resync(void)
{
	struct rig g;
	struct proto_extent e[10];
	struct host_stats s;
	struct dcd_stats ds;

	rig_init(&g, "linux-tags", 1, DCD_PROFILE_QEMU, NULL);
	for (unsigned i = 0; i < 10; i++)
		e[i] = (struct proto_extent){ .start = i * 4 * MIB, .len = 2 * MIB };
	fm_add(&g, 0, 1, e, 10);
	run_until(&g, UINT64_C(1000000000));
	host_get_stats(g.h, &s);
	CU_ASSERT_EQUAL(s.records, 8);
	CU_ASSERT_EQUAL(s.chains_open, 1);
	add_one(&g, 2, 100);
	run_until(&g, UINT64_C(2000000000));
	CU_ASSERT_EQUAL(last_capacity(&g)->request, 2);
	CU_ASSERT_EQUAL(last_capacity(&g)->online, 1);
	host_get_stats(g.h, &s);
	CU_ASSERT_EQUAL(s.offers_skipped, 1);
	CU_ASSERT_EQUAL(s.chain_timeouts, 0);
	CU_ASSERT_EQUAL(s.chains_open, 0);
	CU_ASSERT_EQUAL(s.mbox_failures, 0);
	dcd_get_stats(g.dev[0], &ds);
	CU_ASSERT_EQUAL(ds.pending_groups, 0);
	CU_ASSERT_EQUAL(device_bytes(&g, 0, EXTENT_ACCEPTED), 2 * MIB);
	run(&g);
	CU_ASSERT_EQUAL(sim_now(g.k) < UINT64_C(20000000000), true);
	rig_fini(&g);
}

/* A whole offer is dropped while the host works through a full log, and
 * the Clear that empties the log resets the overflow count before any Get
 * reports it: the host never hears of it.  Its answer to the next offer
 * is refused; it resyncs all the same. */
static void test_tags_untold_resync(void)
{
	struct rig g;
	struct proto_extent e[8];
	struct host_stats s;
	struct dcd_stats ds;

	rig_init(&g, "linux-tags", 1, DCD_PROFILE_QEMU, NULL);
	for (unsigned i = 0; i < 8; i++)
		e[i] = (struct proto_extent){ .start = i * 4 * MIB, .len = 2 * MIB };
	fm_add(&g, 0, 1, e, 8);
	run_until(&g, 1000000);
	add_one(&g, 2, 100);
	run_until(&g, 500000000);
	dcd_get_stats(g.dev[0], &ds);
	CU_ASSERT_EQUAL(ds.records_dropped, 1);
	CU_ASSERT_EQUAL(ds.pending_groups, 1);
	add_one(&g, 3, 101);
	run(&g);
	CU_ASSERT_EQUAL(last_capacity(&g)->request, 3);
	CU_ASSERT_EQUAL(last_capacity(&g)->online, 1);
	host_get_stats(g.h, &s);
	CU_ASSERT_EQUAL(s.offers_skipped, 1);
	dcd_get_stats(g.dev[0], &ds);
	CU_ASSERT_EQUAL(ds.pending_groups, 0);
	CU_ASSERT_EQUAL(device_bytes(&g, 0, EXTENT_ACCEPTED), 18 * MIB);
	rig_fini(&g);
}

/* An answer refused for another cause: a forced release killed offer D
 * while the host realized A.  The device retires D on the refusal, so the
 * resync skips E, which the host has yet to read, and finds no offer left.
 * E's answer is refused in turn (F is the oldest offer then): the host
 * knows E was skipped and does not skip F for it. */
static void test_tags_resync_dead_offer(void)
{
	struct rig g;
	struct host_stats s;

	rig_init(&g, "linux-tags", 1, DCD_PROFILE_QEMU, NULL);
	add_one(&g, 1, 0);
	run_until(&g, 1000000);
	add_one(&g, 2, 1);
	run_until(&g, 2000000);
	fm_release(&g, 0, 3, 4 * MIB, 2 * MIB, true);
	run_until(&g, 3000000);
	add_one(&g, 4, 2);
	run_until(&g, 10000000);
	host_get_stats(g.h, &s);
	CU_ASSERT_EQUAL(s.offers_skipped, 1);
	add_one(&g, 5, 3);
	run(&g);
	CU_ASSERT_EQUAL(last_capacity(&g)->request, 5);
	CU_ASSERT_EQUAL(last_capacity(&g)->online, 1);
	host_get_stats(g.h, &s);
	CU_ASSERT_EQUAL(s.offers_skipped, 1);
	CU_ASSERT_EQUAL(device_bytes(&g, 0, EXTENT_ACCEPTED), 4 * MIB);
	rig_fini(&g);
}

/* linux has no timeout: the chain stays open and the offer pending. */
static void test_linux_chain_stuck(void)
{
	struct rig g;
	struct proto_extent e[10];
	struct host_stats s;

	rig_init(&g, "linux", 1, DCD_PROFILE_QEMU, NULL);
	for (unsigned i = 0; i < 10; i++)
		e[i] = (struct proto_extent){ .start = i * 4 * MIB, .len = 2 * MIB };
	fm_add(&g, 0, 1, e, 10);
	run(&g);
	host_get_stats(g.h, &s);
	CU_ASSERT_EQUAL(s.chains_open, 1);
	CU_ASSERT_EQUAL(device_bytes(&g, 0, EXTENT_PENDING), 20 * MIB);
	rig_fini(&g);
}

/* ---- region update and teardown --------------------------------------------- */

/* The FM halves the block size of the (empty) region: a host that
 * handles Region Configuration Updated re-reads it and takes 1 MiB
 * extents; linux keeps its 2 MiB view and refuses them. */
static void region_update(const char *policy, bool accepts)
{
	struct rig g;
	struct proto_fm_cmd cfg_cmd = {
		.opcode = PROTO_OP_SET_DC_REGION_CONFIG,
		.block_size = 1 * MIB,
	};
	struct proto_extent e = { .start = 1 * MIB, .len = 1 * MIB };
	struct host_stats s;

	rig_init(&g, policy, 1, DCD_PROFILE_SPEC, NULL);
	fake_fm_send(&g.fm[0], &cfg_cmd, NULL, 0);
	run(&g);
	CU_ASSERT_EQUAL(fake_fm_last(&g.fm[0]).rc, PROTO_RC_SUCCESS);
	host_get_stats(g.h, &s);
	CU_ASSERT_EQUAL(s.records, 1);
	CU_ASSERT_EQUAL(s.mbox_failures, 0);
	CU_ASSERT_EQUAL(host_block_aligned(g.h, 0, 1 * MIB, 1 * MIB), accepts);
	fm_add(&g, 0, 1, &e, 1);
	run(&g);
	CU_ASSERT_EQUAL(last_capacity(&g)->online, accepts);
	rig_fini(&g);
}

static void test_region_update(void)
{
	region_update("interleave", true);
	region_update("linux", false);
}

static void test_region_destroy(void)
{
	struct rig g;
	struct proto_extent e = { .start = 0, .len = 128 * MIB };
	struct host_stats s;

	rig_init(&g, "interleave", 1, DCD_PROFILE_SPEC, NULL);
	fm_add(&g, 0, 1, &e, 1);
	run(&g);
	app_use(&g, 1, 10 * MIB);
	sim_schedule(g.k, 0, g.app.destroy, g.app.target, NULL, 0);
	run(&g);
	host_get_stats(g.h, &s);
	CU_ASSERT_TRUE(s.region_destroyed);
	CU_ASSERT_EQUAL(s.lost_bytes, 10 * MIB);
	CU_ASSERT_EQUAL(s.region_extents, 0);
	CU_ASSERT_EQUAL(device_bytes(&g, 0, EXTENT_FREE), GIB);
	/* without a region every offer is refused */
	fm_add(&g, 0, 2, &e, 1);
	run(&g);
	CU_ASSERT_EQUAL(last_capacity(&g)->online, 0);
	rig_fini(&g);
}

static void small_memory_blocks(struct host_config *cfg)
{
	cfg->memory_block = 2 * MIB;
}

/* A teardown gives back the region extents in the order they were made,
 * whatever the order of the host's table of them: here 24 extents, made
 * at rising DPA, must come back (05h records to the FM) at rising DPA. */
static void test_region_destroy_order(void)
{
	enum { N = 24 };
	struct rig g;
	guint first;

	rig_init(&g, "interleave", 1, DCD_PROFILE_SPEC, small_memory_blocks);
	for (unsigned i = 0; i < N; i++) {
		struct proto_extent e = { .start = (uint64_t)i * 4 * MIB, .len = 2 * MIB };

		fm_add(&g, 0, i + 1, &e, 1);
		run(&g);
		CU_ASSERT_TRUE(last_capacity(&g)->online);
	}
	first = g.fm[0].records->len;
	sim_schedule(g.k, 0, g.app.destroy, g.app.target, NULL, 0);
	run(&g);
	CU_ASSERT_EQUAL_FATAL(g.fm[0].records->len - first, N);
	for (unsigned i = 0; i < N; i++) {
		const struct proto_record *r =
			&g_array_index(g.fm[0].records, struct proto_record, first + i);

		CU_ASSERT_EQUAL(r->type, PROTO_EVENT_CAPACITY_RELEASED);
		CU_ASSERT_EQUAL(r->extent.start, (uint64_t)i * 4 * MIB);
	}
	rig_fini(&g);
}

/* ---- configuration --------------------------------------------------------- */

static void test_config_rules(void)
{
	struct host_config c;
	GError *error = NULL;

	CU_ASSERT_FALSE(host_config_init(&c, "greedy", &error));
	CU_ASSERT_STRING_EQUAL(error->message,
			       "unknown host policy 'greedy' (known: linux, linux-tags, interleave)");
	g_clear_error(&error);
	CU_ASSERT_TRUE_FATAL(host_config_init(&c, "linux", NULL));
	g_strlcpy(c.name, "h0", sizeof(c.name));
	c.ways = 2;
	c.decoders[0] = c.decoders[1] = (struct host_decoder){ 0, GIB, BS, 4096 };
	CU_ASSERT_FALSE(host_config_validate(&c, &error));
	CU_ASSERT_STRING_EQUAL(error->message,
			       "host 'h0': policy 'linux' supports only 1-way DC regions, got 2");
	g_clear_error(&error);
	g_strlcpy(c.policy, "linux-tags", sizeof(c.policy));
	CU_ASSERT_FALSE(host_config_validate(&c, &error));
	g_clear_error(&error);
	g_strlcpy(c.policy, "interleave", sizeof(c.policy));
	CU_ASSERT_TRUE(host_config_validate(&c, NULL));
	c.ways = 5;
	CU_ASSERT_FALSE(host_config_validate(&c, &error));
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "got 5"));
	g_clear_error(&error);
	c.ways = 3;
	c.decoders[2] = (struct host_decoder){ 0, GIB / 2, BS, 4096 };
	CU_ASSERT_FALSE(host_config_validate(&c, &error));
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "decoder 2"));
	g_clear_error(&error);
	c.decoders[2].dpa_len = GIB;
	CU_ASSERT_TRUE(host_config_validate(&c, NULL));
	c.memory_block = 3 * MIB;
	CU_ASSERT_FALSE(host_config_validate(&c, &error));
	g_clear_error(&error);
	c.memory_block = HOST_MEMORY_BLOCK_DEFAULT;
	c.granularity = 100;
	CU_ASSERT_FALSE(host_config_validate(&c, &error));
	g_clear_error(&error);
	CU_ASSERT_STRING_EQUAL(host_extent_state_name(HOST_EXTENT_ASSEMBLING), "assembling");
	CU_ASSERT_PTR_NOT_NULL(host_policy_find("linux-tags"));
	CU_ASSERT_PTR_NULL(host_policy_find("linux-v12"));
}

/* Each configuration's memory block count drives the onlining time. */
static void big_blocks(struct host_config *cfg)
{
	cfg->memory_block = 32 * MIB;
}

static void test_memory_blocks(void)
{
	struct rig g;
	struct latency_params l;
	struct proto_extent e = { .start = 0, .len = 128 * MIB };
	const struct host_report *r;

	rig_init(&g, "linux", 1, DCD_PROFILE_SPEC, big_blocks);
	latency_params_init(&l);
	fm_add(&g, 0, 1, &e, 1);
	run(&g);
	r = last_report(&g, HOST_REPORT_SETTLED);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->t_realized - r->t_decided_last,
			l.host_cache_flush_per_gib + l.host_extent_create + 4 * l.host_online_per_block);
	rig_fini(&g);
}

/* ---- the piece index ------------------------------------------------------- */

/* Whether the host holds each 2 MiB block of the first 64 MiB as HELD says,
 * through every view of its piece index, and its invariants hold. */
static void check_held(struct rig *g, const bool held[32])
{
	unsigned pieces = 0;

	for (unsigned b = 0; b < 32; b++) {
		CU_ASSERT_EQUAL(host_can_access(g->h, 0, b * BS), held[b]);
		CU_ASSERT_EQUAL(host_can_access(g->h, 0, (b + 1) * BS - 1), held[b]);
		CU_ASSERT_EQUAL(host_overlap(g->h, 0, b * BS, BS) != HOST_OVERLAP_NONE, held[b]);
		pieces += held[b] && (b == 0 || !held[b - 1]);
	}
	CU_ASSERT_EQUAL(host_overlap(g->h, 0, 0, 32 * BS) != HOST_OVERLAP_NONE, pieces > 0);
	rig_check(g);
}

static int count_piece(const struct host_extent_info *info, void *data)
{
	uint64_t *last_end = data;

	CU_ASSERT_TRUE(info->start >= *last_end);
	*last_end = info->start + info->len;
	return 0;
}

/* Pieces come and go in the middle of the index, next to each other and
 * apart: every query sees exactly the pieces held. */
static void test_index_churn(void)
{
	static const unsigned gone[] = { 3, 4, 9, 0, 15, 12, 7 };
	struct rig g;
	bool held[32] = { false };
	uint64_t last_end = 0;
	struct host_stats s;

	rig_init(&g, "linux", 1, DCD_PROFILE_SPEC, NULL);
	/* 16 extents of 2 MiB, one block apart */
	for (unsigned i = 0; i < 16; i++) {
		struct proto_extent e = { .start = 2 * i * BS, .len = BS };

		fm_add(&g, 0, i + 1, &e, 1);
		run(&g);
		held[2 * i] = true;
	}
	check_held(&g, held);
	for (unsigned i = 0; i < G_N_ELEMENTS(gone); i++) {
		fm_release(&g, 0, 100 + i, 2 * gone[i] * BS, BS, false);
		run(&g);
		held[2 * gone[i]] = false;
		check_held(&g, held);
	}
	/* back where pieces were, in the gaps between them, and over a
	 * removed piece and its gap */
	for (unsigned b = 5; b < 12; b += 2) {
		struct proto_extent e = { .start = b * BS, .len = BS };

		fm_add(&g, 0, 200 + b, &e, 1);
		run(&g);
		held[b] = true;
		check_held(&g, held);
	}
	{
		struct proto_extent e = { .start = 0, .len = 2 * BS };

		fm_add(&g, 0, 300, &e, 1);
		run(&g);
		held[0] = held[1] = true;
		check_held(&g, held);
	}
	/* almost everything goes: the holes are squeezed out */
	for (unsigned b = 0; b < 31; b++) {
		if (!held[b])
			continue;
		fm_release(&g, 0, 400 + b, b * BS, BS, false);
		run(&g);
		held[b] = false;
		if (b == 0)
			held[1] = false;	/* one region extent: it goes whole */
		check_held(&g, held);
	}
	host_extents_foreach(g.h, count_piece, &last_end);
	host_get_stats(g.h, &s);
	CU_ASSERT_EQUAL(s.region_extents, 0);
	CU_ASSERT_EQUAL(last_end, 0);
	rig_fini(&g);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "add timing", test_add_timing },
		{ "chain and drain", test_chain_and_drain },
		{ "linux rejects", test_linux_rejects },
		{ "release partial overlap", test_release_partial_overlap },
		{ "release in use ignored", test_release_in_use_ignored },
		{ "release in use deferred", test_release_in_use_deferred },
		{ "forced linux stale", test_forced_linux_stale },
		{ "forced interleave drops", test_forced_interleave_drops },
		{ "forced two way drops", test_forced_two_way_drops },
		{ "forced two way stale", test_forced_two_way_stale },
		{ "two way assembly", test_two_way_assembly },
		{ "two way timeout", test_two_way_timeout },
		{ "tags groups", test_tags_groups },
		{ "tags misaligned group", test_tags_misaligned_group },
		{ "tags pending limit", test_tags_pending_limit },
		{ "tags chain timeout", test_tags_chain_timeout },
		{ "linux chain stuck", test_linux_chain_stuck },
		{ "tags broken chain resync", test_tags_broken_chain_resync },
		{ "tags untold resync", test_tags_untold_resync },
		{ "tags resync dead offer", test_tags_resync_dead_offer },
		{ "region update", test_region_update },
		{ "region destroy", test_region_destroy },
		{ "region destroy order", test_region_destroy_order },
		{ "config rules", test_config_rules },
		{ "memory blocks", test_memory_blocks },
		{ "index churn", test_index_churn },
		{ NULL, NULL },
	};

	return unit_run("host", tests);
}
