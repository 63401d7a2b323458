#include "models/metrics.h"

#include "models/extent_map.h"
#include "models/interleave.h"

#include <stdarg.h>
#include <string.h>

G_DEFINE_QUARK(metrics-error-quark, metrics_error)

#define DEVICE_NAME_MAX 32
/* Room for the longest exported name a device name of DEVICE_NAME_MAX
 * characters can make. */
#define NAME_BUFFER 128

/* The series of one fragmentation scope (a device, or one region of it):
 * these three, then one unusable index per request size, then one extfrag
 * index per request size. */
enum {
	FRAG_FREE_BYTES,
	FRAG_FREE_EXTENTS,
	FRAG_LARGEST_RATIO,
	FRAG_PER_SIZE,
};

struct series {
	char *name;
	size_t first;		/* index in metrics.times of the first value */
	GArray *values;		/* double, one per sample since creation */
};

/* Acceptance latency of one scope: overall, a host, a width, or a host
 * through a width. */
struct accept_set {
	struct sim_hist *total;
	struct sim_hist *stage[METRICS_STAGE_COUNT];
};

/* The sets of one host, by the width its acceptances came through. */
struct host_sets {
	struct accept_set *by_ways[INTERLEAVE_MAX_WAYS + 1];	/* NULL: none */
};

struct region {
	const struct extent_map *map;	/* borrowed */
	size_t frag;			/* first series of the region's scope */
};

/* The limited resources of a device whose utilization is tracked. */
enum {
	RESOURCE_EXTENTS,
	RESOURCE_TAGS,
	RESOURCE_COUNT
};

static const char *const resource_util_names[] = { "extent_util", "tag_util" };
G_STATIC_ASSERT(G_N_ELEMENTS(resource_util_names) == RESOURCE_COUNT);

struct device {
	char *name;
	uint64_t limit[RESOURCE_COUNT];
	struct sim_gauge in_use[RESOURCE_COUNT];
	size_t util;			/* first of RESOURCE_COUNT series */
	size_t frag;			/* first series of the device's scope */
	struct region regions[METRICS_MAX_REGIONS];
	unsigned n_regions;
};

struct metrics {
	uint64_t sizes[METRICS_MAX_REQUEST_SIZES];
	size_t n_sizes;
	GArray *times;		/* uint64_t, sample times */
	GPtrArray *series;	/* struct series *, in creation (= export) order */
	GPtrArray *devices;	/* struct device *, index = device id */
	/* Acceptance latency is recorded once, in the set of its host and
	 * width; the overall, per-host and per-width sets are their merges,
	 * made at export (a merge is exact), so that an acceptance touches 8
	 * histograms rather than 24. */
	GPtrArray *hosts;	/* struct host_sets * or NULL, index = host id */
	bool widths[INTERLEAVE_MAX_WAYS + 1];	/* index = ways: reported */
	struct sim_hist *reclaim;
	uint64_t counters[METRICS_COUNTER_COUNT];
	uint64_t blocked[METRICS_BLOCK_COUNT];
	struct sim_gauge stranded[METRICS_STRANDED_COUNT];	/* bytes now */
	size_t stranded_series;	/* first of METRICS_STRANDED_COUNT series */
};

/* Inputs of one scope's fragmentation series at one sample. */
struct frag_tally {
	uint64_t free;				/* F, bytes */
	uint64_t extents;			/* N */
	uint64_t largest;			/* bytes */
	uint64_t request[METRICS_MAX_REQUEST_SIZES];	/* r, bytes */
	uint64_t fits[METRICS_MAX_REQUEST_SIZES];	/* S */
	uint64_t usable[METRICS_MAX_REQUEST_SIZES];	/* bytes in whole requests */
};

static const char *const stage_names[] = {
	"fm", "device", "interrupt", "handling", "realize", "response", "assembly",
};
G_STATIC_ASSERT(G_N_ELEMENTS(stage_names) == METRICS_STAGE_COUNT);

static const char *const stranded_names[] = {
	"unanswered_offer", "half_built_interleave", "ignored_release", "dropped_chain",
};
G_STATIC_ASSERT(G_N_ELEMENTS(stranded_names) == METRICS_STRANDED_COUNT);

static const char *const block_names[] = {
	"no_capacity", "no_contiguous", "extent_limit", "tag_limit", "log_full",
};
G_STATIC_ASSERT(G_N_ELEMENTS(block_names) == METRICS_BLOCK_COUNT);

static const struct {
	const char *name;
	const char *unit;
} counters[] = {
	{ "requests.submitted", "count" },
	{ "requests.rejected", "count" },
	{ "releases.requested", "count" },
	{ "releases.deferred", "count" },
	{ "releases.ignored", "count" },
	{ "releases.retried", "count" },
	{ "releases.forced", "count" },
	{ "forced_release.lost_in_use_bytes", "bytes" },
	{ "event_log.overflows", "count" },
	{ "event_log.retries", "count" },
};
G_STATIC_ASSERT(G_N_ELEMENTS(counters) == METRICS_COUNTER_COUNT);

const char *metrics_stage_name(enum metrics_stage stage)
{
	g_return_val_if_fail(stage < METRICS_STAGE_COUNT, "unknown");
	return stage_names[stage];
}

const char *metrics_stranded_cause_name(enum metrics_stranded_cause cause)
{
	g_return_val_if_fail(cause < METRICS_STRANDED_COUNT, "unknown");
	return stranded_names[cause];
}

const char *metrics_block_cause_name(enum metrics_block_cause cause)
{
	g_return_val_if_fail(cause < METRICS_BLOCK_COUNT, "unknown");
	return block_names[cause];
}

const char *metrics_counter_name(enum metrics_counter counter)
{
	g_return_val_if_fail(counter < METRICS_COUNTER_COUNT, "unknown");
	return counters[counter].name;
}

/* (F - usable) / F, where usable = S * r. */
static double unusable_fraction(uint64_t free, uint64_t usable)
{
	return free ? (double)(free - usable) / (double)free : 0.0;
}

double metrics_unusable_index(uint64_t free, uint64_t fits, uint64_t request)
{
	g_return_val_if_fail(request > 0, 0.0);
	g_return_val_if_fail(fits <= free / request, 0.0);

	return unusable_fraction(free, fits * request);
}

double metrics_extfrag_index(uint64_t free, uint64_t extents, uint64_t fits, uint64_t request)
{
	double index;

	g_return_val_if_fail(request > 0, 0.0);
	g_return_val_if_fail(fits <= free / request, 0.0);
	g_return_val_if_fail(extents > 0 || free == 0, 0.0);

	if (free == 0)
		return 0.0;
	if (fits > 0)
		return METRICS_EXTFRAG_FITS;
	index = 1.0 - (1.0 + (double)free / (double)request) / (double)extents;
	return MAX(index, 0.0);
}

/* "2MiB", "1536KiB", "100B": the largest binary unit that divides BYTES.
 * Names need it exact and without spaces, unlike units_size_format. */
static void format_size(uint64_t bytes, char *buf, size_t size)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	size_t unit = 0;

	while (bytes > 0 && bytes % 1024 == 0 && unit + 1 < G_N_ELEMENTS(units)) {
		bytes /= 1024;
		unit++;
	}
	g_snprintf(buf, size, "%" G_GUINT64_FORMAT "%s", bytes, units[unit]);
}

static void series_free(void *data)
{
	struct series *s = data;

	g_free(s->name);
	g_array_unref(s->values);
	g_free(s);
}

/* Takes NAME; returns the new series' index. */
static size_t series_add(struct metrics *m, char *name)
{
	struct series *s = g_new0(struct series, 1);

	s->name = name;
	s->first = m->times->len;
	s->values = g_array_new(FALSE, FALSE, sizeof(double));
	g_ptr_array_add(m->series, s);
	return m->series->len - 1;
}

static void series_append(struct metrics *m, size_t index, double value)
{
	struct series *s = g_ptr_array_index(m->series, index);

	g_array_append_val(s->values, value);
}

static struct accept_set *accept_set_new(void)
{
	struct accept_set *set = g_new0(struct accept_set, 1);

	set->total = sim_hist_new();
	for (size_t s = 0; s < METRICS_STAGE_COUNT; s++)
		set->stage[s] = sim_hist_new();
	return set;
}

static void accept_set_free(struct accept_set *set)
{
	if (!set)
		return;
	sim_hist_free(set->total);
	for (size_t s = 0; s < METRICS_STAGE_COUNT; s++)
		sim_hist_free(set->stage[s]);
	g_free(set);
}

static void accept_set_record(struct accept_set *set, uint64_t total, const uint64_t *stage_ns)
{
	sim_hist_record(set->total, total);
	for (size_t s = 0; s < METRICS_STAGE_COUNT; s++)
		sim_hist_record(set->stage[s], stage_ns[s]);
}

static void accept_set_merge(struct accept_set *dst, const struct accept_set *src)
{
	sim_hist_merge(dst->total, src->total);
	for (size_t s = 0; s < METRICS_STAGE_COUNT; s++)
		sim_hist_merge(dst->stage[s], src->stage[s]);
}

/* Also the GPtrArray free function of metrics.hosts, whose gaps are NULL. */
static void host_sets_free(void *data)
{
	struct host_sets *hs = data;

	if (!hs)
		return;
	for (size_t w = 0; w < G_N_ELEMENTS(hs->by_ways); w++)
		accept_set_free(hs->by_ways[w]);
	g_free(hs);
}

static void device_free(void *data)
{
	struct device *d = data;

	g_free(d->name);
	g_free(d);
}

static bool request_sizes_valid(const uint64_t *sizes, size_t n, GError **error)
{
	char label[32];

	if (n > METRICS_MAX_REQUEST_SIZES) {
		g_set_error(error, METRICS_ERROR, METRICS_ERROR_REQUEST_SIZE,
			    "%zu fragmentation request sizes given (at most %d)", n,
			    METRICS_MAX_REQUEST_SIZES);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (sizes[i] == 0 || sizes[i] > METRICS_MAX_REQUEST_SIZE) {
			g_set_error(error, METRICS_ERROR, METRICS_ERROR_REQUEST_SIZE,
				    "fragmentation request size %" G_GUINT64_FORMAT
				    " not allowed (expected 1 byte to 4EiB)", sizes[i]);
			return false;
		}
		for (size_t j = 0; j < i; j++)
			if (sizes[j] == sizes[i]) {
				format_size(sizes[i], label, sizeof(label));
				g_set_error(error, METRICS_ERROR, METRICS_ERROR_REQUEST_SIZE,
					    "fragmentation request size %s listed twice", label);
				return false;
			}
	}
	return true;
}

struct metrics *metrics_new(const uint64_t *request_sizes, size_t n_request_sizes,
			    GError **error)
{
	struct metrics *m;

	g_return_val_if_fail(request_sizes != NULL || n_request_sizes == 0, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	if (!request_sizes_valid(request_sizes, n_request_sizes, error))
		return NULL;

	m = g_new0(struct metrics, 1);
	if (n_request_sizes)
		memcpy(m->sizes, request_sizes, n_request_sizes * sizeof(*request_sizes));
	m->n_sizes = n_request_sizes;
	m->times = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	m->series = g_ptr_array_new_with_free_func(series_free);
	m->devices = g_ptr_array_new_with_free_func(device_free);
	m->hosts = g_ptr_array_new_with_free_func(host_sets_free);
	m->reclaim = sim_hist_new();
	m->stranded_series = m->series->len;
	for (size_t c = 0; c < METRICS_STRANDED_COUNT; c++) {
		sim_gauge_init(&m->stranded[c], 0, 0.0);
		series_add(m, g_strdup_printf("stranded_bytes.%s", stranded_names[c]));
	}
	return m;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	g_array_unref(m->times);
	g_ptr_array_unref(m->series);
	g_ptr_array_unref(m->devices);
	g_ptr_array_unref(m->hosts);
	sim_hist_free(m->reclaim);
	g_free(m);
}

/* SCOPE is "dcd0" or "dcd0.r1"; returns the scope's first series. */
static size_t frag_series_add(struct metrics *m, const char *scope)
{
	static const char *const fixed[] = { "free_bytes", "free_extents", "largest_free_ratio" };
	size_t first = m->series->len;
	char label[32];

	G_STATIC_ASSERT(G_N_ELEMENTS(fixed) == FRAG_PER_SIZE);
	for (size_t i = 0; i < G_N_ELEMENTS(fixed); i++)
		series_add(m, g_strdup_printf("fragmentation.%s.%s", scope, fixed[i]));
	for (size_t i = 0; i < m->n_sizes; i++) {
		format_size(m->sizes[i], label, sizeof(label));
		series_add(m, g_strdup_printf("fragmentation.%s.unusable_index.%s", scope, label));
	}
	for (size_t i = 0; i < m->n_sizes; i++) {
		format_size(m->sizes[i], label, sizeof(label));
		series_add(m, g_strdup_printf("fragmentation.%s.extfrag_index.%s", scope, label));
	}
	return first;
}

static bool device_name_valid(const struct metrics *m, const char *name, GError **error)
{
	static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "0123456789_-";

	if (name[0] == '\0' || name[strspn(name, allowed)] != '\0') {
		g_set_error(error, METRICS_ERROR, METRICS_ERROR_DEVICE_NAME,
			    "device name '%s' not allowed (expected letters, digits, '_' or '-')",
			    name);
		return false;
	}
	if (strlen(name) > DEVICE_NAME_MAX) {
		g_set_error(error, METRICS_ERROR, METRICS_ERROR_DEVICE_NAME,
			    "device name '%s' too long (at most %d characters)", name,
			    DEVICE_NAME_MAX);
		return false;
	}
	for (size_t i = 0; i < m->devices->len; i++) {
		const struct device *d = g_ptr_array_index(m->devices, i);

		if (strcmp(d->name, name) == 0) {
			g_set_error(error, METRICS_ERROR, METRICS_ERROR_DEVICE_NAME,
				    "device name '%s' used twice", name);
			return false;
		}
	}
	return true;
}

bool metrics_device_add(struct metrics *m, const char *name, uint64_t now_ns,
			uint64_t max_extents, uint64_t max_tags, unsigned *out_device,
			GError **error)
{
	struct device *d;

	g_return_val_if_fail(m != NULL && name != NULL && out_device != NULL, false);
	g_return_val_if_fail(error == NULL || *error == NULL, false);

	if (!device_name_valid(m, name, error))
		return false;

	d = g_new0(struct device, 1);
	d->name = g_strdup(name);
	d->limit[RESOURCE_EXTENTS] = max_extents;
	d->limit[RESOURCE_TAGS] = max_tags;
	d->util = m->series->len;
	for (size_t r = 0; r < RESOURCE_COUNT; r++) {
		sim_gauge_init(&d->in_use[r], now_ns, 0.0);
		series_add(m, g_strdup_printf("%s.%s", resource_util_names[r], name));
	}
	d->frag = frag_series_add(m, name);
	*out_device = m->devices->len;
	g_ptr_array_add(m->devices, d);
	return true;
}

static struct device *device_get(const struct metrics *m, unsigned device)
{
	g_return_val_if_fail(device < m->devices->len, NULL);
	return g_ptr_array_index(m->devices, device);
}

void metrics_device_set_region(struct metrics *m, unsigned device, unsigned region,
			       const struct extent_map *map)
{
	struct device *d;
	char *scope;

	g_return_if_fail(m != NULL && map != NULL);
	d = device_get(m, device);
	g_return_if_fail(d != NULL);
	g_return_if_fail(region <= d->n_regions && region < METRICS_MAX_REGIONS);

	if (region == d->n_regions) {
		scope = g_strdup_printf("%s.r%u", d->name, region);
		d->regions[region].frag = frag_series_add(m, scope);
		g_free(scope);
		d->n_regions++;
	}
	d->regions[region].map = map;
}

static void device_set_in_use(struct metrics *m, unsigned device, size_t resource,
			      uint64_t now_ns, uint64_t count)
{
	struct device *d;

	g_return_if_fail(m != NULL);
	d = device_get(m, device);
	g_return_if_fail(d != NULL);

	sim_gauge_set(&d->in_use[resource], now_ns, (double)count);
}

void metrics_device_set_extents(struct metrics *m, unsigned device, uint64_t now_ns,
				uint64_t extents)
{
	device_set_in_use(m, device, RESOURCE_EXTENTS, now_ns, extents);
}

void metrics_device_set_tags(struct metrics *m, unsigned device, uint64_t now_ns, uint64_t tags)
{
	device_set_in_use(m, device, RESOURCE_TAGS, now_ns, tags);
}

/* A request in a region is served in whole blocks: R rounded up to the
 * block size.  R <= 2^62 and the block size <= 2^63 keep this in range. */
static uint64_t round_up(uint64_t r, uint64_t block)
{
	return (r + block - 1) / block * block;
}

static void region_tally(const struct metrics *m, const struct extent_map *map,
			 struct frag_tally *t)
{
	uint64_t block = extent_map_get_block_size(map);

	t->free = extent_map_get_bytes(map, EXTENT_FREE);
	t->extents = extent_map_get_free_count(map);
	t->largest = extent_map_get_largest_free(map);
	for (size_t i = 0; i < m->n_sizes; i++) {
		struct extent_frag frag;

		t->request[i] = round_up(m->sizes[i], block);
		/* Fails only on a request that is not a block multiple. */
		if (extent_map_get_frag(map, t->request[i], &frag) != EXTENT_MAP_OK) {
			g_warn_if_reached();
			frag.fits = 0;
		}
		t->fits[i] = frag.fits;
		t->usable[i] = frag.fits * t->request[i];
	}
}

/* Pools region R into the device's tally D, whose requests are nominal. */
static void device_tally_add(struct frag_tally *d, const struct frag_tally *r, size_t n_sizes)
{
	d->free += r->free;
	d->extents += r->extents;
	d->largest = MAX(d->largest, r->largest);
	for (size_t i = 0; i < n_sizes; i++) {
		d->fits[i] += r->fits[i];
		d->usable[i] += r->usable[i];
	}
}

static void frag_append(struct metrics *m, size_t first, const struct frag_tally *t)
{
	size_t n = m->n_sizes;

	series_append(m, first + FRAG_FREE_BYTES, (double)t->free);
	series_append(m, first + FRAG_FREE_EXTENTS, (double)t->extents);
	series_append(m, first + FRAG_LARGEST_RATIO,
		      t->free ? (double)t->largest / (double)t->free : 1.0);
	for (size_t i = 0; i < n; i++) {
		series_append(m, first + FRAG_PER_SIZE + i, unusable_fraction(t->free, t->usable[i]));
		series_append(m, first + FRAG_PER_SIZE + n + i,
			      metrics_extfrag_index(t->free, t->extents, t->fits[i],
						    t->request[i]));
	}
}

/* COUNT / LIMIT; 0 for a device without that resource. */
static double utilization(double count, uint64_t limit)
{
	return limit ? count / (double)limit : 0.0;
}

void metrics_sample(struct metrics *m, uint64_t now_ns)
{
	g_return_if_fail(m != NULL);
	g_return_if_fail(m->times->len == 0 ||
			 now_ns >= g_array_index(m->times, uint64_t, m->times->len - 1));

	g_array_append_val(m->times, now_ns);
	for (size_t c = 0; c < METRICS_STRANDED_COUNT; c++)
		series_append(m, m->stranded_series + c, sim_gauge_value(&m->stranded[c]));
	for (size_t i = 0; i < m->devices->len; i++) {
		struct device *d = g_ptr_array_index(m->devices, i);
		struct frag_tally device = { 0 };

		for (size_t u = 0; u < RESOURCE_COUNT; u++)
			series_append(m, d->util + u,
				      utilization(sim_gauge_value(&d->in_use[u]), d->limit[u]));
		memcpy(device.request, m->sizes, sizeof(device.request));
		for (unsigned r = 0; r < d->n_regions; r++) {
			struct frag_tally region;

			region_tally(m, d->regions[r].map, &region);
			frag_append(m, d->regions[r].frag, &region);
			device_tally_add(&device, &region, m->n_sizes);
		}
		frag_append(m, d->frag, &device);
	}
}

/* The set of HOST through a WAYS-way interleave set, made on first use. */
static struct accept_set *host_width_set(struct metrics *m, unsigned host, unsigned ways)
{
	struct host_sets *hs;

	if (host >= m->hosts->len)
		g_ptr_array_set_size(m->hosts, (int)host + 1);
	hs = g_ptr_array_index(m->hosts, host);
	if (!hs) {
		hs = g_new0(struct host_sets, 1);
		g_ptr_array_index(m->hosts, host) = hs;
	}
	if (!hs->by_ways[ways])
		hs->by_ways[ways] = accept_set_new();
	m->widths[ways] = true;
	return hs->by_ways[ways];
}

void metrics_record_acceptance(struct metrics *m, unsigned host, unsigned ways,
			       const uint64_t stage_ns[METRICS_STAGE_COUNT])
{
	uint64_t total = 0;

	g_return_if_fail(m != NULL && stage_ns != NULL);
	g_return_if_fail(host <= METRICS_MAX_HOST);
	g_return_if_fail(interleave_ways_valid(ways));
	for (size_t s = 0; s < METRICS_STAGE_COUNT; s++) {
		g_return_if_fail(stage_ns[s] <= UINT64_MAX - total);
		total += stage_ns[s];
	}

	accept_set_record(host_width_set(m, host, ways), total, stage_ns);
}

void metrics_record_reclaim(struct metrics *m, uint64_t latency_ns)
{
	g_return_if_fail(m != NULL);

	sim_hist_record(m->reclaim, latency_ns);
}

void metrics_record_blocked(struct metrics *m, enum metrics_block_cause cause)
{
	g_return_if_fail(m != NULL && cause < METRICS_BLOCK_COUNT);

	m->blocked[cause]++;
}

void metrics_count(struct metrics *m, enum metrics_counter counter, uint64_t n)
{
	g_return_if_fail(m != NULL && counter < METRICS_COUNTER_COUNT);

	m->counters[counter] += n;
}

void metrics_stranded_add(struct metrics *m, enum metrics_stranded_cause cause,
			  uint64_t now_ns, int64_t delta_bytes)
{
	struct sim_gauge *g;

	g_return_if_fail(m != NULL && cause < METRICS_STRANDED_COUNT);
	g = &m->stranded[cause];
	g_return_if_fail(sim_gauge_value(g) + (double)delta_bytes >= 0.0);

	sim_gauge_add(g, now_ns, (double)delta_bytes);
}

G_GNUC_PRINTF(5, 6)
static bool emit_scalar(metrics_scalar_fn fn, void *user_data, double value, const char *unit,
			const char *format, ...)
{
	char name[NAME_BUFFER];
	va_list args;

	va_start(args, format);
	g_vsnprintf(name, sizeof(name), format, args);
	va_end(args);
	return fn(name, value, unit, user_data);
}

/* Merges into DST the sets of HOST (every host: G_MAXUINT) through WAYS
 * (every width: 0). */
static void accept_sets_merge(const struct metrics *m, unsigned host, unsigned ways,
			      struct accept_set *dst)
{
	for (unsigned h = 0; h < m->hosts->len; h++) {
		const struct host_sets *hs = g_ptr_array_index(m->hosts, h);

		if (!hs || (host != G_MAXUINT && h != host))
			continue;
		for (unsigned w = 0; w < G_N_ELEMENTS(hs->by_ways); w++) {
			if (!hs->by_ways[w] || (ways && w != ways))
				continue;
			accept_set_merge(dst, hs->by_ways[w]);
		}
	}
}

static uint64_t accepted_count(const struct metrics *m)
{
	uint64_t n = 0;

	for (unsigned h = 0; h < m->hosts->len; h++) {
		const struct host_sets *hs = g_ptr_array_index(m->hosts, h);

		for (unsigned w = 0; hs && w < G_N_ELEMENTS(hs->by_ways); w++)
			if (hs->by_ways[w])
				n += sim_hist_count(hs->by_ways[w]->total);
	}
	return n;
}

static bool foreach_request_scalar(const struct metrics *m, metrics_scalar_fn fn,
				   void *user_data)
{
	uint64_t blocked = 0;

	for (size_t c = 0; c < METRICS_BLOCK_COUNT; c++)
		blocked += m->blocked[c];
	if (emit_scalar(fn, user_data, (double)m->counters[METRICS_REQUESTS_SUBMITTED], "count",
			"requests.submitted") ||
	    emit_scalar(fn, user_data, (double)accepted_count(m), "count",
			"requests.accepted") ||
	    emit_scalar(fn, user_data, (double)blocked, "count", "requests.blocked") ||
	    emit_scalar(fn, user_data, (double)m->counters[METRICS_REQUESTS_REJECTED], "count",
			"requests.rejected"))
		return true;
	for (size_t c = 0; c < METRICS_BLOCK_COUNT; c++)
		if (emit_scalar(fn, user_data, (double)m->blocked[c], "count", "blocked.%s",
				block_names[c]))
			return true;
	return false;
}

static bool foreach_stranded_scalar(const struct metrics *m, uint64_t now_ns,
				    metrics_scalar_fn fn, void *user_data)
{
	double total = 0.0;

	for (size_t c = 0; c < METRICS_STRANDED_COUNT; c++) {
		double byte_s = sim_gauge_integral(&m->stranded[c], now_ns) / 1e9;

		total += byte_s;
		if (emit_scalar(fn, user_data, byte_s, "byte*s", "stranded_byte_s.%s",
				stranded_names[c]))
			return true;
	}
	if (emit_scalar(fn, user_data, total, "byte*s", "stranded_byte_s.total"))
		return true;
	for (size_t c = 0; c < METRICS_STRANDED_COUNT; c++)
		if (emit_scalar(fn, user_data, sim_gauge_max(&m->stranded[c]), "bytes",
				"stranded_bytes.%s.max", stranded_names[c]))
			return true;
	return false;
}

static bool foreach_device_scalar(const struct device *d, uint64_t now_ns,
				  metrics_scalar_fn fn, void *user_data)
{
	for (size_t r = 0; r < RESOURCE_COUNT; r++) {
		const struct sim_gauge *g = &d->in_use[r];

		if (emit_scalar(fn, user_data, utilization(sim_gauge_mean(g, now_ns), d->limit[r]),
				"ratio", "%s.%s.mean", resource_util_names[r], d->name) ||
		    emit_scalar(fn, user_data, utilization(sim_gauge_max(g), d->limit[r]), "ratio",
				"%s.%s.max", resource_util_names[r], d->name))
			return true;
	}
	return false;
}

bool metrics_foreach_scalar(const struct metrics *m, uint64_t now_ns, metrics_scalar_fn fn,
			    void *user_data)
{
	g_return_val_if_fail(m != NULL && fn != NULL, false);

	if (foreach_request_scalar(m, fn, user_data))
		return true;
	/* The plain counters after requests.*, in enum order. */
	for (size_t c = METRICS_RELEASES_REQUESTED; c < METRICS_COUNTER_COUNT; c++)
		if (emit_scalar(fn, user_data, (double)m->counters[c], counters[c].unit, "%s",
				counters[c].name))
			return true;
	if (foreach_stranded_scalar(m, now_ns, fn, user_data))
		return true;
	for (size_t i = 0; i < m->devices->len; i++)
		if (foreach_device_scalar(g_ptr_array_index(m->devices, i), now_ns, fn, user_data))
			return true;
	return false;
}

/* SCOPE is "", "host.2." or "ways.4.". */
static bool accept_set_foreach(const struct accept_set *set, const char *scope,
			       metrics_histogram_fn fn, void *user_data)
{
	char name[NAME_BUFFER];

	g_snprintf(name, sizeof(name), "accept_latency_ns.%stotal", scope);
	if (fn(name, set->total, user_data))
		return true;
	for (size_t s = 0; s < METRICS_STAGE_COUNT; s++) {
		g_snprintf(name, sizeof(name), "accept_latency_ns.%sstage.%s", scope,
			   stage_names[s]);
		if (fn(name, set->stage[s], user_data))
			return true;
	}
	return false;
}

/* Walks under SCOPE the merge of the sets of HOST through WAYS (as
 * accept_sets_merge). */
static bool merged_foreach(const struct metrics *m, unsigned host, unsigned ways,
			   const char *scope, metrics_histogram_fn fn, void *user_data)
{
	struct accept_set *set = accept_set_new();
	bool stop;

	accept_sets_merge(m, host, ways, set);
	stop = accept_set_foreach(set, scope, fn, user_data);
	accept_set_free(set);
	return stop;
}

bool metrics_foreach_histogram(const struct metrics *m, metrics_histogram_fn fn,
			       void *user_data)
{
	char scope[32];

	g_return_val_if_fail(m != NULL && fn != NULL, false);

	/* the overall set, even empty */
	if (merged_foreach(m, G_MAXUINT, 0, "", fn, user_data))
		return true;
	for (unsigned h = 0; h < m->hosts->len; h++) {
		g_snprintf(scope, sizeof(scope), "host.%u.", h);
		if (g_ptr_array_index(m->hosts, h) &&
		    merged_foreach(m, h, 0, scope, fn, user_data))
			return true;
	}
	for (unsigned w = 0; w < G_N_ELEMENTS(m->widths); w++) {
		g_snprintf(scope, sizeof(scope), "ways.%u.", w);
		if (m->widths[w] && merged_foreach(m, G_MAXUINT, w, scope, fn, user_data))
			return true;
	}
	return fn("reclaim_latency_ns", m->reclaim, user_data);
}

bool metrics_foreach_series(const struct metrics *m, metrics_series_fn fn, void *user_data)
{
	const uint64_t *times;

	g_return_val_if_fail(m != NULL && fn != NULL, false);

	times = (const uint64_t *)(const void *)m->times->data;
	for (size_t i = 0; i < m->series->len; i++) {
		const struct series *s = g_ptr_array_index(m->series, i);
		size_t n = s->values->len;

		/* No arithmetic on the NULL data of an empty array. */
		if (fn(s->name, n ? times + s->first : NULL,
		       n ? (const double *)(const void *)s->values->data : NULL, n, user_data))
			return true;
	}
	return false;
}
