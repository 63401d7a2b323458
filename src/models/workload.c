/* The workload entity: generators and items become add requests; online
 * capacity is used, then stopped and released on the holding time. */
#include "models/workload.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

/* Request ids: the source (0 for items, g + 1 for generator g) above
 * SOURCE_SHIFT, a per-source count below; release ids have RELEASE_BIT,
 * region configuration ids REGION_BIT. */
#define SOURCE_SHIFT 40
#define SEQ_MASK ((UINT64_C(1) << SOURCE_SHIFT) - 1)
#define RELEASE_BIT (UINT64_C(1) << 62)
#define REGION_BIT (UINT64_C(1) << 63)
#define SIZE_MAX_BYTES (UINT64_C(1) << 62)

struct generator {
	struct workload *w;
	unsigned index;
	struct workload_gen_config cfg;
	struct sim_rng *rng;
	uint64_t count;
};

struct workload {
	struct sim *k;
	unsigned nhosts;
	GPtrArray *gens;		/* struct generator *, owned */
	GArray *items;			/* struct workload_item */
	bool fm_connected;
	struct fm_request_port fm;
	struct host_app_port *hosts;	/* by host id */
	bool *host_connected;
	uint64_t next_release;
	uint64_t next_region;
	workload_observer_fn observer;
	void *observer_data;
	struct workload_stats stats;
};

/* A timed action on an online request. */
struct timer_msg {
	uint64_t request;
	uint32_t host;
	uint8_t forced;
};

G_DEFINE_QUARK(dcdsim-workload-error-quark, workload_error)

static const char *const dist_names[] = {
	"fixed", "uniform", "exponential", "normal", "lognormal", "pareto", "weibull",
};

const char *workload_dist_name(enum workload_dist_kind kind)
{
	return (unsigned)kind < G_N_ELEMENTS(dist_names) ? dist_names[kind] : "unknown";
}

bool workload_dist_from_name(const char *name, enum workload_dist_kind *out)
{
	g_return_val_if_fail(name != NULL && out != NULL, false);
	for (unsigned i = 0; i < G_N_ELEMENTS(dist_names); i++)
		if (strcmp(dist_names[i], name) == 0) {
			*out = (enum workload_dist_kind)i;
			return true;
		}
	return false;
}

double workload_dist_draw(const struct workload_dist *d, struct sim_rng *r)
{
	double x = 0;

	g_return_val_if_fail(d != NULL && r != NULL, 0);
	switch (d->kind) {
	case WORKLOAD_DIST_FIXED:
		x = d->a;
		break;
	case WORKLOAD_DIST_UNIFORM:
		x = sim_rng_uniform(r, d->a, d->b);
		break;
	case WORKLOAD_DIST_EXPONENTIAL:
		x = sim_rng_exponential(r, d->a);
		break;
	case WORKLOAD_DIST_NORMAL:
		x = sim_rng_normal(r, d->a, d->b);
		break;
	case WORKLOAD_DIST_LOGNORMAL:
		x = sim_rng_lognormal(r, d->a, d->b);
		break;
	case WORKLOAD_DIST_PARETO:
		x = sim_rng_pareto(r, d->a, d->b);
		break;
	case WORKLOAD_DIST_WEIBULL:
		x = sim_rng_weibull(r, d->a, d->b);
		break;
	}
	return x > 0 ? x : 0;
}

/* The reason D cannot be drawn from, or NULL. */
static const char *dist_problem(const struct workload_dist *d)
{
	if (!isfinite(d->a) || !isfinite(d->b))
		return "has a parameter that is not finite";
	switch (d->kind) {
	case WORKLOAD_DIST_FIXED:
	case WORKLOAD_DIST_EXPONENTIAL:
		return d->a < 0 ? "must not be negative" : NULL;
	case WORKLOAD_DIST_UNIFORM:
		return d->a < 0 || d->b < d->a ? "needs 0 <= low <= high" : NULL;
	case WORKLOAD_DIST_NORMAL:
	case WORKLOAD_DIST_LOGNORMAL:
		return d->b < 0 ? "needs a deviation >= 0" : NULL;
	case WORKLOAD_DIST_PARETO:
	case WORKLOAD_DIST_WEIBULL:
		return d->a <= 0 || d->b <= 0 ? "needs a positive scale and shape" : NULL;
	}
	return "is of an unknown kind";
}

static bool probability(double p)
{
	return p >= 0 && p <= 1;
}

void workload_gen_config_init(struct workload_gen_config *cfg)
{
	g_return_if_fail(cfg != NULL);
	*cfg = (struct workload_gen_config){
		.name = "workload",
		.arrival = WORKLOAD_POISSON,
		.rate = 1,
		.period = UINT64_C(1000000000),
		.burst = 1,
		.size = { WORKLOAD_DIST_FIXED, (double)(UINT64_C(1) << 30), 0 },
		.size_unit = UINT64_C(2) << 20,
		.hold = { WORKLOAD_DIST_EXPONENTIAL, 1e9, 0 },
		.busy_tail = { WORKLOAD_DIST_FIXED, 0, 0 },
		.select = PROTO_SELECT_FREE,
	};
}

static bool gen_fail(GError **error, const struct workload_gen_config *cfg, const char *format,
		     ...) G_GNUC_PRINTF(3, 4);

static bool gen_fail(GError **error, const struct workload_gen_config *cfg, const char *format,
		     ...)
{
	g_autofree char *rule = NULL;
	va_list ap;

	va_start(ap, format);
	rule = g_strdup_vprintf(format, ap);
	va_end(ap);
	g_set_error(error, WORKLOAD_ERROR, WORKLOAD_ERROR_CONFIG, "workload '%s': %s", cfg->name,
		    rule);
	return false;
}

bool workload_gen_config_validate(const struct workload_gen_config *cfg, GError **error)
{
	const struct {
		const char *what;
		const struct workload_dist *d;
	} dists[] = { { "size", &cfg->size }, { "hold", &cfg->hold },
		      { "busy tail", &cfg->busy_tail } };

	g_return_val_if_fail(cfg != NULL, false);
	if (cfg->name[0] == '\0' || memchr(cfg->name, '\0', sizeof(cfg->name)) == NULL)
		return gen_fail(error, cfg, "needs a name of at most %d characters",
				WORKLOAD_NAME_SIZE - 1);
	if (cfg->arrival == WORKLOAD_POISSON && !(cfg->rate > 0 && isfinite(cfg->rate)))
		return gen_fail(error, cfg, "rate must be positive, got %g", cfg->rate);
	if (cfg->arrival == WORKLOAD_PERIODIC && cfg->period == 0)
		return gen_fail(error, cfg, "period must be positive");
	if (cfg->arrival != WORKLOAD_POISSON && cfg->arrival != WORKLOAD_PERIODIC)
		return gen_fail(error, cfg, "unknown arrival process");
	if (cfg->stop && cfg->stop < cfg->start)
		return gen_fail(error, cfg, "stops before it starts");
	if (cfg->burst == 0)
		return gen_fail(error, cfg, "burst must be at least 1");
	if (cfg->size_unit == 0)
		return gen_fail(error, cfg, "size unit must be positive");
	for (size_t i = 0; i < G_N_ELEMENTS(dists); i++) {
		const char *problem = dist_problem(dists[i].d);

		if (problem)
			return gen_fail(error, cfg, "%s distribution '%s' %s", dists[i].what,
					workload_dist_name(dists[i].d->kind), problem);
	}
	if (!probability(cfg->use_fraction) || !probability(cfg->busy_release) ||
	    !probability(cfg->forced))
		return gen_fail(error, cfg, "use fraction and probabilities must lie in [0, 1]");
	if (cfg->select > PROTO_SELECT_PRESCRIPTIVE)
		return gen_fail(error, cfg, "selection policy must be free, contiguous or prescriptive");
	return true;
}

struct workload *workload_new(struct sim *k, unsigned nhosts)
{
	struct workload *w;

	g_return_val_if_fail(k != NULL, NULL);
	w = g_new0(struct workload, 1);
	w->k = k;
	w->nhosts = nhosts;
	w->gens = g_ptr_array_new_with_free_func(g_free);
	w->items = g_array_new(FALSE, FALSE, sizeof(struct workload_item));
	w->hosts = g_new0(struct host_app_port, nhosts ? nhosts : 1);
	w->host_connected = g_new0(bool, nhosts ? nhosts : 1);
	return w;
}

void workload_free(struct workload *w)
{
	if (!w)
		return;
	g_ptr_array_unref(w->gens);
	g_array_unref(w->items);
	g_free(w->hosts);
	g_free(w->host_connected);
	g_free(w);
}

bool workload_add_generator(struct workload *w, const struct workload_gen_config *cfg,
			    GError **error)
{
	struct generator *g;
	g_autofree char *stream = NULL;

	g_return_val_if_fail(w != NULL && cfg != NULL, false);
	if (!workload_gen_config_validate(cfg, error))
		return false;
	if (cfg->host >= w->nhosts)
		return gen_fail(error, cfg, "host %u does not exist", cfg->host);
	g = g_new0(struct generator, 1);
	g->w = w;
	g->index = w->gens->len;
	g->cfg = *cfg;
	stream = g_strdup_printf("workload.%s", cfg->name);
	g->rng = sim_stream(w->k, stream);
	g_ptr_array_add(w->gens, g);
	return true;
}

static bool item_valid(const struct workload *w, const struct workload_item *it, GError **error)
{
	const char *rule = NULL;

	if (it->host >= w->nhosts)
		rule = "names a host that does not exist";
	else if (it->size == 0)
		rule = "asks for no capacity";
	else if (!probability(it->use_fraction))
		rule = "uses a fraction outside [0, 1]";
	else if (it->select > PROTO_SELECT_PRESCRIPTIVE)
		rule = "has an unknown selection policy";
	if (!rule)
		return true;
	g_set_error(error, WORKLOAD_ERROR, WORKLOAD_ERROR_CONFIG, "workload item at %" PRIu64 " ns %s",
		    it->at, rule);
	return false;
}

bool workload_add_items(struct workload *w, const struct workload_item *items, size_t n,
			GError **error)
{
	g_return_val_if_fail(w != NULL && (items != NULL || n == 0), false);
	for (size_t i = 0; i < n; i++)
		if (!item_valid(w, &items[i], error))
			return false;
	g_array_append_vals(w->items, items, (guint)n);
	return true;
}

void workload_connect_fm(struct workload *w, const struct fm_request_port *port)
{
	g_return_if_fail(w != NULL && port != NULL);
	w->fm = *port;
	w->fm_connected = true;
}

void workload_connect_host(struct workload *w, unsigned host, const struct host_app_port *port)
{
	g_return_if_fail(w != NULL && port != NULL && host < w->nhosts);
	w->hosts[host] = *port;
	w->host_connected[host] = true;
}

void workload_set_observer(struct workload *w, workload_observer_fn fn, void *data)
{
	g_return_if_fail(w != NULL);
	w->observer = fn;
	w->observer_data = data;
}

void workload_get_stats(const struct workload *w, struct workload_stats *out)
{
	g_return_if_fail(w != NULL && out != NULL);
	*out = w->stats;
}

static void notify(struct workload *w, enum workload_event event, uint64_t request)
{
	if (w->observer)
		w->observer(event, request, w->observer_data);
}

/* ---- sending ------------------------------------------------------------ */

static void send_add(struct workload *w, uint64_t id, unsigned host, uint64_t size, uint8_t region,
		     uint8_t select, uint64_t tag)
{
	struct fm_add_request r = {
		.id = id,
		.size = size,
		.host = (uint16_t)host,
		.policy = select,
		.region = region,
	};

	if (!w->fm_connected) {
		sim_fail(w->k, "workload: no fm to send requests to");
		return;
	}
	proto_tag_from_u64(r.tag, tag);
	w->stats.adds++;
	sim_schedule(w->k, 0, w->fm.add, w->fm.target, &r, sizeof(r));
	notify(w, WORKLOAD_EVENT_ADD, id);
}

static void send_use(struct workload *w, unsigned host, uint64_t request, uint64_t bytes)
{
	struct host_use_msg m = { .request = request, .bytes = bytes };

	if (!w->host_connected[host]) {
		sim_fail(w->k, "workload: host %u is not connected", host);
		return;
	}
	sim_schedule(w->k, 0, w->hosts[host].use, w->hosts[host].target, &m, sizeof(m));
}

uint64_t workload_submit_release(struct workload *w, const struct fm_release_request *request)
{
	struct fm_release_request r;

	g_return_val_if_fail(w != NULL && request != NULL, 0);
	if (request->host >= w->nhosts || !w->fm_connected)
		return 0;
	r = *request;
	r.id = RELEASE_BIT | ++w->next_release;
	w->stats.releases++;
	w->stats.forced += r.forced != 0;
	sim_schedule(w->k, 0, w->fm.release, w->fm.target, &r, sizeof(r));
	notify(w, WORKLOAD_EVENT_RELEASE, r.id);
	return r.id;
}

uint64_t workload_submit_region(struct workload *w, const struct fm_region_request *request)
{
	struct fm_region_request r;

	g_return_val_if_fail(w != NULL && request != NULL, 0);
	if (!w->fm_connected)
		return 0;
	r = *request;
	r.id = REGION_BIT | ++w->next_region;
	sim_schedule(w->k, 0, w->fm.region, w->fm.target, &r, sizeof(r));
	return r.id;
}

void workload_submit_destroy(struct workload *w, unsigned host)
{
	g_return_if_fail(w != NULL && host < w->nhosts);
	if (!w->host_connected[host]) {
		sim_fail(w->k, "workload: host %u is not connected", host);
		return;
	}
	sim_schedule(w->k, 0, w->hosts[host].destroy, w->hosts[host].target, NULL, 0);
}

/* ---- items and generators ------------------------------------------------ */

static void submit_item(struct workload *w, guint index)
{
	const struct workload_item *it = &g_array_index(w->items, struct workload_item, index);

	send_add(w, index + 1, it->host, it->size, it->region, it->select, it->tag);
}

uint64_t workload_submit_add(struct workload *w, const struct workload_item *item)
{
	g_return_val_if_fail(w != NULL && item != NULL, 0);
	if (!item_valid(w, item, NULL))
		return 0;
	g_array_append_vals(w->items, item, 1);
	submit_item(w, w->items->len - 1);
	return w->items->len;
}

static void on_item(struct sim *k, void *target, const void *payload)
{
	(void)k;
	submit_item(target, *(const guint *)payload);
}

static uint64_t draw_size(struct generator *g)
{
	uint64_t unit = g->cfg.size_unit;
	double x = workload_dist_draw(&g->cfg.size, g->rng);
	uint64_t units;

	if (!(x < (double)SIZE_MAX_BYTES))
		x = (double)SIZE_MAX_BYTES;
	units = (uint64_t)ceil(x / (double)unit);
	return MAX(units, 1) * unit;
}

static void on_arrival(struct sim *k, void *target, const void *payload);

/* The next arrival of G, or none past its stop or its request limit. */
static void gen_schedule(struct generator *g, uint64_t at)
{
	const struct workload_gen_config *c = &g->cfg;

	if ((c->stop && at > c->stop) || (c->max_requests && g->count >= c->max_requests))
		return;
	sim_schedule_at(g->w->k, at, on_arrival, g, NULL, 0);
}

static uint64_t gen_gap(struct generator *g)
{
	double gap;

	if (g->cfg.arrival == WORKLOAD_PERIODIC)
		return g->cfg.period;
	gap = ceil(sim_rng_exponential(g->rng, 1e9 / g->cfg.rate));
	return gap < 1e18 ? (uint64_t)gap : UINT64_C(1000000000000000000);
}

static void on_arrival(struct sim *k, void *target, const void *payload)
{
	struct generator *g = target;
	const struct workload_gen_config *c = &g->cfg;
	uint64_t now = sim_now(k);

	(void)payload;
	for (unsigned i = 0; i < c->burst; i++) {
		uint64_t id;

		if (c->max_requests && g->count >= c->max_requests)
			break;
		id = ((uint64_t)(g->index + 1) << SOURCE_SHIFT) | ++g->count;
		send_add(g->w, id, c->host, draw_size(g), c->region, c->select, c->tagged ? id : 0);
	}
	gen_schedule(g, now + gen_gap(g));
}

void workload_start(struct workload *w)
{
	uint64_t now;

	g_return_if_fail(w != NULL);
	now = sim_now(w->k);
	for (guint i = 0; i < w->items->len; i++) {
		const struct workload_item *it = &g_array_index(w->items, struct workload_item, i);

		sim_schedule_at(w->k, MAX(it->at, now), on_item, w, &i, sizeof(i));
	}
	for (guint i = 0; i < w->gens->len; i++) {
		struct generator *g = g_ptr_array_index(w->gens, i);
		uint64_t first = MAX(g->cfg.start, now);

		/* a Poisson process is already running at its start */
		if (g->cfg.arrival == WORKLOAD_POISSON)
			first += gen_gap(g);
		gen_schedule(g, first);
	}
}

/* ---- online capacity ------------------------------------------------------- */

static void on_stop(struct sim *k, void *target, const void *payload)
{
	const struct timer_msg *m = payload;

	(void)k;
	send_use(target, m->host, m->request, 0);
}

static void on_release(struct sim *k, void *target, const void *payload)
{
	const struct timer_msg *m = payload;
	struct fm_release_request r = {
		.add_id = m->request,
		.host = (uint16_t)m->host,
		.by = FM_RELEASE_BY_ADD,
		.forced = m->forced,
	};

	(void)k;
	workload_submit_release(target, &r);
}

/* What the tenant of REQUEST does with its capacity once online. */
struct plan {
	unsigned host;
	double use_fraction;
	uint64_t use_for, hold;
	bool forced;
};

static bool plan_of(struct workload *w, uint64_t request, struct plan *p)
{
	uint64_t source = request >> SOURCE_SHIFT, seq = request & SEQ_MASK;
	const struct workload_item *it;
	struct generator *g;
	bool busy;
	uint64_t tail;

	if (source == 0) {
		if (seq == 0 || seq > w->items->len)
			return false;
		it = &g_array_index(w->items, struct workload_item, seq - 1);
		*p = (struct plan){ it->host, it->use_fraction, it->use_for, it->hold, it->forced };
		return true;
	}
	if (source > w->gens->len)
		return false;
	g = g_ptr_array_index(w->gens, source - 1);
	/* always four draws, so the stream moves the same whatever they say */
	p->hold = (uint64_t)MIN(workload_dist_draw(&g->cfg.hold, g->rng), 1e18);
	busy = sim_rng_uniform01(g->rng) < g->cfg.busy_release;
	tail = (uint64_t)MIN(workload_dist_draw(&g->cfg.busy_tail, g->rng), 1e18);
	p->forced = sim_rng_uniform01(g->rng) < g->cfg.forced;
	p->host = g->cfg.host;
	p->use_fraction = g->cfg.use_fraction;
	p->use_for = busy ? p->hold + tail : p->hold;
	return true;
}

static void on_capacity(struct sim *k, void *target, const void *payload)
{
	struct workload *w = target;
	const struct host_capacity_msg *m = payload;
	struct plan p;
	struct timer_msg t = { .request = m->request };
	uint64_t use;

	if (!m->online) {
		w->stats.failed++;
		notify(w, WORKLOAD_EVENT_FAILED, m->request);
		return;
	}
	if (!plan_of(w, m->request, &p)) {
		sim_fail(k, "workload: host %u brought unknown request %" PRIu64 " online", m->host,
			 m->request);
		return;
	}
	w->stats.online++;
	w->stats.online_bytes += m->bytes;
	notify(w, WORKLOAD_EVENT_ONLINE, m->request);
	t.host = p.host;
	t.forced = p.forced;
	use = (uint64_t)(p.use_fraction * (double)m->bytes);
	if (use) {
		send_use(w, p.host, m->request, use);
		if (p.use_for != WORKLOAD_NEVER)
			sim_schedule(k, p.use_for, on_stop, w, &t, sizeof(t));
	}
	if (p.hold != WORKLOAD_NEVER)
		sim_schedule(k, p.hold, on_release, w, &t, sizeof(t));
}

void workload_tenant_port(struct workload *w, struct host_tenant_port *out)
{
	g_return_if_fail(w != NULL && out != NULL);
	*out = (struct host_tenant_port){ .target = w, .capacity = on_capacity };
}
