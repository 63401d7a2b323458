/* The fabric manager: adds (one way, N-way split at equal offsets,
 * prescribing for qemu devices), Retry Required backoff, blocking causes,
 * release orchestration (re-issue, force, timeout), release selectors,
 * reports and wiring errors.  Devices are real; hosts are the scripted
 * fakes of dcd_fake.c. */
#include <stdio.h>
#include <string.h>

#include "dcd_fake.h"
#include "models/dcd.h"
#include "models/fm.h"
#include "unit.h"

#define MIB (UINT64_C(1) << 20)
#define BS (2 * MIB)
#define R1 (256 * MIB)
#define US UINT64_C(1000)

/* dev0: host 0 alone; dev1 + dev2: host 1 two ways; dev2: host 2 alone. */
struct fx {
	struct sim *k;
	struct fm *fm;
	struct dcd *dev[3];
	struct fake_host host[3];
	struct fm_request_port port;
	GArray *reports;	/* struct fm_report */
	uint64_t next_id;
};

typedef void (*dev_tweak_fn)(struct dcd_config *cfg);
typedef void (*fm_tweak_fn)(struct fm_config *cfg);

static void on_report(const struct fm_report *report, void *data)
{
	struct fx *f = data;

	g_array_append_val(f->reports, *report);
}

static void fx_init(struct fx *f, enum dcd_profile profile0, dev_tweak_fn dev_tweak,
		    fm_tweak_fn fm_tweak)
{
	static const unsigned set0[] = { 0 }, set1[] = { 1, 2 }, set2[] = { 2 };
	struct fm_config fcfg;
	GError *error = NULL;

	memset(f, 0, sizeof(*f));
	f->k = sim_new(7);
	fm_config_init(&fcfg);
	if (fm_tweak)
		fm_tweak(&fcfg);
	f->fm = fm_new(f->k, &fcfg, &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->fm);
	for (unsigned d = 0; d < 3; d++) {
		struct dcd_config cfg;
		struct proto_fm_api_port api;
		struct proto_fm_port port;

		dcd_config_init(&cfg, d == 0 ? profile0 : DCD_PROFILE_SPEC);
		g_assert(dcd_config_set_uniform_regions(&cfg, 0, 2 * R1, 2, BS, NULL));
		cfg.nhosts = 3;
		if (dev_tweak)
			dev_tweak(&cfg);
		f->dev[d] = dcd_new(f->k, d, &cfg, &error);
		CU_ASSERT_PTR_NOT_NULL_FATAL(f->dev[d]);
		dcd_fm_api_port(f->dev[d], &api);
		CU_ASSERT_TRUE_FATAL(fm_add_device(f->fm, d, &cfg, &api, NULL));
		fm_device_port(f->fm, d, &port);
		dcd_connect_fm(f->dev[d], &port);
	}
	for (unsigned h = 0; h < 3; h++) {
		fake_host_init(&f->host[h], f->k, h);
		f->host[h].drain = true;
		f->host[h].answer = FAKE_ANSWER_ACCEPT;
		f->host[h].release = true;
		f->host[h].release_whole = true;
	}
	fake_host_attach(&f->host[0], f->dev[0]);
	fake_host_attach(&f->host[1], f->dev[1]);
	fake_host_attach(&f->host[1], f->dev[2]);
	fake_host_attach(&f->host[2], f->dev[2]);
	CU_ASSERT_TRUE(fm_add_host(f->fm, 0, set0, 1, NULL));
	CU_ASSERT_TRUE(fm_add_host(f->fm, 1, set1, 2, NULL));
	CU_ASSERT_TRUE(fm_add_host(f->fm, 2, set2, 1, NULL));
	f->reports = g_array_new(FALSE, FALSE, sizeof(struct fm_report));
	fm_set_observer(f->fm, on_report, f);
	fm_request_port(f->fm, &f->port);
	f->next_id = 1;
}

static void fx_fini(struct fx *f)
{
	GError *fm_error = NULL;

	CU_ASSERT_TRUE(fm_check_invariants(f->fm, &fm_error));
	g_clear_error(&fm_error);
	for (unsigned d = 0; d < 3; d++) {
		GError *error = NULL;

		CU_ASSERT_TRUE(dcd_check_invariants(f->dev[d], &error));
		g_clear_error(&error);
	}
	for (unsigned h = 0; h < 3; h++)
		fake_host_clear(&f->host[h]);
	g_array_unref(f->reports);
	fm_free(f->fm);
	for (unsigned d = 0; d < 3; d++)
		dcd_free(f->dev[d]);
	sim_free(f->k);
}

static void run(struct fx *f)
{
	CU_ASSERT_TRUE(fake_run(f->k));
}

static uint64_t add(struct fx *f, unsigned host, enum proto_select policy, uint64_t size,
		    uint64_t tag)
{
	struct fm_add_request r = {
		.id = f->next_id++,
		.size = size,
		.host = (uint16_t)host,
		.policy = policy,
	};

	proto_tag_from_u64(r.tag, tag);
	sim_schedule(f->k, 0, f->port.add, f->port.target, &r, sizeof(r));
	return r.id;
}

static uint64_t release_req(struct fx *f, const struct fm_release_request *tmpl)
{
	struct fm_release_request r = *tmpl;

	r.id = f->next_id++;
	sim_schedule(f->k, 0, f->port.release, f->port.target, &r, sizeof(r));
	return r.id;
}

static uint64_t release_add(struct fx *f, unsigned host, uint64_t add_id, bool forced)
{
	struct fm_release_request r = {
		.by = FM_RELEASE_BY_ADD,
		.host = (uint16_t)host,
		.add_id = add_id,
		.forced = forced,
	};

	return release_req(f, &r);
}

static const struct fm_report *report_of(struct fx *f, uint64_t id)
{
	for (guint i = 0; i < f->reports->len; i++)
		if (g_array_index(f->reports, struct fm_report, i).id == id)
			return &g_array_index(f->reports, struct fm_report, i);
	return NULL;
}

static uint64_t dev_bytes(struct fx *f, unsigned d, enum extent_state state)
{
	struct dcd_stats s;

	dcd_get_stats(f->dev[d], &s);
	return s.bytes[state];
}

static struct extent_entry dev_entry(struct fx *f, unsigned d, uint64_t dpa)
{
	struct extent_entry e;

	CU_ASSERT_TRUE(extent_map_lookup(dcd_region_map(f->dev[d], dpa >= R1), dpa, &e));
	return e;
}

/* ---- adds ------------------------------------------------------------ */

static void test_add_one_way(void)
{
	struct fx f;
	const struct fm_report *r;
	const struct latency_params *lat;
	uint64_t id;
	struct extent_entry e;

	fx_init(&f, DCD_PROFILE_SPEC, NULL, NULL);
	lat = &dcd_get_config(f.dev[0])->latency;
	id = add(&f, 0, PROTO_SELECT_FREE, 8 * MIB, 0);
	run(&f);
	r = report_of(&f, id);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->kind, FM_REQUEST_ADD);
	CU_ASSERT_EQUAL(r->outcome, FM_OUTCOME_DONE);
	CU_ASSERT_EQUAL(r->bytes, 8 * MIB);
	CU_ASSERT_EQUAL(r->ways, 1);
	CU_ASSERT_EQUAL(r->t_sent, r->t_arrival);
	CU_ASSERT_EQUAL(r->t_started, r->t_arrival + lat->fm_api_cmd);
	CU_ASSERT_TRUE(r->t_done > r->t_started);
	CU_ASSERT_EQUAL(dev_bytes(&f, 0, EXTENT_ACCEPTED), 8 * MIB);
	CU_ASSERT_TRUE(extent_map_lookup(fm_shadow_map(f.fm, 0, 0), 0, &e));
	CU_ASSERT_EQUAL(e.attr.state, EXTENT_ACCEPTED);
	CU_ASSERT_EQUAL(e.attr.group, id);
	CU_ASSERT_EQUAL(e.len, 8 * MIB);
	fx_fini(&f);
}

static void test_add_two_way_equal_offsets(void)
{
	struct fx f;
	const struct fm_report *r;
	uint64_t id;

	fx_init(&f, DCD_PROFILE_SPEC, NULL, NULL);
	add(&f, 2, PROTO_SELECT_FREE, 4 * MIB, 0);	/* dev2 [0, 4) for host 2 */
	run(&f);
	id = add(&f, 1, PROTO_SELECT_FREE, 16 * MIB, 0);
	run(&f);
	r = report_of(&f, id);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->outcome, FM_OUTCOME_DONE);
	CU_ASSERT_EQUAL(r->ways, 2);
	CU_ASSERT_EQUAL(r->bytes, 16 * MIB);
	for (unsigned d = 1; d <= 2; d++) {
		struct extent_entry e = dev_entry(&f, d, 4 * MIB);

		CU_ASSERT_EQUAL(e.attr.state, EXTENT_ACCEPTED);
		CU_ASSERT_EQUAL(e.attr.host, 1);
		CU_ASSERT_EQUAL(e.start, 4 * MIB);
		CU_ASSERT_EQUAL(e.len, 8 * MIB);
	}
	CU_ASSERT_EQUAL(dev_entry(&f, 1, 0).attr.state, EXTENT_FREE);
	/* not divisible into equal block-aligned parts */
	id = add(&f, 1, PROTO_SELECT_FREE, 2 * MIB, 0);
	run(&f);
	CU_ASSERT_EQUAL(report_of(&f, id)->outcome, FM_OUTCOME_FAILED);
	CU_ASSERT_EQUAL(report_of(&f, id)->rc, PROTO_RC_INVALID_INPUT);
	fx_fini(&f);
}

static void test_qemu_device_prescribed(void)
{
	struct fx f;
	uint64_t id;

	fx_init(&f, DCD_PROFILE_QEMU, NULL, NULL);
	id = add(&f, 0, PROTO_SELECT_FREE, 6 * MIB, 0);
	run(&f);
	CU_ASSERT_EQUAL(report_of(&f, id)->outcome, FM_OUTCOME_DONE);
	CU_ASSERT_EQUAL(dev_bytes(&f, 0, EXTENT_ACCEPTED), 6 * MIB);
	/* rejected: the FM's reservation returns to free */
	f.host[0].answer = FAKE_ANSWER_REJECT;
	id = add(&f, 0, PROTO_SELECT_FREE, 6 * MIB, 0);
	run(&f);
	CU_ASSERT_EQUAL(report_of(&f, id)->outcome, FM_OUTCOME_REJECTED);
	CU_ASSERT_EQUAL(report_of(&f, id)->bytes, 0);
	CU_ASSERT_EQUAL(extent_map_get_bytes(fm_shadow_map(f.fm, 0, 0), EXTENT_PENDING), 0);
	CU_ASSERT_EQUAL(extent_map_get_bytes(fm_shadow_map(f.fm, 0, 0), EXTENT_ACCEPTED), 6 * MIB);
	fx_fini(&f);
}

/* ---- Retry Required and blocking -------------------------------------- */

static void log2_cap(struct dcd_config *c)
{
	c->log_capacity = 2;
}

static void quick_retries(struct fm_config *c)
{
	c->retry_backoff = 100 * US;
	c->retry_backoff_max = 400 * US;
	c->retry_max = 4;
}

static void test_retry_backoff_then_block(void)
{
	struct fx f;
	const struct fm_report *r;
	const struct latency_params *lat;
	struct fm_stats st;
	uint64_t id;

	fx_init(&f, DCD_PROFILE_SPEC, log2_cap, quick_retries);
	lat = &dcd_get_config(f.dev[0])->latency;
	f.host[0].drain = false;	/* the log fills and stays full */
	add(&f, 0, PROTO_SELECT_CONTIGUOUS, BS, 0);
	add(&f, 0, PROTO_SELECT_CONTIGUOUS, BS, 0);
	run(&f);
	id = add(&f, 0, PROTO_SELECT_CONTIGUOUS, BS, 0);
	run(&f);
	r = report_of(&f, id);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->outcome, FM_OUTCOME_BLOCKED);
	CU_ASSERT_EQUAL(r->cause, PROTO_CAUSE_LOG_FULL);
	CU_ASSERT_EQUAL(r->retries, 4);
	/* five tries, waits 100, 200, 400 (capped), 400 us */
	CU_ASSERT_EQUAL(r->t_done - r->t_arrival, 5 * lat->fm_api_cmd + 1100 * US);
	fm_get_stats(f.fm, &st);
	CU_ASSERT_EQUAL(st.blocked[PROTO_CAUSE_LOG_FULL], 1);
	CU_ASSERT_EQUAL(st.retries, 4);
	CU_ASSERT_EQUAL(st.active, 2);	/* the two unanswered offers */
	fx_fini(&f);
}

static void kick_drain(struct sim *k, void *target, const void *payload)
{
	struct fake_host *h = target;
	struct proto_mbox_cmd cmd = { .opcode = PROTO_OP_GET_EVENT_RECORDS };

	(void)k;
	(void)payload;
	h->drain = true;
	fake_host_send(h, 0, &cmd, NULL, 0);
}

static void test_retry_then_success(void)
{
	struct fx f;
	const struct fm_report *r;
	uint64_t id;

	fx_init(&f, DCD_PROFILE_SPEC, log2_cap, quick_retries);
	f.host[0].drain = false;
	add(&f, 0, PROTO_SELECT_CONTIGUOUS, BS, 0);
	add(&f, 0, PROTO_SELECT_CONTIGUOUS, BS, 0);
	id = add(&f, 0, PROTO_SELECT_CONTIGUOUS, BS, 0);
	sim_schedule(f.k, 500 * US, kick_drain, &f.host[0], NULL, 0);
	run(&f);
	r = report_of(&f, id);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->outcome, FM_OUTCOME_DONE);
	CU_ASSERT_TRUE(r->retries >= 1);
	CU_ASSERT_EQUAL(f.reports->len, 3);
	fx_fini(&f);
}

static void one_extent_one_tag(struct dcd_config *c)
{
	c->max_extents = 2;
	c->max_tags = 1;
}

static void test_block_causes(void)
{
	struct fx f;
	struct fm_stats st;
	uint64_t id[8];
	struct fm_release_request cut = {
		.by = FM_RELEASE_BY_RANGE,
		.host = 0,
		.device = 0,
		.start = 100 * MIB,
		.len = BS,
	};

	fx_init(&f, DCD_PROFILE_SPEC, NULL, NULL);
	f.host[0].release_whole = false;
	id[0] = add(&f, 0, PROTO_SELECT_PRESCRIPTIVE, 2 * R1, 0);	/* FM side */
	id[1] = add(&f, 0, PROTO_SELECT_FREE, 2 * R1, 0);		/* device side */
	run(&f);
	id[2] = add(&f, 0, PROTO_SELECT_CONTIGUOUS, 250 * MIB, 0);
	run(&f);
	release_req(&f, &cut);	/* a 2 MiB hole in the middle */
	run(&f);
	id[3] = add(&f, 0, PROTO_SELECT_CONTIGUOUS, 8 * MIB, 0);
	id[4] = add(&f, 0, PROTO_SELECT_PRESCRIPTIVE, 16 * MIB, 0);
	run(&f);
	CU_ASSERT_EQUAL(report_of(&f, id[0])->outcome, FM_OUTCOME_BLOCKED);
	CU_ASSERT_EQUAL(report_of(&f, id[0])->cause, PROTO_CAUSE_NO_CAPACITY);
	CU_ASSERT_EQUAL(report_of(&f, id[1])->cause, PROTO_CAUSE_NO_CAPACITY);
	CU_ASSERT_EQUAL(report_of(&f, id[2])->outcome, FM_OUTCOME_DONE);
	CU_ASSERT_EQUAL(report_of(&f, id[3])->outcome, FM_OUTCOME_BLOCKED);
	CU_ASSERT_EQUAL(report_of(&f, id[3])->cause, PROTO_CAUSE_NO_CONTIGUOUS);
	CU_ASSERT_EQUAL(report_of(&f, id[4])->outcome, FM_OUTCOME_BLOCKED);
	CU_ASSERT_EQUAL(report_of(&f, id[4])->cause, PROTO_CAUSE_NO_CAPACITY);
	fx_fini(&f);

	fx_init(&f, DCD_PROFILE_SPEC, one_extent_one_tag, NULL);
	id[0] = add(&f, 0, PROTO_SELECT_FREE, BS, 1);
	run(&f);
	id[1] = add(&f, 0, PROTO_SELECT_FREE, BS, 2);
	run(&f);
	id[2] = add(&f, 0, PROTO_SELECT_FREE, BS, 1);
	run(&f);
	id[3] = add(&f, 0, PROTO_SELECT_FREE, BS, 1);
	run(&f);
	CU_ASSERT_EQUAL(report_of(&f, id[0])->outcome, FM_OUTCOME_DONE);
	CU_ASSERT_EQUAL(report_of(&f, id[1])->cause, PROTO_CAUSE_TAG_LIMIT);
	CU_ASSERT_EQUAL(report_of(&f, id[2])->outcome, FM_OUTCOME_DONE);
	CU_ASSERT_EQUAL(report_of(&f, id[3])->cause, PROTO_CAUSE_EXTENT_LIMIT);
	fm_get_stats(f.fm, &st);
	CU_ASSERT_EQUAL(st.blocked[PROTO_CAUSE_TAG_LIMIT], 1);
	CU_ASSERT_EQUAL(st.blocked[PROTO_CAUSE_EXTENT_LIMIT], 1);
	CU_ASSERT_EQUAL(st.outcomes[FM_OUTCOME_DONE], 2);
	fx_fini(&f);
}

/* ---- release orchestration -------------------------------------------- */

static void fast_release(struct fm_config *c)
{
	c->release_timeout = 1000 * US;
	c->release_reissue_max = 2;
}

static void fast_release_no_force(struct fm_config *c)
{
	fast_release(c);
	c->release_force = false;
}

static unsigned records_of(struct fx *f, unsigned h, enum proto_event type)
{
	const GArray *read = f->host[h].links[0].read;
	unsigned n = 0;

	for (guint i = 0; i < read->len; i++)
		n += g_array_index(read, struct proto_record, i).type == type;
	return n;
}

static void test_release_reissue_then_force(void)
{
	struct fx f;
	const struct fm_report *r;
	uint64_t add_id, id;

	fx_init(&f, DCD_PROFILE_SPEC, NULL, fast_release);
	add_id = add(&f, 0, PROTO_SELECT_FREE, 8 * MIB, 0);
	run(&f);
	f.host[0].release = false;	/* in use: ignored, as Linux does */
	id = release_add(&f, 0, add_id, false);
	run(&f);
	r = report_of(&f, id);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->outcome, FM_OUTCOME_FORCED);
	CU_ASSERT_EQUAL(r->reissues, 2);
	CU_ASSERT_TRUE(r->forced);
	CU_ASSERT_EQUAL(r->t_forced, r->t_arrival + 3 * 1000 * US);
	CU_ASSERT_EQUAL(r->size, 8 * MIB);
	CU_ASSERT_EQUAL(r->bytes, 8 * MIB);
	CU_ASSERT_EQUAL(records_of(&f, 0, PROTO_EVENT_RELEASE_CAPACITY), 3);
	CU_ASSERT_EQUAL(records_of(&f, 0, PROTO_EVENT_FORCED_RELEASE), 1);
	CU_ASSERT_EQUAL(dev_bytes(&f, 0, EXTENT_FREE), 2 * R1);
	CU_ASSERT_EQUAL(extent_map_get_bytes(fm_shadow_map(f.fm, 0, 0), EXTENT_FREE), R1);
	/* the grant is gone with its release */
	id = release_add(&f, 0, add_id, false);
	run(&f);
	CU_ASSERT_EQUAL(report_of(&f, id)->outcome, FM_OUTCOME_FAILED);
	fx_fini(&f);
}

static void test_release_timeout_without_force(void)
{
	struct fx f;
	const struct fm_report *r;
	uint64_t add_id, id;

	fx_init(&f, DCD_PROFILE_SPEC, NULL, fast_release_no_force);
	add_id = add(&f, 0, PROTO_SELECT_FREE, 8 * MIB, 0);
	run(&f);
	f.host[0].release = false;
	id = release_add(&f, 0, add_id, false);
	run(&f);
	r = report_of(&f, id);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->outcome, FM_OUTCOME_TIMEOUT);
	CU_ASSERT_EQUAL(r->t_done, r->t_arrival + 3 * 1000 * US);
	CU_ASSERT_FALSE(r->forced);
	CU_ASSERT_EQUAL(dev_bytes(&f, 0, EXTENT_RELEASING), 8 * MIB);
	fx_fini(&f);
}

static void test_release_range_whole_extent(void)
{
	struct fx f;
	const struct fm_report *r;
	uint64_t id;
	struct fm_release_request part = {
		.by = FM_RELEASE_BY_RANGE,
		.host = 0,
		.device = 0,
		.start = 2 * MIB,
		.len = BS,
	};

	fx_init(&f, DCD_PROFILE_SPEC, NULL, NULL);
	add(&f, 0, PROTO_SELECT_FREE, 8 * MIB, 0);
	run(&f);
	id = release_req(&f, &part);
	run(&f);
	r = report_of(&f, id);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->outcome, FM_OUTCOME_DONE);
	CU_ASSERT_EQUAL(r->bytes, BS);		/* what was asked */
	CU_ASSERT_EQUAL(r->reissues, 0);
	CU_ASSERT_EQUAL(dev_bytes(&f, 0, EXTENT_ACCEPTED), 0);	/* Linux gave all back */
	fx_fini(&f);
}

/* A range release names its region: the second region's DPA must not be
 * looked up in the first. */
static void test_release_range_in_second_region(void)
{
	struct fx f;
	const struct fm_report *r;
	uint64_t id;
	struct fm_add_request a = {
		.size = 8 * MIB,
		.host = 0,
		.policy = PROTO_SELECT_FREE,
		.region = 1,
	};
	struct fm_release_request part = {
		.by = FM_RELEASE_BY_RANGE,
		.host = 0,
		.device = 0,
		.region = 1,
		.start = R1 + 2 * MIB,
		.len = BS,
	};

	fx_init(&f, DCD_PROFILE_SPEC, NULL, NULL);
	a.id = f.next_id++;
	sim_schedule(f.k, 0, f.port.add, f.port.target, &a, sizeof(a));
	run(&f);
	CU_ASSERT_EQUAL(dev_entry(&f, 0, R1).attr.state, EXTENT_ACCEPTED);
	id = release_req(&f, &part);
	run(&f);
	r = report_of(&f, id);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->outcome, FM_OUTCOME_DONE);
	CU_ASSERT_EQUAL(dev_bytes(&f, 0, EXTENT_ACCEPTED), 0);
	fx_fini(&f);
}

static void test_release_by_tag_and_two_way(void)
{
	struct fx f;
	uint64_t id, add_id;
	struct fm_release_request by_tag = { .by = FM_RELEASE_BY_TAG, .host = 0 };

	fx_init(&f, DCD_PROFILE_SPEC, NULL, NULL);
	add(&f, 0, PROTO_SELECT_FREE, 4 * MIB, 5);
	add(&f, 0, PROTO_SELECT_FREE, 4 * MIB, 6);
	run(&f);
	proto_tag_from_u64(by_tag.tag, 5);
	id = release_req(&f, &by_tag);
	run(&f);
	CU_ASSERT_EQUAL(report_of(&f, id)->outcome, FM_OUTCOME_DONE);
	CU_ASSERT_EQUAL(report_of(&f, id)->bytes, 4 * MIB);
	CU_ASSERT_EQUAL(dev_bytes(&f, 0, EXTENT_ACCEPTED), 4 * MIB);
	id = release_req(&f, &by_tag);	/* nothing left with that tag */
	run(&f);
	CU_ASSERT_EQUAL(report_of(&f, id)->outcome, FM_OUTCOME_FAILED);
	CU_ASSERT_EQUAL(report_of(&f, id)->rc, PROTO_RC_INVALID_PA);

	add_id = add(&f, 1, PROTO_SELECT_FREE, 16 * MIB, 0);
	run(&f);
	id = release_add(&f, 1, add_id, false);
	run(&f);
	CU_ASSERT_EQUAL(report_of(&f, id)->outcome, FM_OUTCOME_DONE);
	CU_ASSERT_EQUAL(report_of(&f, id)->ways, 2);
	CU_ASSERT_EQUAL(report_of(&f, id)->bytes, 16 * MIB);
	CU_ASSERT_EQUAL(dev_bytes(&f, 1, EXTENT_ACCEPTED) + dev_bytes(&f, 2, EXTENT_ACCEPTED), 0);
	fx_fini(&f);
}

static void test_forced_release_of_pending_offer(void)
{
	struct fx f;
	uint64_t add_id, id;
	struct proto_range r = { 0, 4 * MIB };
	struct proto_mbox_cmd answer = { .opcode = PROTO_OP_ADD_DC_RESPONSE };

	fx_init(&f, DCD_PROFILE_QEMU, NULL, NULL);
	f.host[0].answer = FAKE_ANSWER_NONE;	/* the offer stays unanswered */
	add_id = add(&f, 0, PROTO_SELECT_FREE, 4 * MIB, 0);
	run(&f);
	CU_ASSERT_PTR_NULL(report_of(&f, add_id));
	CU_ASSERT_EQUAL(dev_bytes(&f, 0, EXTENT_PENDING), 4 * MIB);
	id = release_add(&f, 0, add_id, true);
	run(&f);
	CU_ASSERT_EQUAL(report_of(&f, id)->outcome, FM_OUTCOME_FORCED);
	CU_ASSERT_EQUAL(dev_bytes(&f, 0, EXTENT_PENDING), 0);
	/* the host answers late: refused, the dead offer closes, the add ends */
	fake_host_send(&f.host[0], 0, &answer, &r, 1);
	run(&f);
	CU_ASSERT_EQUAL(fake_host_last(&f.host[0], 0).rc, PROTO_RC_INVALID_PA);
	CU_ASSERT_PTR_NOT_NULL_FATAL(report_of(&f, add_id));
	CU_ASSERT_EQUAL(report_of(&f, add_id)->outcome, FM_OUTCOME_REJECTED);
	fx_fini(&f);
}

/* ---- interleave: the free-space intersection ---------------------------- */

static enum extent_alloc_policy isect_policy;

static void set_isect_policy(struct fm_config *c)
{
	c->alloc_policy = isect_policy;
}

/* Marks every used entry of SHADOW in MAP (offsets carried over from the
 * shadow's region base to the map's, widened to the map's blocks): the
 * intersection computed from scratch, through the observer API only. */
static void mark_used_of(struct extent_map *map, const struct extent_map *shadow)
{
	uint64_t from = extent_map_get_base(shadow), to = extent_map_get_base(map);
	uint64_t mask = extent_map_get_block_size(map) - 1;
	uint64_t end = from + extent_map_get_length(shadow);
	struct extent_attr used;
	struct extent_entry e;

	extent_attr_init(&used, EXTENT_ACCEPTED);
	for (uint64_t pos = from; pos < end; pos = e.start + e.len) {
		uint64_t lo, hi;

		CU_ASSERT_TRUE_FATAL(extent_map_lookup(shadow, pos, &e));
		if (e.attr.state == EXTENT_FREE)
			continue;
		lo = (e.start - from + to) & ~mask;
		hi = (e.start + e.len - from + to + mask) & ~mask;
		CU_ASSERT_EQUAL_FATAL(extent_map_set(map, lo, hi - lo, &used), EXTENT_MAP_OK);
	}
}

/* Host 1's set (dev1, dev2) in REGION, from scratch. */
static struct extent_map *isect_reference(struct fx *f, unsigned region)
{
	const struct extent_map *a = fm_shadow_map(f->fm, 1, region);
	struct extent_map *map = extent_map_new(extent_map_get_base(a), extent_map_get_length(a),
						extent_map_get_block_size(a));

	mark_used_of(map, a);
	mark_used_of(map, fm_shadow_map(f->fm, 2, region));
	return map;
}

/* The ranges request ID holds in DEV's shadow of REGION, in address
 * order. */
static GArray *shadow_ranges(struct fx *f, unsigned dev, unsigned region, uint64_t id)
{
	const struct extent_map *m = fm_shadow_map(f->fm, dev, region);
	uint64_t end = extent_map_get_base(m) + extent_map_get_length(m);
	GArray *out = g_array_new(FALSE, FALSE, sizeof(struct extent_range));
	struct extent_entry e;

	for (uint64_t pos = extent_map_get_base(m); pos < end; pos = e.start + e.len) {
		extent_map_lookup(m, pos, &e);
		if (e.attr.state != EXTENT_FREE && e.attr.group == id) {
			struct extent_range r = { e.start, e.len };

			g_array_append_val(out, r);
		}
	}
	return out;
}

static void assert_fm_consistent(struct fx *f)
{
	GError *error = NULL;

	CU_ASSERT_TRUE(fm_check_invariants(f->fm, &error));
	if (error) {
		fprintf(stderr, "\n%s\n", error->message);
		g_clear_error(&error);
	}
}

static uint64_t rng_state = UINT64_C(0x9e3779b97f4a7c15);

static uint64_t rnd(uint64_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state % n;
}

/* A two-way add of host 1: the FM must choose what one extent_map_alloc in
 * the intersection rebuilt from the shadows chooses (as the FM did before
 * it kept the intersection), and both parts must get the same offsets. */
static uint64_t isect_add(struct fx *f, enum proto_select policy, unsigned region,
			  uint64_t part)
{
	g_autoptr(extent_map) ref = isect_reference(f, region);
	g_autoptr(GArray) want = g_array_new(FALSE, FALSE, sizeof(struct extent_range));
	g_autoptr(GArray) got = NULL, other = NULL;
	struct fm_add_request r = {
		.id = f->next_id++,
		.size = 2 * part,
		.host = 1,
		.policy = policy,
		.region = (uint8_t)region,
	};
	enum extent_map_status st;
	const struct fm_report *rep;

	st = extent_map_alloc(ref, isect_policy, part, policy == PROTO_SELECT_CONTIGUOUS ? 1 : 8,
			      0, want);
	proto_tag_from_u64(r.tag, 1 + rnd(3));
	sim_schedule(f->k, 0, f->port.add, f->port.target, &r, sizeof(r));
	run(f);
	rep = report_of(f, r.id);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rep);
	if (st != EXTENT_MAP_OK) {
		CU_ASSERT_EQUAL(rep->outcome, FM_OUTCOME_BLOCKED);
		return r.id;
	}
	if (rep->outcome != FM_OUTCOME_DONE) {
		/* the host refused: the reservation is free again */
		CU_ASSERT_EQUAL(rep->outcome, FM_OUTCOME_REJECTED);
		return r.id;
	}
	got = shadow_ranges(f, 1, region, r.id);
	other = shadow_ranges(f, 2, region, r.id);
	if (isect_policy != EXTENT_ALLOC_RANDOM) {
		CU_ASSERT_EQUAL_FATAL(got->len, want->len);
		CU_ASSERT_EQUAL(memcmp(got->data, want->data, want->len * sizeof(struct extent_range)),
				0);
	}
	CU_ASSERT_EQUAL_FATAL(other->len, got->len);
	for (guint i = 0; i < got->len; i++) {
		const struct extent_range *a = &g_array_index(got, struct extent_range, i);
		const struct extent_range *b = &g_array_index(other, struct extent_range, i);
		uint64_t base = extent_map_get_base(fm_shadow_map(f->fm, 1, region));

		CU_ASSERT_EQUAL(a->start - base,
				b->start - extent_map_get_base(fm_shadow_map(f->fm, 2, region)));
		CU_ASSERT_EQUAL(a->len, b->len);
	}
	return r.id;
}

/* Random adds (two-way on dev1 + dev2, one-way on dev2 chosen by the
 * device), releases (some forced), refused offers, in both regions, under
 * every FM policy: after each step the FM's intersection equals the one
 * recomputed from its shadows, and each two-way choice is the one the
 * recomputed intersection gives. */
static void test_isect_follows_shadows(void)
{
	static const enum extent_alloc_policy policies[] = {
		EXTENT_ALLOC_FIRST_FIT, EXTENT_ALLOC_NEXT_FIT, EXTENT_ALLOC_BEST_FIT,
		EXTENT_ALLOC_WORST_FIT, EXTENT_ALLOC_BUDDY,    EXTENT_ALLOC_RANDOM,
	};

	for (size_t p = 0; p < G_N_ELEMENTS(policies); p++) {
		struct fx f;
		GArray *grants = g_array_new(FALSE, FALSE, sizeof(uint64_t[2]));
		unsigned blocked = 0, done = 0;

		isect_policy = policies[p];
		fx_init(&f, DCD_PROFILE_SPEC, NULL, set_isect_policy);
		for (unsigned step = 0; step < 400; step++) {
			unsigned roll = (unsigned)rnd(100), region = (unsigned)rnd(2);
			uint64_t id, grant[2];

			f.host[1].answer = rnd(10) ? FAKE_ANSWER_ACCEPT : FAKE_ANSWER_REJECT;
			if (roll < 40) {
				id = isect_add(&f, (enum proto_select)rnd(3), region,
					       (1 + rnd(16)) * BS);
				grant[0] = 1;
				grant[1] = id;
				if (report_of(&f, id)->outcome == FM_OUTCOME_DONE) {
					g_array_append_val(grants, grant);
					done++;
				} else {
					blocked++;
				}
			} else if (roll < 65) {
				struct fm_add_request r = {
					.id = f.next_id++,
					.size = (1 + rnd(12)) * BS,
					.host = 2,
					.policy = PROTO_SELECT_FREE,
					.region = (uint8_t)region,
				};

				sim_schedule(f.k, 0, f.port.add, f.port.target, &r, sizeof(r));
				run(&f);
				grant[0] = 2;
				grant[1] = r.id;
				if (report_of(&f, r.id)->outcome == FM_OUTCOME_DONE)
					g_array_append_val(grants, grant);
			} else if (grants->len) {
				guint i = (guint)rnd(grants->len);
				uint64_t *g = &g_array_index(grants, uint64_t, 2 * i);

				release_add(&f, (unsigned)g[0], g[1], rnd(4) == 0);
				g_array_remove_index_fast(grants, i);
				run(&f);
			}
			assert_fm_consistent(&f);
		}
		/* the walk must have exercised both outcomes */
		CU_ASSERT_TRUE(done > 50);
		CU_ASSERT_TRUE(blocked > 0);
		g_array_unref(grants);
		fx_fini(&f);
	}
}

static void set_block_4m(struct fx *f, unsigned dev, unsigned region)
{
	struct fm_region_request req = {
		.id = f->next_id++, .device = (uint16_t)dev, .region = (uint8_t)region,
		.block_size = 4 * MIB,
	};

	sim_schedule(f->k, 0, f->port.region, f->port.target, &req, sizeof(req));
	run(f);
	CU_ASSERT_EQUAL(report_of(f, req.id)->outcome, FM_OUTCOME_DONE);
}

/* Set DC Region Config gave the first device of a set coarser blocks than
 * the second: the second's used DPA counts in whole blocks of the first,
 * so a two-way part never lands on part of a used coarse block. */
static void test_isect_coarser_first_device(void)
{
	struct fx f;
	uint64_t id;
	g_autoptr(GArray) got = NULL;
	struct fm_add_request r = {
		.size = 2 * MIB,
		.host = 2,
		.policy = PROTO_SELECT_FREE,
		.region = 1,
	};

	fx_init(&f, DCD_PROFILE_SPEC, NULL, NULL);
	set_block_4m(&f, 1, 1);
	assert_fm_consistent(&f);
	CU_ASSERT_EQUAL(extent_map_get_block_size(fm_shadow_map(f.fm, 1, 1)), 4 * MIB);
	r.id = f.next_id++;	/* dev2 [R1, R1 + 2 MiB) for host 2 */
	sim_schedule(f.k, 0, f.port.add, f.port.target, &r, sizeof(r));
	run(&f);
	CU_ASSERT_EQUAL(report_of(&f, r.id)->outcome, FM_OUTCOME_DONE);
	CU_ASSERT_EQUAL(dev_entry(&f, 2, R1).attr.host, 2);
	assert_fm_consistent(&f);
	id = f.next_id++;
	{
		struct fm_add_request a = {
			.id = id, .size = 8 * MIB, .host = 1, .policy = PROTO_SELECT_FREE,
			.region = 1,
		};

		sim_schedule(f.k, 0, f.port.add, f.port.target, &a, sizeof(a));
	}
	run(&f);
	CU_ASSERT_EQUAL(report_of(&f, id)->outcome, FM_OUTCOME_DONE);
	got = shadow_ranges(&f, 2, 1, id);
	CU_ASSERT_EQUAL_FATAL(got->len, 1);
	CU_ASSERT_EQUAL(g_array_index(got, struct extent_range, 0).start, R1 + 4 * MIB);
	assert_fm_consistent(&f);
	fx_fini(&f);
}

/* ---- other requests and wiring ---------------------------------------- */

static void test_invalid_requests(void)
{
	struct fx f;
	uint64_t id[5];
	struct fm_region_request bad_region = { .id = 100, .device = 9, .block_size = BS };
	struct fm_release_request unknown = { .by = FM_RELEASE_BY_ADD, .host = 0, .add_id = 77 };

	fx_init(&f, DCD_PROFILE_SPEC, NULL, NULL);
	id[0] = add(&f, 5, PROTO_SELECT_FREE, BS, 0);
	id[1] = add(&f, 0, PROTO_SELECT_SHARED, BS, 0);
	id[2] = add(&f, 0, PROTO_SELECT_FREE, MIB, 0);
	id[3] = release_req(&f, &unknown);
	sim_schedule(f.k, 0, f.port.region, f.port.target, &bad_region, sizeof(bad_region));
	run(&f);
	CU_ASSERT_EQUAL(report_of(&f, id[0])->rc, PROTO_RC_INVALID_INPUT);
	CU_ASSERT_EQUAL(report_of(&f, id[1])->rc, PROTO_RC_UNSUPPORTED);
	CU_ASSERT_EQUAL(report_of(&f, id[2])->rc, PROTO_RC_INVALID_INPUT);
	CU_ASSERT_EQUAL(report_of(&f, id[3])->rc, PROTO_RC_INVALID_INPUT);
	CU_ASSERT_EQUAL(report_of(&f, 100)->outcome, FM_OUTCOME_FAILED);
	CU_ASSERT_STRING_EQUAL(fm_outcome_name(FM_OUTCOME_FORCED), "forced");
	CU_ASSERT_STRING_EQUAL(fm_request_kind_name(FM_REQUEST_REGION), "region");
	fx_fini(&f);
}

static void test_region_request(void)
{
	struct fx f;
	struct fm_region_request req = {
		.id = 50, .device = 0, .region = 1, .block_size = 4 * MIB,
	};

	fx_init(&f, DCD_PROFILE_SPEC, NULL, NULL);
	sim_schedule(f.k, 0, f.port.region, f.port.target, &req, sizeof(req));
	run(&f);
	CU_ASSERT_EQUAL(report_of(&f, 50)->outcome, FM_OUTCOME_DONE);
	CU_ASSERT_EQUAL(extent_map_get_block_size(fm_shadow_map(f.fm, 0, 1)), 4 * MIB);
	CU_ASSERT_EQUAL(extent_map_get_block_size(dcd_region_map(f.dev[0], 1)), 4 * MIB);
	CU_ASSERT_EQUAL(g_array_index(f.host[0].links[0].read, struct proto_record, 0).type,
			PROTO_EVENT_REGION_UPDATED);
	fx_fini(&f);
}

static void test_wiring_errors(void)
{
	struct sim *k = sim_new(1);
	struct fm_config cfg;
	struct dcd_config a, b;
	struct proto_fm_api_port api = { 0 };
	struct fm *fm;
	GError *error = NULL;
	const unsigned two[] = { 0, 1 }, same[] = { 0, 0 }, ghost[] = { 9 };

	fm_config_init(&cfg);
	cfg.max_extents_per_add = 0;
	CU_ASSERT_PTR_NULL(fm_new(k, &cfg, &error));
	CU_ASSERT_PTR_NOT_NULL(error);
	g_clear_error(&error);
	fm_config_init(&cfg);
	fm = fm_new(k, &cfg, NULL);
	dcd_config_init(&a, DCD_PROFILE_SPEC);
	g_assert(dcd_config_set_uniform_regions(&a, 0, 2 * R1, 2, BS, NULL));
	b = a;
	b.regions[1].block_size = 4 * MIB;
	CU_ASSERT_TRUE(fm_add_device(fm, 0, &a, &api, NULL));
	CU_ASSERT_FALSE(fm_add_device(fm, 0, &a, &api, &error));
	g_clear_error(&error);
	CU_ASSERT_TRUE(fm_add_device(fm, 1, &b, &api, NULL));
	CU_ASSERT_FALSE(fm_add_host(fm, 0, two, 2, &error));
	CU_ASSERT_PTR_NOT_NULL(error);
	if (error)
		CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "differ"));
	g_clear_error(&error);
	CU_ASSERT_FALSE(fm_add_host(fm, 0, same, 2, NULL));
	CU_ASSERT_FALSE(fm_add_host(fm, 0, ghost, 1, NULL));
	CU_ASSERT_FALSE(fm_add_host(fm, 3, two, 1, NULL));	/* host 3 of a 1-host device */
	CU_ASSERT_FALSE(fm_add_host(fm, 0, two, 0, NULL));
	CU_ASSERT_TRUE(fm_add_host(fm, 0, two, 1, NULL));
	CU_ASSERT_FALSE(fm_add_host(fm, 0, two, 1, NULL));
	fm_free(fm);
	sim_free(k);
}

static void test_reused_id_fails_run(void)
{
	struct fx f;
	GError *error = NULL;

	fx_init(&f, DCD_PROFILE_SPEC, NULL, NULL);
	add(&f, 0, PROTO_SELECT_FREE, BS, 0);
	f.next_id--;
	add(&f, 0, PROTO_SELECT_FREE, BS, 0);
	CU_ASSERT_FALSE(sim_run(f.k, SIM_TIME_NEVER, 0, &error));
	CU_ASSERT_PTR_NOT_NULL(error);
	if (error)
		CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "reused"));
	g_clear_error(&error);
	for (unsigned h = 0; h < 3; h++)
		fake_host_clear(&f.host[h]);
	g_array_unref(f.reports);
	fm_free(f.fm);
	for (unsigned d = 0; d < 3; d++)
		dcd_free(f.dev[d]);
	sim_free(f.k);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "add one way", test_add_one_way },
		{ "add two way equal offsets", test_add_two_way_equal_offsets },
		{ "qemu device prescribed", test_qemu_device_prescribed },
		{ "retry backoff then block", test_retry_backoff_then_block },
		{ "retry then success", test_retry_then_success },
		{ "block causes", test_block_causes },
		{ "release reissue then force", test_release_reissue_then_force },
		{ "release timeout without force", test_release_timeout_without_force },
		{ "release range whole extent", test_release_range_whole_extent },
		{ "release range in the second region", test_release_range_in_second_region },
		{ "release by tag and two way", test_release_by_tag_and_two_way },
		{ "forced release of pending offer", test_forced_release_of_pending_offer },
		{ "intersection follows the shadows", test_isect_follows_shadows },
		{ "intersection with a coarser first device", test_isect_coarser_first_device },
		{ "invalid requests", test_invalid_requests },
		{ "region request", test_region_request },
		{ "wiring errors", test_wiring_errors },
		{ "reused id fails run", test_reused_id_fails_run },
		{ NULL, NULL },
	};

	return unit_run("fm", tests);
}
