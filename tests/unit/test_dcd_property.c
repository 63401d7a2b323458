/* The device under random operations: 10^5 steps on 4 devices (two spec,
 * two qemu) x 3 hosts with a fixed seed.  A step is one operation (an FM
 * add of any policy, an answer with a random subset, a host release of
 * parts or supersets of extents, an FM release, forced or not, by range or
 * tag, a configuration or extent list query, a host starting or stopping
 * to drain its logs) followed by a random slice of simulated time, so
 * commands overlap across steps.  After every step, and at every change a
 * device announces, the invariants of the issue hold:
 *   - blocks per region conserved, no block assigned twice, extents and
 *     tags within limits, logs within capacity (dcd_check_invariants);
 *   - under spec the extent list generation number moves exactly when a
 *     host's extent list changes; under qemu it never moves.
 * A second, shorter run twice with one seed checks determinism. */
#include <stdio.h>
#include <string.h>

#include "dcd_fake.h"
#include "models/dcd.h"
#include "sim/rng.h"
#include "unit.h"

#define NDEV 4
#define NHOST 3
#define MIB (UINT64_C(1) << 20)
#define BS (2 * MIB)
#define RLEN (256 * MIB)
#define US UINT64_C(1000)

struct world {
	struct sim *k;
	struct dcd *dev[NDEV];
	struct fake_fm fm[NDEV];
	unsigned fm_sent[NDEV];
	struct fake_host host[NHOST];
	struct sim_rng rng;
	uint64_t request;
	uint64_t fp[NDEV][NHOST];
	uint32_t gen[NDEV][NHOST];
	uint64_t list_changes;
	bool broken;
	char problem[256];
};

static uint64_t below(struct world *w, uint64_t n)
{
	return sim_rng_below(&w->rng, n);
}

static bool chance(struct world *w, unsigned percent)
{
	return below(w, 100) < percent;
}

static int fp_visit(const struct extent_entry *e, void *data)
{
	uint64_t *h = data;
	uint64_t words[3] = { e->start, e->len, e->attr.seq };

	for (size_t i = 0; i < 3; i++)
		*h = (*h ^ words[i]) * UINT64_C(0x100000001b3);
	for (size_t i = 0; i < PROTO_TAG_SIZE; i++)
		*h = (*h ^ e->attr.tag[i]) * UINT64_C(0x100000001b3);
	return 0;
}

static uint64_t list_fingerprint(const struct dcd *dev, unsigned host)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	dcd_host_extents_foreach(dev, host, fp_visit, &h);
	return h;
}

static void fail(struct world *w, const char *what)
{
	if (!w->broken)
		snprintf(w->problem, sizeof(w->problem), "t=%" G_GUINT64_FORMAT ": %s",
			 sim_now(w->k), what);
	w->broken = true;
}

/* The generation rule, for every host of DEV. */
static void check_generations(struct world *w, unsigned d)
{
	const struct dcd *dev = w->dev[d];
	bool spec = dcd_get_config(dev)->profile == DCD_PROFILE_SPEC;

	for (unsigned h = 0; h < NHOST; h++) {
		struct dcd_host_stats s;
		uint64_t fp = list_fingerprint(dev, h);

		dcd_get_host_stats(dev, h, &s);
		if (fp != w->fp[d][h]) {
			w->list_changes++;
			if (spec && s.generation != w->gen[d][h] + 1)
				fail(w, "the list changed, the generation did not move by one");
		} else if (s.generation != w->gen[d][h]) {
			fail(w, "the generation moved, the list did not change");
		}
		if (!spec && s.generation != 0)
			fail(w, "a qemu generation moved");
		w->fp[d][h] = fp;
		w->gen[d][h] = s.generation;
	}
}

static void on_note(const struct dcd *dev, const struct dcd_note *note, void *data)
{
	struct world *w = data;

	if (note->kind == DCD_NOTE_USAGE)
		check_generations(w, dcd_get_id(dev));
}

static void check_step(struct world *w)
{
	for (unsigned d = 0; d < NDEV && !w->broken; d++) {
		GError *error = NULL;

		if (!dcd_check_invariants(w->dev[d], &error)) {
			fail(w, error->message);
			g_error_free(error);
		}
		check_generations(w, d);
	}
}

static void world_init(struct world *w, uint64_t seed)
{
	memset(w, 0, sizeof(*w));
	w->k = sim_new(seed);
	sim_rng_init(&w->rng, seed, "property");
	for (unsigned d = 0; d < NDEV; d++) {
		struct dcd_config cfg;

		dcd_config_init(&cfg, d < 2 ? DCD_PROFILE_SPEC : DCD_PROFILE_QEMU);
		g_assert(dcd_config_set_uniform_regions(&cfg, 0, 2 * RLEN, 2, BS, NULL));
		cfg.nhosts = NHOST;
		cfg.max_extents = 48;
		cfg.max_tags = 4;
		cfg.log_capacity = d < 2 ? 12 : 8;
		cfg.alloc_policy = d == 1 ? EXTENT_ALLOC_RANDOM : EXTENT_ALLOC_BEST_FIT;
		cfg.regions[1].sanitize_on_release = d % 2 == 0;
		cfg.latency.sanitize_per_gib = 20 * US * 1000;	/* 20 ms */
		w->dev[d] = dcd_new(w->k, d, &cfg, NULL);
		g_assert(w->dev[d]);
		dcd_set_observer(w->dev[d], on_note, w);
		fake_fm_init(&w->fm[d], w->k, w->dev[d]);
		for (unsigned h = 0; h < NHOST; h++)
			w->fp[d][h] = list_fingerprint(w->dev[d], h);
	}
	for (unsigned h = 0; h < NHOST; h++) {
		fake_host_init(&w->host[h], w->k, h);
		w->host[h].drain = true;
		for (unsigned d = 0; d < NDEV; d++)
			fake_host_attach(&w->host[h], w->dev[d]);
	}
	w->request = 1;
}

static void world_fini(struct world *w)
{
	for (unsigned h = 0; h < NHOST; h++)
		fake_host_clear(&w->host[h]);
	for (unsigned d = 0; d < NDEV; d++) {
		fake_fm_clear(&w->fm[d]);
		dcd_free(w->dev[d]);
	}
	sim_free(w->k);
}

/* ---- picking ranges ---------------------------------------------------- */

struct pick {
	struct world *w;
	int host;			/* -1: free entries */
	bool pending;			/* pending entries of HOST instead */
	GArray *out;			/* struct extent_entry */
};

static int pick_visit(const struct extent_entry *e, void *data)
{
	struct pick *p = data;
	bool want = p->host < 0 ? e->attr.state == EXTENT_FREE
		    : p->pending ? e->attr.state == EXTENT_PENDING && e->attr.host == p->host
				 : (e->attr.state == EXTENT_ACCEPTED ||
				    e->attr.state == EXTENT_RELEASING) &&
					   e->attr.host == p->host;

	if (want)
		g_array_append_val(p->out, *e);
	return 0;
}

static GArray *entries_new(void)
{
	return g_array_new(FALSE, FALSE, sizeof(struct extent_entry));
}

static const struct extent_entry *entry_at(const GArray *entries, guint i)
{
	return &g_array_index(entries, struct extent_entry, i);
}

/* Entries of device D (both regions) that P selects, into P->out. */
static void collect(struct world *w, unsigned d, struct pick *p)
{
	for (unsigned r = 0; r < 2; r++) {
		const struct extent_map *map = dcd_region_map(w->dev[d], r);
		uint64_t pos = extent_map_get_base(map);
		uint64_t end = pos + extent_map_get_length(map);
		struct extent_entry e;

		while (pos < end && extent_map_lookup(map, pos, &e)) {
			pick_visit(&e, p);
			pos = e.start + e.len;
		}
	}
}

/* A block-aligned piece of E: whole, or a random part. */
static struct proto_range piece(struct world *w, const struct extent_entry *e)
{
	uint64_t blocks = e->len / BS, first, n;

	if (chance(w, 50))
		return (struct proto_range){ e->start, e->len };
	first = below(w, blocks);
	n = 1 + below(w, blocks - first);
	return (struct proto_range){ e->start + first * BS, n * BS };
}

/* Now and then a range that is wrong in some way. */
static struct proto_range garbage(struct world *w)
{
	uint64_t start = below(w, 3 * RLEN / MIB) * MIB;

	return (struct proto_range){ start, (1 + below(w, 4)) * MIB };
}

/* ---- operations -------------------------------------------------------- */

static void fm_send(struct world *w, unsigned d, struct proto_fm_cmd *cmd,
		    const struct proto_extent *ext, size_t n)
{
	cmd->sim.request = w->request++;
	fake_fm_send(&w->fm[d], cmd, ext, n);
	w->fm_sent[d]++;
}

static bool fm_idle(struct world *w, unsigned d)
{
	return w->fm_sent[d] == w->fm[d].dones->len;
}

static void op_add(struct world *w, unsigned d, unsigned h)
{
	struct proto_fm_cmd cmd = { .opcode = PROTO_OP_INITIATE_DC_ADD, .host = (uint16_t)h };
	struct proto_extent ext[3];
	size_t n = 0;
	uint64_t tag = chance(w, 60) ? 0 : 1 + below(w, 6);
	bool spec = dcd_get_config(w->dev[d])->profile == DCD_PROFILE_SPEC;

	cmd.region = (uint8_t)below(w, 2);
	proto_tag_from_u64(cmd.tag, tag);
	/* qemu refuses Free and Contiguous: now and then ask all the same */
	if (chance(w, spec ? 40 : 2)) {
		cmd.policy = chance(w, 50) ? PROTO_SELECT_FREE : PROTO_SELECT_CONTIGUOUS;
		cmd.length = (1 + below(w, 8)) * BS;
	} else {
		struct pick p = { .w = w, .host = -1, .out = entries_new() };

		cmd.policy = PROTO_SELECT_PRESCRIPTIVE;
		collect(w, d, &p);
		for (size_t want = 1 + below(w, 3); n < want && p.out->len; n++) {
			const struct extent_entry *e = entry_at(p.out, (guint)below(w, p.out->len));
			struct proto_range r = chance(w, 90) ? piece(w, e) : garbage(w);

			ext[n] = (struct proto_extent){ .start = r.start };
			ext[n].len = MIN(r.len, 4 * BS);
			memcpy(ext[n].tag, cmd.tag, PROTO_TAG_SIZE);
			cmd.region = (uint8_t)(ext[0].start >= RLEN);
		}
		g_array_unref(p.out);
	}
	fm_send(w, d, &cmd, ext, n);
}

static void op_answer(struct world *w, unsigned d, unsigned h)
{
	struct fake_link *l = &w->host[h].links[d];
	bool qemu = dcd_get_config(w->dev[d])->profile == DCD_PROFILE_QEMU;
	struct proto_mbox_cmd cmd = { .opcode = PROTO_OP_ADD_DC_RESPONSE };
	struct proto_range r[4];
	size_t n = 0;
	guint which;
	GArray *offer;

	if (l->offers->len == 0) {
		/* offers the host never saw whole (dropped records, dead
		 * chains) block the device's queue: an empty answer rejects
		 * the oldest */
		if (chance(w, 50))
			fake_host_send(&w->host[h], d, &cmd, NULL, 0);
		return;
	}
	which = qemu || chance(w, 70) ? 0 : (guint)below(w, l->offers->len);
	offer = g_ptr_array_index(l->offers, which);
	for (guint i = 0; i < offer->len && n < 4; i++) {
		const struct proto_extent *x = &g_array_index(offer, struct proto_extent, i);
		struct extent_entry e = { .start = x->start, .len = x->len };

		if (x->len && chance(w, 60))
			r[n++] = piece(w, &e);
	}
	if (chance(w, 5))
		r[n++ % 4] = garbage(w);
	if (chance(w, 15) && n) {
		/* More: this answer covers part; the rest of the offer stays */
		cmd.flags = PROTO_RESPONSE_MORE;
		for (size_t i = 0; i < n; i++)
			for (guint j = 0; j < offer->len; j++) {
				struct proto_extent *x;

				x = &g_array_index(offer, struct proto_extent, j);
				if (r[i].start >= x->start && r[i].start < x->start + x->len)
					x->len = 0;	/* answered: not offered again */
			}
	} else {
		g_ptr_array_remove_index(l->offers, which);
	}
	fake_host_send(&w->host[h], d, &cmd, r, n);
}

static void op_host_release(struct world *w, unsigned d, unsigned h)
{
	struct pick p = { .w = w, .host = (int)h, .out = entries_new() };
	struct proto_mbox_cmd cmd = { .opcode = PROTO_OP_RELEASE_DC };
	struct proto_range r[2];
	size_t n = 0;

	collect(w, d, &p);
	if (p.out->len) {
		guint i = (guint)below(w, p.out->len);
		const struct extent_entry *e = entry_at(p.out, i);

		r[n++] = piece(w, e);
		/* a superset over the next extent when it is adjacent */
		if (i + 1 < p.out->len && chance(w, 30)) {
			const struct extent_entry *next = entry_at(p.out, i + 1);

			if (next->start == e->start + e->len)
				r[0] = (struct proto_range){ e->start, e->len + next->len };
		}
	}
	if (chance(w, 5) || n == 0)
		r[n++] = garbage(w);
	g_array_unref(p.out);
	fake_host_send(&w->host[h], d, &cmd, r, n);
}

static void op_fm_release(struct world *w, unsigned d, unsigned h)
{
	bool forced = chance(w, 30);
	bool spec = dcd_get_config(w->dev[d])->profile == DCD_PROFILE_SPEC;
	struct proto_fm_cmd cmd = { .opcode = PROTO_OP_INITIATE_DC_RELEASE, .host = (uint16_t)h };
	struct pick p = {
		.w = w, .host = (int)h, .pending = forced && chance(w, 40), .out = entries_new(),
	};
	struct proto_extent ext[3];
	size_t n = 0;

	cmd.policy = (forced ? PROTO_RELEASE_FORCED : 0) |
		     (chance(w, 20) ? PROTO_RELEASE_SANITIZE : 0);
	collect(w, d, &p);
	if (chance(w, spec ? 25 : 2)) {
		cmd.policy |= PROTO_REMOVAL_TAG;
		cmd.region = (uint8_t)below(w, 2);
		proto_tag_from_u64(cmd.tag, below(w, 7));
	} else {
		cmd.policy |= PROTO_REMOVAL_PRESCRIPTIVE;
		for (size_t want = 1 + below(w, 3); n < want && p.out->len; n++) {
			guint i = (guint)below(w, p.out->len);
			struct proto_range r = piece(w, entry_at(p.out, i));

			g_array_remove_index(p.out, i);		/* no overlaps, mostly */
			ext[n] = (struct proto_extent){ .start = r.start, .len = r.len };
		}
		if (n == 0 || chance(w, 5)) {
			struct proto_range r = garbage(w);

			n = MIN(n + 1, 3);
			ext[n - 1] = (struct proto_extent){ .start = r.start, .len = r.len };
		}
		cmd.region = (uint8_t)(ext[0].start >= RLEN);
	}
	g_array_unref(p.out);
	fm_send(w, d, &cmd, ext, n);
}

static void op_query(struct world *w, unsigned d, unsigned h)
{
	struct proto_mbox_cmd cmd = {
		.opcode = chance(w, 50) ? PROTO_OP_GET_DC_CONFIG : PROTO_OP_GET_DC_EXTENT_LIST,
		.start = (uint32_t)below(w, 8),
		.count = (uint32_t)below(w, 64),
	};

	fake_host_send(&w->host[h], d, &cmd, NULL, 0);
}

static void op_drain_toggle(struct world *w, unsigned h)
{
	struct fake_host *host = &w->host[h];

	host->drain = !host->drain;
	if (!host->drain)
		return;
	for (unsigned d = 0; d < NDEV; d++) {
		struct proto_mbox_cmd cmd = { .opcode = PROTO_OP_GET_EVENT_RECORDS };

		fake_host_send(host, d, &cmd, NULL, 0);
	}
}

static void step(struct world *w)
{
	unsigned d = (unsigned)below(w, NDEV), h = (unsigned)below(w, NHOST);
	uint64_t op = below(w, 100);

	if (op < 28) {
		if (fm_idle(w, d))
			op_add(w, d, h);
	} else if (op < 58) {
		op_answer(w, d, h);
	} else if (op < 78) {
		op_host_release(w, d, h);
	} else if (op < 90) {
		if (fm_idle(w, d))
			op_fm_release(w, d, h);
	} else if (op < 97) {
		op_query(w, d, h);
	} else {
		op_drain_toggle(w, h);
	}
	sim_run(w->k, sim_now(w->k) + below(w, 300 * US), 0, NULL);
	check_step(w);
}

struct tally {
	uint64_t rc[256];
	uint64_t records, overflow;
};

static void tally(struct world *w, struct tally *t)
{
	memset(t, 0, sizeof(*t));
	for (unsigned d = 0; d < NDEV; d++) {
		struct dcd_stats s;

		for (guint i = 0; i < w->fm[d].dones->len; i++)
			t->rc[g_array_index(w->fm[d].dones, struct proto_fm_done, i).rc]++;
		dcd_get_stats(w->dev[d], &s);
		t->records += s.records_posted;
		t->overflow += s.records_dropped;
	}
	for (unsigned h = 0; h < NHOST; h++)
		for (unsigned d = 0; d < NDEV; d++) {
			const GArray *dones = w->host[h].links[d].dones;

			for (guint i = 0; i < dones->len; i++)
				t->rc[g_array_index(dones, struct proto_mbox_done, i).rc]++;
		}
}

static uint64_t run_world(uint64_t seed, unsigned steps, struct tally *t, uint64_t *changes)
{
	struct world w;
	uint64_t print = UINT64_C(0xcbf29ce484222325);
	GError *error = NULL;

	world_init(&w, seed);
	for (unsigned i = 0; i < steps && !w.broken; i++)
		step(&w);
	if (!sim_run(w.k, SIM_TIME_NEVER, 0, &error)) {
		fail(&w, error->message);
		g_error_free(error);
	}
	check_step(&w);
	if (w.broken)
		fprintf(stderr, "property broken: %s\n", w.problem);
	CU_ASSERT_FALSE(w.broken);
	tally(&w, t);
	*changes = w.list_changes;
	for (unsigned d = 0; d < NDEV; d++)
		for (unsigned h = 0; h < NHOST; h++)
			print = (print ^ list_fingerprint(w.dev[d], h)) * UINT64_C(0x100000001b3);
	print ^= sim_now(w.k) ^ sim_events_fired(w.k);
	world_fini(&w);
	return print;
}

static void test_random_operations(void)
{
	struct tally t;
	uint64_t changes;
	static const int codes[] = {
		PROTO_RC_SUCCESS, PROTO_RC_INVALID_INPUT, PROTO_RC_UNSUPPORTED,
		PROTO_RC_RETRY_REQUIRED, PROTO_RC_INVALID_PA, PROTO_RC_RESOURCES_EXHAUSTED,
		PROTO_RC_INVALID_EXTENT_LIST,
	};

	run_world(20240324, 100000, &t, &changes);
	printf("\n  list changes %" G_GUINT64_FORMAT ", records %" G_GUINT64_FORMAT
	       ", dropped %" G_GUINT64_FORMAT ";", changes, t.records, t.overflow);
	for (size_t i = 0; i < G_N_ELEMENTS(codes); i++) {
		printf(" %s %" G_GUINT64_FORMAT ",", proto_rc_name((enum proto_rc)codes[i]),
		       t.rc[codes[i]]);
		/* every path the operations can take was taken */
		CU_ASSERT_TRUE(t.rc[codes[i]] > 0);
	}
	printf("\n");
	CU_ASSERT_TRUE(changes > 1000);
	CU_ASSERT_TRUE(t.overflow > 0);
}

static void test_same_seed_same_run(void)
{
	struct tally a, b;
	uint64_t ca, cb;

	CU_ASSERT_EQUAL(run_world(7, 10000, &a, &ca), run_world(7, 10000, &b, &cb));
	CU_ASSERT_EQUAL(ca, cb);
	CU_ASSERT_EQUAL(memcmp(&a, &b, sizeof(a)), 0);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "random operations", test_random_operations },
		{ "same seed same run", test_same_seed_same_run },
		{ NULL, NULL },
	};

	return unit_run("dcd_property", tests);
}
