/* The device model: configuration rules, every command and return code,
 * selection and removal policies, event logs, extent list paging and
 * generation, sanitize, forced release, both profiles; plus the protocol
 * vocabulary and the latency table. */
#include <string.h>

#include "dcd_fake.h"
#include "models/dcd.h"
#include "models/latency.h"
#include "models/proto.h"
#include "unit.h"

#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)
#define BS (2 * MIB)
#define R1 (256 * MIB)	/* base of region 1 */

struct fx {
	struct sim *k;
	struct dcd *dev;
	struct fake_fm fm;
	struct fake_host host[2];
	uint64_t next_request;
	unsigned notes[4];
	unsigned region_notes;
};

static void on_note(const struct dcd *dev, const struct dcd_note *note, void *data)
{
	struct fx *f = data;

	(void)dev;
	f->notes[note->kind]++;
	if (note->kind == DCD_NOTE_REGION_MAP)
		f->region_notes = note->region;
}

typedef void (*tweak_fn)(struct dcd_config *cfg);

/* Two 256 MiB regions of 2 MiB blocks at DPA 0, two hosts. */
static void fx_init(struct fx *f, enum dcd_profile profile, tweak_fn tweak)
{
	struct dcd_config cfg;
	GError *error = NULL;

	memset(f, 0, sizeof(*f));
	dcd_config_init(&cfg, profile);
	CU_ASSERT_TRUE_FATAL(dcd_config_set_uniform_regions(&cfg, 0, 2 * R1, 2, BS, NULL));
	cfg.nhosts = 2;
	if (tweak)
		tweak(&cfg);
	f->k = sim_new(1);
	f->dev = dcd_new(f->k, 0, &cfg, &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->dev);
	dcd_set_observer(f->dev, on_note, f);
	fake_fm_init(&f->fm, f->k, f->dev);
	for (unsigned h = 0; h < 2; h++) {
		fake_host_init(&f->host[h], f->k, h);
		fake_host_attach(&f->host[h], f->dev);
	}
	f->next_request = 100;
}

static void fx_check(struct fx *f)
{
	GError *error = NULL;

	CU_ASSERT_TRUE(dcd_check_invariants(f->dev, &error));
	if (error) {
		fprintf(stderr, "%s\n", error->message);
		g_error_free(error);
	}
}

static void fx_fini(struct fx *f)
{
	fx_check(f);
	for (unsigned h = 0; h < 2; h++)
		fake_host_clear(&f->host[h]);
	fake_fm_clear(&f->fm);
	dcd_free(f->dev);
	sim_free(f->k);
}

static void run(struct fx *f)
{
	CU_ASSERT_TRUE(fake_run(f->k));
}

static struct proto_fm_done fm_cmd(struct fx *f, const struct proto_fm_cmd *cmd,
				   const struct proto_extent *ext, size_t n)
{
	struct proto_fm_cmd c = *cmd;

	c.sim.request = f->next_request++;
	fake_fm_send(&f->fm, &c, ext, n);
	run(f);
	return fake_fm_last(&f->fm);
}

static struct proto_extent ext_at(uint64_t start, uint64_t len, uint64_t tag)
{
	struct proto_extent e = { .start = start, .len = len };

	proto_tag_from_u64(e.tag, tag);
	return e;
}

/* Initiate DC Add, prescriptive, of N extents; returns the code. */
static enum proto_rc offer(struct fx *f, unsigned host, uint8_t region,
			   const struct proto_extent *ext, size_t n)
{
	struct proto_fm_cmd cmd = {
		.opcode = PROTO_OP_INITIATE_DC_ADD,
		.host = (uint16_t)host,
		.policy = PROTO_SELECT_PRESCRIPTIVE,
		.region = region,
	};

	return (enum proto_rc)fm_cmd(f, &cmd, ext, n).rc;
}

static enum proto_rc offer1(struct fx *f, unsigned host, uint64_t start, uint64_t len,
			    uint64_t tag)
{
	struct proto_extent e = ext_at(start, len, tag);

	return offer(f, host, start >= R1, &e, 1);
}

static struct proto_fm_done add_select(struct fx *f, unsigned host, enum proto_select policy,
				       uint64_t length, uint64_t tag)
{
	struct proto_fm_cmd cmd = {
		.opcode = PROTO_OP_INITIATE_DC_ADD,
		.host = (uint16_t)host,
		.policy = policy,
		.length = length,
	};

	proto_tag_from_u64(cmd.tag, tag);
	return fm_cmd(f, &cmd, NULL, 0);
}

static enum proto_rc release(struct fx *f, unsigned host, uint8_t flags,
			     const struct proto_extent *ext, size_t n, uint64_t tag)
{
	struct proto_fm_cmd cmd = {
		.opcode = PROTO_OP_INITIATE_DC_RELEASE,
		.host = (uint16_t)host,
		.policy = flags,
		.region = n && ext[0].start >= R1,
	};

	proto_tag_from_u64(cmd.tag, tag);
	return (enum proto_rc)fm_cmd(f, &cmd, ext, n).rc;
}

static enum proto_rc release1(struct fx *f, unsigned host, uint8_t flags, uint64_t start,
			      uint64_t len)
{
	struct proto_extent e = ext_at(start, len, 0);

	return release(f, host, PROTO_REMOVAL_PRESCRIPTIVE | flags, &e, 1, 0);
}

static struct proto_mbox_done mbox(struct fx *f, unsigned host, const struct proto_mbox_cmd *cmd,
				   const struct proto_range *r, size_t n)
{
	fake_host_send(&f->host[host], 0, cmd, r, n);
	run(f);
	return fake_host_last(&f->host[host], 0);
}

static enum proto_rc respond(struct fx *f, unsigned host, const struct proto_range *r, size_t n,
			     bool more)
{
	struct proto_mbox_cmd cmd = {
		.opcode = PROTO_OP_ADD_DC_RESPONSE,
		.flags = more ? PROTO_RESPONSE_MORE : 0,
	};

	return (enum proto_rc)mbox(f, host, &cmd, r, n).rc;
}

static enum proto_rc respond1(struct fx *f, unsigned host, uint64_t start, uint64_t len)
{
	struct proto_range r = { start, len };

	return respond(f, host, &r, 1, false);
}

static enum proto_rc release_dc(struct fx *f, unsigned host, const struct proto_range *r,
				size_t n)
{
	struct proto_mbox_cmd cmd = { .opcode = PROTO_OP_RELEASE_DC };

	return (enum proto_rc)mbox(f, host, &cmd, r, n).rc;
}

static enum proto_rc release_dc1(struct fx *f, unsigned host, uint64_t start, uint64_t len)
{
	struct proto_range r = { start, len };

	return release_dc(f, host, &r, 1);
}

/* Offers [START, START + LEN) to HOST and accepts it. */
static void grant(struct fx *f, unsigned host, uint64_t start, uint64_t len, uint64_t tag)
{
	CU_ASSERT_EQUAL(offer1(f, host, start, len, tag), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(respond1(f, host, start, len), PROTO_RC_SUCCESS);
}

static struct extent_entry entry_at(struct fx *f, unsigned region, uint64_t dpa)
{
	struct extent_entry e;

	CU_ASSERT_TRUE(extent_map_lookup(dcd_region_map(f->dev, region), dpa, &e));
	return e;
}

static int count_visit(const struct extent_entry *e, void *data)
{
	(void)e;
	(*(unsigned *)data)++;
	return 0;
}

static unsigned host_extents(struct fx *f, unsigned host)
{
	unsigned n = 0;

	dcd_host_extents_foreach(f->dev, host, count_visit, &n);
	return n;
}

static struct dcd_host_stats host_stats(struct fx *f, unsigned host)
{
	struct dcd_host_stats s;

	dcd_get_host_stats(f->dev, host, &s);
	return s;
}

static struct dcd_stats dev_stats(struct fx *f)
{
	struct dcd_stats s;

	dcd_get_stats(f->dev, &s);
	return s;
}

static const struct proto_record *fm_record(struct fx *f, guint i)
{
	return &g_array_index(f->fm.records, struct proto_record, i);
}

static const struct proto_record *host_read(struct fx *f, unsigned host, guint i)
{
	return &g_array_index(f->host[host].links[0].read, struct proto_record, i);
}

/* ---- configuration --------------------------------------------------- */

static void base_config(struct dcd_config *c)
{
	dcd_config_init(c, DCD_PROFILE_SPEC);
	g_assert(dcd_config_set_uniform_regions(c, 0, 2 * R1, 2, BS, NULL));
}

static void expect_bad(const struct dcd_config *c, const char *what, const char *rule)
{
	GError *error = NULL;

	CU_ASSERT_FALSE(dcd_config_validate(c, &error));
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, what));
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, rule));
	g_error_free(error);
}

static void test_config_rules(void)
{
	struct dcd_config c;
	struct sim *k = sim_new(1);
	GError *error = NULL;

	base_config(&c);
	CU_ASSERT_TRUE(dcd_config_validate(&c, NULL));
	c.regions[1].block_size = 3 * MIB;
	expect_bad(&c, "dc region 1", "power of two");
	base_config(&c);
	c.regions[1].block_size = 32;
	expect_bad(&c, "dc region 1", "power of two >= 64");
	base_config(&c);
	c.regions[0].base = MIB;
	expect_bad(&c, "dc region 0", "256 MiB aligned");
	base_config(&c);
	c.regions[1].decode_len = 100 * MIB;
	expect_bad(&c, "dc region 1", "decode length");
	base_config(&c);
	c.regions[1].len = 0;
	expect_bad(&c, "dc region 1", "length is zero");
	base_config(&c);
	c.regions[1].len = 2 * R1;
	expect_bad(&c, "dc region 1", "exceeds the decode length");
	base_config(&c);
	c.regions[1].len = 255 * MIB;
	expect_bad(&c, "dc region 1", "multiple of the block size");
	base_config(&c);
	c.regions[1].base = 0;
	c.regions[1].decode_len = R1;
	expect_bad(&c, "dc region 1", "overlaps");
	base_config(&c);
	c.regions[0].base = 2 * R1;
	expect_bad(&c, "dc region 1", "increasing DPA order");
	base_config(&c);
	c.nregions = 0;
	expect_bad(&c, "dcd configuration", "1..8");
	c.nregions = 9;
	expect_bad(&c, "dcd configuration", "1..8");
	base_config(&c);
	c.max_extents = 0;
	expect_bad(&c, "dcd configuration", "extent limit");
	base_config(&c);
	c.log_capacity = 0;
	expect_bad(&c, "dcd configuration", "event log");
	base_config(&c);
	c.payload_size = 100;
	expect_bad(&c, "dcd configuration", "payload");
	CU_ASSERT_PTR_NULL(dcd_new(k, 0, &c, &error));
	CU_ASSERT_PTR_NOT_NULL(error);
	g_clear_error(&error);
	CU_ASSERT_FALSE(dcd_config_set_uniform_regions(&c, 0, 3 * R1, 2, BS, &error));
	CU_ASSERT_PTR_NOT_NULL(error);
	g_clear_error(&error);
	sim_free(k);
}

static void test_profile_defaults(void)
{
	struct dcd_config c;
	enum dcd_profile p;

	dcd_config_init(&c, DCD_PROFILE_QEMU);
	CU_ASSERT_EQUAL(c.max_extents, 512);
	CU_ASSERT_EQUAL(c.max_tags, 0);
	CU_ASSERT_EQUAL(c.log_capacity, 8);
	CU_ASSERT_TRUE(dcd_profile_from_name("qemu", &p));
	CU_ASSERT_EQUAL(p, DCD_PROFILE_QEMU);
	CU_ASSERT_STRING_EQUAL(dcd_profile_name(DCD_PROFILE_SPEC), "spec");
	CU_ASSERT_FALSE(dcd_profile_from_name("linux", &p));
}

/* ---- host commands ---------------------------------------------------- */

static void test_get_dc_config(void)
{
	struct fx f;
	struct proto_mbox_cmd cmd = { .opcode = PROTO_OP_GET_DC_CONFIG, .count = 8 };
	struct proto_mbox_done d;
	const struct proto_region *r;

	fx_init(&f, DCD_PROFILE_SPEC, NULL);
	d = mbox(&f, 0, &cmd, NULL, 0);
	CU_ASSERT_EQUAL(d.rc, PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(d.count, 2);
	CU_ASSERT_EQUAL(d.total, 2);
	CU_ASSERT_EQUAL(d.total_extents, 1024);
	CU_ASSERT_EQUAL(d.avail_extents, 1024);
	CU_ASSERT_EQUAL(d.total_tags, 256);
	CU_ASSERT_EQUAL(d.avail_tags, 256);
	CU_ASSERT_EQUAL_FATAL(f.host[0].links[0].regions->len, 2);
	r = &g_array_index(f.host[0].links[0].regions, struct proto_region, 1);
	CU_ASSERT_EQUAL(r->base, R1);
	CU_ASSERT_EQUAL(r->len, R1);
	CU_ASSERT_EQUAL(r->block_size, BS);
	CU_ASSERT_EQUAL(r->index, 1);
	cmd.start = 1;
	d = mbox(&f, 0, &cmd, NULL, 0);
	CU_ASSERT_EQUAL(d.count, 1);
	cmd.start = 2;
	CU_ASSERT_EQUAL(mbox(&f, 0, &cmd, NULL, 0).rc, PROTO_RC_INVALID_INPUT);
	cmd.opcode = 0x4899;
	CU_ASSERT_EQUAL(mbox(&f, 0, &cmd, NULL, 0).rc, PROTO_RC_UNSUPPORTED);
	fx_fini(&f);
}

/* Pending extents of host 1 at [2, 4) and [6, 8) MiB leave free holes. */
static void fragment(struct fx *f)
{
	struct proto_extent e[2] = { ext_at(2 * MIB, BS, 0), ext_at(6 * MIB, BS, 0) };

	CU_ASSERT_EQUAL(offer(f, 1, 0, e, 2), PROTO_RC_SUCCESS);
}

static void test_free_add_chain_and_accept(void)
{
	struct fx f;
	struct proto_range all[3];

	fx_init(&f, DCD_PROFILE_SPEC, NULL);
	fragment(&f);
	f.host[0].drain = true;
	CU_ASSERT_EQUAL(add_select(&f, 0, PROTO_SELECT_FREE, 8 * MIB, 0).rc, PROTO_RC_SUCCESS);
	/* first fit gathers [0, 2), [4, 6), [8, 12): a chain of three */
	CU_ASSERT_EQUAL_FATAL(f.host[0].links[0].read->len, 3);
	CU_ASSERT_EQUAL(f.host[0].links[0].interrupts, 1);
	for (guint i = 0; i < 3; i++) {
		const struct proto_record *rec = host_read(&f, 0, i);

		CU_ASSERT_EQUAL(rec->type, PROTO_EVENT_ADD_CAPACITY);
		CU_ASSERT_EQUAL(rec->flags & PROTO_RECORD_MORE, i < 2 ? PROTO_RECORD_MORE : 0);
		CU_ASSERT_EQUAL(rec->host, 0);
		all[i] = (struct proto_range){ rec->extent.start, rec->extent.len };
	}
	CU_ASSERT_EQUAL(all[0].start, 0);
	CU_ASSERT_EQUAL(all[1].start, 4 * MIB);
	CU_ASSERT_EQUAL(all[2].start, 8 * MIB);
	CU_ASSERT_EQUAL(all[2].len, 4 * MIB);
	CU_ASSERT_EQUAL(host_extents(&f, 0), 0);	/* pending: not in the list */
	CU_ASSERT_EQUAL(host_stats(&f, 0).generation, 0);
	CU_ASSERT_EQUAL(respond(&f, 0, all, 3, false), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(host_extents(&f, 0), 3);
	CU_ASSERT_EQUAL(host_stats(&f, 0).generation, 1);
	CU_ASSERT_EQUAL_FATAL(f.fm.records->len, 3);
	for (guint i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(fm_record(&f, i)->type, PROTO_EVENT_ADD_RESPONSE);
		CU_ASSERT_EQUAL(fm_record(&f, i)->extent.start, all[i].start);
		CU_ASSERT_EQUAL(fm_record(&f, i)->flags & PROTO_RECORD_MORE,
				i < 2 ? PROTO_RECORD_MORE : 0);
		CU_ASSERT_EQUAL(fm_record(&f, i)->sim.request, 101);
	}
	CU_ASSERT_EQUAL(dev_stats(&f).extents, 5);
	CU_ASSERT_TRUE(f.notes[DCD_NOTE_USAGE] >= 3);
	fx_fini(&f);
}

static void small_extent_limit(struct dcd_config *c)
{
	c->max_extents = 3;
}

static void test_contiguous_and_free_refusals(void)
{
	struct fx f;
	struct proto_fm_done d;
	struct proto_extent holes[32];

	fx_init(&f, DCD_PROFILE_SPEC, NULL);
	fragment(&f);
	f.host[0].drain = true;
	CU_ASSERT_EQUAL(add_select(&f, 0, PROTO_SELECT_CONTIGUOUS, 8 * MIB, 0).rc,
			PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(f.host[0].links[0].read->len, 1);
	CU_ASSERT_EQUAL(host_read(&f, 0, 0)->extent.start, 8 * MIB);
	CU_ASSERT_EQUAL(host_read(&f, 0, 0)->extent.len, 8 * MIB);
	d = add_select(&f, 0, PROTO_SELECT_FREE, 2 * R1, 0);
	CU_ASSERT_EQUAL(d.rc, PROTO_RC_RESOURCES_EXHAUSTED);
	CU_ASSERT_EQUAL(d.sim_cause, PROTO_CAUSE_NO_CAPACITY);
	fx_fini(&f);

	/* region 1: one block of every four taken, nothing 4 blocks long */
	fx_init(&f, DCD_PROFILE_SPEC, NULL);
	f.host[0].drain = true;
	for (unsigned i = 0; i < 32; i++)
		holes[i] = ext_at(R1 + (4 * i + 3) * BS, BS, 0);
	CU_ASSERT_EQUAL(offer(&f, 1, 1, holes, 32), PROTO_RC_SUCCESS);
	{
		struct proto_fm_cmd cmd = {
			.opcode = PROTO_OP_INITIATE_DC_ADD,
			.policy = PROTO_SELECT_CONTIGUOUS,
			.region = 1,
			.length = 8 * MIB,
		};

		d = fm_cmd(&f, &cmd, NULL, 0);
		CU_ASSERT_EQUAL(d.rc, PROTO_RC_RESOURCES_EXHAUSTED);
		CU_ASSERT_EQUAL(d.sim_cause, PROTO_CAUSE_NO_CONTIGUOUS);
		cmd.policy = PROTO_SELECT_FREE;
		d = fm_cmd(&f, &cmd, NULL, 0);
		CU_ASSERT_EQUAL(d.rc, PROTO_RC_SUCCESS);
		CU_ASSERT_EQUAL(f.host[0].links[0].read->len, 2);	/* 3 + 1 blocks */
		cmd.length = 0;
		CU_ASSERT_EQUAL(fm_cmd(&f, &cmd, NULL, 0).rc, PROTO_RC_INVALID_INPUT);
		cmd.length = MIB;
		CU_ASSERT_EQUAL(fm_cmd(&f, &cmd, NULL, 0).rc, PROTO_RC_INVALID_INPUT);
	}
	fx_fini(&f);

	/* extent limit: two pending, one left, and no free extent large
	 * enough to serve 250 MiB in one */
	fx_init(&f, DCD_PROFILE_SPEC, small_extent_limit);
	fragment(&f);
	d = add_select(&f, 0, PROTO_SELECT_FREE, 250 * MIB, 0);
	CU_ASSERT_EQUAL(d.rc, PROTO_RC_RESOURCES_EXHAUSTED);
	CU_ASSERT_EQUAL(d.sim_cause, PROTO_CAUSE_EXTENT_LIMIT);
	CU_ASSERT_EQUAL(add_select(&f, 0, PROTO_SELECT_FREE, 2 * MIB, 0).rc, PROTO_RC_SUCCESS);
	d = add_select(&f, 0, PROTO_SELECT_FREE, 2 * MIB, 0);
	CU_ASSERT_EQUAL(d.rc, PROTO_RC_RESOURCES_EXHAUSTED);
	CU_ASSERT_EQUAL(d.sim_cause, PROTO_CAUSE_EXTENT_LIMIT);
	fx_fini(&f);
}

static void one_tag(struct dcd_config *c)
{
	c->max_tags = 1;
	c->max_extents = 4;
}

static void test_prescriptive_refusals(void)
{
	struct fx f;
	struct proto_extent two[2];
	struct proto_fm_done d;

	fx_init(&f, DCD_PROFILE_SPEC, one_tag);
	CU_ASSERT_EQUAL(offer(&f, 0, 0, NULL, 0), PROTO_RC_INVALID_INPUT);
	CU_ASSERT_EQUAL(offer1(&f, 0, 600 * MIB, BS, 0), PROTO_RC_INVALID_PA);
	two[0] = ext_at(R1 + BS, BS, 0);	/* region 1, command says 0 */
	CU_ASSERT_EQUAL(offer(&f, 0, 0, two, 1), PROTO_RC_INVALID_PA);
	two[0] = ext_at(R1 - BS, 2 * BS, 0);	/* crosses the region's end */
	CU_ASSERT_EQUAL(offer(&f, 0, 0, two, 1), PROTO_RC_INVALID_PA);
	CU_ASSERT_EQUAL(offer1(&f, 0, MIB, BS, 0), PROTO_RC_INVALID_EXTENT_LIST);
	CU_ASSERT_EQUAL(offer1(&f, 0, 0, 3 * MIB, 0), PROTO_RC_INVALID_EXTENT_LIST);
	two[0] = ext_at(0, 2 * BS, 0);
	two[1] = ext_at(BS, BS, 0);
	CU_ASSERT_EQUAL(offer(&f, 0, 0, two, 2), PROTO_RC_INVALID_EXTENT_LIST);
	CU_ASSERT_EQUAL(offer1(&f, 0, 0, 2 * BS, 1), PROTO_RC_SUCCESS);	/* pending, tag 1 */
	CU_ASSERT_EQUAL(offer1(&f, 1, BS, BS, 0), PROTO_RC_INVALID_EXTENT_LIST);
	CU_ASSERT_EQUAL(respond1(&f, 0, 0, 2 * BS), PROTO_RC_SUCCESS);
	/* accepted DPA */
	CU_ASSERT_EQUAL(offer1(&f, 1, 0, BS, 0), PROTO_RC_INVALID_EXTENT_LIST);
	/* tags: one in use; a second is refused, the first again is fine */
	d = add_select(&f, 1, PROTO_SELECT_FREE, BS, 2);
	CU_ASSERT_EQUAL(d.rc, PROTO_RC_RESOURCES_EXHAUSTED);
	CU_ASSERT_EQUAL(d.sim_cause, PROTO_CAUSE_TAG_LIMIT);
	CU_ASSERT_EQUAL(offer1(&f, 1, 8 * MIB, BS, 2), PROTO_RC_RESOURCES_EXHAUSTED);
	CU_ASSERT_EQUAL(offer1(&f, 1, 8 * MIB, BS, 1), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(dev_stats(&f).tags, 1);
	/* extents: 2 used of 4, three more do not fit */
	{
		struct proto_extent three[3] = {
			ext_at(20 * MIB, BS, 0), ext_at(24 * MIB, BS, 0), ext_at(28 * MIB, BS, 0),
		};

		CU_ASSERT_EQUAL(offer(&f, 1, 0, three, 3), PROTO_RC_RESOURCES_EXHAUSTED);
		CU_ASSERT_EQUAL(fake_fm_last(&f.fm).sim_cause, PROTO_CAUSE_EXTENT_LIMIT);
		CU_ASSERT_EQUAL(offer(&f, 1, 0, three, 2), PROTO_RC_SUCCESS);
	}
	fx_fini(&f);
}

static void test_command_envelope(void)
{
	struct fx f;
	struct proto_fm_cmd cmd = { .opcode = PROTO_OP_INITIATE_DC_ADD, .length = BS };
	struct proto_extent many[102];

	fx_init(&f, DCD_PROFILE_SPEC, NULL);
	cmd.host = 5;
	CU_ASSERT_EQUAL(fm_cmd(&f, &cmd, NULL, 0).rc, PROTO_RC_INVALID_INPUT);
	cmd.host = 0;
	cmd.region = 5;
	CU_ASSERT_EQUAL(fm_cmd(&f, &cmd, NULL, 0).rc, PROTO_RC_INVALID_INPUT);
	cmd.region = 0;
	cmd.policy = 7;
	CU_ASSERT_EQUAL(fm_cmd(&f, &cmd, NULL, 0).rc, PROTO_RC_INVALID_INPUT);
	cmd.policy = PROTO_SELECT_SHARED;
	CU_ASSERT_EQUAL(fm_cmd(&f, &cmd, NULL, 0).rc, PROTO_RC_UNSUPPORTED);
	cmd.opcode = 0x5600;
	CU_ASSERT_EQUAL(fm_cmd(&f, &cmd, NULL, 0).rc, PROTO_RC_UNSUPPORTED);
	cmd.opcode = PROTO_OP_INITIATE_DC_RELEASE;
	cmd.policy = 5;
	CU_ASSERT_EQUAL(fm_cmd(&f, &cmd, NULL, 0).rc, PROTO_RC_INVALID_INPUT);
	/* more extents than the payload holds (101 at 4 KiB) */
	for (unsigned i = 0; i < 102; i++)
		many[i] = ext_at(i * BS, BS, 0);
	CU_ASSERT_EQUAL(offer(&f, 0, 0, many, 102), PROTO_RC_INVALID_PAYLOAD_LENGTH);
	/* a count that disagrees with the entries sent */
	{
		struct proto_fm_cmd c = {
			.opcode = PROTO_OP_INITIATE_DC_ADD,
			.policy = PROTO_SELECT_PRESCRIPTIVE,
			.nextents = 2,
		};

		sim_schedule(f.k, 0, f.fm.api.extent, f.fm.api.target, &many[0], sizeof(many[0]));
		sim_schedule(f.k, 0, f.fm.api.command, f.fm.api.target, &c, sizeof(c));
		run(&f);
		CU_ASSERT_EQUAL(fake_fm_last(&f.fm).rc, PROTO_RC_INVALID_PAYLOAD_LENGTH);
	}
	{
		struct proto_mbox_cmd c = { .opcode = PROTO_OP_RELEASE_DC, .nranges = 3 };
		struct proto_range r = { 0, BS };

		fake_host_send_raw(&f.host[0], 0, &c, &r, 1);
		run(&f);
		CU_ASSERT_EQUAL(fake_host_last(&f.host[0], 0).rc, PROTO_RC_INVALID_PAYLOAD_LENGTH);
	}
	fx_fini(&f);
}

/* ---- Add DC Response ------------------------------------------------- */

static void test_response_subset_and_reject(void)
{
	struct fx f;
	struct proto_extent two[2] = { ext_at(16 * MIB, 4 * MIB, 0), ext_at(24 * MIB, 4 * MIB, 0) };

	fx_init(&f, DCD_PROFILE_SPEC, NULL);
	CU_ASSERT_EQUAL(offer1(&f, 0, 0, 8 * MIB, 3), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(respond1(&f, 0, 2 * MIB, BS), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(entry_at(&f, 0, 2 * MIB).attr.state, EXTENT_ACCEPTED);
	CU_ASSERT_EQUAL(entry_at(&f, 0, 0).attr.state, EXTENT_FREE);
	CU_ASSERT_EQUAL(entry_at(&f, 0, 6 * MIB).attr.state, EXTENT_FREE);
	CU_ASSERT_EQUAL(dev_stats(&f).extents, 1);
	CU_ASSERT_EQUAL(dev_stats(&f).tags, 1);
	CU_ASSERT_EQUAL_FATAL(f.fm.records->len, 1);
	CU_ASSERT_EQUAL(fm_record(&f, 0)->extent.start, 2 * MIB);
	CU_ASSERT_EQUAL(fm_record(&f, 0)->flags, 0);
	/* an empty list rejects the whole offer and still closes the chain */
	CU_ASSERT_EQUAL(offer(&f, 0, 0, two, 2), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(respond(&f, 0, NULL, 0, false), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(dev_stats(&f).extents, 1);
	CU_ASSERT_EQUAL(dev_stats(&f).pending_groups, 0);
	CU_ASSERT_EQUAL_FATAL(f.fm.records->len, 2);
	CU_ASSERT_EQUAL(fm_record(&f, 1)->extent.len, 0);
	CU_ASSERT_EQUAL(fm_record(&f, 1)->flags, 0);
	fx_fini(&f);
}

static void test_response_refusals_and_more(void)
{
	struct fx f;
	struct proto_range r[3];

	fx_init(&f, DCD_PROFILE_SPEC, NULL);
	CU_ASSERT_EQUAL(respond1(&f, 0, 0, BS), PROTO_RC_INVALID_INPUT);	/* no offer */
	CU_ASSERT_EQUAL(offer1(&f, 0, 0, 8 * MIB, 0), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(respond1(&f, 0, 8 * MIB, BS), PROTO_RC_INVALID_PA);
	CU_ASSERT_EQUAL(respond1(&f, 0, 600 * MIB, BS), PROTO_RC_INVALID_PA);
	CU_ASSERT_EQUAL(respond1(&f, 0, MIB, BS), PROTO_RC_INVALID_EXTENT_LIST);
	CU_ASSERT_EQUAL(respond1(&f, 1, 0, BS), PROTO_RC_INVALID_INPUT);	/* not host 1's */
	r[0] = (struct proto_range){ 0, 2 * BS };
	r[1] = (struct proto_range){ BS, 2 * BS };
	CU_ASSERT_EQUAL(respond(&f, 0, r, 2, false), PROTO_RC_INVALID_EXTENT_LIST);
	r[0] = (struct proto_range){ 6 * MIB, 4 * MIB };	/* past the offered extent */
	CU_ASSERT_EQUAL(respond(&f, 0, r, 1, false), PROTO_RC_INVALID_PA);
	CU_ASSERT_EQUAL(respond1(&f, 0, 0, 0), PROTO_RC_INVALID_PA);	/* names no DPA */
	/* More: two answers to one offer */
	r[0] = (struct proto_range){ 0, BS };
	CU_ASSERT_EQUAL(respond(&f, 0, r, 1, true), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(entry_at(&f, 0, BS).attr.state, EXTENT_PENDING);
	CU_ASSERT_EQUAL(dev_stats(&f).pending_groups, 1);
	CU_ASSERT_EQUAL(fm_record(&f, 0)->flags, PROTO_RECORD_MORE);
	r[0] = (struct proto_range){ 4 * MIB, BS };
	CU_ASSERT_EQUAL(respond(&f, 0, r, 1, false), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(fm_record(&f, 1)->flags, 0);
	CU_ASSERT_EQUAL(entry_at(&f, 0, BS).attr.state, EXTENT_FREE);
	CU_ASSERT_EQUAL(entry_at(&f, 0, 6 * MIB).attr.state, EXTENT_FREE);
	CU_ASSERT_EQUAL(host_extents(&f, 0), 2);
	CU_ASSERT_EQUAL(dev_stats(&f).pending_groups, 0);
	fx_fini(&f);

	/* accepting three pieces of one offered extent passes a limit of 2 */
	fx_init(&f, DCD_PROFILE_SPEC, small_extent_limit);
	CU_ASSERT_EQUAL(offer1(&f, 0, 0, 8 * MIB, 0), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(offer1(&f, 1, 16 * MIB, BS, 0), PROTO_RC_SUCCESS);
	r[0] = (struct proto_range){ 0, BS };
	r[1] = (struct proto_range){ 2 * BS, BS };
	r[2] = (struct proto_range){ 4 * MIB + BS, BS };
	CU_ASSERT_EQUAL(respond(&f, 0, r, 3, false), PROTO_RC_RESOURCES_EXHAUSTED);
	CU_ASSERT_EQUAL(respond(&f, 0, r, 2, true), PROTO_RC_RESOURCES_EXHAUSTED);
	CU_ASSERT_EQUAL(respond(&f, 0, r, 2, false), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(dev_stats(&f).extents, 3);
	fx_fini(&f);
}

/* ---- Release DC ------------------------------------------------------ */

static void test_release_dc(void)
{
	struct fx f;
	struct proto_range r[2];

	fx_init(&f, DCD_PROFILE_SPEC, NULL);
	grant(&f, 0, 0, 8 * MIB, 0);
	grant(&f, 0, 8 * MIB, 4 * MIB, 0);
	CU_ASSERT_EQUAL(host_stats(&f, 0).generation, 2);
	CU_ASSERT_EQUAL(release_dc1(&f, 0, 2 * MIB, BS), PROTO_RC_SUCCESS);	/* splits */
	CU_ASSERT_EQUAL(host_extents(&f, 0), 3);
	CU_ASSERT_EQUAL(host_stats(&f, 0).generation, 3);
	CU_ASSERT_EQUAL(fm_record(&f, f.fm.records->len - 1)->type,
			PROTO_EVENT_CAPACITY_RELEASED);
	CU_ASSERT_EQUAL(fm_record(&f, f.fm.records->len - 1)->extent.start, 2 * MIB);
	CU_ASSERT_EQUAL(fm_record(&f, f.fm.records->len - 1)->sim.request, 0);
	/* a superset over two extents */
	CU_ASSERT_EQUAL(release_dc1(&f, 0, 4 * MIB, 8 * MIB), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(host_extents(&f, 0), 1);
	CU_ASSERT_EQUAL(release_dc1(&f, 0, 4 * MIB, BS), PROTO_RC_INVALID_PA);	/* free */
	CU_ASSERT_EQUAL(release_dc1(&f, 1, 0, BS), PROTO_RC_INVALID_PA);	/* host 0's */
	CU_ASSERT_EQUAL(offer1(&f, 0, 20 * MIB, BS, 0), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(release_dc1(&f, 0, 20 * MIB, BS), PROTO_RC_INVALID_PA);	/* pending */
	CU_ASSERT_EQUAL(release_dc(&f, 0, NULL, 0), PROTO_RC_INVALID_INPUT);
	CU_ASSERT_EQUAL(release_dc1(&f, 0, MIB, BS), PROTO_RC_INVALID_EXTENT_LIST);
	CU_ASSERT_EQUAL(release_dc1(&f, 0, 700 * MIB, BS), PROTO_RC_INVALID_PA);
	r[0] = (struct proto_range){ 0, BS };
	r[1] = (struct proto_range){ 0, BS };
	CU_ASSERT_EQUAL(release_dc(&f, 0, r, 2), PROTO_RC_INVALID_EXTENT_LIST);
	fx_fini(&f);

	fx_init(&f, DCD_PROFILE_SPEC, small_extent_limit);
	grant(&f, 0, 0, 8 * MIB, 0);
	grant(&f, 0, 8 * MIB, 8 * MIB, 0);
	grant(&f, 0, 16 * MIB, 8 * MIB, 0);
	CU_ASSERT_EQUAL(release_dc1(&f, 0, 2 * MIB, BS), PROTO_RC_RESOURCES_EXHAUSTED);
	CU_ASSERT_EQUAL(release_dc1(&f, 0, 0, BS), PROTO_RC_SUCCESS);	/* no split */
	fx_fini(&f);
}

/* ---- Initiate DC Release --------------------------------------------- */

static void test_release_prescriptive(void)
{
	struct fx f;
	const struct proto_record *rec;
	unsigned n;

	fx_init(&f, DCD_PROFILE_SPEC, NULL);
	f.host[0].drain = true;
	grant(&f, 0, 0, 8 * MIB, 7);
	CU_ASSERT_EQUAL(release1(&f, 0, 0, 2 * MIB, BS), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(entry_at(&f, 0, 2 * MIB).attr.state, EXTENT_RELEASING);
	CU_ASSERT_EQUAL(entry_at(&f, 0, 0).attr.state, EXTENT_ACCEPTED);
	CU_ASSERT_EQUAL(host_extents(&f, 0), 3);	/* the list shows the cut */
	CU_ASSERT_EQUAL(host_stats(&f, 0).generation, 2);
	rec = host_read(&f, 0, f.host[0].links[0].read->len - 1);
	CU_ASSERT_EQUAL(rec->type, PROTO_EVENT_RELEASE_CAPACITY);
	CU_ASSERT_EQUAL(rec->extent.start, 2 * MIB);
	/* the FM asks again: same extents, no change to the list */
	CU_ASSERT_EQUAL(release1(&f, 0, 0, 2 * MIB, BS), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(host_stats(&f, 0).generation, 2);
	n = f.fm.records->len;
	CU_ASSERT_EQUAL(release_dc1(&f, 0, 0, 8 * MIB), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL_FATAL(f.fm.records->len, n + 3);
	CU_ASSERT_EQUAL(fm_record(&f, n)->sim.request, 0);
	CU_ASSERT_EQUAL(fm_record(&f, n + 1)->sim.request, f.next_request - 1);
	CU_ASSERT_EQUAL(fm_record(&f, n + 1)->extent.start, 2 * MIB);
	CU_ASSERT_EQUAL(fm_record(&f, n + 2)->sim.request, 0);
	CU_ASSERT_EQUAL(dev_stats(&f).tags, 0);
	/* refusals */
	CU_ASSERT_EQUAL(release1(&f, 0, 0, 0, BS), PROTO_RC_INVALID_PA);	/* free */
	CU_ASSERT_EQUAL(offer1(&f, 0, 0, BS, 0), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(release1(&f, 0, 0, 0, BS), PROTO_RC_INVALID_PA);	/* pending */
	CU_ASSERT_EQUAL(release1(&f, 1, 0, 0, BS), PROTO_RC_INVALID_PA);	/* not host 1's */
	CU_ASSERT_EQUAL(release1(&f, 0, 0, MIB, BS), PROTO_RC_INVALID_EXTENT_LIST);
	CU_ASSERT_EQUAL(release(&f, 0, PROTO_REMOVAL_PRESCRIPTIVE, NULL, 0, 0),
			PROTO_RC_INVALID_INPUT);
	fx_fini(&f);

	/* marking part of an extent splits it: past the limit that is refused */
	fx_init(&f, DCD_PROFILE_SPEC, small_extent_limit);
	grant(&f, 0, 0, 8 * MIB, 0);
	grant(&f, 0, 8 * MIB, 8 * MIB, 0);
	CU_ASSERT_EQUAL(release1(&f, 0, 0, 2 * MIB, BS), PROTO_RC_RESOURCES_EXHAUSTED);
	CU_ASSERT_EQUAL(fake_fm_last(&f.fm).sim_cause, PROTO_CAUSE_EXTENT_LIMIT);
	CU_ASSERT_EQUAL(release1(&f, 0, 0, 0, 2 * MIB), PROTO_RC_SUCCESS);
	fx_fini(&f);
}

static void test_release_tag_based(void)
{
	struct fx f;

	fx_init(&f, DCD_PROFILE_SPEC, NULL);
	f.host[0].drain = true;
	grant(&f, 0, 0, 4 * MIB, 5);
	grant(&f, 0, 8 * MIB, 4 * MIB, 5);
	grant(&f, 0, 16 * MIB, 4 * MIB, 6);
	CU_ASSERT_EQUAL(release(&f, 0, PROTO_REMOVAL_TAG, NULL, 0, 5), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(entry_at(&f, 0, 0).attr.state, EXTENT_RELEASING);
	CU_ASSERT_EQUAL(entry_at(&f, 0, 8 * MIB).attr.state, EXTENT_RELEASING);
	CU_ASSERT_EQUAL(entry_at(&f, 0, 16 * MIB).attr.state, EXTENT_ACCEPTED);
	CU_ASSERT_EQUAL(host_stats(&f, 0).generation, 3);	/* whole extents: no change */
	CU_ASSERT_EQUAL(release(&f, 0, PROTO_REMOVAL_TAG, NULL, 0, 0), PROTO_RC_INVALID_INPUT);
	CU_ASSERT_EQUAL(release(&f, 0, PROTO_REMOVAL_TAG, NULL, 0, 9), PROTO_RC_INVALID_PA);
	CU_ASSERT_EQUAL(release(&f, 1, PROTO_REMOVAL_TAG, NULL, 0, 6), PROTO_RC_INVALID_PA);
	CU_ASSERT_EQUAL(offer1(&f, 0, 30 * MIB, BS, 8), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(release(&f, 0, PROTO_REMOVAL_TAG, NULL, 0, 8), PROTO_RC_INVALID_PA);
	CU_ASSERT_EQUAL(release(&f, 0, PROTO_REMOVAL_TAG | PROTO_RELEASE_FORCED, NULL, 0, 8),
			PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(dev_stats(&f).dead_groups, 1);
	CU_ASSERT_EQUAL(entry_at(&f, 0, 30 * MIB).attr.state, EXTENT_FREE);
	fx_fini(&f);
}

static void test_forced_release_accepted(void)
{
	struct fx f;
	const struct proto_record *rec;
	unsigned n;

	fx_init(&f, DCD_PROFILE_SPEC, NULL);
	f.host[0].drain = true;
	grant(&f, 0, 0, 8 * MIB, 0);
	n = f.fm.records->len;
	CU_ASSERT_EQUAL(release1(&f, 0, PROTO_RELEASE_FORCED, 0, 4 * MIB), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(entry_at(&f, 0, 0).attr.state, EXTENT_FREE);
	CU_ASSERT_EQUAL(entry_at(&f, 0, 4 * MIB).attr.state, EXTENT_ACCEPTED);
	CU_ASSERT_EQUAL(host_stats(&f, 0).generation, 2);
	CU_ASSERT_EQUAL_FATAL(f.fm.records->len, n + 1);
	CU_ASSERT_EQUAL(fm_record(&f, n)->type, PROTO_EVENT_CAPACITY_RELEASED);
	CU_ASSERT_EQUAL(fm_record(&f, n)->sim.request, f.next_request - 1);
	rec = host_read(&f, 0, f.host[0].links[0].read->len - 1);
	CU_ASSERT_EQUAL(rec->type, PROTO_EVENT_FORCED_RELEASE);
	CU_ASSERT_EQUAL(rec->extent.len, 4 * MIB);
	/* a releasing extent can be forced too, its release then ends */
	CU_ASSERT_EQUAL(release1(&f, 0, 0, 4 * MIB, 4 * MIB), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(release1(&f, 0, PROTO_RELEASE_FORCED, 4 * MIB, 4 * MIB),
			PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(dev_stats(&f).extents, 0);
	fx_fini(&f);
}

static void test_forced_release_pending_group(void)
{
	struct fx f;
	struct proto_extent two[2] = { ext_at(0, 8 * MIB, 0), ext_at(8 * MIB, 8 * MIB, 0) };
	struct proto_range both[2] = { { 0, 8 * MIB }, { 8 * MIB, 8 * MIB } };
	unsigned n;

	fx_init(&f, DCD_PROFILE_SPEC, NULL);
	f.host[0].drain = true;
	CU_ASSERT_EQUAL(offer(&f, 0, 0, two, 2), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(release1(&f, 0, PROTO_RELEASE_FORCED, 0, 8 * MIB), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(entry_at(&f, 0, 0).attr.state, EXTENT_FREE);
	CU_ASSERT_EQUAL(entry_at(&f, 0, 8 * MIB).attr.state, EXTENT_PENDING);
	CU_ASSERT_EQUAL(dev_stats(&f).dead_groups, 1);
	CU_ASSERT_EQUAL(host_stats(&f, 0).generation, 0);	/* never in the list */
	n = f.fm.records->len;
	/* the host accepts both, unaware: refused, and the dead offer ends */
	CU_ASSERT_EQUAL(respond(&f, 0, both, 2, false), PROTO_RC_INVALID_PA);
	CU_ASSERT_EQUAL(entry_at(&f, 0, 8 * MIB).attr.state, EXTENT_FREE);
	CU_ASSERT_EQUAL(dev_stats(&f).pending_groups, 0);
	CU_ASSERT_EQUAL(dev_stats(&f).dead_groups, 0);
	CU_ASSERT_EQUAL_FATAL(f.fm.records->len, n + 1);
	CU_ASSERT_EQUAL(fm_record(&f, n)->extent.len, 0);
	/* answering only what is left of a dead offer commits it */
	CU_ASSERT_EQUAL(offer(&f, 0, 0, two, 2), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(release1(&f, 0, PROTO_RELEASE_FORCED, 0, 8 * MIB), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(respond(&f, 0, &both[1], 1, false), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(entry_at(&f, 0, 8 * MIB).attr.state, EXTENT_ACCEPTED);
	CU_ASSERT_EQUAL(dev_stats(&f).dead_groups, 0);
	fx_fini(&f);
}

static void sanitize_region0(struct dcd_config *c)
{
	c->regions[0].sanitize_on_release = true;
}

static void test_sanitize_delay(void)
{
	struct fx f;
	const struct latency_params *lat;
	struct proto_range two[2] = { { 0, 4 * MIB }, { 4 * MIB, 4 * MIB } };
	uint64_t t0, exec, san;
	unsigned n;

	fx_init(&f, DCD_PROFILE_SPEC, sanitize_region0);
	lat = &dcd_get_config(f.dev)->latency;
	grant(&f, 0, 0, 8 * MIB, 0);
	n = f.fm.records->len;
	t0 = sim_now(f.k);
	exec = t0 + latency_mbox(lat, 2);
	san = latency_per_gib(lat->sanitize_per_gib, 4 * MIB);
	CU_ASSERT_TRUE(san > 0);
	fake_host_send(&f.host[0], 0, &(struct proto_mbox_cmd){ .opcode = PROTO_OP_RELEASE_DC },
		       two, 2);
	CU_ASSERT_TRUE(sim_run(f.k, exec + 1, 0, NULL));
	CU_ASSERT_EQUAL(dev_stats(&f).bytes[EXTENT_SANITIZING], 8 * MIB);
	CU_ASSERT_EQUAL(dev_stats(&f).sanitize_jobs, 2);
	CU_ASSERT_EQUAL(host_extents(&f, 0), 0);
	CU_ASSERT_EQUAL(f.fm.records->len, n);
	fx_check(&f);
	/* one job at a time: the second ends a sanitize time after the first */
	CU_ASSERT_TRUE(sim_run(f.k, exec + san, 0, NULL));
	CU_ASSERT_EQUAL(dev_stats(&f).bytes[EXTENT_SANITIZING], 4 * MIB);
	run(&f);
	CU_ASSERT_EQUAL(dev_stats(&f).bytes[EXTENT_SANITIZING], 0);
	CU_ASSERT_EQUAL_FATAL(f.fm.records->len, n + 2);
	CU_ASSERT_EQUAL(g_array_index(f.fm.record_times, uint64_t, n),
			exec + san + lat->event_record_post + lat->irq_delivery);
	CU_ASSERT_EQUAL(g_array_index(f.fm.record_times, uint64_t, n + 1),
			exec + 2 * san + lat->event_record_post + lat->irq_delivery);
	/* a release asked with the sanitize flag, in a region without it */
	grant(&f, 0, R1, 4 * MIB, 0);
	CU_ASSERT_EQUAL(release1(&f, 0, PROTO_RELEASE_SANITIZE, R1, 4 * MIB), PROTO_RC_SUCCESS);
	fake_host_send(&f.host[0], 0, &(struct proto_mbox_cmd){ .opcode = PROTO_OP_RELEASE_DC },
		       &(struct proto_range){ R1, 4 * MIB }, 1);
	t0 = sim_now(f.k);
	CU_ASSERT_TRUE(sim_run(f.k, t0 + latency_mbox(lat, 1) + 1, 0, NULL));
	CU_ASSERT_EQUAL(dev_stats(&f).bytes[EXTENT_SANITIZING], 4 * MIB);
	run(&f);
	CU_ASSERT_EQUAL(dev_stats(&f).bytes[EXTENT_SANITIZING], 0);
	fx_fini(&f);
}

/* ---- event log -------------------------------------------------------- */

static void log4(struct dcd_config *c)
{
	c->log_capacity = 4;
}

static struct proto_mbox_done get_records(struct fx *f, unsigned host)
{
	struct proto_mbox_cmd cmd = { .opcode = PROTO_OP_GET_EVENT_RECORDS };

	return mbox(f, host, &cmd, NULL, 0);
}

static enum proto_rc clear_records(struct fx *f, unsigned host, uint16_t handle,
				   uint32_t count)
{
	struct proto_mbox_cmd cmd = {
		.opcode = PROTO_OP_CLEAR_EVENT_RECORDS,
		.handle = handle,
		.count = count,
	};

	return (enum proto_rc)mbox(f, host, &cmd, NULL, 0).rc;
}

static void test_log_spec_retry(void)
{
	struct fx f;
	struct proto_extent e[3] = { ext_at(0, BS, 0), ext_at(8 * MIB, BS, 0),
				     ext_at(16 * MIB, BS, 0) };
	struct proto_mbox_done d;
	const struct proto_record *recs;
	uint16_t first;

	fx_init(&f, DCD_PROFILE_SPEC, log4);
	CU_ASSERT_EQUAL(offer(&f, 0, 0, e, 3), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(f.host[0].links[0].interrupts, 1);
	CU_ASSERT_EQUAL(host_stats(&f, 0).log_count, 3);
	CU_ASSERT_EQUAL(offer1(&f, 0, 32 * MIB, BS, 0), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(f.host[0].links[0].interrupts, 1);	/* was not empty */
	CU_ASSERT_EQUAL(offer1(&f, 0, 40 * MIB, BS, 0), PROTO_RC_RETRY_REQUIRED);
	CU_ASSERT_EQUAL(fake_fm_last(&f.fm).sim_cause, PROTO_CAUSE_LOG_FULL);
	CU_ASSERT_EQUAL(dev_stats(&f).retries, 1);
	CU_ASSERT_EQUAL(f.notes[DCD_NOTE_LOG_RETRY], 1);
	CU_ASSERT_EQUAL(entry_at(&f, 0, 40 * MIB).attr.state, EXTENT_FREE);
	d = get_records(&f, 0);
	CU_ASSERT_EQUAL(d.rc, PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(d.count, 4);
	CU_ASSERT_EQUAL(d.flags, 0);
	recs = (const struct proto_record *)f.host[0].links[0].records->data;
	first = recs[0].handle;
	for (unsigned i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(recs[i].handle, (uint16_t)(first + i));
	CU_ASSERT_EQUAL(recs[2].flags, 0);	/* chain of three closes */
	CU_ASSERT_EQUAL(recs[1].flags, PROTO_RECORD_MORE);
	CU_ASSERT_EQUAL(clear_records(&f, 0, (uint16_t)(first + 1), 1), PROTO_RC_INVALID_INPUT);
	CU_ASSERT_EQUAL(clear_records(&f, 0, first, 5), PROTO_RC_INVALID_INPUT);
	CU_ASSERT_EQUAL(clear_records(&f, 0, first, 0), PROTO_RC_INVALID_INPUT);
	CU_ASSERT_EQUAL(clear_records(&f, 0, first, 2), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(host_stats(&f, 0).log_count, 2);
	CU_ASSERT_EQUAL(clear_records(&f, 0, (uint16_t)(first + 2), 2), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(offer1(&f, 0, 40 * MIB, BS, 0), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(f.host[0].links[0].interrupts, 2);	/* empty -> non-empty */
	fx_fini(&f);
}

/* A full log refuses a release (and a region change) with Retry Required;
 * a forced release goes through and its record is dropped. */
static void test_log_full_release(void)
{
	struct fx f;
	struct proto_extent e[3] = { ext_at(8 * MIB, BS, 0), ext_at(16 * MIB, BS, 0),
				     ext_at(24 * MIB, BS, 0) };
	struct proto_fm_cmd region = {
		.opcode = PROTO_OP_SET_DC_REGION_CONFIG,
		.region = 1,
		.block_size = BS,
	};

	fx_init(&f, DCD_PROFILE_SPEC, log4);
	grant(&f, 0, 0, BS, 0);
	CU_ASSERT_EQUAL(offer(&f, 0, 0, e, 3), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(host_stats(&f, 0).log_count, 4);
	CU_ASSERT_EQUAL(release1(&f, 0, 0, 0, BS), PROTO_RC_RETRY_REQUIRED);
	CU_ASSERT_EQUAL(fake_fm_last(&f.fm).sim_cause, PROTO_CAUSE_LOG_FULL);
	CU_ASSERT_EQUAL(entry_at(&f, 0, 0).attr.state, EXTENT_ACCEPTED);
	CU_ASSERT_EQUAL(fm_cmd(&f, &region, NULL, 0).rc, PROTO_RC_RETRY_REQUIRED);
	CU_ASSERT_EQUAL(release1(&f, 0, PROTO_RELEASE_FORCED, 0, BS), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(entry_at(&f, 0, 0).attr.state, EXTENT_FREE);
	CU_ASSERT_EQUAL(host_stats(&f, 0).overflow, 1);
	CU_ASSERT_EQUAL(dev_stats(&f).records_dropped, 1);
	CU_ASSERT_EQUAL(dev_stats(&f).retries, 2);
	fx_fini(&f);
}

static void small_payload(struct dcd_config *c)
{
	c->payload_size = 32 + 2 * 128;		/* two records, six extents */
}

static void test_log_get_more(void)
{
	struct fx f;
	struct proto_extent e[3] = { ext_at(0, BS, 0), ext_at(8 * MIB, BS, 0),
				     ext_at(16 * MIB, BS, 0) };
	struct proto_mbox_done d;

	fx_init(&f, DCD_PROFILE_SPEC, small_payload);
	CU_ASSERT_EQUAL(offer(&f, 0, 0, e, 3), PROTO_RC_SUCCESS);
	d = get_records(&f, 0);
	CU_ASSERT_EQUAL(d.count, 2);
	CU_ASSERT_EQUAL(d.flags, PROTO_EVENTS_MORE);
	fx_fini(&f);
}

static void test_log_qemu_drops(void)
{
	struct fx f;
	struct proto_extent e[10];
	struct proto_mbox_done d;
	uint16_t first;

	fx_init(&f, DCD_PROFILE_QEMU, NULL);
	for (unsigned i = 0; i < 10; i++)
		e[i] = ext_at(i * 4 * MIB, BS, 0);
	CU_ASSERT_EQUAL(offer(&f, 0, 0, e, 10), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(host_stats(&f, 0).log_count, 8);
	CU_ASSERT_EQUAL(host_stats(&f, 0).overflow, 2);
	CU_ASSERT_EQUAL(dev_stats(&f).records_dropped, 2);
	CU_ASSERT_EQUAL(f.notes[DCD_NOTE_LOG_OVERFLOW], 2);
	CU_ASSERT_EQUAL(f.host[0].links[0].interrupts, 1);
	d = get_records(&f, 0);
	CU_ASSERT_EQUAL(d.count, 8);
	CU_ASSERT_EQUAL(d.flags, PROTO_EVENTS_OVERFLOW);
	CU_ASSERT_EQUAL(d.overflow, 2);
	/* the closing record was dropped: every record read has More set */
	for (unsigned i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(g_array_index(f.host[0].links[0].records, struct proto_record, i)
					.flags,
				PROTO_RECORD_MORE);
	first = g_array_index(f.host[0].links[0].records, struct proto_record, 0).handle;
	CU_ASSERT_EQUAL(clear_records(&f, 0, first, 8), PROTO_RC_SUCCESS);
	d = get_records(&f, 0);
	CU_ASSERT_EQUAL(d.count, 0);
	CU_ASSERT_EQUAL(d.flags, 0);
	fx_fini(&f);
}

static void slow_posts_small_log(struct dcd_config *c)
{
	c->log_capacity = 2;
	c->latency.event_record_post = 1000 * 1000;	/* 1 ms */
}

static void run_to(struct fx *f, uint64_t t)
{
	GError *error = NULL;

	CU_ASSERT_TRUE(sim_run(f->k, t, 0, &error));
	g_clear_error(&error);
}

/* A record that finds the log full is dropped while the next waits behind
 * it: that one is posted in its turn, itself.  Four records post at 1.1,
 * 2.1, 3.1 and 4.1 ms into a log of two; the host reads the first two,
 * the third is dropped, the host clears, and the fourth is read. */
static void test_log_qemu_drop_keeps_next(void)
{
	struct fx f;
	struct proto_extent e[4];
	struct proto_mbox_cmd get = { .opcode = PROTO_OP_GET_EVENT_RECORDS };
	struct proto_mbox_cmd clear = { .opcode = PROTO_OP_CLEAR_EVENT_RECORDS, .count = 2 };
	struct proto_fm_cmd add = {
		.opcode = PROTO_OP_INITIATE_DC_ADD,
		.policy = PROTO_SELECT_PRESCRIPTIVE,
	};
	const GArray *records;
	const struct proto_record *r;

	fx_init(&f, DCD_PROFILE_QEMU, slow_posts_small_log);
	records = f.host[0].links[0].records;
	for (unsigned i = 0; i < 4; i++)
		e[i] = ext_at(i * 4 * MIB, BS, 0);
	fake_fm_send(&f.fm, &add, e, 4);
	run_to(&f, 2500 * 1000);
	fake_host_send(&f.host[0], 0, &get, NULL, 0);
	run_to(&f, 2600 * 1000);
	CU_ASSERT_EQUAL_FATAL(records->len, 2);
	clear.handle = g_array_index(records, struct proto_record, 0).handle;
	run_to(&f, 3500 * 1000);
	CU_ASSERT_EQUAL(host_stats(&f, 0).overflow, 1);
	fake_host_send(&f.host[0], 0, &clear, NULL, 0);
	run_to(&f, 3600 * 1000);
	CU_ASSERT_EQUAL(host_stats(&f, 0).log_count, 0);
	run(&f);
	CU_ASSERT_EQUAL(get_records(&f, 0).count, 1);
	CU_ASSERT_EQUAL_FATAL(records->len, 1);
	r = &g_array_index(records, struct proto_record, 0);
	CU_ASSERT_EQUAL(r->extent.start, e[3].start);
	CU_ASSERT_EQUAL(r->handle, clear.handle + 2);
	CU_ASSERT_EQUAL(dev_stats(&f).records_dropped, 1);
	fx_fini(&f);
}

static void test_interrupt_and_mailbox_timing(void)
{
	struct fx f;
	const struct latency_params *lat;
	uint64_t t0;
	struct proto_mbox_cmd cmd = { .opcode = PROTO_OP_GET_DC_CONFIG, .count = 8 };

	fx_init(&f, DCD_PROFILE_SPEC, NULL);
	lat = &dcd_get_config(f.dev)->latency;
	t0 = sim_now(f.k);
	CU_ASSERT_EQUAL(offer1(&f, 0, 0, BS, 0), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(f.host[0].links[0].last_interrupt,
			t0 + lat->fm_api_cmd + lat->event_record_post + lat->irq_delivery);
	t0 = sim_now(f.k);
	mbox(&f, 0, &cmd, NULL, 0);
	CU_ASSERT_EQUAL(g_array_index(f.host[0].links[0].done_times, uint64_t, 0),
			t0 + lat->mbox_cmd_base + 2 * lat->mbox_per_extent);
	fx_fini(&f);
}

/* ---- extent list ------------------------------------------------------ */

static void page_payload(struct dcd_config *c)
{
	c->payload_size = 176;		/* four extents per page */
}

static void check_paging(enum dcd_profile profile)
{
	struct fx f;
	struct proto_mbox_cmd cmd = { .opcode = PROTO_OP_GET_DC_EXTENT_LIST, .count = 10 };
	struct proto_mbox_done d;
	bool spec = profile == DCD_PROFILE_SPEC;

	fx_init(&f, profile, page_payload);
	for (unsigned i = 0; i < 5; i++)
		grant(&f, 0, i * 8 * MIB, BS, 0);
	d = mbox(&f, 0, &cmd, NULL, 0);
	CU_ASSERT_EQUAL(d.rc, PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(d.count, 4);
	CU_ASSERT_EQUAL(d.total, 5);
	CU_ASSERT_EQUAL(d.generation, spec ? 5 : 0);
	CU_ASSERT_EQUAL(g_array_index(f.host[0].links[0].extents, struct proto_extent, 3).start,
			24 * MIB);
	cmd.start = 4;
	d = mbox(&f, 0, &cmd, NULL, 0);
	CU_ASSERT_EQUAL(d.count, 1);
	CU_ASSERT_EQUAL(g_array_index(f.host[0].links[0].extents, struct proto_extent, 0).start,
			32 * MIB);
	cmd.start = 5;
	CU_ASSERT_EQUAL(mbox(&f, 0, &cmd, NULL, 0).count, 0);
	cmd.start = 6;
	CU_ASSERT_EQUAL(mbox(&f, 0, &cmd, NULL, 0).rc, PROTO_RC_INVALID_INPUT);
	/* an offer changes nothing the host lists; host 1's list is its own */
	CU_ASSERT_EQUAL(offer1(&f, 0, 100 * MIB, BS, 0), PROTO_RC_SUCCESS);
	grant(&f, 1, 120 * MIB, BS, 0);
	cmd.start = 0;
	d = mbox(&f, 0, &cmd, NULL, 0);
	CU_ASSERT_EQUAL(d.total, 5);
	CU_ASSERT_EQUAL(d.generation, spec ? 5 : 0);
	CU_ASSERT_EQUAL(release_dc1(&f, 0, 0, BS), PROTO_RC_SUCCESS);
	d = mbox(&f, 0, &cmd, NULL, 0);
	CU_ASSERT_EQUAL(d.total, 4);
	CU_ASSERT_EQUAL(d.generation, spec ? 6 : 0);
	fx_fini(&f);
}

static void test_extent_list_spec(void)
{
	check_paging(DCD_PROFILE_SPEC);
}

static void test_extent_list_qemu(void)
{
	check_paging(DCD_PROFILE_QEMU);
}

/* ---- profiles ---------------------------------------------------------- */

static void test_qemu_profile(void)
{
	struct fx f;
	struct proto_extent tagged[2] = { ext_at(40 * MIB, BS, 1), ext_at(44 * MIB, BS, 2) };

	fx_init(&f, DCD_PROFILE_QEMU, NULL);
	CU_ASSERT_EQUAL(add_select(&f, 0, PROTO_SELECT_FREE, BS, 0).rc, PROTO_RC_UNSUPPORTED);
	CU_ASSERT_EQUAL(add_select(&f, 0, PROTO_SELECT_CONTIGUOUS, BS, 0).rc,
			PROTO_RC_UNSUPPORTED);
	CU_ASSERT_EQUAL(release(&f, 0, PROTO_REMOVAL_TAG, NULL, 0, 1), PROTO_RC_UNSUPPORTED);
	/* responses answer the oldest offer */
	CU_ASSERT_EQUAL(offer1(&f, 0, 0, 4 * MIB, 0), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(offer1(&f, 0, 8 * MIB, 4 * MIB, 0), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(respond1(&f, 0, 8 * MIB, 4 * MIB), PROTO_RC_INVALID_PA);
	CU_ASSERT_EQUAL(respond1(&f, 0, 0, 4 * MIB), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(respond1(&f, 0, 8 * MIB, 4 * MIB), PROTO_RC_SUCCESS);
	/* tags pass through untracked */
	CU_ASSERT_EQUAL(offer(&f, 0, 0, tagged, 2), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(dev_stats(&f).tags, 2);
	fx_fini(&f);
}

static void test_spec_answers_by_dpa(void)
{
	struct fx f;

	fx_init(&f, DCD_PROFILE_SPEC, NULL);
	CU_ASSERT_EQUAL(offer1(&f, 0, 0, 4 * MIB, 0), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(offer1(&f, 0, 8 * MIB, 4 * MIB, 0), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(respond1(&f, 0, 8 * MIB, 4 * MIB), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(entry_at(&f, 0, 0).attr.state, EXTENT_PENDING);
	/* an empty answer rejects the oldest */
	CU_ASSERT_EQUAL(respond(&f, 0, NULL, 0, false), PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(entry_at(&f, 0, 0).attr.state, EXTENT_FREE);
	fx_fini(&f);
}

/* ---- Set DC Region Config --------------------------------------------- */

static void test_region_config(void)
{
	struct fx f;
	struct proto_fm_cmd cmd = {
		.opcode = PROTO_OP_SET_DC_REGION_CONFIG,
		.region = 0,
		.block_size = 4 * MIB,
	};
	const struct proto_record *rec;

	fx_init(&f, DCD_PROFILE_SPEC, NULL);
	f.host[0].drain = true;
	f.host[1].drain = true;
	grant(&f, 0, 0, BS, 0);
	CU_ASSERT_EQUAL(fm_cmd(&f, &cmd, NULL, 0).rc, PROTO_RC_INVALID_INPUT);	/* lent */
	cmd.region = 1;
	cmd.block_size = 3 * MIB;
	CU_ASSERT_EQUAL(fm_cmd(&f, &cmd, NULL, 0).rc, PROTO_RC_INVALID_INPUT);
	cmd.region = 9;
	CU_ASSERT_EQUAL(fm_cmd(&f, &cmd, NULL, 0).rc, PROTO_RC_INVALID_INPUT);
	cmd.region = 1;
	cmd.block_size = 4 * MIB;
	cmd.policy = PROTO_REGION_SANITIZE;
	CU_ASSERT_EQUAL(fm_cmd(&f, &cmd, NULL, 0).rc, PROTO_RC_SUCCESS);
	CU_ASSERT_EQUAL(extent_map_get_block_size(dcd_region_map(f.dev, 1)), 4 * MIB);
	CU_ASSERT_TRUE(dcd_get_config(f.dev)->regions[1].sanitize_on_release);
	CU_ASSERT_EQUAL(f.notes[DCD_NOTE_REGION_MAP], 1);
	CU_ASSERT_EQUAL(f.region_notes, 1);
	for (unsigned h = 0; h < 2; h++) {
		rec = host_read(&f, h, f.host[h].links[0].read->len - 1);
		CU_ASSERT_EQUAL(rec->type, PROTO_EVENT_REGION_UPDATED);
		CU_ASSERT_EQUAL(rec->region, 1);
	}
	CU_ASSERT_EQUAL(offer1(&f, 0, R1, BS, 0), PROTO_RC_INVALID_EXTENT_LIST);
	CU_ASSERT_EQUAL(offer1(&f, 0, R1, 4 * MIB, 0), PROTO_RC_SUCCESS);
	fx_fini(&f);
}

/* ---- protocol violations ---------------------------------------------- */

static void test_mailbox_overlap_fails_run(void)
{
	struct fx f;
	struct proto_mbox_cmd cmd = { .opcode = PROTO_OP_GET_DC_CONFIG };
	GError *error = NULL;

	fx_init(&f, DCD_PROFILE_SPEC, NULL);
	proto_mbox_send(f.k, &f.host[0].links[0].mbox, &cmd, NULL, 0);
	proto_mbox_send(f.k, &f.host[0].links[0].mbox, &cmd, NULL, 0);
	CU_ASSERT_FALSE(sim_run(f.k, SIM_TIME_NEVER, 0, &error));
	CU_ASSERT_PTR_NOT_NULL(error);
	if (error)
		CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "during a command"));
	g_clear_error(&error);
	fake_host_clear(&f.host[0]);
	fake_host_clear(&f.host[1]);
	fake_fm_clear(&f.fm);
	dcd_free(f.dev);
	sim_free(f.k);
}

/* ---- vocabulary and latency ------------------------------------------- */

static void test_proto_vocabulary(void)
{
	enum proto_select s;
	enum proto_removal r;
	uint8_t tag[PROTO_TAG_SIZE], zero[PROTO_TAG_SIZE] = { 0 };

	CU_ASSERT_STRING_EQUAL(proto_rc_name(PROTO_RC_RETRY_REQUIRED), "retry required");
	CU_ASSERT_STRING_EQUAL(proto_rc_name(PROTO_RC_INVALID_PA), "invalid physical address");
	CU_ASSERT_STRING_EQUAL(proto_rc_name((enum proto_rc)0x77), "unknown");
	CU_ASSERT_EQUAL(PROTO_RC_INVALID_PAYLOAD_LENGTH, 0x16);
	CU_ASSERT_EQUAL(PROTO_RC_RESOURCES_EXHAUSTED, 0x1d);
	CU_ASSERT_EQUAL(PROTO_RC_INVALID_EXTENT_LIST, 0x1e);
	CU_ASSERT_STRING_EQUAL(proto_event_name(PROTO_EVENT_CAPACITY_RELEASED),
			       "capacity released");
	CU_ASSERT_STRING_EQUAL(proto_opcode_name(PROTO_OP_RELEASE_DC), "release dc");
	CU_ASSERT_STRING_EQUAL(proto_cause_name(PROTO_CAUSE_LOG_FULL), "log_full");
	CU_ASSERT_TRUE(proto_select_from_name("contiguous", &s));
	CU_ASSERT_EQUAL(s, PROTO_SELECT_CONTIGUOUS);
	CU_ASSERT_FALSE(proto_select_from_name("any", &s));
	CU_ASSERT_TRUE(proto_removal_from_name("tag", &r));
	CU_ASSERT_EQUAL(r, PROTO_REMOVAL_TAG);
	CU_ASSERT_STRING_EQUAL(proto_removal_name(PROTO_REMOVAL_PRESCRIPTIVE), "prescriptive");
	proto_tag_from_u64(tag, 0x0102);
	CU_ASSERT_EQUAL(tag[15], 0x02);
	CU_ASSERT_EQUAL(tag[14], 0x01);
	CU_ASSERT_FALSE(proto_tag_is_zero(tag));
	CU_ASSERT_TRUE(proto_tag_is_zero(zero));
	CU_ASSERT_FALSE(proto_tag_equal(tag, zero));
	CU_ASSERT_EQUAL(proto_payload_records(2048), 15);
	CU_ASSERT_EQUAL(proto_payload_extents(2048), 50);
	CU_ASSERT_EQUAL(proto_payload_ranges(2048), 85);
	CU_ASSERT_EQUAL(proto_payload_fm_extents(4096), 101);
	CU_ASSERT_EQUAL(proto_payload_records(16), 0);
	CU_ASSERT_EQUAL(sizeof(struct proto_record), 64);
}

static void test_latency_table(void)
{
	struct latency_params p;
	const struct latency_param_info *t;
	size_t n;
	uint64_t v;
	GError *error = NULL;

	latency_params_init(&p);
	t = latency_param_table(&n);
	CU_ASSERT_EQUAL(n, sizeof(p) / sizeof(uint64_t));
	for (size_t i = 0; i < n; i++) {
		CU_ASSERT_TRUE(latency_params_get(&p, t[i].name, &v, NULL));
		CU_ASSERT_EQUAL(v, t[i].default_value);
		CU_ASSERT_PTR_NOT_NULL(t[i].unit);
		CU_ASSERT_TRUE(strlen(t[i].description) > 10);
	}
	CU_ASSERT_TRUE(latency_params_set(&p, "irq_delivery", 7, NULL));
	CU_ASSERT_EQUAL(p.irq_delivery, 7);
	CU_ASSERT_FALSE(latency_params_set(&p, "irq", 7, &error));
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "'irq'"));
	g_clear_error(&error);
	CU_ASSERT_PTR_NULL(latency_param_find("nope"));
	CU_ASSERT_EQUAL(latency_param_find("sanitize_per_gib")->offset,
			offsetof(struct latency_params, sanitize_per_gib));
	CU_ASSERT_EQUAL(latency_per_gib(1000, GIB), 1000);
	CU_ASSERT_EQUAL(latency_per_gib(1000, GIB / 2), 500);
	CU_ASSERT_EQUAL(latency_per_gib(3, 1), 1);
	CU_ASSERT_EQUAL(latency_per_gib(0, GIB), 0);
	CU_ASSERT_EQUAL(latency_per_gib(UINT64_MAX / 2, 4 * GIB), UINT64_MAX);
	CU_ASSERT_EQUAL(latency_per_gib(UINT64_C(1) << 40, GIB + GIB / 2),
			(UINT64_C(1) << 40) + (UINT64_C(1) << 39));
	p.mbox_cmd_base = 10;
	p.mbox_per_extent = 3;
	CU_ASSERT_EQUAL(latency_mbox(&p, 4), 22);
	p.mbox_per_extent = UINT64_MAX;
	CU_ASSERT_EQUAL(latency_mbox(&p, 2), UINT64_MAX);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "config rules", test_config_rules },
		{ "profile defaults", test_profile_defaults },
		{ "get dc config", test_get_dc_config },
		{ "free add chain and accept", test_free_add_chain_and_accept },
		{ "contiguous and free refusals", test_contiguous_and_free_refusals },
		{ "prescriptive refusals", test_prescriptive_refusals },
		{ "command envelope", test_command_envelope },
		{ "response subset and reject", test_response_subset_and_reject },
		{ "response refusals and more", test_response_refusals_and_more },
		{ "release dc", test_release_dc },
		{ "release prescriptive", test_release_prescriptive },
		{ "release tag based", test_release_tag_based },
		{ "forced release accepted", test_forced_release_accepted },
		{ "forced release pending group", test_forced_release_pending_group },
		{ "sanitize delay", test_sanitize_delay },
		{ "log spec retry", test_log_spec_retry },
		{ "log full release", test_log_full_release },
		{ "log get more", test_log_get_more },
		{ "log qemu drops", test_log_qemu_drops },
		{ "log qemu drop keeps the next", test_log_qemu_drop_keeps_next },
		{ "interrupt and mailbox timing", test_interrupt_and_mailbox_timing },
		{ "extent list spec", test_extent_list_spec },
		{ "extent list qemu", test_extent_list_qemu },
		{ "qemu profile", test_qemu_profile },
		{ "spec answers by dpa", test_spec_answers_by_dpa },
		{ "region config", test_region_config },
		{ "mailbox overlap fails run", test_mailbox_overlap_fails_run },
		{ "proto vocabulary", test_proto_vocabulary },
		{ "latency table", test_latency_table },
		{ NULL, NULL },
	};

	return unit_run("dcd", tests);
}
