/* The fabric manager.  Requests become commands, one queue per device
 * (the FM API takes one command at a time); completions and the devices'
 * 04h/05h records move each request on and keep the FM's shadow maps in
 * step.  A request stays allocated while commands of it are queued or
 * waiting to be retried, and an add that got capacity stays as a grant
 * until a release by its id has finished.  Freed requests and commands are
 * kept, with their arrays, for the next ones: no allocation per request
 * once the run has warmed up. */
#include "models/fm.h"

#include <inttypes.h>
#include <string.h>

#include "sim/table.h"
#include "sim/vec.h"

/* A growable array of struct extent_range (sim/vec.h). */
struct fm_ranges {
	struct extent_range *v;
	uint32_t len, cap;
};

struct fm_device {
	struct fm *fm;
	unsigned id;
	struct dcd_config cfg;
	struct proto_fm_api_port port;
	struct extent_map *shadow[DCD_REGIONS_MAX];
	GPtrArray *sets;	/* struct fm_set *: the interleave sets it is in */
	/* The commands to send, linked through struct fm_cmd.next: the head
	 * is in flight when busy.  A command is in one queue at most. */
	struct fm_cmd *queue_head, *queue_tail;
	/* The open parts of release requests on this device, in request
	 * order: what its 05h records are counted against (links of
	 * struct fm_part.waiting, whose data is the request). */
	GQueue releasing;
	bool busy;
};

/* The devices of an N-way interleave set (N > 1), shared by every host
 * that names the same devices in the same order, and per region the
 * intersection of their shadows' free space: a map of the first device's
 * region geometry whose free entries are exactly the region offsets free
 * on every device (non-free entries merely mark the rest, their partition
 * means nothing).  Every change of a shadow's free space updates it
 * (shadow_set), so an N-way prescription is one extent_map_alloc in it. */
struct fm_set {
	unsigned ways;
	struct fm_device *devices[FM_WAYS_MAX];
	struct extent_map *free[DCD_REGIONS_MAX];
};

struct fm_host {
	unsigned id;
	unsigned ways;
	struct fm_device *devices[FM_WAYS_MAX];
	struct fm_set *set;	/* ways > 1 */
};

/* What a request asks of one device. */
struct fm_part {
	struct fm_device *dev;
	struct fm_ranges ranges;	/* add: offered when the FM prescribed, else
					 * accepted; release: still to be released */
	uint64_t bytes;		/* accepted or released */
	bool prescribed;	/* add: the FM chose the DPA */
	uint64_t unanswered;	/* add, prescribed: offered bytes no 04h record
				 * has turned from pending to accepted yet */
	bool tag_based;		/* release: first command by tag */
	bool started;		/* a command of this part succeeded */
	bool closed;		/* answered, released or failed */
	enum proto_rc rc;	/* the refusal that closed it */
	enum proto_cause cause;
	GList waiting;		/* release: in dev->releasing while data is set */
};

struct fm_request {
	struct fm *fm;
	uint64_t id;
	bool finished;
	bool grant;		/* an add a release by id may still name */
	unsigned host;
	uint8_t region;
	uint8_t tag[PROTO_TAG_SIZE];
	uint64_t block_size;	/* region requests */
	bool sanitize;		/* region requests */
	uint64_t add_id;	/* releases by add: the grant being released */
	struct fm_report report;
	unsigned live_cmds;	/* queued, in flight or waiting to retry */
	uint64_t timer;
	unsigned nparts;
	/* Every command made, owned, linked through struct fm_cmd.sibling. */
	struct fm_cmd *cmds;
	/* From here on kept by request_alloc for the next request. */
	struct fm_part parts[FM_WAYS_MAX];
};

struct fm_cmd {
	struct fm_request *req;
	unsigned part;
	struct proto_fm_cmd cmd;
	SIM_VEC(struct proto_extent) extents;
	uint32_t retries;
	struct fm_cmd *next;	/* in its device's queue, or the spares */
	struct fm_cmd *sibling;	/* in its request's commands */
};

struct fm {
	struct sim *k;
	struct fm_config cfg;
	struct sim_rng *rng;
	GHashTable *devices;	/* id -> struct fm_device */
	GHashTable *hosts;	/* id -> struct fm_host */
	GPtrArray *sets;	/* struct fm_set *, owned */
	struct sim_table requests;	/* id -> struct fm_request * */
	fm_observer_fn observer;
	void *observer_data;
	struct fm_stats stats;
	GArray *alloc;		/* struct extent_range, extent_map_alloc's scratch */
	struct fm_ranges found;	/* scratch */
	/* Owned, their arrays kept; the commands linked through next. */
	SIM_VEC(struct fm_request *) spare_requests;
	struct fm_cmd *spare_cmds;
};

G_DEFINE_QUARK(dcdsim-fm-error-quark, fm_error)

static const char *const kind_names[] = { "add", "release", "region" };
static const char *const outcome_names[] = {
	"done", "partial", "rejected", "blocked", "failed", "forced", "timeout",
};

G_STATIC_ASSERT(G_N_ELEMENTS(kind_names) == FM_REQUEST_KIND_COUNT);
G_STATIC_ASSERT(G_N_ELEMENTS(outcome_names) == FM_OUTCOME_COUNT);
G_STATIC_ASSERT(sizeof(struct fm_add_request) <= SIM_PAYLOAD_MAX);
G_STATIC_ASSERT(sizeof(struct fm_release_request) <= SIM_PAYLOAD_MAX);
G_STATIC_ASSERT(sizeof(struct fm_region_request) <= SIM_PAYLOAD_MAX);

const char *fm_request_kind_name(enum fm_request_kind kind)
{
	return (unsigned)kind < FM_REQUEST_KIND_COUNT ? kind_names[kind] : "unknown";
}

const char *fm_outcome_name(enum fm_outcome outcome)
{
	return (unsigned)outcome < FM_OUTCOME_COUNT ? outcome_names[outcome] : "unknown";
}

void fm_config_init(struct fm_config *cfg)
{
	g_return_if_fail(cfg != NULL);
	*cfg = (struct fm_config){
		.alloc_policy = EXTENT_ALLOC_FIRST_FIT,
		.max_extents_per_add = 8,
		.retry_backoff = UINT64_C(100000),
		.retry_backoff_max = UINT64_C(10000000),
		.retry_max = 8,
		.release_timeout = UINT64_C(1000000000),
		.release_reissue_max = 2,
		.release_force = true,
		.release_sanitize = false,
	};
}

bool fm_config_validate(const struct fm_config *cfg, GError **error)
{
	const char *rule = NULL;

	g_return_val_if_fail(cfg != NULL, false);
	if ((unsigned)cfg->alloc_policy > EXTENT_ALLOC_RANDOM)
		rule = "unknown allocation policy";
	else if (cfg->max_extents_per_add == 0)
		rule = "extents per add is zero";
	else if (cfg->retry_backoff > cfg->retry_backoff_max)
		rule = "retry backoff exceeds its maximum";
	else if (cfg->release_timeout == 0)
		rule = "release timeout is zero";
	if (!rule)
		return true;
	g_set_error(error, FM_ERROR, FM_ERROR_CONFIG, "fm configuration: %s", rule);
	return false;
}

/* REQ, out of the requests table, and its commands become spares. */
static void request_recycle(struct fm_request *req)
{
	struct fm *fm = req->fm;
	struct fm_cmd *cmd, *sibling;

	for (cmd = req->cmds; cmd; cmd = sibling) {
		sibling = cmd->sibling;
		cmd->next = fm->spare_cmds;
		fm->spare_cmds = cmd;
	}
	req->cmds = NULL;
	sim_vec_push(&fm->spare_requests) = req;
}

static void set_free(gpointer data)
{
	struct fm_set *set = data;

	for (unsigned i = 0; i < DCD_REGIONS_MAX; i++)
		extent_map_free(set->free[i]);
	g_free(set);
}

static void device_free(gpointer data)
{
	struct fm_device *dev = data;

	for (unsigned i = 0; i < dev->cfg.nregions; i++)
		extent_map_free(dev->shadow[i]);
	g_ptr_array_unref(dev->sets);
	g_free(dev);
}

struct fm *fm_new(struct sim *k, const struct fm_config *cfg, GError **error)
{
	struct fm *fm;

	g_return_val_if_fail(k != NULL && cfg != NULL, NULL);
	if (!fm_config_validate(cfg, error))
		return NULL;
	fm = g_new0(struct fm, 1);
	fm->k = k;
	fm->cfg = *cfg;
	fm->rng = sim_stream(k, "fm");
	fm->devices = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, device_free);
	fm->hosts = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	fm->sets = g_ptr_array_new_with_free_func(set_free);
	sim_table_init(&fm->requests);
	fm->alloc = g_array_new(FALSE, FALSE, sizeof(struct extent_range));
	return fm;
}

void fm_free(struct fm *fm)
{
	if (!fm)
		return;
	for (uint32_t i = 0; i < sim_table_capacity(&fm->requests); i++)
		if (sim_table_ptr_at(&fm->requests, i))
			request_recycle(sim_table_ptr_at(&fm->requests, i));
	sim_table_clear(&fm->requests);
	for (uint32_t i = 0; i < fm->spare_requests.len; i++) {
		struct fm_request *req = fm->spare_requests.v[i];

		for (unsigned p = 0; p < FM_WAYS_MAX; p++)
			g_free(req->parts[p].ranges.v);
		g_free(req);
	}
	g_free(fm->spare_requests.v);
	while (fm->spare_cmds) {
		struct fm_cmd *cmd = fm->spare_cmds;

		fm->spare_cmds = cmd->next;
		g_free(cmd->extents.v);
		g_free(cmd);
	}
	g_hash_table_destroy(fm->devices);
	g_hash_table_destroy(fm->hosts);
	g_ptr_array_unref(fm->sets);
	g_array_unref(fm->alloc);
	g_free(fm->found.v);
	g_free(fm);
}

static struct fm_device *device_of(const struct fm *fm, unsigned id)
{
	return g_hash_table_lookup(fm->devices, GUINT_TO_POINTER(id));
}

bool fm_add_device(struct fm *fm, unsigned device, const struct dcd_config *cfg,
		   const struct proto_fm_api_port *port, GError **error)
{
	struct fm_device *dev;

	g_return_val_if_fail(fm != NULL && cfg != NULL && port != NULL, false);
	if (device_of(fm, device)) {
		g_set_error(error, FM_ERROR, FM_ERROR_CONFIG, "fm: device %u added twice", device);
		return false;
	}
	if (!dcd_config_validate(cfg, error))
		return false;
	dev = g_new0(struct fm_device, 1);
	dev->fm = fm;
	dev->id = device;
	dev->cfg = *cfg;
	dev->port = *port;
	dev->sets = g_ptr_array_new();
	g_queue_init(&dev->releasing);
	for (unsigned i = 0; i < cfg->nregions; i++)
		dev->shadow[i] = extent_map_new(cfg->regions[i].base, cfg->regions[i].len,
						cfg->regions[i].block_size);
	g_hash_table_insert(fm->devices, GUINT_TO_POINTER(device), dev);
	return true;
}

static void on_done(struct sim *k, void *target, const void *payload);
static void on_record(struct sim *k, void *target, const void *payload);
static void on_add(struct sim *k, void *target, const void *payload);
static void on_release(struct sim *k, void *target, const void *payload);
static void on_region(struct sim *k, void *target, const void *payload);

void fm_device_port(struct fm *fm, unsigned device, struct proto_fm_port *out)
{
	struct fm_device *dev;

	g_return_if_fail(fm != NULL && out != NULL);
	dev = device_of(fm, device);
	g_return_if_fail(dev != NULL);
	*out = (struct proto_fm_port){ .target = dev, .done = on_done, .record = on_record };
}

/* ---- interleave sets: the free-space intersection --------------------- */

/* Marks [LO, HI), whole blocks of MAP, used. */
static void isect_set_used(struct extent_map *map, uint64_t lo, uint64_t hi)
{
	struct extent_attr used;
	enum extent_map_status st;

	extent_attr_init(&used, EXTENT_ACCEPTED);
	st = extent_map_set(map, lo, hi - lo, &used);
	g_assert(st == EXTENT_MAP_OK);
}

/* Marks [START, START + LEN) of MAP used, widened to whole blocks of the
 * map (a device whose block size Set DC Region Config made finer than the
 * first device's); nothing to do when one used entry already covers it. */
static void isect_mark_used(struct extent_map *map, uint64_t start, uint64_t len)
{
	uint64_t mask = extent_map_get_block_size(map) - 1;
	uint64_t lo = start & ~mask, hi = (start + len + mask) & ~mask;
	struct extent_entry e;

	if (extent_map_lookup(map, lo, &e) && e.attr.state != EXTENT_FREE &&
	    e.start + e.len >= hi)
		return;
	isect_set_used(map, lo, hi);
}

struct isect_walk {
	struct extent_map *map;
	uint64_t lo, hi;		/* clip, in the device's DPA */
	uint64_t from, to;		/* the device's region base, the map's */
};

static int isect_visit(const struct extent_entry *e, void *data)
{
	struct isect_walk *w = data;
	uint64_t lo = MAX(e->start, w->lo), hi = MIN(e->start + e->len, w->hi);

	if (e->attr.state != EXTENT_FREE)
		isect_mark_used(w->map, lo - w->from + w->to, hi - lo);
	return 0;
}

/* A new intersection map of DEVICES' REGION, in the first device's
 * geometry, computed from scratch: every device's used DPA marked. */
static struct extent_map *isect_new(struct fm_device *const *devices, unsigned ways,
				    unsigned region)
{
	const struct dcd_region_config *r0 = &devices[0]->cfg.regions[region];
	struct extent_map *map = extent_map_new(r0->base, r0->len, r0->block_size);

	for (unsigned p = 0; p < ways; p++) {
		uint64_t from = devices[p]->cfg.regions[region].base;
		struct isect_walk w = { map, from, from + r0->len, from, r0->base };

		extent_map_foreach(devices[p]->shadow[region], w.lo, r0->len, isect_visit, &w);
	}
	return map;
}

static void set_rebuild(struct fm_set *set, unsigned region)
{
	extent_map_free(set->free[region]);
	set->free[region] = isect_new(set->devices, set->ways, region);
}

/* Frees in SET's intersection for REGION what became free on every device
 * within [LO, HI) (block aligned DPA of the map), without touching what
 * stays used: a sweep that, at each position, looks the entry up in every
 * device's shadow and skips a used one whole or frees the run free on all
 * (runs end on the map's blocks: a finer device's partly used block stays
 * used).  The lookups start after device FREED, whose change it is: the
 * devices of a set tend to return the same DPA one after the other in set
 * order, so the next one is the likeliest to be still using it.  FREED is
 * left out when its shadow is known free over all of [LO, HI): its
 * lookups could neither skip nor end a run. */
static void set_free_range(struct fm_set *set, unsigned region, uint64_t lo, uint64_t hi,
			   unsigned freed, bool freed_known)
{
	/* the map has the first device's geometry (isect_new) */
	const struct dcd_region_config *r0 = &set->devices[0]->cfg.regions[region];
	uint64_t base = r0->base, bs = r0->block_size;
	unsigned lookups = set->ways - freed_known;

	for (uint64_t pos = lo; pos < hi;) {
		uint64_t run = hi, skip = 0;
		unsigned p = freed;

		for (unsigned i = 0; i < lookups && !skip; i++) {
			const struct fm_device *dev;
			uint64_t from;
			struct extent_entry e;
			uint64_t end;

			p = p + 1 == set->ways ? 0 : p + 1;
			dev = set->devices[p];
			from = dev->cfg.regions[region].base;
			extent_map_lookup(dev->shadow[region], pos - base + from, &e);
			end = e.start + e.len - from + base;
			if (e.attr.state != EXTENT_FREE)
				skip = (end + bs - 1) & ~(bs - 1);
			else
				run = MIN(run, end & ~(bs - 1));
		}
		if (!skip && run <= pos)
			skip = pos + bs;
		if (skip) {
			pos = skip;
			continue;
		}
		extent_map_set(set->free[region], pos, run - pos, &extent_attr_free);
		pos = run;
	}
}

/* DEV's shadow of REGION changed over [START, START + LEN): to USED (used
 * on one device is used in the intersection), or to free (the other
 * devices' shadows decide; DEV's own is free over the range, which tells
 * nothing more when the range is whole blocks of the map). */
static void set_update(struct fm_set *set, const struct fm_device *dev, unsigned region,
		       uint64_t start, uint64_t len, bool used)
{
	const struct dcd_region_config *r0 = &set->devices[0]->cfg.regions[region];
	uint64_t at = start - dev->cfg.regions[region].base + r0->base;
	uint64_t mask = r0->block_size - 1;
	unsigned p = 0;

	if (used) {
		isect_mark_used(set->free[region], at, len);
		return;
	}
	while (set->devices[p] != dev)
		p++;
	set_free_range(set, region, at & ~mask, (at + len + mask) & ~mask, p,
		       !((at | len) & mask));
}

/* The set of DEVICES in this order, made (and its intersections computed)
 * the first time. */
static struct fm_set *set_get(struct fm *fm, struct fm_device *const *devices, unsigned ways)
{
	struct fm_set *set;

	for (guint i = 0; i < fm->sets->len; i++) {
		set = g_ptr_array_index(fm->sets, i);
		if (set->ways == ways && memcmp(set->devices, devices, ways * sizeof(*devices)) == 0)
			return set;
	}
	set = g_new0(struct fm_set, 1);
	set->ways = ways;
	memcpy(set->devices, devices, ways * sizeof(*devices));
	for (unsigned r = 0; r < devices[0]->cfg.nregions; r++)
		set_rebuild(set, r);
	for (unsigned p = 0; p < ways; p++)
		g_ptr_array_add(devices[p]->sets, set);
	g_ptr_array_add(fm->sets, set);
	return set;
}

static bool same_geometry(const struct dcd_config *a, const struct dcd_config *b)
{
	if (a->nregions != b->nregions)
		return false;
	for (unsigned i = 0; i < a->nregions; i++)
		if (a->regions[i].len != b->regions[i].len ||
		    a->regions[i].block_size != b->regions[i].block_size)
			return false;
	return true;
}

bool fm_add_host(struct fm *fm, unsigned host, const unsigned *devices, unsigned ways,
		 GError **error)
{
	struct fm_host *h;
	const char *rule = NULL;

	g_return_val_if_fail(fm != NULL && (devices != NULL || ways == 0), false);
	if (g_hash_table_contains(fm->hosts, GUINT_TO_POINTER(host)))
		rule = "is added twice";
	else if (ways == 0 || ways > FM_WAYS_MAX)
		rule = "interleave ways are not 1..16";
	for (unsigned p = 0; p < ways && !rule; p++) {
		struct fm_device *dev = device_of(fm, devices[p]);

		if (!dev)
			rule = "names a device the fm does not know";
		else if (host >= dev->cfg.nhosts)
			rule = "is not a host of one of its devices";
		else if (!same_geometry(&dev->cfg, &device_of(fm, devices[0])->cfg))
			rule = "interleaves devices whose regions differ in length or block size";
		for (unsigned q = 0; q < p && !rule; q++)
			if (devices[q] == devices[p])
				rule = "names a device twice";
	}
	if (rule) {
		g_set_error(error, FM_ERROR, FM_ERROR_CONFIG, "fm: host %u %s", host, rule);
		return false;
	}
	h = g_new0(struct fm_host, 1);
	h->id = host;
	h->ways = ways;
	for (unsigned p = 0; p < ways; p++)
		h->devices[p] = device_of(fm, devices[p]);
	if (ways > 1)
		h->set = set_get(fm, h->devices, ways);
	g_hash_table_insert(fm->hosts, GUINT_TO_POINTER(host), h);
	return true;
}

void fm_request_port(struct fm *fm, struct fm_request_port *out)
{
	g_return_if_fail(fm != NULL && out != NULL);
	*out = (struct fm_request_port){
		.target = fm,
		.add = on_add,
		.release = on_release,
		.region = on_region,
	};
}

void fm_set_observer(struct fm *fm, fm_observer_fn fn, void *data)
{
	g_return_if_fail(fm != NULL);
	fm->observer = fn;
	fm->observer_data = data;
}

void fm_get_stats(const struct fm *fm, struct fm_stats *out)
{
	g_return_if_fail(fm != NULL && out != NULL);
	*out = fm->stats;
}

const struct extent_map *fm_shadow_map(const struct fm *fm, unsigned device, unsigned region)
{
	const struct fm_device *dev;

	g_return_val_if_fail(fm != NULL, NULL);
	dev = device_of(fm, device);
	return dev && region < dev->cfg.nregions ? dev->shadow[region] : NULL;
}

struct free_list {
	GArray *out;	/* struct extent_range */
};

static int free_list_visit(const struct extent_entry *e, void *data)
{
	struct extent_range r = { e->start, e->len };

	g_array_append_val(((struct free_list *)data)->out, r);
	return 0;
}

static bool same_free_space(struct extent_map *a, struct extent_map *b)
{
	struct free_list x = { g_array_new(FALSE, FALSE, sizeof(struct extent_range)) };
	struct free_list y = { g_array_new(FALSE, FALSE, sizeof(struct extent_range)) };
	bool same;

	extent_map_foreach_free(a, free_list_visit, &x);
	extent_map_foreach_free(b, free_list_visit, &y);
	same = x.out->len == y.out->len &&
	       (x.out->len == 0 ||
		memcmp(x.out->data, y.out->data, x.out->len * sizeof(struct extent_range)) == 0);
	g_array_unref(x.out);
	g_array_unref(y.out);
	return same;
}

bool fm_check_invariants(const struct fm *fm, GError **error)
{
	GHashTableIter it;
	gpointer value;

	g_return_val_if_fail(fm != NULL, false);
	g_hash_table_iter_init(&it, fm->devices);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		const struct fm_device *dev = value;

		for (unsigned r = 0; r < dev->cfg.nregions; r++)
			if (!extent_map_check(dev->shadow[r], error)) {
				g_prefix_error(error, "fm: shadow of device %u region %u: ", dev->id, r);
				return false;
			}
	}
	for (guint i = 0; i < fm->sets->len; i++) {
		struct fm_set *set = g_ptr_array_index(fm->sets, i);

		for (unsigned r = 0; r < set->devices[0]->cfg.nregions; r++) {
			g_autoptr(extent_map) fresh = isect_new(set->devices, set->ways, r);

			if (!extent_map_check(set->free[r], error)) {
				g_prefix_error(error, "fm: intersection of set %u (device %u first) "
					       "region %u: ", i, set->devices[0]->id, r);
				return false;
			}
			if (!same_free_space(set->free[r], fresh)) {
				g_set_error(error, FM_ERROR, FM_ERROR_INVARIANT,
					    "fm: intersection of set %u (device %u first) region %u "
					    "differs from its devices' shadows", i, set->devices[0]->id, r);
				return false;
			}
		}
	}
	return true;
}

/* ---- requests and commands ------------------------------------------ */

static void request_maybe_free(struct fm_request *req)
{
	if (req->finished && req->live_cmds == 0 && !req->grant) {
		sim_table_drop(&req->fm->requests, req->id);
		request_recycle(req);
	}
}

/* A zeroed request, a spare if there is one: its part range arrays are
 * kept, empty.  Only the parts a request had (nparts) were touched: the
 * others are still zero but for their arrays. */
static struct fm_request *request_alloc(struct fm *fm)
{
	struct fm_request *req;
	unsigned used;

	if (!fm->spare_requests.len)
		return g_new0(struct fm_request, 1);
	req = fm->spare_requests.v[--fm->spare_requests.len];
	used = req->nparts;
	memset(req, 0, offsetof(struct fm_request, parts));
	for (unsigned p = 0; p < used; p++) {
		struct fm_ranges ranges = req->parts[p].ranges;

		ranges.len = 0;
		req->parts[p] = (struct fm_part){ .ranges = ranges };
	}
	return req;
}

static struct fm_request *request_new(struct fm *fm, uint64_t id, enum fm_request_kind kind)
{
	struct fm_request *req;

	if (id == 0 || sim_table_get(&fm->requests, id)) {
		sim_fail(fm->k, "fm: request id %" PRIu64 " is %s", id, id ? "reused" : "zero");
		return NULL;
	}
	req = request_alloc(fm);
	req->fm = fm;
	req->id = id;
	req->report.id = id;
	req->report.kind = kind;
	req->report.t_arrival = sim_now(fm->k);
	sim_table_put(&fm->requests, id, req);
	fm->stats.requests[kind]++;
	fm->stats.active++;
	return req;
}

/* PART of a release no longer counts what its device returns. */
static void release_part_unwait(struct fm_part *part)
{
	if (!part->waiting.data)
		return;
	g_queue_unlink(&part->dev->releasing, &part->waiting);
	part->waiting.data = NULL;
}

static void release_part_close(struct fm_part *part)
{
	part->closed = true;
	release_part_unwait(part);
}

static void request_finish(struct fm_request *req, enum fm_outcome outcome)
{
	struct fm *fm = req->fm;

	req->finished = true;
	req->report.outcome = outcome;
	req->report.t_done = sim_now(fm->k);
	sim_cancel(fm->k, req->timer);
	req->timer = SIM_HANDLE_NONE;
	for (unsigned p = 0; p < req->nparts; p++)
		release_part_unwait(&req->parts[p]);
	fm->stats.active--;
	fm->stats.outcomes[outcome]++;
	if (outcome == FM_OUTCOME_BLOCKED)
		fm->stats.blocked[req->report.cause]++;
	if (fm->observer)
		fm->observer(&req->report, fm->observer_data);
	request_maybe_free(req);
}

static void request_fail(struct fm_request *req, enum proto_rc rc)
{
	req->report.rc = rc;
	request_finish(req, FM_OUTCOME_FAILED);
}

static void request_block(struct fm_request *req, enum proto_cause cause)
{
	req->report.cause = cause;
	request_finish(req, FM_OUTCOME_BLOCKED);
}

static struct fm_cmd *cmd_new(struct fm_request *req, unsigned part, enum proto_opcode op)
{
	struct fm *fm = req->fm;
	struct fm_cmd *cmd = fm->spare_cmds;

	if (cmd) {
		struct proto_extent *extents = cmd->extents.v;
		uint32_t cap = cmd->extents.cap;

		fm->spare_cmds = cmd->next;
		memset(cmd, 0, sizeof(*cmd));
		cmd->extents.v = extents;
		cmd->extents.cap = cap;
	} else {
		cmd = g_new0(struct fm_cmd, 1);
	}
	cmd->req = req;
	cmd->part = part;
	cmd->cmd.opcode = (uint16_t)op;
	cmd->cmd.host = (uint16_t)req->host;
	cmd->cmd.region = req->region;
	cmd->cmd.sim.request = req->id;
	cmd->sibling = req->cmds;
	req->cmds = cmd;
	return cmd;
}

/* Appends the N ranges from R on to CMD's extents, with TAG (NULL: none);
 * the array grows once. */
static void cmd_add_extents(struct fm_cmd *cmd, const struct extent_range *r, uint32_t n,
			    const uint8_t *tag)
{
	struct proto_extent *ext;

	cmd->extents.v = sim_vec_reserve(cmd->extents.v, &cmd->extents.cap,
					 (size_t)cmd->extents.len + n, sizeof(*ext));
	ext = cmd->extents.v + cmd->extents.len;
	cmd->extents.len += n;
	for (uint32_t i = 0; i < n; i++) {
		ext[i] = (struct proto_extent){ .start = r[i].start, .len = r[i].len };
		if (tag)
			memcpy(ext[i].tag, tag, PROTO_TAG_SIZE);
	}
}

static void device_push(struct fm_device *dev, struct fm_cmd *cmd)
{
	cmd->next = NULL;
	if (dev->queue_tail)
		dev->queue_tail->next = cmd;
	else
		dev->queue_head = cmd;
	dev->queue_tail = cmd;
}

/* The head of DEV's queue, taken out; NULL when empty. */
static struct fm_cmd *device_pop(struct fm_device *dev)
{
	struct fm_cmd *cmd = dev->queue_head;

	if (cmd) {
		dev->queue_head = cmd->next;
		if (!dev->queue_head)
			dev->queue_tail = NULL;
	}
	return cmd;
}

/* Drops queued commands of finished requests, then sends the head. */
static void device_pump(struct fm_device *dev)
{
	struct fm *fm = dev->fm;
	struct fm_cmd *cmd;

	if (dev->busy)
		return;
	while ((cmd = dev->queue_head) && cmd->req->finished) {
		device_pop(dev);
		cmd->req->live_cmds--;
		request_maybe_free(cmd->req);
	}
	if (!cmd)
		return;
	dev->busy = true;
	fm->stats.commands++;
	if (!cmd->req->report.t_sent)
		cmd->req->report.t_sent = sim_now(fm->k);
	proto_fm_api_send(fm->k, &dev->port, &cmd->cmd, cmd->extents.v, cmd->extents.len);
}

static void cmd_queue(struct fm_cmd *cmd)
{
	struct fm_device *dev = cmd->req->parts[cmd->part].dev;

	device_push(dev, cmd);
	device_pump(dev);
}

static void cmd_submit(struct fm_cmd *cmd)
{
	cmd->req->live_cmds++;
	cmd_queue(cmd);
}

static void on_retry(struct sim *k, void *target, const void *payload)
{
	struct fm_cmd *cmd;

	(void)k;
	(void)target;
	memcpy(&cmd, payload, sizeof(cmd));
	cmd_queue(cmd);
}

static uint64_t backoff(const struct fm_config *cfg, uint32_t retry)
{
	uint64_t d = cfg->retry_backoff;

	for (uint32_t i = 1; i < retry && d < cfg->retry_backoff_max; i++)
		d = d > cfg->retry_backoff_max / 2 ? cfg->retry_backoff_max : 2 * d;
	return MIN(d, cfg->retry_backoff_max);
}

static int region_of(const struct fm_device *dev, uint64_t dpa)
{
	for (unsigned i = 0; i < dev->cfg.nregions; i++) {
		const struct dcd_region_config *r = &dev->cfg.regions[i];

		if (dpa >= r->base && dpa - r->base < r->len)
			return (int)i;
	}
	return -1;
}

static void shadow_fail(const struct fm_device *dev, uint64_t start, uint64_t len)
{
	sim_fail(dev->fm->k, "fm: device %u reported [%#" PRIx64 ", +%#" PRIx64
		 ") outside its regions", dev->id, start, len);
}

/* Gives [START, START + LEN) of DEV's shadow of REGION ATTR and brings the
 * intersections of DEV's sets, except UP_TO_DATE (NULL: none), in step.
 * They change only where the device's free space does: a change between
 * used states (pending to accepted) or freeing free space leaves them be,
 * which the shadow's free byte count tells at no cost. */
static void shadow_set(struct fm_device *dev, unsigned region, uint64_t start, uint64_t len,
		       const struct extent_attr *attr, const struct fm_set *up_to_date)
{
	struct extent_map *shadow = dev->shadow[region];
	uint64_t was_free = extent_map_get_bytes(shadow, EXTENT_FREE);

	if (extent_map_set(shadow, start, len, attr) != EXTENT_MAP_OK) {
		shadow_fail(dev, start, len);
		return;
	}
	if (extent_map_get_bytes(shadow, EXTENT_FREE) == was_free)
		return;
	for (guint i = 0; i < dev->sets->len; i++) {
		struct fm_set *set = g_ptr_array_index(dev->sets, i);

		if (set != up_to_date)
			set_update(set, dev, region, start, len, attr->state != EXTENT_FREE);
	}
}

struct shadow_walk {
	struct fm_ranges *out;
	int host;
	uint64_t group;			/* 0: any */
	const uint8_t *tag;		/* NULL: any */
	bool pending;			/* take pending entries too */
	bool accepted;
};

/* Appends to W->out the entries of REGION of DEV that W selects, clipped to
 * [START, START + LEN) (no alignment needed, LEN may run past 2^64).  A
 * lookup per entry, as extent_map_foreach would, without a call back per
 * entry. */
static void shadow_collect(struct fm_device *dev, unsigned region, uint64_t start, uint64_t len,
			   const struct shadow_walk *w)
{
	const struct dcd_region_config *c = &dev->cfg.regions[region];
	uint64_t end = len > UINT64_MAX - start ? UINT64_MAX : start + len;
	struct extent_entry e;

	end = MIN(end, c->base + c->len);
	for (uint64_t pos = MAX(start, c->base); pos < end; pos = e.start + e.len) {
		const struct extent_attr *at = &e.attr;
		uint64_t lo;

		extent_map_lookup(dev->shadow[region], pos, &e);
		if (!((w->accepted && at->state == EXTENT_ACCEPTED) ||
		      (w->pending && at->state == EXTENT_PENDING)) ||
		    at->host != w->host || (w->group && at->group != w->group) ||
		    (w->tag && !proto_tag_equal(at->tag, w->tag)))
			continue;
		lo = MAX(e.start, start);
		sim_vec_push(w->out) = (struct extent_range){ lo, MIN(e.start + e.len, end) - lo };
	}
}

/* An unanswered or refused offer: the DPA the FM reserved for it is free
 * again, unless a record has told otherwise meanwhile.  Nothing to look
 * for once records have taken the whole offer from pending. */
static void shadow_release_pending(struct fm_request *req, struct fm_part *part)
{
	struct shadow_walk w = {
		.out = &req->fm->found, .host = (int)req->host, .group = req->id, .pending = true,
	};

	if (!part->prescribed || !part->unanswered)
		return;
	w.out->len = 0;
	for (uint32_t i = 0; i < part->ranges.len; i++) {
		const struct extent_range *r = &part->ranges.v[i];

		shadow_collect(part->dev, req->region, r->start, r->len, &w);
	}
	for (uint32_t i = 0; i < w.out->len; i++) {
		const struct extent_range *r = &w.out->v[i];

		shadow_set(part->dev, req->region, r->start, r->len, &extent_attr_free, NULL);
	}
}

/* True when R lies inside one range of RANGES. */
static bool ranges_hold(const struct fm_ranges *ranges, const struct extent_range *r)
{
	for (uint32_t i = 0; i < ranges->len; i++) {
		const struct extent_range *x = &ranges->v[i];

		if (r->start >= x->start && r->start + r->len <= x->start + x->len)
			return true;
	}
	return false;
}

static bool parts_all(const struct fm_request *req, bool closed)
{
	for (unsigned p = 0; p < req->nparts; p++)
		if (closed ? !req->parts[p].closed : !req->parts[p].started)
			return false;
	return true;
}

static struct fm_part *part_of(struct fm_request *req, const struct fm_device *dev)
{
	for (unsigned p = 0; p < req->nparts; p++)
		if (req->parts[p].dev == dev)
			return &req->parts[p];
	return NULL;
}

/* ---- adds ------------------------------------------------------------ */

static enum proto_cause alloc_cause(enum extent_map_status st)
{
	return st == EXTENT_MAP_ERR_NO_SPACE ? PROTO_CAUSE_NO_CAPACITY : PROTO_CAUSE_NO_CONTIGUOUS;
}

/* Chooses DPA for every part of an add the FM prescribes: with one way in
 * the device's shadow, with more in SET's intersection of the shadows, so
 * that every part sits at the same region offset.  The intersection map
 * keeps no next-fit history: its cursor starts at the region base for
 * every add, as a map built for the add would.  What it chose is free in
 * the intersection: marking it used there at once spares each device's
 * shadow change a look at it. */
static enum proto_cause add_choose(struct fm_request *req, struct fm_set *set, uint64_t part_size,
				   bool contiguous)
{
	struct fm *fm = req->fm;
	struct fm_device *first = req->parts[0].dev;
	const struct dcd_region_config *r0 = &first->cfg.regions[req->region];
	struct extent_map *map = first->shadow[req->region];
	uint32_t max = contiguous ? 1 : fm->cfg.max_extents_per_add;
	uint64_t random = 0;
	const struct extent_range *chosen;
	enum extent_map_status st;

	for (unsigned p = 0; p < req->nparts; p++) {
		const struct dcd_config *c = &req->parts[p].dev->cfg;

		max = MIN(max, proto_payload_fm_extents(c->payload_size));
		if (c->profile == DCD_PROFILE_SPEC)
			max = MIN(max, c->log_capacity);
	}
	if (set) {
		map = set->free[req->region];
		extent_map_set_cursor(map, r0->base);
	}
	if (fm->cfg.alloc_policy == EXTENT_ALLOC_RANDOM)
		random = sim_rng_next(fm->rng);
	g_array_set_size(fm->alloc, 0);
	st = extent_map_alloc(map, fm->cfg.alloc_policy, part_size, max, random, fm->alloc);
	if (st != EXTENT_MAP_OK)
		return alloc_cause(st);
	chosen = &g_array_index(fm->alloc, struct extent_range, 0);
	for (guint i = 0; set && i < fm->alloc->len; i++) {
		const struct extent_range *r = &chosen[i];

		isect_set_used(map, r->start, r->start + r->len);
	}
	for (unsigned p = 0; p < req->nparts; p++) {
		struct fm_part *part = &req->parts[p];
		uint64_t base = part->dev->cfg.regions[req->region].base;
		struct extent_attr attr;

		extent_attr_init(&attr, EXTENT_PENDING);
		attr.host = (int)req->host;
		attr.group = req->id;
		memcpy(attr.tag, req->tag, PROTO_TAG_SIZE);
		part->prescribed = true;
		/* a new request's ranges are empty */
		part->ranges.v = sim_vec_reserve(part->ranges.v, &part->ranges.cap, fm->alloc->len,
						 sizeof(*part->ranges.v));
		part->ranges.len = fm->alloc->len;
		for (guint i = 0; i < fm->alloc->len; i++) {
			struct extent_range *r = &part->ranges.v[i];

			*r = chosen[i];
			r->start = r->start - r0->base + base;
			part->unanswered += r->len;
			shadow_set(part->dev, req->region, r->start, r->len, &attr, set);
		}
	}
	return PROTO_CAUSE_NONE;
}

static enum proto_rc add_validate(const struct fm_add_request *r, const struct fm_host *h)
{
	uint64_t part_size;

	if (r->policy == PROTO_SELECT_SHARED)
		return PROTO_RC_UNSUPPORTED;
	if (r->policy > PROTO_SELECT_PRESCRIPTIVE || r->size == 0 || r->size % h->ways)
		return PROTO_RC_INVALID_INPUT;
	part_size = r->size / h->ways;
	for (unsigned p = 0; p < h->ways; p++) {
		const struct dcd_config *c = &h->devices[p]->cfg;

		if (r->region >= c->nregions || part_size % c->regions[r->region].block_size)
			return PROTO_RC_INVALID_INPUT;
	}
	return PROTO_RC_SUCCESS;
}

static void on_add(struct sim *k, void *target, const void *payload)
{
	struct fm *fm = target;
	const struct fm_add_request *r = payload;
	struct fm_request *req = request_new(fm, r->id, FM_REQUEST_ADD);
	const struct fm_host *h;
	bool prescribe;
	enum proto_cause cause;
	enum proto_rc rc;
	uint64_t part_size;

	(void)k;
	if (!req)
		return;
	req->host = r->host;
	req->region = r->region;
	memcpy(req->tag, r->tag, PROTO_TAG_SIZE);
	req->report.host = r->host;
	req->report.size = r->size;
	h = g_hash_table_lookup(fm->hosts, GUINT_TO_POINTER((unsigned)r->host));
	if (!h) {
		request_fail(req, PROTO_RC_INVALID_INPUT);
		return;
	}
	req->report.ways = h->ways;
	rc = add_validate(r, h);
	if (rc != PROTO_RC_SUCCESS) {
		request_fail(req, rc);
		return;
	}
	part_size = r->size / h->ways;
	prescribe = r->policy == PROTO_SELECT_PRESCRIPTIVE || h->ways > 1;
	req->nparts = h->ways;
	for (unsigned p = 0; p < h->ways; p++) {
		req->parts[p].dev = h->devices[p];
		prescribe = prescribe || h->devices[p]->cfg.profile == DCD_PROFILE_QEMU;
	}
	if (prescribe) {
		cause = add_choose(req, h->set, part_size, r->policy == PROTO_SELECT_CONTIGUOUS);
		if (cause != PROTO_CAUSE_NONE) {
			request_block(req, cause);
			return;
		}
	}
	for (unsigned p = 0; p < h->ways; p++) {
		struct fm_part *part = &req->parts[p];
		struct fm_cmd *cmd = cmd_new(req, p, PROTO_OP_INITIATE_DC_ADD);

		cmd->cmd.policy = prescribe ? PROTO_SELECT_PRESCRIPTIVE : r->policy;
		cmd->cmd.length = part_size;
		memcpy(cmd->cmd.tag, r->tag, PROTO_TAG_SIZE);
		if (prescribe)
			cmd_add_extents(cmd, part->ranges.v, part->ranges.len, r->tag);
		cmd_submit(cmd);
	}
}

static void add_finish(struct fm_request *req)
{
	struct fm_report *rep = &req->report;

	for (unsigned p = 0; p < req->nparts; p++) {
		const struct fm_part *part = &req->parts[p];

		if (part->rc == PROTO_RC_RESOURCES_EXHAUSTED ||
		    part->rc == PROTO_RC_RETRY_REQUIRED) {
			rep->cause = part->cause;
			request_finish(req, FM_OUTCOME_BLOCKED);
			return;
		}
	}
	for (unsigned p = 0; p < req->nparts; p++)
		if (req->parts[p].rc != PROTO_RC_SUCCESS) {
			request_fail(req, req->parts[p].rc);
			return;
		}
	req->grant = rep->bytes > 0;
	request_finish(req, rep->bytes == 0		 ? FM_OUTCOME_REJECTED
			    : rep->bytes >= rep->size ? FM_OUTCOME_DONE
						      : FM_OUTCOME_PARTIAL);
}

static void add_done(struct fm_request *req, struct fm_part *part, enum proto_rc rc,
		     enum proto_cause cause)
{
	if (rc == PROTO_RC_SUCCESS) {
		part->started = true;
		if (parts_all(req, false))
			req->report.t_started = sim_now(req->fm->k);
		return;
	}
	part->rc = rc;
	part->cause = cause;
	part->closed = true;
	shadow_release_pending(req, part);
	if (parts_all(req, true))
		add_finish(req);
}

static void add_record(struct fm_device *dev, const struct proto_record *rec)
{
	struct fm_request *req = sim_table_get(&dev->fm->requests, rec->sim.request);
	struct fm_part *part = req && !req->finished ? part_of(req, dev) : NULL;

	if (!part || part->closed || req->report.kind != FM_REQUEST_ADD) {
		sim_fail(dev->fm->k, "fm: add capacity response from device %u for request %" PRIu64
			 ", which awaits none", dev->id, rec->sim.request);
		return;
	}
	if (rec->extent.len) {
		struct extent_attr attr;
		struct extent_range r = { rec->extent.start, rec->extent.len };
		int region = region_of(dev, r.start);
		/* the pending bytes this takes are the offer's when it lies
		 * inside the offer */
		bool answers = part->prescribed && ranges_hold(&part->ranges, &r);

		extent_attr_init(&attr, EXTENT_ACCEPTED);
		attr.host = rec->host;
		attr.group = req->id;
		memcpy(attr.tag, rec->extent.tag, PROTO_TAG_SIZE);
		attr.seq = rec->extent.seq;
		if (region < 0) {
			shadow_fail(dev, r.start, r.len);
		} else {
			struct extent_map *shadow = dev->shadow[region];
			uint64_t was_pending = extent_map_get_bytes(shadow, EXTENT_PENDING);

			shadow_set(dev, (unsigned)region, r.start, r.len, &attr, NULL);
			if (answers)
				part->unanswered -= MIN(part->unanswered,
							was_pending -
								extent_map_get_bytes(shadow, EXTENT_PENDING));
		}
		part->bytes += r.len;
		req->report.bytes += r.len;
		if (!part->prescribed)
			sim_vec_push(&part->ranges) = r;
	}
	if (rec->flags & PROTO_RECORD_MORE)
		return;
	part->closed = true;
	shadow_release_pending(req, part);
	if (parts_all(req, true))
		add_finish(req);
}

/* ---- releases -------------------------------------------------------- */

static uint64_t ranges_bytes(const struct fm_ranges *ranges)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < ranges->len; i++)
		n += ranges->v[i].len;
	return n;
}

/* Removes [START, START + LEN) from RANGES; returns the bytes removed. */
static uint64_t ranges_cut(struct fm_ranges *ranges, uint64_t start, uint64_t len)
{
	uint64_t end = start + len, cut = 0;

	for (uint32_t i = 0; i < ranges->len;) {
		struct extent_range *r = &ranges->v[i];
		uint64_t r_end = r->start + r->len;
		uint64_t lo = MAX(r->start, start), hi = MIN(r_end, end);

		if (lo >= hi) {
			i++;
			continue;
		}
		cut += hi - lo;
		if (lo > r->start && hi < r_end) {
			struct extent_range tail = { hi, r_end - hi };

			r->len = lo - r->start;
			ranges->v = sim_vec_reserve(ranges->v, &ranges->cap, (size_t)ranges->len + 1,
						    sizeof(*ranges->v));
			memmove(&ranges->v[i + 2], &ranges->v[i + 1],
				(ranges->len - i - 1) * sizeof(*ranges->v));
			ranges->v[i + 1] = tail;
			ranges->len++;
			i += 2;
		} else if (lo > r->start) {
			r->len = lo - r->start;
			i++;
		} else if (hi < r_end) {
			r->len = r_end - hi;
			r->start = hi;
			i++;
		} else {
			memmove(r, r + 1, (--ranges->len - i) * sizeof(*r));
		}
	}
	return cut;
}

static void release_check(struct fm_request *req)
{
	struct fm_request *src;

	if (req->finished || !parts_all(req, true))
		return;
	for (unsigned p = 0; p < req->nparts; p++)
		if (req->parts[p].rc != PROTO_RC_SUCCESS) {
			request_fail(req, req->parts[p].rc);
			return;
		}
	src = req->add_id ? sim_table_get(&req->fm->requests, req->add_id) : NULL;
	if (src) {
		src->grant = false;
		request_maybe_free(src);
	}
	request_finish(req, req->report.forced ? FM_OUTCOME_FORCED : FM_OUTCOME_DONE);
}

/* Sends what is left of every open part: by tag the first time where the
 * part asks for it, else the remaining ranges in commands as long as the
 * device takes (payload, and under spec the log for non-forced ones). */
static void release_issue(struct fm_request *req, bool forced)
{
	struct fm *fm = req->fm;
	uint8_t flags = (forced ? PROTO_RELEASE_FORCED : 0) |
			(fm->cfg.release_sanitize ? PROTO_RELEASE_SANITIZE : 0);

	for (unsigned p = 0; p < req->nparts; p++) {
		struct fm_part *part = &req->parts[p];
		const struct dcd_config *c = &part->dev->cfg;
		uint32_t chunk = proto_payload_fm_extents(c->payload_size);
		struct fm_cmd *cmd = NULL;

		if (part->closed)
			continue;
		if (part->tag_based) {
			part->tag_based = false;
			cmd = cmd_new(req, p, PROTO_OP_INITIATE_DC_RELEASE);
			cmd->cmd.policy = PROTO_REMOVAL_TAG | flags;
			memcpy(cmd->cmd.tag, req->tag, PROTO_TAG_SIZE);
			cmd_submit(cmd);
			continue;
		}
		if (!forced && c->profile == DCD_PROFILE_SPEC)
			chunk = MIN(chunk, c->log_capacity);
		/* a command per run of up to CHUNK ranges in the command's region
		 * (outside the regions: region 0) */
		for (uint32_t i = 0, n; i < part->ranges.len; i += n) {
			int region = MAX(region_of(part->dev, part->ranges.v[i].start), 0);

			for (n = 1; i + n < part->ranges.len && n != chunk &&
				    region_of(part->dev, part->ranges.v[i + n].start) == region;
			     n++)
				;
			cmd = cmd_new(req, p, PROTO_OP_INITIATE_DC_RELEASE);
			cmd->cmd.policy = PROTO_REMOVAL_PRESCRIPTIVE | flags;
			cmd->cmd.region = (uint8_t)region;
			cmd_add_extents(cmd, &part->ranges.v[i], n, NULL);
			cmd_submit(cmd);
		}
	}
}

static void on_release_timeout(struct sim *k, void *target, const void *payload);

static void release_arm(struct fm_request *req)
{
	struct fm *fm = req->fm;

	req->timer = sim_schedule(fm->k, fm->cfg.release_timeout, on_release_timeout, fm,
				  &req->id, sizeof(req->id));
}

static void release_force(struct fm_request *req)
{
	struct fm *fm = req->fm;

	req->report.forced = true;
	req->report.t_forced = sim_now(fm->k);
	fm->stats.forced++;
	release_issue(req, true);
}

static void on_release_timeout(struct sim *k, void *target, const void *payload)
{
	struct fm *fm = target;
	struct fm_request *req = sim_table_get(&fm->requests, *(const uint64_t *)payload);

	(void)k;
	if (!req || req->finished)
		return;
	req->timer = SIM_HANDLE_NONE;
	if (req->report.reissues < fm->cfg.release_reissue_max) {
		req->report.reissues++;
		fm->stats.reissues++;
		release_issue(req, false);
		release_arm(req);
	} else if (fm->cfg.release_force) {
		release_force(req);
	} else {
		request_finish(req, FM_OUTCOME_TIMEOUT);
	}
}

/* What a release by add id names on each device: the grant's accepted
 * entries (and, forced, its pending ones). */
static enum proto_rc release_by_add(struct fm_request *req, const struct fm_release_request *r)
{
	struct fm_request *src = sim_table_get(&req->fm->requests, r->add_id);

	if (!src || src->report.kind != FM_REQUEST_ADD || src->host != r->host ||
	    (src->finished && !src->grant))
		return PROTO_RC_INVALID_INPUT;
	req->add_id = r->add_id;
	req->region = src->region;
	req->nparts = src->nparts;
	for (unsigned p = 0; p < src->nparts; p++) {
		struct fm_part *from = &src->parts[p];
		struct shadow_walk w = {
			.out = &req->parts[p].ranges,
			.host = (int)r->host,
			.group = src->id,
			.accepted = true,
			.pending = r->forced,
		};

		for (uint32_t i = 0; i < from->ranges.len; i++) {
			const struct extent_range *x = &from->ranges.v[i];

			shadow_collect(from->dev, src->region, x->start, x->len, &w);
		}
		req->parts[p].dev = from->dev;
	}
	return PROTO_RC_SUCCESS;
}

static enum proto_rc release_by_tag(struct fm_request *req, const struct fm_release_request *r,
				    const struct fm_host *h)
{
	if (proto_tag_is_zero(r->tag))
		return PROTO_RC_INVALID_INPUT;
	memcpy(req->tag, r->tag, PROTO_TAG_SIZE);
	req->region = r->region;
	req->nparts = h->ways;
	for (unsigned p = 0; p < h->ways; p++) {
		struct fm_device *dev = h->devices[p];
		struct shadow_walk w = {
			.out = &req->parts[p].ranges,
			.host = (int)r->host,
			.tag = r->tag,
			.accepted = true,
			.pending = r->forced,
		};

		if (r->region >= dev->cfg.nregions)
			return PROTO_RC_INVALID_INPUT;
		shadow_collect(dev, r->region, 0, UINT64_MAX, &w);
		req->parts[p].dev = dev;
		req->parts[p].tag_based = dev->cfg.profile == DCD_PROFILE_SPEC && w.out->len;
	}
	return PROTO_RC_SUCCESS;
}

static enum proto_rc release_by_range(struct fm_request *req, const struct fm_release_request *r,
				      const struct fm_host *h)
{
	struct fm_device *dev = device_of(req->fm, r->device);
	struct extent_range x = { r->start, r->len };
	bool member = false;

	for (unsigned p = 0; p < h->ways; p++)
		member = member || h->devices[p] == dev;
	if (!member || r->len == 0)
		return PROTO_RC_INVALID_INPUT;
	req->nparts = 1;
	req->parts[0].dev = dev;
	sim_vec_push(&req->parts[0].ranges) = x;
	return PROTO_RC_SUCCESS;
}

static void on_release(struct sim *k, void *target, const void *payload)
{
	struct fm *fm = target;
	const struct fm_release_request *r = payload;
	struct fm_request *req = request_new(fm, r->id, FM_REQUEST_RELEASE);
	const struct fm_host *h;
	enum proto_rc rc;

	(void)k;
	if (!req)
		return;
	req->host = r->host;
	req->report.host = r->host;
	h = g_hash_table_lookup(fm->hosts, GUINT_TO_POINTER((unsigned)r->host));
	if (!h) {
		request_fail(req, PROTO_RC_INVALID_INPUT);
		return;
	}
	req->report.ways = h->ways;
	switch (r->by) {
	case FM_RELEASE_BY_ADD:
		rc = release_by_add(req, r);
		break;
	case FM_RELEASE_BY_TAG:
		rc = release_by_tag(req, r, h);
		break;
	case FM_RELEASE_BY_RANGE:
		rc = release_by_range(req, r, h);
		break;
	default:
		rc = PROTO_RC_INVALID_INPUT;
		break;
	}
	if (rc != PROTO_RC_SUCCESS) {
		request_fail(req, rc);
		return;
	}
	for (unsigned p = 0; p < req->nparts; p++) {
		struct fm_part *part = &req->parts[p];

		req->report.size += ranges_bytes(&part->ranges);
		part->closed = part->ranges.len == 0;
		if (!part->closed) {
			part->waiting.data = req;
			g_queue_push_tail_link(&part->dev->releasing, &part->waiting);
		}
	}
	if (req->report.size == 0) {
		/* nothing the FM knows of is assigned there */
		request_fail(req, PROTO_RC_INVALID_PA);
		return;
	}
	if (r->forced) {
		release_force(req);
	} else {
		release_issue(req, false);
		release_arm(req);
	}
}

static void release_done(struct fm_request *req, struct fm_part *part, enum proto_rc rc)
{
	if (rc == PROTO_RC_SUCCESS) {
		part->started = true;
		if (parts_all(req, false) && !req->report.t_started)
			req->report.t_started = sim_now(req->fm->k);
		return;
	}
	/* Retry Required past the limit: the timeout re-issues or forces */
	if (rc == PROTO_RC_RETRY_REQUIRED || part->closed)
		return;
	part->rc = rc;
	release_part_close(part);
	release_check(req);
}

/* Capacity came back: the shadow frees it, and every release of that host
 * on that device that waited for it counts it. */
static void released_record(struct fm_device *dev, const struct proto_record *rec)
{
	int region = region_of(dev, rec->extent.start);
	GList *next;

	if (region < 0)
		shadow_fail(dev, rec->extent.start, rec->extent.len);
	else
		shadow_set(dev, (unsigned)region, rec->extent.start, rec->extent.len, &extent_attr_free,
			   NULL);
	for (GList *l = dev->releasing.head; l; l = next) {
		struct fm_request *req = l->data;
		struct fm_part *part = (struct fm_part *)((char *)l - offsetof(struct fm_part, waiting));
		uint64_t cut;

		next = l->next;		/* release_check may unlink L */
		if (req->host != rec->host)
			continue;
		cut = ranges_cut(&part->ranges, rec->extent.start, rec->extent.len);
		part->bytes += cut;
		req->report.bytes += cut;
		if (cut && part->ranges.len == 0) {
			release_part_close(part);
			release_check(req);
		}
	}
}

/* ---- region configuration ------------------------------------------- */

static void on_region(struct sim *k, void *target, const void *payload)
{
	struct fm *fm = target;
	const struct fm_region_request *r = payload;
	struct fm_request *req = request_new(fm, r->id, FM_REQUEST_REGION);
	struct fm_device *dev;
	struct fm_cmd *cmd;

	(void)k;
	if (!req)
		return;
	dev = device_of(fm, r->device);
	if (!dev || r->region >= dev->cfg.nregions) {
		request_fail(req, PROTO_RC_INVALID_INPUT);
		return;
	}
	req->region = r->region;
	req->block_size = r->block_size;
	req->sanitize = r->sanitize;
	req->nparts = 1;
	req->parts[0].dev = dev;
	cmd = cmd_new(req, 0, PROTO_OP_SET_DC_REGION_CONFIG);
	cmd->cmd.block_size = r->block_size;
	cmd->cmd.policy = r->sanitize ? PROTO_REGION_SANITIZE : 0;
	cmd_submit(cmd);
}

static void region_done(struct fm_request *req, enum proto_rc rc)
{
	struct fm_device *dev = req->parts[0].dev;
	struct dcd_region_config *c = &dev->cfg.regions[req->region];

	if (rc != PROTO_RC_SUCCESS) {
		request_fail(req, rc);
		return;
	}
	c->sanitize_on_release = req->sanitize;
	if (c->block_size != req->block_size) {
		c->block_size = req->block_size;
		extent_map_free(dev->shadow[req->region]);
		dev->shadow[req->region] = extent_map_new(c->base, c->len, c->block_size);
		for (guint i = 0; i < dev->sets->len; i++)
			set_rebuild(g_ptr_array_index(dev->sets, i), req->region);
	}
	request_finish(req, FM_OUTCOME_DONE);
}

/* ---- messages from devices ------------------------------------------ */

static void on_done(struct sim *k, void *target, const void *payload)
{
	struct fm_device *dev = target;
	struct fm *fm = dev->fm;
	const struct proto_fm_done *done = payload;
	struct fm_cmd *cmd = device_pop(dev);
	struct fm_request *req;
	enum proto_rc rc = (enum proto_rc)done->rc;
	enum proto_cause cause = (enum proto_cause)done->sim_cause;

	if (!dev->busy || !cmd || cmd->cmd.opcode != done->opcode ||
	    cmd->cmd.sim.request != done->sim.request) {
		sim_fail(k, "fm: device %u completed a command the fm did not send", dev->id);
		return;
	}
	dev->busy = false;
	req = cmd->req;
	if (rc == PROTO_RC_RETRY_REQUIRED && cmd->retries < fm->cfg.retry_max && !req->finished) {
		cmd->retries++;
		req->report.retries++;
		fm->stats.retries++;
		sim_schedule(k, backoff(&fm->cfg, cmd->retries), on_retry, fm, &cmd, sizeof(cmd));
		device_pump(dev);
		return;
	}
	/* finishing the request may free it: nothing touches it after */
	req->live_cmds--;
	if (req->finished)
		request_maybe_free(req);
	else if (req->report.kind == FM_REQUEST_ADD)
		add_done(req, &req->parts[cmd->part], rc, cause);
	else if (req->report.kind == FM_REQUEST_RELEASE)
		release_done(req, &req->parts[cmd->part], rc);
	else
		region_done(req, rc);
	device_pump(dev);
}

static void on_record(struct sim *k, void *target, const void *payload)
{
	struct fm_device *dev = target;
	const struct proto_record *rec = payload;

	switch (rec->type) {
	case PROTO_EVENT_ADD_RESPONSE:
		add_record(dev, rec);
		break;
	case PROTO_EVENT_CAPACITY_RELEASED:
		released_record(dev, rec);
		break;
	default:
		sim_fail(k, "fm: device %u sent a %s record to the fm", dev->id,
			 proto_event_name((enum proto_event)rec->type));
		break;
	}
}
