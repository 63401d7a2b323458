/* Fabric assembly, wiring, the metrics glue and the cross-entity checks. */
#include "models/fabric.h"

#include <inttypes.h>
#include <string.h>

#include "sim/table.h"

struct fabric_device {
	struct fabric *f;
	unsigned index;
	char name[FABRIC_NAME_SIZE];
	struct dcd *dev;
	unsigned metrics_id;
	const struct extent_map *maps[DCD_REGIONS_MAX];	/* the device's, per region */
	unsigned nregions;
	bool may_drop;		/* a log overflow may have left dropped chains */
	uint64_t unanswered;	/* pending bytes last counted as unanswered offers */
	uint64_t dropped;	/* and as dropped chains */
};

/* What the metrics wait to hear of one add request: the FM's report and,
 * while the host still has pieces of it open, the host's settlement. */
struct acceptance {
	uint64_t id;
	unsigned host;
	unsigned ways;
	bool fm_done;
	bool online;
	enum fm_outcome outcome;
	enum proto_cause cause;
	uint64_t t_arrival, t_started;
	struct host_report stamps;
};

struct fabric {
	struct sim *k;
	struct metrics *m;
	struct fm *fm;
	struct workload *w;
	struct fabric_device *devices;
	size_t n_devices;
	struct host **hosts;
	size_t n_hosts;
	struct sim_table acceptances;	/* id -> struct acceptance * */
	GPtrArray *spare_acceptances;	/* resolved ones, owned, for the next */
	uint64_t sample_period;
};

G_DEFINE_QUARK(dcdsim-fabric-error-quark, fabric_error)

void fabric_config_init(struct fabric_config *cfg)
{
	g_return_if_fail(cfg != NULL);
	memset(cfg, 0, sizeof(*cfg));
	fm_config_init(&cfg->fm);
}

static bool fail(GError **error, const char *format, ...) G_GNUC_PRINTF(2, 3);

static bool fail(GError **error, const char *format, ...)
{
	g_autofree char *message = NULL;
	va_list ap;

	va_start(ap, format);
	message = g_strdup_vprintf(format, ap);
	va_end(ap);
	g_set_error_literal(error, FABRIC_ERROR, FABRIC_ERROR_CONFIG, message);
	return false;
}

/* ---- the metrics glue ------------------------------------------------------ */

static struct acceptance *acceptance_get(struct fabric *f, uint64_t id)
{
	struct acceptance *a = sim_table_get(&f->acceptances, id);
	GPtrArray *spares = f->spare_acceptances;

	if (!a) {
		if (spares->len) {
			a = g_ptr_array_steal_index_fast(spares, spares->len - 1);
			memset(a, 0, sizeof(*a));
		} else {
			a = g_new0(struct acceptance, 1);
		}
		a->id = id;
		sim_table_put(&f->acceptances, id, a);
	}
	return a;
}

static enum metrics_block_cause block_cause(enum proto_cause cause)
{
	switch (cause) {
	case PROTO_CAUSE_NO_CONTIGUOUS:
		return METRICS_BLOCK_NO_CONTIGUOUS;
	case PROTO_CAUSE_EXTENT_LIMIT:
		return METRICS_BLOCK_EXTENT_LIMIT;
	case PROTO_CAUSE_TAG_LIMIT:
		return METRICS_BLOCK_TAG_LIMIT;
	case PROTO_CAUSE_LOG_FULL:
		return METRICS_BLOCK_LOG_FULL;
	default:
		return METRICS_BLOCK_NO_CAPACITY;
	}
}

/* The stage boundaries in timeline order, each clamped to the one
 * before, so that the stages are never negative and add up to the total
 * (docs/host.md).  The device stage ends when the interrupt was raised:
 * its arrival less the device's delivery latency. */
static void record_acceptance(struct fabric *f, const struct acceptance *a)
{
	const struct host_report *s = &a->stamps;
	uint64_t irq = dcd_get_config(f->devices[s->device].dev)->latency.irq_delivery;
	uint64_t b[METRICS_STAGE_COUNT + 1] = { a->t_arrival };
	const uint64_t at[METRICS_STAGE_COUNT] = {
		a->t_started, s->t_irq - MIN(irq, s->t_irq), s->t_read, s->t_decided_first,
		s->t_decided_last, s->t_realized, s->t_online,
	};
	/* the timeline order of the metrics stages */
	static const enum metrics_stage order[METRICS_STAGE_COUNT] = {
		METRICS_STAGE_FM, METRICS_STAGE_DEVICE, METRICS_STAGE_INTERRUPT,
		METRICS_STAGE_HANDLING, METRICS_STAGE_ASSEMBLY, METRICS_STAGE_REALIZE,
		METRICS_STAGE_RESPONSE,
	};
	uint64_t stage[METRICS_STAGE_COUNT];

	for (unsigned i = 0; i < METRICS_STAGE_COUNT; i++) {
		b[i + 1] = MAX(b[i], at[i]);
		stage[order[i]] = b[i + 1] - b[i];
	}
	metrics_record_acceptance(f->m, a->host, a->ways, stage);
}

static void acceptance_resolve(struct fabric *f, struct acceptance *a)
{
	if (a->outcome == FM_OUTCOME_BLOCKED)
		metrics_record_blocked(f->m, block_cause(a->cause));
	else if (a->online)
		record_acceptance(f, a);
	else if (a->outcome != FM_OUTCOME_FAILED)
		metrics_count(f->m, METRICS_REQUESTS_REJECTED, 1);
	sim_table_drop(&f->acceptances, a->id);
	g_ptr_array_add(f->spare_acceptances, a);
}

static bool host_open(const struct fabric *f, unsigned host, uint64_t id)
{
	return host < f->n_hosts && host_request_open(f->hosts[host], id);
}

static void on_fm_report(const struct fm_report *r, void *data)
{
	struct fabric *f = data;
	struct acceptance *a;

	if (r->kind == FM_REQUEST_RELEASE) {
		metrics_count(f->m, METRICS_RELEASES_RETRIED, r->reissues);
		metrics_count(f->m, METRICS_RELEASES_FORCED, r->forced);
		if ((r->outcome == FM_OUTCOME_DONE || r->outcome == FM_OUTCOME_FORCED) && r->t_sent)
			metrics_record_reclaim(f->m, r->t_done - r->t_sent);
		return;
	}
	if (r->kind != FM_REQUEST_ADD)
		return;
	a = acceptance_get(f, r->id);
	a->fm_done = true;
	a->host = r->host;
	a->ways = r->ways;
	a->outcome = r->outcome;
	a->cause = r->cause;
	a->t_arrival = r->t_arrival;
	a->t_started = r->t_started;
	if (!host_open(f, r->host, r->id))
		acceptance_resolve(f, a);
}

static void on_host_report(const struct host_report *r, void *data)
{
	struct fabric *f = data;
	uint64_t now = sim_now(f->k);
	struct acceptance *a;

	switch (r->kind) {
	case HOST_REPORT_SETTLED:
		a = acceptance_get(f, r->request);
		a->host = r->host;
		a->ways = r->ways;
		if (r->bytes) {
			a->online = true;
			a->stamps = *r;
		}
		if (a->fm_done && !host_open(f, r->host, r->request))
			acceptance_resolve(f, a);
		break;
	case HOST_REPORT_STRANDED:
		metrics_stranded_add(f->m, r->cause, now, r->delta);
		break;
	case HOST_REPORT_DEFERRED:
		metrics_count(f->m, METRICS_RELEASES_DEFERRED, 1);
		break;
	case HOST_REPORT_IGNORED:
		metrics_count(f->m, METRICS_RELEASES_IGNORED, 1);
		break;
	case HOST_REPORT_LOST:
		metrics_count(f->m, METRICS_LOST_IN_USE_BYTES, r->bytes);
		break;
	}
}

/* The device's pending bytes are stranded as unanswered offers, or as
 * dropped chains in the offers that lost records to a full log.  Only a
 * log overflow (which announces itself) drops a chain, so the device's
 * stats, which walk its offers for the dropped bytes, are asked only while
 * a dropped chain may be left; otherwise its maps' counters tell. */
static void pending_update(struct fabric_device *d, const struct dcd *dev, uint64_t now)
{
	struct metrics *m = d->f->m;
	uint64_t pending = 0, dropped = 0, unanswered;

	if (d->may_drop) {
		struct dcd_stats s;

		dcd_get_stats(dev, &s);
		pending = s.bytes[EXTENT_PENDING];
		dropped = s.dropped_bytes;
		d->may_drop = s.dropped_groups > 0;
	} else {
		for (unsigned r = 0; r < d->nregions; r++)
			pending += extent_map_get_bytes(d->maps[r], EXTENT_PENDING);
	}
	unanswered = pending - dropped;
	metrics_stranded_add(m, METRICS_STRANDED_UNANSWERED_OFFER, now,
			     (int64_t)unanswered - (int64_t)d->unanswered);
	metrics_stranded_add(m, METRICS_STRANDED_DROPPED_CHAIN, now,
			     (int64_t)dropped - (int64_t)d->dropped);
	d->unanswered = unanswered;
	d->dropped = dropped;
}

/* The device's map of REGION, for the metrics and for pending_update. */
static void region_map_update(struct fabric_device *d, unsigned region)
{
	d->maps[region] = dcd_region_map(d->dev, region);
	metrics_device_set_region(d->f->m, d->metrics_id, region, d->maps[region]);
}

static void on_device_note(const struct dcd *dev, const struct dcd_note *note, void *data)
{
	struct fabric_device *d = data;
	struct fabric *f = d->f;
	uint64_t now = sim_now(f->k);

	switch (note->kind) {
	case DCD_NOTE_USAGE:
		metrics_device_set_extents(f->m, d->metrics_id, now, note->extents);
		metrics_device_set_tags(f->m, d->metrics_id, now, note->tags);
		pending_update(d, dev, now);
		break;
	case DCD_NOTE_REGION_MAP:
		region_map_update(d, note->region);
		break;
	case DCD_NOTE_LOG_OVERFLOW:
		metrics_count(f->m, METRICS_LOG_OVERFLOWS, 1);
		d->may_drop = true;
		pending_update(d, dev, now);
		break;
	case DCD_NOTE_LOG_RETRY:
		metrics_count(f->m, METRICS_LOG_RETRIES, 1);
		break;
	}
}

static void on_workload_event(enum workload_event event, uint64_t request, void *data)
{
	struct fabric *f = data;

	(void)request;
	if (event == WORKLOAD_EVENT_ADD)
		metrics_count(f->m, METRICS_REQUESTS_SUBMITTED, 1);
	else if (event == WORKLOAD_EVENT_RELEASE)
		metrics_count(f->m, METRICS_RELEASES_REQUESTED, 1);
}

/* Samples every period while anything else is scheduled. */
static void on_sample(struct sim *k, void *target, const void *payload)
{
	struct fabric *f = target;

	(void)payload;
	metrics_sample(f->m, sim_now(k));
	if (sim_events_pending(k))
		sim_schedule(k, f->sample_period, on_sample, f, NULL, 0);
}

/* ---- assembly ------------------------------------------------------------- */

static bool add_devices(struct fabric *f, const struct fabric_config *cfg, GError **error)
{
	uint64_t now = sim_now(f->k);

	f->devices = g_new0(struct fabric_device, cfg->n_devices);
	for (size_t i = 0; i < cfg->n_devices; i++) {
		const struct fabric_device_config *dc = &cfg->devices[i];
		struct fabric_device *d = &f->devices[i];
		struct dcd_config c = dc->dcd;
		struct proto_fm_api_port api;
		struct proto_fm_port fp;
		GError *local = NULL;
		unsigned dup;

		g_strlcpy(d->name, dc->name, sizeof(d->name));
		if (fabric_find_device(f, d->name, &dup))
			return fail(error, "device '%s' is declared twice", d->name);
		d->f = f;
		d->index = (unsigned)i;
		f->n_devices = i + 1;
		c.nhosts = (unsigned)MAX(cfg->n_hosts, 1);
		d->dev = dcd_new(f->k, (unsigned)i, &c, &local);
		if (!d->dev || !metrics_device_add(f->m, d->name, now, c.max_extents,
						   c.profile == DCD_PROFILE_SPEC ? c.max_tags : 0,
						   &d->metrics_id, &local))
			goto device_failed;
		dcd_fm_api_port(d->dev, &api);
		if (!fm_add_device(f->fm, (unsigned)i, &c, &api, &local))
			goto device_failed;
		fm_device_port(f->fm, (unsigned)i, &fp);
		dcd_connect_fm(d->dev, &fp);
		d->nregions = c.nregions;
		for (unsigned r = 0; r < c.nregions; r++)
			region_map_update(d, r);
		dcd_set_observer(d->dev, on_device_note, d);
		continue;
device_failed:
		g_propagate_prefixed_error(error, local, "device '%s': ", d->name);
		return false;
	}
	return true;
}

/* Fills HC's devices and decoders from FC's device names. */
static bool resolve_host(struct fabric *f, const struct fabric_host_config *fc,
			 struct host_config *hc, GError **error)
{
	const char *name = hc->name;

	if (!interleave_ways_valid(hc->ways))
		return host_config_validate(hc, error);
	for (unsigned p = 0; p < hc->ways; p++) {
		const struct dcd_config *c;
		const struct dcd_region_config *r;
		unsigned d;
		uint64_t len;

		if (!fabric_find_device(f, fc->devices[p], &d))
			return fail(error, "host '%s': interleave over unknown device '%s'", name,
				    fc->devices[p]);
		for (unsigned q = 0; q < p; q++)
			if (hc->devices[q] == d)
				return fail(error, "host '%s': interleave names device '%s' twice",
					    name, fc->devices[p]);
		c = dcd_get_config(f->devices[d].dev);
		if (hc->region >= c->nregions)
			return fail(error, "host '%s': device '%s' has no DC region %u", name,
				    fc->devices[p], hc->region);
		r = &c->regions[hc->region];
		len = fc->dpa_len ? fc->dpa_len : (fc->dpa_skip < r->len ? r->len - fc->dpa_skip : 0);
		if (fc->dpa_skip >= r->len || len > r->len - fc->dpa_skip)
			return fail(error, "host '%s': the decoder does not fit in region %u of "
				    "device '%s'", name, hc->region, fc->devices[p]);
		hc->devices[p] = d;
		hc->decoders[p] = (struct host_decoder){ r->base + fc->dpa_skip, len, r->block_size,
							 c->payload_size };
	}
	return true;
}

static bool add_hosts(struct fabric *f, const struct fabric_config *cfg, GError **error)
{
	if (cfg->n_hosts > DCD_HOSTS_MAX)
		return fail(error, "a fabric has at most %d hosts, got %zu", DCD_HOSTS_MAX,
			    cfg->n_hosts);
	f->hosts = g_new0(struct host *, cfg->n_hosts);
	for (size_t i = 0; i < cfg->n_hosts; i++) {
		struct host_config hc = cfg->hosts[i].host;
		struct host *h;
		GError *local = NULL;
		unsigned dup;

		hc.name[HOST_NAME_SIZE - 1] = '\0';
		if (fabric_find_host(f, hc.name, &dup))
			return fail(error, "host '%s' is declared twice", hc.name);
		if (!resolve_host(f, &cfg->hosts[i], &hc, error))
			return false;
		h = host_new(f->k, (unsigned)i, &hc, error);
		if (!h)
			return false;
		f->hosts[i] = h;
		f->n_hosts = i + 1;
		for (unsigned p = 0; p < hc.ways; p++) {
			struct dcd *dev = f->devices[hc.devices[p]].dev;
			struct proto_host_port hp;
			struct proto_mbox_port mp;

			host_device_port(h, p, &hp);
			dcd_connect_host(dev, (unsigned)i, &hp);
			dcd_mbox_port(dev, (unsigned)i, &mp);
			host_connect_device(h, p, &mp);
		}
		if (!fm_add_host(f->fm, (unsigned)i, hc.devices, hc.ways, &local)) {
			g_propagate_prefixed_error(error, local, "host '%s': ", hc.name);
			return false;
		}
		host_set_observer(h, on_host_report, f);
	}
	return true;
}

/* The granule of a host's requests in REGION: a block on every device. */
static bool size_unit(struct fabric *f, unsigned host, unsigned region, uint64_t *out)
{
	const struct host_config *hc = host_get_config(f->hosts[host]);
	const struct dcd_config *c = dcd_get_config(f->devices[hc->devices[0]].dev);

	if (region >= c->nregions)
		return false;
	*out = c->regions[region].block_size * hc->ways;
	return true;
}

static bool add_workload(struct fabric *f, const struct fabric_config *cfg, GError **error)
{
	struct fm_request_port fp;
	struct host_tenant_port tp;

	f->w = workload_new(f->k, (unsigned)f->n_hosts);
	fm_request_port(f->fm, &fp);
	workload_connect_fm(f->w, &fp);
	workload_tenant_port(f->w, &tp);
	for (size_t i = 0; i < f->n_hosts; i++) {
		struct host_app_port ap;

		host_app_port(f->hosts[i], &ap);
		workload_connect_host(f->w, (unsigned)i, &ap);
		host_connect_tenant(f->hosts[i], &tp);
	}
	for (size_t i = 0; i < cfg->n_workloads; i++) {
		struct workload_gen_config gen = cfg->workloads[i].gen;

		if (!fabric_find_host(f, cfg->workloads[i].host, &gen.host))
			return fail(error, "workload '%s': unknown host '%s'", gen.name,
				    cfg->workloads[i].host);
		if (!size_unit(f, gen.host, gen.region, &gen.size_unit))
			return fail(error, "workload '%s': host '%s' has no DC region %u", gen.name,
				    cfg->workloads[i].host, gen.region);
		if (!workload_add_generator(f->w, &gen, error))
			return false;
	}
	for (size_t i = 0; i < cfg->n_items; i++) {
		struct workload_item it = cfg->items[i].item;

		if (!fabric_find_host(f, cfg->items[i].host, &it.host))
			return fail(error, "workload item at %" PRIu64 " ns: unknown host '%s'", it.at,
				    cfg->items[i].host);
		if (!workload_add_items(f->w, &it, 1, error))
			return false;
	}
	workload_set_observer(f->w, on_workload_event, f);
	return true;
}

struct fabric *fabric_new(struct sim *k, const struct fabric_config *cfg, GError **error)
{
	g_autoptr(fabric) f = NULL;
	const struct fabric_metrics_config *mc;

	g_return_val_if_fail(k != NULL && cfg != NULL, NULL);
	mc = &cfg->metrics;
	f = g_new0(struct fabric, 1);
	f->k = k;
	sim_table_init(&f->acceptances);
	f->spare_acceptances = g_ptr_array_new_with_free_func(g_free);
	f->sample_period = mc->sample_period;
	f->m = metrics_new(mc->request_sizes, mc->n_request_sizes, error);
	if (!f->m)
		return NULL;
	f->fm = fm_new(k, &cfg->fm, error);
	if (!f->fm)
		return NULL;
	if (cfg->n_devices == 0) {
		fail(error, "a fabric needs at least one device");
		return NULL;
	}
	if (!add_devices(f, cfg, error) || !add_hosts(f, cfg, error) || !add_workload(f, cfg, error))
		return NULL;
	fm_set_observer(f->fm, on_fm_report, f);
	workload_start(f->w);
	if (f->sample_period)
		sim_schedule(k, 0, on_sample, f, NULL, 0);
	return g_steal_pointer(&f);
}

void fabric_free(struct fabric *f)
{
	if (!f)
		return;
	workload_free(f->w);
	for (size_t i = 0; i < f->n_hosts; i++)
		host_free(f->hosts[i]);
	g_free(f->hosts);
	fm_free(f->fm);
	metrics_free(f->m);
	for (size_t i = 0; i < f->n_devices; i++)
		dcd_free(f->devices[i].dev);
	g_free(f->devices);
	for (uint32_t i = 0; i < sim_table_capacity(&f->acceptances); i++)
		g_free(sim_table_ptr_at(&f->acceptances, i));
	sim_table_clear(&f->acceptances);
	g_ptr_array_unref(f->spare_acceptances);
	g_free(f);
}

bool fabric_run(struct fabric *f, uint64_t until, GError **error)
{
	g_return_val_if_fail(f != NULL, false);
	return sim_run(f->k, until, 0, error);
}

struct sim *fabric_get_sim(const struct fabric *f)
{
	g_return_val_if_fail(f != NULL, NULL);
	return f->k;
}

struct metrics *fabric_get_metrics(const struct fabric *f)
{
	g_return_val_if_fail(f != NULL, NULL);
	return f->m;
}

struct fm *fabric_get_fm(const struct fabric *f)
{
	g_return_val_if_fail(f != NULL, NULL);
	return f->fm;
}

struct workload *fabric_get_workload(const struct fabric *f)
{
	g_return_val_if_fail(f != NULL, NULL);
	return f->w;
}

size_t fabric_get_n_devices(const struct fabric *f)
{
	g_return_val_if_fail(f != NULL, 0);
	return f->n_devices;
}

size_t fabric_get_n_hosts(const struct fabric *f)
{
	g_return_val_if_fail(f != NULL, 0);
	return f->n_hosts;
}

struct dcd *fabric_get_device(const struct fabric *f, size_t i)
{
	g_return_val_if_fail(f != NULL && i < f->n_devices, NULL);
	return f->devices[i].dev;
}

struct host *fabric_get_host(const struct fabric *f, size_t i)
{
	g_return_val_if_fail(f != NULL && i < f->n_hosts, NULL);
	return f->hosts[i];
}

bool fabric_find_device(const struct fabric *f, const char *name, unsigned *out)
{
	g_return_val_if_fail(f != NULL && name != NULL && out != NULL, false);
	for (size_t i = 0; i < f->n_devices; i++)
		if (strncmp(f->devices[i].name, name, FABRIC_NAME_SIZE) == 0) {
			*out = (unsigned)i;
			return true;
		}
	return false;
}

bool fabric_find_host(const struct fabric *f, const char *name, unsigned *out)
{
	g_return_val_if_fail(f != NULL && name != NULL && out != NULL, false);
	for (size_t i = 0; i < f->n_hosts; i++)
		if (strncmp(host_get_name(f->hosts[i]), name, FABRIC_NAME_SIZE) == 0) {
			*out = (unsigned)i;
			return true;
		}
	return false;
}

/* ---- invariants -------------------------------------------------------------- */

struct check {
	const struct fabric *f;
	unsigned host;
	bool strict[FM_WAYS_MAX];	/* by position: the host caught up */
	uint64_t held[FM_WAYS_MAX];	/* bytes of its pieces, by position */
	GString *broken;
};

static int region_of(const struct dcd_config *c, uint64_t dpa)
{
	for (unsigned r = 0; r < c->nregions; r++)
		if (dpa >= c->regions[r].base && dpa - c->regions[r].base < c->regions[r].len)
			return (int)r;
	return -1;
}

static int access_visit(const struct host_extent_info *info, void *data)
{
	struct check *w = data;
	const struct dcd *dev = w->f->devices[info->device].dev;
	int r = region_of(dcd_get_config(dev), info->start);
	struct extent_entry e;

	if (!info->stale)
		w->held[info->position] += info->len;
	if (!info->accessible || !w->strict[info->position])
		return 0;
	for (uint64_t pos = info->start; pos < info->start + info->len; pos = e.start + e.len) {
		if (r < 0 || !extent_map_lookup(dcd_region_map(dev, (unsigned)r), pos, &e)) {
			g_string_printf(w->broken, "outside every region of its device");
			return 1;
		}
		if ((e.attr.state != EXTENT_ACCEPTED && e.attr.state != EXTENT_RELEASING) ||
		    e.attr.host != (int)w->host) {
			g_string_printf(w->broken, "the device holds it %s for host %d",
					extent_state_name(e.attr.state), e.attr.host);
			return 1;
		}
	}
	return 0;
}

static int lent_visit(const struct extent_entry *e, void *data)
{
	*(uint64_t *)data += e->len;
	return 0;
}

/* Host I's pieces against its devices. */
static bool check_host(const struct fabric *f, unsigned i, bool quiescent, GString *broken)
{
	const struct host *h = f->hosts[i];
	const struct host_config *hc = host_get_config(h);
	struct check w = { .f = f, .host = i, .broken = broken };
	struct host_stats hs;
	GError *error = NULL;

	if (!host_check_invariants(h, &error)) {
		g_string_assign(broken, error->message);
		g_error_free(error);
		return false;
	}
	for (unsigned p = 0; p < hc->ways; p++) {
		struct dcd_host_stats ds;

		dcd_get_host_stats(f->devices[hc->devices[p]].dev, i, &ds);
		w.strict[p] = ds.log_count == 0 && ds.log_posting == 0 && ds.overflow == 0;
		/* a chain whose records were dropped may never be seen whole */
		if (quiescent && ds.pending_groups && !ds.overflow) {
			g_string_printf(broken, "host '%s': an offer of device '%s' was never answered",
					hc->name, f->devices[hc->devices[p]].name);
			return false;
		}
	}
	if (host_extents_foreach(h, access_visit, &w)) {
		g_string_prepend(broken, "' ");
		g_string_prepend(broken, hc->name);
		g_string_prepend(broken, "host '");
		g_string_append(broken, " but the host can access it");
		return false;
	}
	host_get_stats(h, &hs);
	if (!quiescent)
		return true;
	if (hs.assembling_bytes) {
		g_string_printf(broken, "host '%s': pieces wait for partners with nothing scheduled",
				hc->name);
		return false;
	}
	if (hs.stale_bytes || hs.mbox_failures)
		return true;
	for (unsigned p = 0; p < hc->ways; p++) {
		uint64_t lent = 0;

		dcd_host_extents_foreach(f->devices[hc->devices[p]].dev, i, lent_visit, &lent);
		if (lent != w.held[p]) {
			g_string_printf(broken, "host '%s' holds %" PRIu64 " bytes of device '%s', "
					"which lends it %" PRIu64, hc->name, w.held[p],
					f->devices[hc->devices[p]].name, lent);
			return false;
		}
	}
	return true;
}

/* The FM's shadow against the device, once everything has settled. */
static bool check_shadow(const struct fabric *f, size_t d, GString *broken)
{
	const struct fabric_device *fd = &f->devices[d];
	const struct dcd_config *c = dcd_get_config(fd->dev);

	for (unsigned r = 0; r < c->nregions; r++) {
		const struct extent_map *dev = dcd_region_map(fd->dev, r);
		const struct extent_map *shadow = fm_shadow_map(f->fm, (unsigned)d, r);
		uint64_t held = extent_map_get_bytes(dev, EXTENT_ACCEPTED) +
				extent_map_get_bytes(dev, EXTENT_RELEASING);

		if (extent_map_get_bytes(shadow, EXTENT_ACCEPTED) != held ||
		    extent_map_get_bytes(shadow, EXTENT_PENDING) > extent_map_get_bytes(dev, EXTENT_PENDING)) {
			g_string_printf(broken, "device '%s' region %u: the fm's shadow holds %" PRIu64
					" bytes accepted, the device %" PRIu64, fd->name, r,
					extent_map_get_bytes(shadow, EXTENT_ACCEPTED), held);
			return false;
		}
	}
	return true;
}

bool fabric_check_invariants(const struct fabric *f, bool quiescent, GError **error)
{
	g_autoptr(GString) broken = g_string_new(NULL);
	GError *local = NULL;

	g_return_val_if_fail(f != NULL, false);
	if (!fm_check_invariants(f->fm, error))
		return false;
	for (size_t d = 0; d < f->n_devices; d++) {
		if (!dcd_check_invariants(f->devices[d].dev, &local)) {
			g_propagate_error(error, local);
			return false;
		}
		if (quiescent && !check_shadow(f, d, broken))
			goto broken;
	}
	for (size_t i = 0; i < f->n_hosts; i++)
		if (!check_host(f, (unsigned)i, quiescent, broken))
			goto broken;
	return true;
broken:
	g_set_error(error, FABRIC_ERROR, FABRIC_ERROR_INVARIANT, "%s", broken->str);
	return false;
}
