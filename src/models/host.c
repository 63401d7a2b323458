/* The host driver entity: region extents, the interrupt thread, the add,
 * release and forced release flows, and the applications' use.
 *
 * The interrupt thread runs jobs one at a time (a drain of one device's
 * log, a deferred release, a chain timeout, a region teardown); a job is a
 * sequence of ops, each a delay of host time or a mailbox command that
 * waits for its completion.  An op's completion may queue more ops, which
 * run before the job goes on: that is how handling one record (say, a
 * closing Add Capacity record) realizes extents and answers before the
 * next record is looked at.  Everything the thread refers to later (region
 * extents, requests) is named by id, so a region extent freed meanwhile is
 * simply not found. */
#include "models/host.h"

#include <inttypes.h>
#include <string.h>

#include "sim/table.h"
#include "sim/vec.h"

struct piece {
	bool present;
	bool half;		/* counted as a half-built interleave */
	bool ignored;		/* counted as an ignored release */
	uint64_t start, len;	/* DPA */
};

struct hreq;
struct rext;

/* Region extents: a request's, the victims of a release, the timers to
 * arm.  A plain array (see sim/vec.h). */
struct rext_buf {
	struct rext **v;
	guint len, cap;
};

/* A region extent: one piece per position.  What most events touch comes
 * first, in one cache line: an event finds the host's memory cold. */
struct rext {
	uint64_t id;
	struct hreq *req;
	enum host_extent_state state;
	bool stale;		/* forced away, kept (HOST_FORCED_IGNORE) */
	bool deferred;		/* release it once not in use */
	bool ever_online;
	bool assembling;	/* in host.assembling */
	unsigned npresent;
	uint64_t timer;		/* assembly timeout */
	uint64_t in_use;
	uint64_t hpa_len;
	uint64_t offset, len;	/* of each piece in its decoder */
	uint64_t hpa;
	uint8_t tag[PROTO_TAG_SIZE];
	/* HPA offsets (from HPA) already counted lost, sorted, disjoint;
	 * the array outlives the region extent (see rext_new) */
	struct extent_range *lost;
	guint nlost, lost_cap;
	/* the region extents assembling at the same offset, oldest first;
	 * NEXT also links the spare region extents */
	struct rext *same_offset_prev, *same_offset_next;
	struct piece pieces[];	/* one per position (host.rext_size) */
};

/* What the host knows of one FM request (by the pass-through id). */
struct hreq {
	uint64_t id;
	struct rext_buf rexts;	/* live */
	struct hreq *next_spare;
	unsigned chains_closed;
	unsigned waiting;	/* region extents realizing or assembling */
	bool decided;		/* a chain of it closed */
	bool gave_up;		/* some piece will never be complete */
	bool settled;
	bool listed;		/* in host.reqs (else a spare) */
	unsigned irq_device;	/* whose interrupt t_irq is */
	uint64_t online_bytes;
	uint64_t t_irq, t_read, t_decided_first, t_decided_last, t_realized, t_responded;
};

/* A piece in the index: the DPA it spans, copied there so that a query
 * that finds no overlap never touches a region extent (cold, a cache
 * miss).  A hole (REXT NULL) is a removed piece's entry, kept with its
 * START (END = START) until a piece next to it takes its place. */
struct piece_entry {
	uint64_t start, end;
	struct rext *rext;
};

/* The pieces of one link by DPA start, a sorted plain array with holes.  A
 * link holds a few hundred pieces at most: a sorted array costs less than
 * a tree's node allocation and pointer chasing.  A removal leaves a hole
 * rather than moving the tail, and an insert next to a hole takes it: the
 * device mostly hands out again the DPA it took back, so most inserts and
 * removals move nothing.  Walks skip the holes; they are squeezed out once
 * they are half the entries. */
struct piece_index {
	struct piece_entry *v;
	guint len, cap;
	guint holes;
};

/* Plain arrays, LEN used of CAP, for what the host fills and empties on
 * nearly every op: GArray's calls there cost more than the host's own
 * bookkeeping.  sim_vec_reserve() grows them. */
struct extent_buf {
	struct proto_extent *v;
	guint len, cap;
};

struct id_buf {
	uint64_t *v;
	guint len, cap;
};

struct record_buf {
	struct proto_record *v;
	guint len, cap;
};

struct host_link {
	struct host *h;
	unsigned position;
	bool connected;
	struct proto_mbox_port mbox;
	struct piece_index pieces;
	struct extent_buf chain;	/* the open add chain */
	struct id_buf chain_reqs;	/* the request of each chain extent */
	uint64_t chain_deadline;	/* its first record read + the chain timeout */
	/* With a chain timeout: the deadlines of the broken chains (records
	 * were dropped after them), oldest first, each owed an empty answer;
	 * the offers skipped since the device last took an answer, and how
	 * many refusals are still to come for offers a resync skipped. */
	GArray *broken;		/* uint64_t */
	unsigned skipped;
	unsigned victims;
	uint64_t chain_seq;	/* moves whenever the chain timer is set again */
	uint64_t chain_timer;	/* the oldest unanswered chain's timeout */
	uint16_t overflow_seen;	/* records dropped, as the last whole read reported */
	bool drain_queued;
	uint64_t block_size;	/* of the region as last read; 0: unknown */
};

enum job_kind {
	JOB_DRAIN,		/* POSITION's event log */
	JOB_RELEASE,		/* region extent ARG (REXT): give it back */
	JOB_CHAIN_TIMEOUT,	/* POSITION's chain number ARG */
	JOB_DESTROY,		/* the region */
	JOB_GIVE_BACK,		/* POSITION's range [ARG, ARG + LEN), for the policy */
};

enum drain_state { DRAIN_GET, DRAIN_GOT, DRAIN_HANDLE, DRAIN_CLEARED };

struct job {
	enum job_kind kind;
	unsigned position;
	uint64_t arg;
	struct rext *rext;
	uint64_t len;
	uint64_t t_queued;
	enum drain_state state;
	guint index;
};

enum op_kind { OP_DELAY, OP_MBOX };

enum op_then {
	THEN_NONE,
	THEN_GET,
	THEN_CLEAR,
	THEN_RECORD,		/* ARG: index in the batch */
	THEN_REALIZED,		/* ARG (REXT): region extent */
	THEN_RESPONSE,		/* ARG: first response item of this command */
	THEN_RELEASED,		/* ARG (REXT): region extent, POSITION: its piece */
	THEN_CONFIG,
};

/* One cache line: op_start copies it whole. */
struct host_op {
	enum op_kind kind;
	enum op_then then;
	unsigned position;
	guint ranges_at;	/* in host.op_ranges, cmd.nranges of them */
	union {
		uint64_t delay;			/* OP_DELAY */
		struct proto_mbox_cmd cmd;	/* OP_MBOX */
	};
	uint64_t arg;
	struct rext *rext;	/* that ARG names (rext_named) */
};

G_STATIC_ASSERT(sizeof(struct host_op) <= 64);

/* The ops queued, FIFO from HEAD, and (range_buf) the ranges of their
 * commands, emptied whenever the queue runs dry, which is after nearly
 * every op. */
struct op_queue {
	struct host_op *ops;
	guint head, len, cap;
};

struct range_buf {
	struct proto_range *v;
	guint len, cap;
};

/* The jobs queued, FIFO from HEAD. */
struct job_queue {
	struct job *v;
	guint head, len, cap;
};

/* One accepted extent of the response being sent. */
struct resp_item {
	/* 1-way: the region extent realized for it (rext_named) */
	struct rext *rext;
	uint64_t rext_id;
	struct hreq *req;	/* that REQUEST named (req_named) */
	uint64_t request;
	struct proto_extent ext;
};

/* A request of the chain being answered (req_named). */
struct req_ref {
	struct hreq *req;
	uint64_t id;
};

struct req_ref_buf {
	struct req_ref *v;
	guint len, cap;
};

struct resp_buf {
	struct resp_item *v;
	guint len, cap;
};

/* The interrupt thread's state first, the configuration and the links
 * (large, mostly cold) last: an event finds the host's memory cold, and
 * the fewer lines it touches the better. */
struct host {
	struct sim *k;
	unsigned id;
	bool busy;
	bool job_active;
	bool destroyed;
	struct host_op inflight;
	struct op_queue ops_q;
	struct range_buf op_ranges;
	struct job_queue jobs;
	struct job job;
	const struct host_policy_ops *ops;
	void *policy_data;
	struct interleave_set *set;
	uint64_t region_size;
	bool tenant_connected;
	struct host_tenant_port tenant;
	host_observer_fn observer;
	void *observer_data;
	/* id_key(id) -> struct rext, owned.  A GHashTable for its iteration
	 * order: expand_groups and destroy_region release in that order. */
	GHashTable *rexts;
	struct sim_table reqs;	/* id -> struct hreq, owned */
	/* N-way region extents waiting for pieces: offset -> the oldest of
	 * those at that offset (a piece joins the oldest that fits) */
	struct sim_table assembling;
	/* Freed requests and region extents, kept for reuse: most requests
	 * come and go whole, and malloc, free and a new pointer array each
	 * time cost more than the host's own work on them. */
	struct hreq *spare_reqs;
	struct rext *spare_rexts;
	size_t rext_size;	/* with its cfg.ways pieces */
	struct rext_buf unarmed;	/* assembling, no timer yet */
	uint64_t next_rext;
	struct record_buf incoming;	/* of the command in flight */
	GArray *incoming_regions;	/* struct proto_region */
	struct record_buf batch;	/* being handled */
	bool batch_dropped;	/* records were dropped after the batch */
	uint64_t batch_t_read;
	uint64_t drain_t_irq;
	struct resp_buf resp;	/* of the response being sent */
	struct req_ref_buf resp_reqs;	/* requests of the chain being answered */
	bool *accept;		/* scratch for decide_chain, ACCEPT_CAP of them */
	guint accept_cap;
	struct rext_buf victims;	/* scratch */
	struct host_stats stats;
	struct host_config cfg;
	struct host_link links[INTERLEAVE_MAX_WAYS];
};

G_DEFINE_QUARK(dcdsim-host-error-quark, host_error)

static const char *const state_names[] = { "realizing", "assembling", "online", "releasing" };

G_STATIC_ASSERT(sizeof(struct host_use_msg) <= SIM_PAYLOAD_MAX);
G_STATIC_ASSERT(sizeof(struct host_capacity_msg) <= SIM_PAYLOAD_MAX);

const char *host_extent_state_name(enum host_extent_state state)
{
	return (unsigned)state < G_N_ELEMENTS(state_names) ? state_names[state] : "unknown";
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t mul_sat(uint64_t a, uint64_t b)
{
	return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

/* ---- configuration ---------------------------------------------------- */

static bool config_fail(GError **error, const struct host_config *cfg, const char *format, ...)
	G_GNUC_PRINTF(3, 4);

static bool config_fail(GError **error, const struct host_config *cfg, const char *format, ...)
{
	g_autofree char *rule = NULL;
	va_list ap;

	va_start(ap, format);
	rule = g_strdup_vprintf(format, ap);
	va_end(ap);
	g_set_error(error, HOST_ERROR, HOST_ERROR_CONFIG, "host '%s': %s", cfg->name, rule);
	return false;
}

bool host_config_validate(const struct host_config *cfg, GError **error)
{
	const struct host_policy_ops *ops;
	uint64_t len;

	g_return_val_if_fail(cfg != NULL, false);
	ops = cfg->policy_ops ? cfg->policy_ops : host_policy_find(cfg->policy);
	if (!ops)
		return config_fail(error, cfg, "unknown policy '%s' (known: %s)", cfg->policy,
				   host_policy_names());
	if (!interleave_ways_valid(cfg->ways))
		return config_fail(error, cfg, "interleave ways must be 1, 2, 3, 4, 6, 8, 12 or 16, got %u",
				   cfg->ways);
	if (!interleave_granularity_valid(cfg->granularity))
		return config_fail(error, cfg, "interleave granularity must be a power of two "
				   "from 256 B to 16 KiB, got %" PRIu64, cfg->granularity);
	if (!ops->check(cfg, error))
		return false;
	len = cfg->decoders[0].dpa_len;
	for (unsigned p = 0; p < cfg->ways; p++) {
		const struct host_decoder *d = &cfg->decoders[p];

		if (d->dpa_len == 0 || d->dpa_len != len)
			return config_fail(error, cfg, "decoder %u must map as many DPA bytes as "
					   "decoder 0 (non-zero)", p);
		if (d->dpa_base > UINT64_MAX - d->dpa_len)
			return config_fail(error, cfg, "decoder %u wraps around the DPA space", p);
		if (cfg->ways > 1 && d->dpa_len % cfg->granularity)
			return config_fail(error, cfg, "decoder %u length is not a multiple of the "
					   "granularity", p);
		if (proto_payload_ranges(d->payload_size) == 0)
			return config_fail(error, cfg, "device %u payload holds no range", p);
	}
	if (len > UINT64_MAX / cfg->ways)
		return config_fail(error, cfg, "the region does not fit in 64-bit HPA");
	if (cfg->memory_block == 0 || (cfg->memory_block & (cfg->memory_block - 1)))
		return config_fail(error, cfg, "memory block size must be a power of two, got %" PRIu64,
				   cfg->memory_block);
	if (cfg->ways > 1 && cfg->assembly_timeout == 0)
		return config_fail(error, cfg, "an interleaved region needs an assembly timeout");
	return true;
}

/* ---- small helpers ------------------------------------------------------ */

static void rext_buf_add(struct rext_buf *b, struct rext *x)
{
	sim_vec_push(b) = x;
}

static bool rext_buf_has(const struct rext_buf *b, const struct rext *x)
{
	for (guint i = 0; i < b->len; i++)
		if (b->v[i] == x)
			return true;
	return false;
}

static int rext_id_cmp(const void *a, const void *b)
{
	const struct rext *x = *(struct rext *const *)a, *y = *(struct rext *const *)b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Sorts B's region extents from FROM on by id, the order they were made:
 * those taken from a walk of h->rexts, whose order is GLib's hash layout,
 * go on in an order that depends on nothing but the run. */
static void rext_buf_sort_from(struct rext_buf *b, guint from)
{
	if (b->len - from > 1)
		qsort(b->v + from, b->len - from, sizeof(*b->v), rext_id_cmp);
}

/* Removes X, the last one taking its place (as g_ptr_array_remove_fast:
 * on_use walks a request's region extents in this order). */
static void rext_buf_remove(struct rext_buf *b, const struct rext *x)
{
	for (guint i = 0; i < b->len; i++)
		if (b->v[i] == x) {
			b->v[i] = b->v[--b->len];
			return;
		}
}

/* h->rexts is keyed by 64-bit ids held in the key pointer itself: no key
 * to dereference, equality by pointer. */
G_STATIC_ASSERT(sizeof(gpointer) >= sizeof(uint64_t));

static gpointer id_key(uint64_t id)
{
	return (gpointer)(uintptr_t)id;
}

/* What g_int64_hash gives for the id: the table keeps the layout, hence
 * the iteration order (expand_groups, destroy_region), it had when keyed
 * by pointers to ids. */
static guint id_hash(gconstpointer key)
{
	uint64_t v = (uintptr_t)key;

	return (guint)(v ^ (v >> 32));
}

/* How many pieces of IX start below KEY.  Branch-free (the step compiles
 * to a conditional move): the keys searched for are unpredictable. */
static guint index_below(const struct piece_index *ix, uint64_t key)
{
	const struct piece_entry *base = ix->v;
	guint n = ix->len;

	if (n == 0)
		return 0;
	while (n > 1) {
		guint half = n / 2;

		base = base[half].start < key ? base + half : base;
		n -= half;
	}
	return (guint)(base - ix->v) + (base->start < key);
}

/* A piece starting where another does replaces it in the index (as a
 * map would); chain_close keeps that from happening. */
static void index_insert(struct piece_index *ix, uint64_t start, uint64_t len, struct rext *x)
{
	guint i = index_below(ix, start);

	if (i < ix->len && ix->v[i].start == start) {
		ix->holes -= !ix->v[i].rext;
	} else if (i > 0 && !ix->v[i - 1].rext) {
		i--;
		ix->holes--;
	} else if (i < ix->len && !ix->v[i].rext) {
		ix->holes--;
	} else {
		ix->v = sim_vec_reserve(ix->v, &ix->cap, ix->len + 1, sizeof(*ix->v));
		memmove(ix->v + i + 1, ix->v + i, (ix->len - i) * sizeof(*ix->v));
		ix->len++;
	}
	ix->v[i] = (struct piece_entry){ start, start + len, x };
}

static void index_squeeze(struct piece_index *ix)
{
	guint n = 0;

	for (guint i = 0; i < ix->len; i++)
		if (ix->v[i].rext)
			ix->v[n++] = ix->v[i];
	ix->len = n;
	ix->holes = 0;
}

static void index_remove(struct piece_index *ix, uint64_t start)
{
	guint i = index_below(ix, start);

	if (i == ix->len || ix->v[i].start != start || !ix->v[i].rext)
		return;
	ix->v[i] = (struct piece_entry){ start, start, NULL };
	ix->holes++;
	if (ix->holes > ix->len / 2)
		index_squeeze(ix);
}

/* How many entries of IX start below KEY, the holes just below left out:
 * the last piece starting below KEY, if any, is the entry before. */
static guint index_below_piece(const struct piece_index *ix, uint64_t key)
{
	guint i = index_below(ix, key);

	while (i && !ix->v[i - 1].rext)
		i--;
	return i;
}

static void report(struct host *h, struct host_report *r)
{
	r->host = h->id;
	r->ways = h->cfg.ways;
	if (h->observer)
		h->observer(r, h->observer_data);
}

static void stranded(struct host *h, enum metrics_stranded_cause cause, int64_t delta)
{
	struct host_report r = { .kind = HOST_REPORT_STRANDED, .cause = cause, .delta = delta };

	if (delta)
		report(h, &r);
}

static struct rext *rext_get(const struct host *h, uint64_t id)
{
	return g_hash_table_lookup(h->rexts, id_key(id));
}

/* What the thread does later names a region extent by id (one freed
 * meanwhile is simply not found) and, to find it without a lookup, by
 * pointer: that stays readable, since freed region extents are kept as
 * spares, with id 0, until the host goes.  X if it is still ID. */
static struct rext *rext_named(struct rext *x, uint64_t id)
{
	return x && x->id == id ? x : NULL;
}

static uint64_t realize_cost(const struct host *h, const struct rext *x)
{
	const struct latency_params *l = &h->cfg.latency;
	uint64_t blocks = x->hpa_len / h->cfg.memory_block + !!(x->hpa_len % h->cfg.memory_block);
	uint64_t t = latency_per_gib(l->host_cache_flush_per_gib, h->region_size);

	t = add_sat(t, l->host_extent_create);
	return add_sat(t, mul_sat(blocks, l->host_online_per_block));
}

static uint64_t flush_cost(const struct host *h)
{
	return latency_per_gib(h->cfg.latency.host_cache_flush_per_gib, h->region_size);
}

/* ---- the interrupt thread: jobs and ops --------------------------------- */

static void thread_run(struct host *h);

/* The job queued, valid until the next push. */
static struct job *job_push(struct host *h, enum job_kind kind, unsigned position, uint64_t arg)
{
	struct job_queue *q = &h->jobs;
	struct job *j;

	q->v = sim_vec_reserve(q->v, &q->cap, q->len + 1, sizeof(*q->v));
	j = &q->v[q->len++];
	*j = (struct job){ .kind = kind, .position = position, .arg = arg,
			   .t_queued = sim_now(h->k) };
	return j;
}

static bool job_pop(struct host *h, struct job *out)
{
	struct job_queue *q = &h->jobs;

	if (q->head == q->len)
		return false;
	*out = q->v[q->head++];
	if (q->head == q->len)
		q->head = q->len = 0;
	return true;
}

/* Room for one more op at the end of Q.  Growing is rare and out of line:
 * op_push, on nearly every op, then needs no registers saved. */
static G_GNUC_NO_INLINE void op_queue_grow(struct op_queue *q)
{
	q->ops = sim_vec_reserve(q->ops, &q->cap, q->len + 1, sizeof(*q->ops));
}

static void op_queue_reserve(struct op_queue *q)
{
	if (G_UNLIKELY(q->len == q->cap))
		op_queue_grow(q);
}

/* OP goes first: it runs next. */
static void op_queue_push_front(struct op_queue *q, const struct host_op *op)
{
	if (q->head == 0) {
		op_queue_reserve(q);
		memmove(q->ops + 1, q->ops, q->len * sizeof(*q->ops));
		q->head++;
		q->len++;
	}
	q->ops[--q->head] = *op;
}

/* N > 0 */
static void ranges_append(struct host *h, const struct proto_range *ranges, guint n)
{
	struct range_buf *b = &h->op_ranges;

	b->v = sim_vec_reserve(b->v, &b->cap, b->len + n, sizeof(*b->v));
	memcpy(b->v + b->len, ranges, n * sizeof(*ranges));
	b->len += n;
}

static struct host_op *op_push(struct host *h, enum op_kind kind, enum op_then then,
			       unsigned position, uint64_t arg)
{
	struct op_queue *q = &h->ops_q;
	struct host_op *op;

	op_queue_reserve(q);
	op = &q->ops[q->len++];
	/* the fields only the other kind uses (the delay, the command) keep
	 * what an earlier op left: nothing reads them */
	op->kind = kind;
	op->then = then;
	op->position = position;
	op->arg = arg;
	op->rext = NULL;
	return op;
}

static struct host_op *op_delay(struct host *h, uint64_t delay, enum op_then then,
				uint64_t arg)
{
	struct host_op *op = op_push(h, OP_DELAY, then, 0, arg);

	op->delay = delay;
	return op;
}

/* A mailbox command to POSITION with N ranges (copied); the caller may
 * fill more of the command, or append ranges, before the next op. */
static struct host_op *op_mbox(struct host *h, unsigned position, uint16_t opcode,
			       const struct proto_range *ranges, guint n, enum op_then then,
			       uint64_t arg)
{
	struct host_op *op = op_push(h, OP_MBOX, then, position, arg);

	op->cmd = (struct proto_mbox_cmd){ .opcode = opcode, .nranges = n };
	op->ranges_at = h->op_ranges.len;
	if (n)
		ranges_append(h, ranges, n);
	return op;
}

static void on_delay_done(struct sim *k, void *target, const void *payload);

static void op_start(struct host *h)
{
	struct host_op *op = &h->inflight;
	struct host_link *l;

	*op = h->ops_q.ops[h->ops_q.head++];
	h->busy = true;
	if (op->kind == OP_DELAY) {
		sim_schedule(h->k, op->delay, on_delay_done, h, NULL, 0);
	} else {
		l = &h->links[op->position];
		/* only the command that fills them empties them (see expecting) */
		if (op->cmd.opcode == PROTO_OP_GET_EVENT_RECORDS)
			h->incoming.len = 0;
		else if (op->cmd.opcode == PROTO_OP_GET_DC_CONFIG)
			g_array_set_size(h->incoming_regions, 0);
		proto_mbox_send(h->k, &l->mbox, &op->cmd, h->op_ranges.v + op->ranges_at,
				op->cmd.nranges);
	}
	if (h->ops_q.head == h->ops_q.len) {
		h->ops_q.head = h->ops_q.len = 0;
		h->op_ranges.len = 0;
	}
}

/* ---- requests ------------------------------------------------------------ */

static struct hreq *req_find(const struct host *h, uint64_t id)
{
	return sim_table_get(&h->reqs, id);
}

/* R if it still is request ID, else the one h->reqs holds (NULL: none):
 * what the thread does later names a request by both, as region extents
 * (rext_named), to spare the lookup.  A request forgotten meanwhile is
 * kept as a spare, readable and no longer listed. */
static struct hreq *req_named(const struct host *h, struct hreq *r, uint64_t id)
{
	return r && r->listed && r->id == id ? r : req_find(h, id);
}

/* The request in slot I of h->reqs, or NULL: for walks over them all. */
static struct hreq *req_at(const struct host *h, uint32_t i)
{
	return sim_table_ptr_at(&h->reqs, i);
}

static void req_free(struct hreq *r)
{
	if (!r)
		return;
	g_free(r->rexts.v);
	g_free(r);
}

static struct hreq *req_get(struct host *h, uint64_t id)
{
	struct hreq *r = req_find(h, id);
	struct rext_buf rexts = { 0 };

	if (r)
		return r;
	r = h->spare_reqs;
	if (r) {
		/* a spare request kept its (empty) array */
		h->spare_reqs = r->next_spare;
		rexts = r->rexts;
	} else {
		r = g_new(struct hreq, 1);
	}
	*r = (struct hreq){ .id = id, .rexts = rexts, .listed = true };
	sim_table_put(&h->reqs, id, r);
	return r;
}

/* Reports the request once nothing of it waits any more and every device
 * has answered (or a piece was given up), and forgets it once settled with
 * no region extent left.  R may be freed: callers must not use it after. */
static void req_update(struct host *h, struct hreq *r)
{
	struct host_report rep = { .kind = HOST_REPORT_SETTLED };
	struct host_capacity_msg msg = { .host = (uint16_t)h->id };

	if (r->settled || r->waiting || (r->chains_closed < h->cfg.ways && !r->gave_up))
		goto forget;
	r->settled = true;
	rep.request = r->id;
	rep.bytes = r->online_bytes;
	rep.device = r->irq_device;
	rep.t_irq = r->t_irq;
	rep.t_read = r->t_read;
	rep.t_decided_first = r->t_decided_first;
	rep.t_decided_last = r->t_decided_last;
	rep.t_realized = r->t_realized;
	rep.t_online = MAX(r->t_realized, r->t_responded);
	report(h, &rep);
	msg.request = r->id;
	msg.bytes = r->online_bytes;
	msg.online = r->online_bytes > 0;
	if (h->tenant_connected)
		sim_schedule(h->k, 0, h->tenant.capacity, h->tenant.target, &msg, sizeof(msg));
forget:
	if (r->settled && r->rexts.len == 0) {
		sim_table_drop(&h->reqs, r->id);
		r->listed = false;
		r->next_spare = h->spare_reqs;
		h->spare_reqs = r;
	}
}

/* ---- region extents ----------------------------------------------------- */

static bool waiting_state(enum host_extent_state s)
{
	return s == HOST_EXTENT_REALIZING || s == HOST_EXTENT_ASSEMBLING;
}

static void rext_set_state(struct rext *x, enum host_extent_state s)
{
	if (waiting_state(x->state) && !waiting_state(s))
		x->req->waiting--;
	x->state = s;
}

static struct rext *rext_new(struct host *h, struct hreq *r, const uint8_t tag[PROTO_TAG_SIZE],
			     uint64_t offset, uint64_t len, enum host_extent_state state)
{
	struct rext *x = h->spare_rexts;
	struct extent_range *lost = NULL;
	guint lost_cap = 0;

	if (x) {
		h->spare_rexts = x->same_offset_next;
		lost = x->lost;
		lost_cap = x->lost_cap;
	} else {
		x = g_malloc(h->rext_size);
	}
	memset(x, 0, h->rext_size);
	x->lost = lost;
	x->lost_cap = lost_cap;
	x->id = ++h->next_rext;
	x->req = r;
	memcpy(x->tag, tag, PROTO_TAG_SIZE);
	x->offset = offset;
	x->len = len;
	x->state = state;
	g_hash_table_insert(h->rexts, id_key(x->id), x);
	rext_buf_add(&r->rexts, x);
	r->waiting++;
	return x;
}

static void piece_add(struct host *h, struct rext *x, unsigned p, uint64_t start, uint64_t len)
{
	struct piece *pc = &x->pieces[p];

	pc->present = true;
	pc->start = start;
	pc->len = len;
	x->npresent++;
	index_insert(&h->links[p].pieces, start, len, x);
}

/* Forgets piece P of X (given back, refused, or forced away) and the
 * stranded bytes it was counted in. */
static void piece_remove(struct host *h, struct rext *x, unsigned p)
{
	struct piece *pc = &x->pieces[p];

	if (!pc->present)
		return;
	if (pc->half)
		stranded(h, METRICS_STRANDED_HALF_BUILT, -(int64_t)pc->len);
	if (pc->ignored)
		stranded(h, METRICS_STRANDED_IGNORED_RELEASE, -(int64_t)pc->len);
	index_remove(&h->links[p].pieces, pc->start);
	*pc = (struct piece){ 0 };
	x->npresent--;
}

static void assembling_add(struct host *h, struct rext *x)
{
	struct rext *y = sim_table_get(&h->assembling, x->offset);

	x->assembling = true;
	if (!y) {
		sim_table_put(&h->assembling, x->offset, x);
		return;
	}
	while (y->same_offset_next)
		y = y->same_offset_next;
	y->same_offset_next = x;
	x->same_offset_prev = y;
}

static void assembling_remove(struct host *h, struct rext *x)
{
	struct rext *next = x->same_offset_next;

	x->assembling = false;
	if (next)
		next->same_offset_prev = x->same_offset_prev;
	if (x->same_offset_prev)
		x->same_offset_prev->same_offset_next = next;
	else if (next)
		*sim_table_find(&h->assembling, x->offset, 0) = (uintptr_t)next;
	else
		sim_table_drop(&h->assembling, x->offset);
	x->same_offset_prev = x->same_offset_next = NULL;
}

static void rext_destroy(gpointer data)
{
	struct rext *x = data;

	g_free(x->lost);
	g_free(x);
}

static void rext_free(struct host *h, struct rext *x)
{
	struct hreq *r = x->req;

	for (unsigned p = 0; p < h->cfg.ways; p++)
		piece_remove(h, x, p);
	rext_set_state(x, HOST_EXTENT_RELEASING);
	sim_cancel(h->k, x->timer);
	if (x->assembling)
		assembling_remove(h, x);
	rext_buf_remove(&r->rexts, x);
	g_hash_table_steal(h->rexts, id_key(x->id));
	x->id = 0;
	x->same_offset_next = h->spare_rexts;
	h->spare_rexts = x;
	req_update(h, r);
}

/* Queues the cache flush (if it was ever mapped) and one Release DC per
 * piece; the pieces go when the device confirms.  X may be freed. */
static void rext_release(struct host *h, struct rext *x)
{
	if (x->npresent == 0) {
		rext_free(h, x);
		return;
	}
	if (x->state == HOST_EXTENT_RELEASING)
		return;
	if (x->assembling)
		assembling_remove(h, x);
	sim_cancel(h->k, x->timer);
	x->timer = SIM_HANDLE_NONE;
	rext_set_state(x, HOST_EXTENT_RELEASING);
	x->deferred = false;
	if (x->ever_online)
		op_delay(h, flush_cost(h), THEN_NONE, 0);
	for (unsigned p = 0; p < h->cfg.ways; p++) {
		const struct piece *pc = &x->pieces[p];
		struct proto_range r = { pc->start, pc->len };

		if (pc->present)
			op_mbox(h, p, PROTO_OP_RELEASE_DC, &r, 1, THEN_RELEASED, x->id)->rext = x;
	}
}

static void rext_online(struct host *h, struct rext *x)
{
	struct hreq *r = x->req;

	int64_t half = 0;

	rext_set_state(x, HOST_EXTENT_ONLINE);
	x->ever_online = true;
	r->online_bytes += x->hpa_len;
	for (unsigned p = 0; p < h->cfg.ways; p++)
		if (x->pieces[p].half) {
			x->pieces[p].half = false;
			half += (int64_t)x->pieces[p].len;
		}
	/* one report for the set: the pieces stop being stranded together */
	stranded(h, METRICS_STRANDED_HALF_BUILT, -half);
}

/* Every region extent holding DPA of POSITION that overlaps
 * [START, START + LEN), appended to OUT (each once), by descending DPA. */
static void overlapping(const struct host *h, unsigned p, uint64_t start, uint64_t len,
			struct rext_buf *out)
{
	const struct piece_index *ix = &h->links[p].pieces;

	for (guint i = index_below(ix, start + len); i-- > 0;) {
		struct rext *x = ix->v[i].rext;

		if (!x)
			continue;
		if (ix->v[i].end <= start)
			break;
		if (!rext_buf_has(out, x))
			rext_buf_add(out, x);
	}
}

/* With tag groups, the victims grow to every region extent of their tags. */
static void expand_groups(struct host *h, struct rext_buf *v)
{
	GHashTableIter it;
	gpointer value;
	guint n = v->len;

	if (!h->cfg.tag_groups)
		return;
	for (guint i = 0; i < n; i++) {
		const struct rext *x = v->v[i];

		if (proto_tag_is_zero(x->tag))
			continue;
		g_hash_table_iter_init(&it, h->rexts);
		while (g_hash_table_iter_next(&it, NULL, &value)) {
			struct rext *y = value;

			if (proto_tag_equal(y->tag, x->tag) && !rext_buf_has(v, y))
				rext_buf_add(v, y);
		}
	}
	rext_buf_sort_from(v, n);
}

/* ---- records ---------------------------------------------------------------- */

static void on_chain_timer(struct sim *k, void *target, const void *payload);

struct chain_timer_msg {
	uint64_t seq;
	uint32_t position;
};

static void chain_reset(struct host_link *l)
{
	l->chain.len = 0;
	l->chain_reqs.len = 0;
}

/* Sets the chain timer for the oldest chain the host has not answered: a
 * broken one, else the open one. */
static void chain_arm(struct host *h, struct host_link *l)
{
	struct chain_timer_msg m = { .seq = ++l->chain_seq, .position = l->position };
	uint64_t now = sim_now(h->k), deadline;

	sim_cancel(h->k, l->chain_timer);
	l->chain_timer = SIM_HANDLE_NONE;
	if (!h->cfg.chain_timeout || (l->broken->len == 0 && l->chain.len == 0))
		return;
	deadline = l->broken->len ? g_array_index(l->broken, uint64_t, 0) : l->chain_deadline;
	l->chain_timer = sim_schedule(h->k, deadline > now ? deadline - now : 0, on_chain_timer,
				      h, &m, sizeof(m));
}

/* Appends the ranges of the response items [FIRST, FIRST + N). */
static void resp_ranges(struct host *h, guint first, guint n)
{
	struct range_buf *b = &h->op_ranges;

	b->v = sim_vec_reserve(b->v, &b->cap, b->len + n, sizeof(*b->v));
	for (guint i = 0; i < n; i++) {
		const struct resp_item *it = &h->resp.v[first + i];

		b->v[b->len++] = (struct proto_range){ it->ext.start, it->ext.len };
	}
}

/* Queues the Add DC Response for the items of h->resp, in as many
 * commands as the payload needs (More on all but the last). */
static void respond(struct host *h, unsigned p)
{
	guint per = proto_payload_ranges(h->cfg.decoders[p].payload_size);
	guint n = h->resp.len, at = 0;

	do {
		guint m = MIN(per, n - at);
		struct host_op *op = op_mbox(h, p, PROTO_OP_ADD_DC_RESPONSE, NULL, 0, THEN_RESPONSE, at);

		resp_ranges(h, at, m);
		op->cmd.nranges = m;
		op->cmd.flags = at + m < n ? PROTO_RESPONSE_MORE : 0;
		at += m;
	} while (at < n);
}

static void chain_decided(struct host *h, unsigned p, struct hreq *r)
{
	uint64_t now = sim_now(h->k);

	r->chains_closed++;
	if (!r->decided) {
		r->decided = true;
		r->irq_device = h->cfg.devices[p];
		r->t_irq = h->drain_t_irq;
		r->t_read = h->batch_t_read;
		r->t_decided_first = now;
	}
	r->t_decided_last = now;
}

/* Whether offer I of the chain overlaps a piece the host holds on P or an
 * offer accepted before it (the index holds one piece per DPA). */
static bool accepted_overlap(const struct host *h, unsigned p, const struct proto_extent *ext,
			     const bool *accept, guint i)
{
	if (!h->ops->accepts_clear &&
	    host_overlap(h, p, ext[i].start, ext[i].len) != HOST_OVERLAP_NONE)
		return true;
	for (guint j = 0; j < i; j++)
		if (accept[j] && ext[j].start < ext[i].start + ext[i].len &&
		    ext[i].start < ext[j].start + ext[j].len)
			return true;
	return false;
}

/* The closing record of POSITION's chain was handled: the policy decides,
 * a 1-way host realizes what it accepts, and the device gets the answer. */
static void chain_close(struct host *h, unsigned p)
{
	struct host_link *l = &h->links[p];
	const struct proto_extent *ext = l->chain.v;
	const uint64_t *reqs = l->chain_reqs.v;
	guint n = l->chain.len;
	struct hreq *prev = NULL;
	bool *accept;

	h->accept = sim_vec_reserve(h->accept, &h->accept_cap, n, sizeof(*h->accept));
	accept = h->accept;
	memset(accept, 0, n * sizeof(bool));
	/* the policy may wait: the chain stays open for its next closing record */
	if (!h->destroyed && !h->ops->decide_chain(h, h->policy_data, p, ext, n, accept))
		return;
	h->resp.len = 0;
	h->resp_reqs.len = 0;
	h->resp.v = sim_vec_reserve(h->resp.v, &h->resp.cap, n, sizeof(*h->resp.v));
	h->resp_reqs.v = sim_vec_reserve(h->resp_reqs.v, &h->resp_reqs.cap, n,
					  sizeof(*h->resp_reqs.v));
	for (guint i = 0; i < n; i++) {
		/* a chain is mostly one request's */
		struct hreq *r = i && reqs[i] == reqs[i - 1] ? prev : req_get(h, reqs[i]);
		struct resp_item it = { .req = r, .request = reqs[i], .ext = ext[i] };
		bool seen = false;

		prev = r;
		for (guint j = 0; j < i && !seen; j++)
			seen = reqs[j] == reqs[i];
		if (!seen) {
			chain_decided(h, p, r);
			h->resp_reqs.v[h->resp_reqs.len++] = (struct req_ref){ r, reqs[i] };
		}
		if (accept[i] && accepted_overlap(h, p, ext, accept, i)) {
			sim_fail(h->k, "host '%s': policy '%s' accepted [%#" PRIx64 ", +%" PRIu64 "] of "
				 "device %u, which overlaps an extent the host holds or accepts (the "
				 "model keeps one extent per DPA range)", h->cfg.name, h->ops->name,
				 ext[i].start, ext[i].len, h->cfg.devices[p]);
			accept[i] = false;
		}
		if (!accept[i]) {
			h->stats.extents_rejected++;
			continue;
		}
		h->stats.extents_accepted++;
		if (h->cfg.ways == 1) {
			struct rext *x = rext_new(h, r, ext[i].tag, ext[i].start - h->cfg.decoders[0].dpa_base,
						  ext[i].len, HOST_EXTENT_REALIZING);

			x->hpa = x->offset;
			x->hpa_len = x->len;
			piece_add(h, x, 0, ext[i].start, ext[i].len);
			op_delay(h, realize_cost(h, x), THEN_REALIZED, x->id)->rext = x;
			it.rext = x;
			it.rext_id = x->id;
		}
		h->resp.v[h->resp.len++] = it;
	}
	/* N-way: offsets refused here leave their partners without a set */
	for (guint i = 0; h->cfg.ways > 1 && i < h->resp_reqs.len; i++) {
		const struct req_ref *ref = &h->resp_reqs.v[i];
		bool any = false;

		for (guint j = 0; j < h->resp.len && !any; j++)
			any = h->resp.v[j].request == ref->id;
		if (!any)
			ref->req->gave_up = true;
	}
	chain_reset(l);
	chain_arm(h, l);
	respond(h, p);
}

static void chain_append(struct host *h, unsigned p, const struct proto_record *rec)
{
	struct host_link *l = &h->links[p];

	if (l->chain.len == 0)
		l->chain_deadline = add_sat(sim_now(h->k), h->cfg.chain_timeout);
	sim_vec_push(&l->chain) = rec->extent;
	sim_vec_push(&l->chain_reqs) = rec->sim.request;
	if (l->chain.len == 1)
		chain_arm(h, l);
	if (!(rec->flags & PROTO_RECORD_MORE))
		chain_close(h, p);
}

/* Records were dropped after every record the host has read: the open
 * chain may have lost its closing record, and what comes next belongs to
 * later offers.  Linux only traces the overflow; a host with a chain
 * timeout ends the open chain here, so that no answer mixes two offers,
 * and answers it empty at its timeout (or at a resync, below). */
static void chain_break(struct host *h, unsigned p)
{
	struct host_link *l = &h->links[p];

	if (!h->cfg.chain_timeout || l->chain.len == 0)
		return;
	g_array_append_val(l->broken, l->chain_deadline);
	chain_reset(l);
	chain_arm(h, l);
}

/* The device refused OP, the first command of an answer, with D.
 * Invalid Physical Address: qemu matches every answer against its oldest
 * offer, so it waits on an offer the host never answered: a broken chain,
 * or one whose records all went untold (the device forgets its overflow
 * count at the Clear that empties the log).  A host with a chain timeout
 * resyncs: it answers that offer empty and sends OP again, until the
 * device takes it.  If the device runs out of offers first (Invalid
 * Input), the refusal had another cause (an offer a forced release
 * killed, which the device retires itself) and the offers skipped were
 * ones the host has yet to read: their answers will be refused too, and
 * the host does not resync for them.  False when the host gives up. */
static bool chain_resync(struct host *h, const struct host_op *op,
			 const struct proto_mbox_done *d)
{
	struct host_link *l = &h->links[op->position];
	struct host_op empty = { .kind = OP_MBOX, .then = THEN_NONE, .position = op->position };
	struct host_op again = *op;

	if (!h->cfg.chain_timeout || op->arg != 0)
		return false;
	if (l->victims) {
		l->victims--;
		return false;
	}
	if (d->rc != PROTO_RC_INVALID_PA) {
		if (d->rc == PROTO_RC_INVALID_INPUT)
			l->victims = l->skipped;
		l->skipped = 0;
		return false;
	}
	if (l->broken->len)
		g_array_remove_index(l->broken, 0);
	l->skipped++;
	h->stats.offers_skipped++;
	empty.cmd.opcode = PROTO_OP_ADD_DC_RESPONSE;
	again.ranges_at = h->op_ranges.len;
	resp_ranges(h, (guint)op->arg, op->cmd.nranges);
	op_queue_push_front(&h->ops_q, &again);
	op_queue_push_front(&h->ops_q, &empty);
	chain_arm(h, l);
	return true;
}

/* The device took an answer with ranges: it waits on no older offer. */
static void chain_settled(struct host *h, struct host_link *l)
{
	l->skipped = 0;
	l->victims = 0;
	if (l->broken->len == 0)
		return;
	g_array_set_size(l->broken, 0);
	chain_arm(h, l);
}

static uint64_t group_in_use(const struct rext_buf *v)
{
	uint64_t n = 0;

	for (guint i = 0; i < v->len; i++)
		n += v->v[i]->in_use;
	return n;
}

/* Linux releases at once what it holds no region extent for. */
static void release_unknown(struct host *h, unsigned p, const struct proto_extent *e)
{
	struct proto_range r = { e->start, e->len };

	op_delay(h, flush_cost(h), THEN_NONE, 0);
	op_mbox(h, p, PROTO_OP_RELEASE_DC, &r, 1, THEN_NONE, 0);
}

/* Counts the bytes in use in [LO, HI) of X (HPA offsets from its start)
 * that were not counted lost before, and marks the range lost: each byte
 * in use is lost once, whichever device's forced release or which
 * give-back takes it. */
static uint64_t rext_lose(struct rext *x, uint64_t lo, uint64_t hi)
{
	uint64_t end = MIN(hi, x->in_use), at = lo, n = 0;
	guint first, last;

	for (guint i = 0; i < x->nlost && at < end; i++) {
		const struct extent_range *r = &x->lost[i];

		if (r->start >= end)
			break;
		if (r->start > at)
			n += r->start - at;
		at = MAX(at, r->start + r->len);
	}
	if (at < end)
		n += end - at;
	/* merge [LO, HI) with the ranges it touches */
	for (first = 0; first < x->nlost; first++) {
		const struct extent_range *r = &x->lost[first];

		if (r->start + r->len >= lo)
			break;
	}
	for (last = first; last < x->nlost; last++) {
		const struct extent_range *r = &x->lost[last];

		if (r->start > hi)
			break;
		lo = MIN(lo, r->start);
		hi = MAX(hi, r->start + r->len);
	}
	/* [FIRST, LAST) becomes the one merged range */
	if (first == last)
		x->lost = sim_vec_reserve(x->lost, &x->lost_cap, x->nlost + 1, sizeof(*x->lost));
	memmove(x->lost + first + 1, x->lost + last, (x->nlost - last) * sizeof(*x->lost));
	x->nlost = x->nlost + 1 - (last - first);
	x->lost[first] = (struct extent_range){ lo, hi - lo };
	return n;
}

static void lost_report(struct host *h, uint64_t lost)
{
	struct host_report rep = { .kind = HOST_REPORT_LOST, .bytes = lost };

	if (!lost)
		return;
	h->stats.lost_bytes += lost;
	report(h, &rep);
}

/* Gives back the region extents of V, whole: what of them is in use is
 * lost.  One idle now stays idle (releasing, it takes no use): nothing of
 * it can be lost any more, and its lost ranges need no update. */
static void release_victims(struct host *h, struct rext_buf *v)
{
	uint64_t lost = 0;

	for (guint i = 0; i < v->len; i++) {
		struct rext *x = v->v[i];

		if (x->in_use)
			lost += rext_lose(x, 0, x->hpa_len);
		x->in_use = 0;
	}
	lost_report(h, lost);
	for (guint i = 0; i < v->len; i++)
		rext_release(h, v->v[i]);
}

/* Release Capacity: every region extent overlapping the range goes whole
 * (its whole tag group with tag groups) as the policy decides: now, once
 * not in use, or never (the FM must ask again). */
static void release_record(struct host *h, unsigned p, const struct proto_extent *e)
{
	struct rext_buf *v = &h->victims;
	struct host_report rep = { 0 };
	uint64_t busy;

	v->len = 0;
	if (!h->destroyed)
		overlapping(h, p, e->start, e->len, v);
	if (v->len == 0) {
		h->stats.releases++;
		release_unknown(h, p, e);
		return;
	}
	expand_groups(h, v);
	busy = group_in_use(v);
	switch (h->ops->decide_release(h, h->policy_data, p, e, busy)) {
	case HOST_BUSY_DEFER:
		/* idle memory has nothing to wait for */
		if (busy) {
			h->stats.deferred++;
			rep.kind = HOST_REPORT_DEFERRED;
			for (guint i = 0; i < v->len; i++)
				v->v[i]->deferred = true;
			break;
		}
		/* fall through */
	case HOST_BUSY_NOW:
		h->stats.releases++;
		release_victims(h, v);
		return;
	case HOST_BUSY_IGNORE:
		h->stats.ignored++;
		rep.kind = HOST_REPORT_IGNORED;
		for (guint i = 0; i < v->len; i++) {
			struct rext *x = v->v[i];

			for (unsigned q = 0; q < h->cfg.ways; q++) {
				struct piece *pc = &x->pieces[q];

				if (pc->present && !pc->ignored) {
					pc->ignored = true;
					stranded(h, METRICS_STRANDED_IGNORED_RELEASE, (int64_t)pc->len);
				}
			}
		}
		break;
	}
	report(h, &rep);
}

/* The in-use bytes of X lost with [START, START + LEN) of position P: an
 * interleaved region extent stripes its HPA over every device, granule by
 * granule, so each stripe (ways x granularity of HPA, one granule per
 * position, all at the same DPA offset) that held forced DPA is gone as a
 * whole; a 1-way one loses just the bytes on the forced DPA.  A forced
 * piece thus takes the whole region extent. */
static uint64_t forced_loss(const struct host *h, struct rext *x, unsigned p, uint64_t start,
			    uint64_t len)
{
	const struct piece *pc = &x->pieces[p];
	uint64_t g = h->cfg.ways > 1 ? h->cfg.granularity : 1;
	uint64_t lo = MAX(start, pc->start) - pc->start;
	uint64_t hi = MIN(start + len, pc->start + pc->len) - pc->start;

	lo -= lo % g;
	hi = MIN(hi + (g - hi % g) % g, pc->len);
	return rext_lose(x, lo * h->cfg.ways, hi * h->cfg.ways);
}

/* Forced Capacity Release: the memory is already gone.  What was in use on
 * it is lost; the policy keeps the extent (stale) or drops it and gives
 * back its partners, losing what was in use on them too. */
static void forced_record(struct host *h, unsigned p, const struct proto_extent *e)
{
	struct rext_buf *v = &h->victims;
	uint64_t lost = 0;

	h->stats.forced++;
	v->len = 0;
	overlapping(h, p, e->start, e->len, v);
	for (guint i = 0; i < v->len; i++)
		lost += forced_loss(h, v->v[i], p, e->start, e->len);
	lost_report(h, lost);
	if (v->len == 0)
		return;
	if (h->ops->decide_forced(h, h->policy_data, p, e) == HOST_FORCED_IGNORE) {
		for (guint i = 0; i < v->len; i++) {
			struct rext *x = v->v[i];
			struct piece *pc = &x->pieces[p];

			x->stale = true;
			/* the forced piece is no longer the device's to strand */
			if (pc->ignored) {
				pc->ignored = false;
				stranded(h, METRICS_STRANDED_IGNORED_RELEASE, -(int64_t)pc->len);
			}
		}
		return;
	}
	/* whatever the device still holds of the forced piece comes back as
	 * an unknown range if the FM asks for it */
	for (guint i = 0; i < v->len; i++)
		piece_remove(h, v->v[i], p);
	release_victims(h, v);
}

static void region_updated(struct host *h, unsigned p, uint8_t region)
{
	struct host_op *op;
	bool reread;

	if (region != h->cfg.region)
		return;
	reread = h->ops->decide_region ? h->ops->decide_region(h, h->policy_data, p)
				       : h->cfg.region_updates;
	if (!reread)
		return;
	op = op_mbox(h, p, PROTO_OP_GET_DC_CONFIG, NULL, 0, THEN_CONFIG, 0);
	op->cmd.start = region;
	op->cmd.count = 1;
}

static void handle_record(struct host *h, unsigned p, const struct proto_record *rec)
{
	h->stats.records++;
	switch (rec->type) {
	case PROTO_EVENT_ADD_CAPACITY:
		chain_append(h, p, rec);
		break;
	case PROTO_EVENT_RELEASE_CAPACITY:
		release_record(h, p, &rec->extent);
		break;
	case PROTO_EVENT_FORCED_RELEASE:
		forced_record(h, p, &rec->extent);
		break;
	case PROTO_EVENT_REGION_UPDATED:
		region_updated(h, p, rec->region);
		break;
	default:
		sim_fail(h->k, "host '%s': device %u sent a %s record", h->cfg.name,
			 h->cfg.devices[p], proto_event_name((enum proto_event)rec->type));
		break;
	}
}

/* ---- op completions --------------------------------------------------------- */

/* N-way: a piece the device confirmed joins the region extent with the
 * same tag, offset and length, or starts one that waits for partners.  R
 * is its request, NULL if forgotten since the chain closed. */
static void assemble_piece(struct host *h, unsigned p, const struct resp_item *it,
			   struct hreq *r)
{
	uint64_t offset = it->ext.start - h->cfg.decoders[p].dpa_base;
	struct extent_range pieces[INTERLEAVE_MAX_WAYS], hpa;
	struct rext *x = sim_table_get(&h->assembling, offset);

	if (!r)
		r = req_get(h, it->request);
	while (x && (x->len != it->ext.len || x->pieces[p].present ||
		     !proto_tag_equal(x->tag, it->ext.tag)))
		x = x->same_offset_next;
	if (!x) {
		x = rext_new(h, r, it->ext.tag, offset, it->ext.len, HOST_EXTENT_ASSEMBLING);
		assembling_add(h, x);
		rext_buf_add(&h->unarmed, x);
	}
	piece_add(h, x, p, it->ext.start, it->ext.len);
	x->pieces[p].half = true;
	stranded(h, METRICS_STRANDED_HALF_BUILT, (int64_t)it->ext.len);
	if (x->npresent < h->cfg.ways)
		return;
	for (unsigned q = 0; q < h->cfg.ways; q++)
		pieces[q] = (struct extent_range){ x->pieces[q].start - h->cfg.decoders[q].dpa_base,
						   x->pieces[q].len };
	if (interleave_set_assemble(h->set, pieces, &hpa) != INTERLEAVE_ASSEMBLY_COMPLETE)
		return;		/* never complete: the timeout gives it back */
	x->hpa = hpa.start;
	x->hpa_len = hpa.len;
	assembling_remove(h, x);
	sim_cancel(h->k, x->timer);
	x->timer = SIM_HANDLE_NONE;
	op_delay(h, realize_cost(h, x), THEN_REALIZED, x->id)->rext = x;
}

static void on_assembly_timer(struct sim *k, void *target, const void *payload);

struct assembly_timer_msg {
	struct rext *rext;
	uint64_t id;
};

static void response_done(struct host *h, const struct host_op *op, const struct proto_mbox_done *d)
{
	uint64_t now = sim_now(h->k);
	bool ok = d->rc == PROTO_RC_SUCCESS;

	if (!ok && chain_resync(h, op, d))
		return;
	if (!ok)
		h->stats.mbox_failures++;
	else if (op->cmd.nranges)
		chain_settled(h, &h->links[op->position]);
	for (guint i = 0; i < op->cmd.nranges; i++) {
		const struct resp_item *it = &h->resp.v[op->arg + i];
		struct hreq *r = req_named(h, it->req, it->request);
		struct rext *x = rext_named(it->rext, it->rext_id);

		if (r)
			r->t_responded = MAX(r->t_responded, now);
		if (h->cfg.ways > 1) {
			if (ok)
				assemble_piece(h, op->position, it, r);
			continue;
		}
		if (!x)
			continue;
		if (ok)
			rext_online(h, x);
		else
			rext_free(h, x);
	}
	/* arm the assembly timers of the region extents this answer started
	 * and left waiting, oldest first (none of them was freed meanwhile) */
	for (guint i = 0; i < h->unarmed.len; i++) {
		struct rext *x = h->unarmed.v[i];

		if (x->assembling)
			x->timer = sim_schedule(h->k, h->cfg.assembly_timeout, on_assembly_timer, h,
						&(struct assembly_timer_msg){ x, x->id },
						sizeof(struct assembly_timer_msg));
	}
	h->unarmed.len = 0;
	if (op->cmd.flags & PROTO_RESPONSE_MORE)
		return;
	for (guint i = 0; i < h->resp_reqs.len; i++) {
		const struct req_ref *ref = &h->resp_reqs.v[i];
		struct hreq *r = req_named(h, ref->req, ref->id);

		if (r)
			req_update(h, r);
	}
}

static void realized(struct host *h, const struct host_op *op)
{
	struct rext *x = rext_named(op->rext, op->arg);
	uint64_t now = sim_now(h->k);

	if (!x || !waiting_state(x->state)) {
		sim_fail(h->k, "host '%s': region extent %" PRIu64 " realized in a wrong state",
			 h->cfg.name, op->arg);
		return;
	}
	x->req->t_realized = MAX(x->req->t_realized, now);
	/* 1-way: online when the Add DC Response completes */
	if (x->state == HOST_EXTENT_REALIZING)
		return;
	rext_online(h, x);
	req_update(h, x->req);
}

static void released(struct host *h, const struct host_op *op, const struct proto_mbox_done *d)
{
	struct rext *x = rext_named(op->rext, op->arg);

	/* a refused Release DC drops the piece all the same: the device may
	 * still hold it, and a later request for it is answered at once */
	if (d->rc != PROTO_RC_SUCCESS)
		h->stats.mbox_failures++;
	if (!x)
		return;
	piece_remove(h, x, op->position);
	if (x->npresent == 0)
		rext_free(h, x);
}

static void config_read(struct host *h, const struct host_op *op, const struct proto_mbox_done *d)
{
	if (d->rc != PROTO_RC_SUCCESS || h->incoming_regions->len == 0)
		return;
	h->links[op->position].block_size =
		g_array_index(h->incoming_regions, struct proto_region, 0).block_size;
}

/* Records a Get reports dropped anew, with none left unread, were dropped
 * after every record of the batch: the log was full behind them.  The
 * device repeats the count until a Clear empties the log, so only a count
 * that moved is news. */
static void got_overflow(struct host *h, struct host_link *l, const struct proto_mbox_done *d)
{
	uint16_t seen = d->flags & PROTO_EVENTS_OVERFLOW ? d->overflow : 0;

	h->batch_dropped = false;
	if (d->flags & PROTO_EVENTS_MORE)
		return;
	h->batch_dropped = seen && seen != l->overflow_seen;
	l->overflow_seen = seen;
}

static void op_finish(struct host *h, const struct host_op *op, const struct proto_mbox_done *d)
{
	struct record_buf tmp;

	switch (op->then) {
	case THEN_NONE:
		if (d && d->rc != PROTO_RC_SUCCESS)
			h->stats.mbox_failures++;
		break;
	case THEN_GET:
		if (d->rc != PROTO_RC_SUCCESS || d->count != h->incoming.len) {
			sim_fail(h->k, "host '%s': get event records from device %u: %s", h->cfg.name,
				 h->cfg.devices[op->position], proto_rc_name((enum proto_rc)d->rc));
			break;
		}
		/* the records become the batch: a swap, not a copy (the next
		 * Get empties what was the batch before filling it) */
		tmp = h->batch;
		h->batch = h->incoming;
		h->incoming = tmp;
		h->batch_t_read = sim_now(h->k);
		got_overflow(h, &h->links[op->position], d);
		break;
	case THEN_CLEAR:
		if (d->rc != PROTO_RC_SUCCESS)
			sim_fail(h->k, "host '%s': clear event records on device %u: %s", h->cfg.name,
				 h->cfg.devices[op->position], proto_rc_name((enum proto_rc)d->rc));
		break;
	case THEN_RECORD:
		handle_record(h, h->job.position,
			      &h->batch.v[op->arg]);
		break;
	case THEN_REALIZED:
		realized(h, op);
		break;
	case THEN_RESPONSE:
		response_done(h, op, d);
		break;
	case THEN_RELEASED:
		released(h, op, d);
		break;
	case THEN_CONFIG:
		config_read(h, op, d);
		break;
	}
}

/* ---- jobs ------------------------------------------------------------------- */

/* One more step of the drain job; false when the log is empty. */
static bool drain_step(struct host *h, struct job *j)
{
	struct host_link *l = &h->links[j->position];
	struct host_op *op;

	switch (j->state) {
	case DRAIN_GET:
		l->drain_queued = false;
		h->drain_t_irq = j->t_queued;
		/* fall through */
	case DRAIN_CLEARED:
		op_mbox(h, j->position, PROTO_OP_GET_EVENT_RECORDS, NULL, 0, THEN_GET, 0);
		j->state = DRAIN_GOT;
		return true;
	case DRAIN_GOT:
		if (h->batch.len == 0)
			return false;
		j->index = 0;
		j->state = DRAIN_HANDLE;
		/* fall through */
	case DRAIN_HANDLE:
		if (j->index < h->batch.len) {
			op_delay(h, h->cfg.latency.host_record_handle, THEN_RECORD, j->index++);
			return true;
		}
		if (h->batch_dropped)
			chain_break(h, j->position);
		op = op_mbox(h, j->position, PROTO_OP_CLEAR_EVENT_RECORDS, NULL, 0, THEN_CLEAR, 0);
		op->cmd.handle = h->batch.v[0].handle;
		op->cmd.count = h->batch.len;
		j->state = DRAIN_CLEARED;
		return true;
	}
	return false;
}

static void destroy_region(struct host *h)
{
	GHashTableIter it;
	gpointer value;

	h->destroyed = true;
	h->victims.len = 0;
	g_hash_table_iter_init(&it, h->rexts);
	while (g_hash_table_iter_next(&it, NULL, &value))
		rext_buf_add(&h->victims, value);
	rext_buf_sort_from(&h->victims, 0);
	release_victims(h, &h->victims);
}

/* The policy gives back what overlaps the range, or the range itself. */
static void give_back(struct host *h, unsigned p, uint64_t start, uint64_t len)
{
	struct proto_extent e = { .start = start, .len = len };

	h->victims.len = 0;
	if (!h->destroyed)
		overlapping(h, p, start, len, &h->victims);
	if (h->victims.len == 0) {
		release_unknown(h, p, &e);
		return;
	}
	expand_groups(h, &h->victims);
	release_victims(h, &h->victims);
}

/* Starts or continues the current job; false when it is finished (the
 * ops it queued still run before the next job). */
static bool job_step(struct host *h)
{
	struct job *j = &h->job;
	struct host_link *l;
	struct rext *x;

	switch (j->kind) {
	case JOB_DRAIN:
		return drain_step(h, j);
	case JOB_RELEASE:
		x = rext_named(j->rext, j->arg);
		if (x && x->in_use == 0)
			rext_release(h, x);
		break;
	case JOB_CHAIN_TIMEOUT:
		/* the oldest chain not answered is answered empty */
		l = &h->links[j->position];
		if (l->chain_seq != j->arg)
			break;
		if (l->broken->len)
			g_array_remove_index(l->broken, 0);
		else
			chain_reset(l);
		h->stats.chain_timeouts++;
		chain_arm(h, l);
		h->resp.len = 0;
		h->resp_reqs.len = 0;
		respond(h, j->position);
		break;
	case JOB_DESTROY:
		if (!h->destroyed)
			destroy_region(h);
		break;
	case JOB_GIVE_BACK:
		give_back(h, j->position, j->arg, j->len);
		break;
	}
	return false;
}

/* Runs the thread until an op is in flight or nothing is left to do.  Only
 * a job step can fail the simulation (a decision, an observer): the check
 * follows each, not each turn of the loop. */
static void thread_run(struct host *h)
{
	if (h->busy || sim_failed(h->k))
		return;
	for (;;) {
		if (h->ops_q.head < h->ops_q.len) {
			op_start(h);
			return;
		}
		if (h->job_active) {
			h->job_active = job_step(h);
			if (sim_failed(h->k))
				return;
		} else if (job_pop(h, &h->job)) {
			h->job.state = DRAIN_GET;
			h->job_active = true;
		} else {
			return;
		}
	}
}

/* ---- message handlers --------------------------------------------------------- */

static void on_delay_done(struct sim *k, void *target, const void *payload)
{
	struct host *h = target;

	(void)k;
	(void)payload;
	h->busy = false;
	op_finish(h, &h->inflight, NULL);
	thread_run(h);
}

static void on_interrupt(struct sim *k, void *target, const void *payload)
{
	struct host_link *l = target;
	struct host *h = l->h;

	(void)k;
	(void)payload;
	h->stats.interrupts++;
	if (l->drain_queued)
		return;
	l->drain_queued = true;
	job_push(h, JOB_DRAIN, l->position, 0);
	thread_run(h);
}

static bool expecting(struct host_link *l, uint16_t opcode)
{
	struct host *h = l->h;

	return h->busy && h->inflight.kind == OP_MBOX && h->inflight.position == l->position &&
	       h->inflight.cmd.opcode == opcode;
}

static void on_record(struct sim *k, void *target, const void *payload)
{
	struct host_link *l = target;

	if (!expecting(l, PROTO_OP_GET_EVENT_RECORDS)) {
		sim_fail(k, "host '%s': an event record came without get event records",
			 l->h->cfg.name);
		return;
	}
	struct record_buf *b = &l->h->incoming;

	sim_vec_push(b) = *(const struct proto_record *)payload;
}

static void on_region(struct sim *k, void *target, const void *payload)
{
	struct host_link *l = target;

	if (!expecting(l, PROTO_OP_GET_DC_CONFIG)) {
		sim_fail(k, "host '%s': a region came without get dc configuration",
			 l->h->cfg.name);
		return;
	}
	g_array_append_vals(l->h->incoming_regions, payload, 1);
}

static void on_extent(struct sim *k, void *target, const void *payload)
{
	struct host_link *l = target;

	(void)payload;
	sim_fail(k, "host '%s': an extent list entry came unasked", l->h->cfg.name);
}

static void on_done(struct sim *k, void *target, const void *payload)
{
	struct host_link *l = target;
	struct host *h = l->h;
	const struct proto_mbox_done *d = payload;

	if (!expecting(l, d->opcode)) {
		sim_fail(k, "host '%s': device %u completed a command the host did not send",
			 h->cfg.name, h->cfg.devices[l->position]);
		return;
	}
	h->busy = false;
	op_finish(h, &h->inflight, d);
	thread_run(h);
}

static void on_chain_timer(struct sim *k, void *target, const void *payload)
{
	struct host *h = target;
	const struct chain_timer_msg *m = payload;

	(void)k;
	h->links[m->position].chain_timer = SIM_HANDLE_NONE;
	job_push(h, JOB_CHAIN_TIMEOUT, m->position, m->seq);
	thread_run(h);
}

static void on_assembly_timer(struct sim *k, void *target, const void *payload)
{
	struct host *h = target;
	const struct assembly_timer_msg *m = payload;
	struct rext *x = rext_named(m->rext, m->id);

	(void)k;
	if (!x || !x->assembling)
		return;
	x->timer = SIM_HANDLE_NONE;
	assembling_remove(h, x);
	x->req->gave_up = true;
	h->stats.assembly_timeouts++;
	job_push(h, JOB_RELEASE, 0, x->id)->rext = x;
	thread_run(h);
}

/* The applications of request REQUEST now use BYTES of it. */
static void on_use(struct sim *k, void *target, const void *payload)
{
	struct host *h = target;
	const struct host_use_msg *m = payload;
	struct hreq *r = req_find(h, m->request);
	uint64_t left = m->bytes;

	(void)k;
	if (!r)
		return;
	for (guint i = 0; i < r->rexts.len; i++) {
		struct rext *x = r->rexts.v[i];

		if (x->state != HOST_EXTENT_ONLINE)
			continue;
		x->in_use = MIN(left, x->hpa_len);
		left -= x->in_use;
	}
	if (m->bytes)
		return;
	/* stopped: deferred releases go ahead once their whole group is idle */
	h->victims.len = 0;
	for (guint i = 0; i < r->rexts.len; i++) {
		struct rext *x = r->rexts.v[i];

		if (x->deferred && !rext_buf_has(&h->victims, x))
			rext_buf_add(&h->victims, x);
	}
	expand_groups(h, &h->victims);
	if (h->victims.len == 0 || group_in_use(&h->victims))
		return;
	for (guint i = 0; i < h->victims.len; i++) {
		struct rext *x = h->victims.v[i];

		job_push(h, JOB_RELEASE, 0, x->id)->rext = x;
	}
	thread_run(h);
}

static void on_policy_timer(struct sim *k, void *target, const void *payload)
{
	struct host *h = target;

	(void)k;
	h->ops->timer(h, h->policy_data, *(const uint64_t *)payload);
}

static void on_destroy(struct sim *k, void *target, const void *payload)
{
	struct host *h = target;

	(void)k;
	(void)payload;
	job_push(h, JOB_DESTROY, 0, 0);
	thread_run(h);
}

/* ---- lifetime and wiring ----------------------------------------------------- */

struct host *host_new(struct sim *k, unsigned id, const struct host_config *cfg,
		      GError **error)
{
	struct host *h;

	g_return_val_if_fail(k != NULL && cfg != NULL, NULL);
	if (!host_config_validate(cfg, error))
		return NULL;
	h = g_new0(struct host, 1);
	h->k = k;
	h->id = id;
	h->cfg = *cfg;
	h->cfg.name[HOST_NAME_SIZE - 1] = '\0';
	h->ops = cfg->policy_ops ? cfg->policy_ops : host_policy_find(cfg->policy);
	h->policy_data = cfg->policy_data;
	h->set = interleave_set_new(cfg->ways, cfg->granularity, cfg->devices, cfg->ways, error);
	if (!h->set) {
		g_free(h);
		return NULL;
	}
	h->region_size = cfg->decoders[0].dpa_len * cfg->ways;
	h->rext_size = offsetof(struct rext, pieces) + cfg->ways * sizeof(struct piece);
	for (unsigned p = 0; p < cfg->ways; p++) {
		struct host_link *l = &h->links[p];

		l->h = h;
		l->position = p;
		l->broken = g_array_new(FALSE, FALSE, sizeof(uint64_t));
		l->block_size = cfg->decoders[p].block_size;
	}
	h->rexts = g_hash_table_new_full(id_hash, NULL, NULL, rext_destroy);
	sim_table_init(&h->reqs);
	sim_table_init(&h->assembling);
	h->incoming_regions = g_array_new(FALSE, FALSE, sizeof(struct proto_region));
	return h;
}

void host_free(struct host *h)
{
	if (!h)
		return;
	for (unsigned p = 0; p < h->cfg.ways; p++) {
		g_free(h->links[p].pieces.v);
		g_free(h->links[p].chain.v);
		g_free(h->links[p].chain_reqs.v);
		g_array_unref(h->links[p].broken);
	}
	sim_table_clear(&h->assembling);
	g_free(h->unarmed.v);
	g_hash_table_destroy(h->rexts);
	while (h->spare_rexts) {
		struct rext *x = h->spare_rexts;

		h->spare_rexts = x->same_offset_next;
		rext_destroy(x);
	}
	for (uint32_t i = 0; i < sim_table_capacity(&h->reqs); i++)
		req_free(req_at(h, i));
	sim_table_clear(&h->reqs);
	while (h->spare_reqs) {
		struct hreq *r = h->spare_reqs;

		h->spare_reqs = r->next_spare;
		req_free(r);
	}
	g_free(h->jobs.v);
	g_free(h->ops_q.ops);
	g_free(h->op_ranges.v);
	g_free(h->incoming.v);
	g_array_unref(h->incoming_regions);
	g_free(h->batch.v);
	g_free(h->resp.v);
	g_free(h->resp_reqs.v);
	g_free(h->accept);
	g_free(h->victims.v);
	interleave_set_free(h->set);
	g_free(h);
}

void host_device_port(struct host *h, unsigned position, struct proto_host_port *out)
{
	g_return_if_fail(h != NULL && out != NULL && position < h->cfg.ways);
	*out = (struct proto_host_port){
		.target = &h->links[position],
		.interrupt = on_interrupt,
		.record = on_record,
		.extent = on_extent,
		.region = on_region,
		.done = on_done,
	};
}

void host_connect_device(struct host *h, unsigned position, const struct proto_mbox_port *mbox)
{
	g_return_if_fail(h != NULL && mbox != NULL && position < h->cfg.ways);
	h->links[position].mbox = *mbox;
	h->links[position].connected = true;
}

void host_app_port(struct host *h, struct host_app_port *out)
{
	g_return_if_fail(h != NULL && out != NULL);
	*out = (struct host_app_port){ .target = h, .use = on_use, .destroy = on_destroy };
}

void host_connect_tenant(struct host *h, const struct host_tenant_port *port)
{
	g_return_if_fail(h != NULL && port != NULL);
	h->tenant = *port;
	h->tenant_connected = true;
}

void host_set_observer(struct host *h, host_observer_fn fn, void *data)
{
	g_return_if_fail(h != NULL);
	h->observer = fn;
	h->observer_data = data;
}

void host_set_policy(struct host *h, const struct host_policy_ops *ops, void *data)
{
	g_return_if_fail(h != NULL && ops != NULL && ops->decide_chain && ops->decide_release &&
			 ops->decide_forced);
	h->ops = ops;
	h->policy_data = data;
}

void host_policy_timer(const struct host *h, uint64_t delay, uint64_t arg)
{
	g_return_if_fail(h != NULL && h->ops->timer != NULL);
	/* the host is the timer's target: it changes only when it fires */
	sim_schedule(h->k, delay, on_policy_timer, (void *)h, &arg, sizeof(arg));
}

void host_give_back(struct host *h, unsigned position, uint64_t start, uint64_t len)
{
	g_return_if_fail(h != NULL && position < h->cfg.ways && len > 0);
	job_push(h, JOB_GIVE_BACK, position, start)->len = len;
	thread_run(h);
}

/* ---- policy helpers and observers --------------------------------------------- */

bool host_decoder_contains(const struct host *h, unsigned position, uint64_t start,
			   uint64_t len)
{
	const struct host_decoder *d;

	g_return_val_if_fail(h != NULL && position < h->cfg.ways, false);
	d = &h->cfg.decoders[position];
	return !h->destroyed && len && start >= d->dpa_base && len <= d->dpa_len &&
	       start - d->dpa_base <= d->dpa_len - len;
}

bool host_block_aligned(const struct host *h, unsigned position, uint64_t start, uint64_t len)
{
	uint64_t bs;

	g_return_val_if_fail(h != NULL && position < h->cfg.ways, false);
	bs = h->links[position].block_size;
	return bs == 0 || (start % bs == 0 && len % bs == 0);
}

enum host_overlap host_overlap(const struct host *h, unsigned position, uint64_t start,
			       uint64_t len)
{
	const struct piece_index *ix;
	guint i;

	g_return_val_if_fail(h != NULL && position < h->cfg.ways, HOST_OVERLAP_NONE);
	ix = &h->links[position].pieces;
	i = index_below_piece(ix, start + len);
	return i && ix->v[i - 1].end > start ? HOST_OVERLAP_SOME : HOST_OVERLAP_NONE;
}

bool host_tag_in_use(const struct host *h, const uint8_t tag[PROTO_TAG_SIZE])
{
	GHashTableIter it;
	gpointer value;

	g_return_val_if_fail(h != NULL && tag != NULL, false);
	g_hash_table_iter_init(&it, h->rexts);
	while (g_hash_table_iter_next(&it, NULL, &value))
		if (proto_tag_equal(((const struct rext *)value)->tag, tag))
			return true;
	return false;
}

const struct proto_extent *host_chain_get(const struct host *h, unsigned position, size_t *n)
{
	g_return_val_if_fail(h != NULL && position < h->cfg.ways && n != NULL, NULL);
	*n = h->links[position].chain.len;
	return h->links[position].chain.v;
}

unsigned host_get_id(const struct host *h)
{
	g_return_val_if_fail(h != NULL, 0);
	return h->id;
}

struct sim *host_get_sim(const struct host *h)
{
	g_return_val_if_fail(h != NULL, NULL);
	return h->k;
}

const char *host_get_name(const struct host *h)
{
	g_return_val_if_fail(h != NULL, NULL);
	return h->cfg.name;
}

const struct host_config *host_get_config(const struct host *h)
{
	g_return_val_if_fail(h != NULL, NULL);
	return &h->cfg;
}

static bool accessible(const struct rext *x)
{
	return x->state == HOST_EXTENT_ONLINE && !x->stale;
}

void host_get_stats(const struct host *h, struct host_stats *out)
{
	GHashTableIter it;
	gpointer value;

	g_return_if_fail(h != NULL && out != NULL);
	*out = h->stats;
	out->region_destroyed = h->destroyed;
	out->region_extents = g_hash_table_size(h->rexts);
	g_hash_table_iter_init(&it, h->rexts);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		const struct rext *x = value;

		if (accessible(x))
			out->online_bytes += x->hpa_len;
		if (x->stale)
			out->stale_bytes += x->hpa_len;
		out->in_use_bytes += x->in_use;
		for (unsigned p = 0; p < h->cfg.ways; p++)
			if (x->pieces[p].half)
				out->assembling_bytes += x->pieces[p].len;
	}
	for (unsigned p = 0; p < h->cfg.ways; p++)
		out->chains_open += (h->links[p].chain.len > 0) + h->links[p].broken->len;
}

static int foreach_visit(const struct host *h, unsigned p, const struct rext *x,
			 host_extent_fn fn, void *data)
{
	const struct piece *pc = &x->pieces[p];
	struct host_extent_info info = {
		.device = h->cfg.devices[p],
		.position = p,
		.start = pc->start,
		.len = pc->len,
		.request = x->req->id,
		.state = x->state,
		.stale = x->stale,
		.accessible = accessible(x),
		.hpa = x->hpa,
		.hpa_len = x->hpa_len,
		.in_use = x->in_use,
	};

	memcpy(info.tag, x->tag, PROTO_TAG_SIZE);
	return fn(&info, data);
}

int host_extents_foreach(const struct host *h, host_extent_fn fn, void *data)
{
	int rc = 0;

	g_return_val_if_fail(h != NULL && fn != NULL, 0);
	for (unsigned p = 0; p < h->cfg.ways && !rc; p++) {
		const struct piece_index *ix = &h->links[p].pieces;

		for (guint i = 0; i < ix->len && !rc; i++)
			if (ix->v[i].rext)
				rc = foreach_visit(h, p, ix->v[i].rext, fn, data);
	}
	return rc;
}

bool host_can_access(const struct host *h, unsigned device, uint64_t dpa)
{
	const struct piece_index *ix;
	const struct rext *x;
	unsigned p;
	guint i;

	g_return_val_if_fail(h != NULL, false);
	if (!interleave_set_find_device(h->set, device, &p) || dpa == UINT64_MAX)
		return false;
	ix = &h->links[p].pieces;
	i = index_below_piece(ix, dpa + 1);
	if (i == 0)
		return false;
	x = ix->v[i - 1].rext;
	return dpa - x->pieces[p].start < x->pieces[p].len && accessible(x);
}

bool host_request_open(const struct host *h, uint64_t request)
{
	const struct hreq *r;

	g_return_val_if_fail(h != NULL, false);
	r = req_find(h, request);
	return r && !r->settled;
}

/* What is wrong with the piece index of POSITION, or NULL. */
static const char *check_index(const struct host *h, unsigned p)
{
	const struct piece_index *ix = &h->links[p].pieces;
	uint64_t end = 0;
	guint holes = 0;

	for (guint i = 0; i < ix->len; i++) {
		const struct rext *x = ix->v[i].rext;
		const struct piece *pc;

		if (i && ix->v[i].start <= ix->v[i - 1].start)
			return "the index is out of order";
		if (!x) {
			holes++;
			continue;
		}
		pc = &x->pieces[p];
		if (!pc->present || pc->start != ix->v[i].start ||
		    pc->start + pc->len != ix->v[i].end)
			return "an index entry is not its piece";
		if (pc->start < end)
			return "pieces overlap";
		end = ix->v[i].end;
		if (rext_get(h, x->id) != x)
			return "a piece belongs to an unknown region extent";
	}
	if (holes != ix->holes)
		return "the index miscounts its holes";
	return NULL;
}

bool host_check_invariants(const struct host *h, GError **error)
{
	const char *broken = NULL;
	GHashTableIter it;
	gpointer value;
	guint present = 0, pieces = 0;

	g_return_val_if_fail(h != NULL, false);
	for (unsigned p = 0; p < h->cfg.ways && !broken; p++) {
		broken = check_index(h, p);
		pieces += h->links[p].pieces.len - h->links[p].pieces.holes;
	}
	g_hash_table_iter_init(&it, h->rexts);
	while (!broken && g_hash_table_iter_next(&it, NULL, &value)) {
		const struct rext *x = value;
		unsigned n = 0;

		for (unsigned p = 0; p < h->cfg.ways; p++)
			n += x->pieces[p].present;
		if (n != x->npresent)
			broken = "a region extent miscounts its pieces";
		else if (x->in_use > x->hpa_len)
			broken = "more in use than a region extent holds";
		else if (!rext_buf_has(&x->req->rexts, x))
			broken = "a region extent is missing from its request";
		present += n;
	}
	for (uint32_t slot = 0; !broken && slot < sim_table_capacity(&h->reqs); slot++) {
		const struct hreq *r = req_at(h, slot);
		unsigned waiting = 0;

		if (!r)
			continue;
		for (guint i = 0; i < r->rexts.len; i++)
			waiting += waiting_state(r->rexts.v[i]->state);
		if (waiting != r->waiting)
			broken = "a request miscounts its waiting region extents";
	}
	if (!broken && present != pieces)
		broken = "pieces and the index disagree";
	if (!broken)
		return true;
	g_set_error(error, HOST_ERROR, HOST_ERROR_INVARIANT, "host '%s': %s", h->cfg.name, broken);
	return false;
}
