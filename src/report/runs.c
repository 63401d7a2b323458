/* The complete runs of a results file, their main metrics, and how
 * quantities are shown. */
#include "report/internal.h"

#include "sim/stats.h"
#include "store/store.h"

#include <math.h>
#include <string.h>

const struct report_metric report_metrics[REPORT_METRIC_COUNT] = {
	[REPORT_METRIC_ACCEPT_P50] = { "accept_p50", "acceptance latency p50", REPORT_KIND_TIME },
	[REPORT_METRIC_ACCEPT_P99] = { "accept_p99", "acceptance latency p99", REPORT_KIND_TIME },
	[REPORT_METRIC_RECLAIM_P99] = { "reclaim_p99", "reclamation latency p99",
					REPORT_KIND_TIME },
	[REPORT_METRIC_BLOCKED] = { "blocked", "requests blocked", REPORT_KIND_PERCENT },
	[REPORT_METRIC_STRANDED] = { "stranded", "stranded capacity", REPORT_KIND_BYTE_S },
	[REPORT_METRIC_EXTENT_UTIL] = { "extent_util", "peak extent-count utilization",
					REPORT_KIND_PERCENT },
	[REPORT_METRIC_FRAGMENTATION] = { "fragmentation", "unusable free space index (final)",
					  REPORT_KIND_RATIO },
};

/* --- quantities --- */

struct report_scale report_scale_pick(enum report_kind kind, double magnitude)
{
	static const struct report_scale times[] = {
		{ 1.0, "ns" }, { 1e3, "µs" }, { 1e6, "ms" }, { 1e9, "s" }, { 60e9, "min" },
		{ 3600e9, "h" },
	};
	static const struct report_scale bytes[] = {
		{ 1.0, "B" }, { 0x1p10, "KiB" }, { 0x1p20, "MiB" }, { 0x1p30, "GiB" },
		{ 0x1p40, "TiB" }, { 0x1p50, "PiB" },
	};
	static const struct report_scale byte_s[] = {
		{ 1.0, "B·s" }, { 0x1p10, "KiB·s" }, { 0x1p20, "MiB·s" }, { 0x1p30, "GiB·s" },
		{ 0x1p40, "TiB·s" }, { 0x1p50, "PiB·s" },
	};
	const struct report_scale *table;
	size_t n, i;

	switch (kind) {
	case REPORT_KIND_TIME:
		table = times;
		n = G_N_ELEMENTS(times);
		break;
	case REPORT_KIND_BYTES:
		table = bytes;
		n = G_N_ELEMENTS(bytes);
		break;
	case REPORT_KIND_BYTE_S:
		table = byte_s;
		n = G_N_ELEMENTS(byte_s);
		break;
	case REPORT_KIND_PERCENT:
		return (struct report_scale){ 0.01, "%" };
	default:
		return (struct report_scale){ 1.0, "" };
	}
	for (i = 0; i + 1 < n && fabs(magnitude) >= table[i + 1].div; i++)
		;
	return table[i];
}

char *report_scale_label(const char *what, struct report_scale scale)
{
	return *scale.unit ? g_strdup_printf("%s (%s)", what, scale.unit) : g_strdup(what);
}

char *report_value_format(enum report_kind kind, double value)
{
	struct report_scale s = report_scale_pick(kind, value);
	char number[G_ASCII_DTOSTR_BUF_SIZE];

	if (isnan(value))
		return g_strdup("n/a");
	g_ascii_formatd(number, sizeof(number), "%.3g", value / s.div);
	return *s.unit ? g_strdup_printf("%s %s", number, s.unit) : g_strdup(number);
}

/* --- runs --- */

static void param_free(void *data)
{
	struct report_param *p = data;

	g_free(p->name);
	g_free(p->value);
	g_free(p);
}

static void scalar_free(void *data)
{
	struct report_scalar *s = data;

	g_free(s->name);
	g_free(s->unit);
	g_free(s);
}

static void run_free(void *data)
{
	struct report_run *run = data;

	g_free(run->scenario);
	g_free(run->fingerprint);
	g_ptr_array_unref(run->params);
	g_ptr_array_unref(run->scalars);
	g_free(run);
}

const char *report_run_param(const struct report_run *run, const char *name)
{
	for (guint i = 0; i < run->params->len; i++) {
		const struct report_param *p = g_ptr_array_index(run->params, i);

		if (!strcmp(p->name, name))
			return p->value;
	}
	return NULL;
}

double report_run_scalar(const struct report_run *run, const char *name)
{
	for (guint i = 0; i < run->scalars->len; i++) {
		const struct report_scalar *s = g_ptr_array_index(run->scalars, i);

		if (!strcmp(s->name, name))
			return s->value;
	}
	return NAN;
}

struct load {
	GPtrArray *runs;
	unsigned skipped;
};

static gboolean run_take(const struct store_run_record *record, void *data)
{
	struct load *l = data;
	struct report_run *run;

	if (g_strcmp0(record->status, "complete")) {
		l->skipped++;
		return FALSE;
	}
	run = g_new0(struct report_run, 1);
	run->id = record->id;
	run->scenario = g_strdup(record->scenario);
	run->seed = record->seed;
	run->repetition = record->repetition;
	run->events = record->events;
	run->wall_s = record->wall_s;
	run->fingerprint = g_strdup(record->fingerprint);
	run->params = g_ptr_array_new_with_free_func(param_free);
	run->scalars = g_ptr_array_new_with_free_func(scalar_free);
	g_ptr_array_add(l->runs, run);
	return FALSE;
}

static gboolean param_take(const struct store_param *param, void *data)
{
	struct report_param *p = g_new(struct report_param, 1);

	p->name = g_strdup(param->name);
	p->value = g_strdup(param->value);
	p->given = param->given;
	g_ptr_array_add(data, p);
	return FALSE;
}

static gboolean scalar_take(const char *name, double value, const char *unit, void *data)
{
	struct report_scalar *s = g_new(struct report_scalar, 1);

	s->name = g_strdup(name);
	s->unit = g_strdup(unit);
	s->value = value;
	g_ptr_array_add(data, s);
	return FALSE;
}

/* Percentile Q of histogram NAME, NaN when it recorded nothing. */
static gboolean hist_percentile(struct store *st, int64_t run_id, const char *name, double q,
				double *value, GError **error)
{
	g_autoptr(sim_hist) h = sim_hist_new();

	if (!store_hist_load(st, run_id, name, h, error))
		return FALSE;
	*value = sim_hist_count(h) ? (double)sim_hist_percentile(h, q) : NAN;
	return TRUE;
}

/* Largest "extent_util.<dev>.max" of any device. */
static double extent_util_peak(const struct report_run *run)
{
	double peak = NAN;

	for (guint i = 0; i < run->scalars->len; i++) {
		const struct report_scalar *s = g_ptr_array_index(run->scalars, i);

		if (g_str_has_prefix(s->name, "extent_util.") && g_str_has_suffix(s->name, ".max") &&
		    !isnan(s->value) && !(s->value <= peak))
			peak = s->value;
	}
	return peak;
}

/* docs/report.md defines each of them. */
static gboolean metrics_compute(struct store *st, struct report_run *run, GError **error)
{
	double *m = run->metric;
	double submitted = report_run_scalar(run, "requests.submitted");

	if (!hist_percentile(st, run->id, "accept_latency_ns.total", 0.5,
			     &m[REPORT_METRIC_ACCEPT_P50], error) ||
	    !hist_percentile(st, run->id, "accept_latency_ns.total", 0.99,
			     &m[REPORT_METRIC_ACCEPT_P99], error) ||
	    !hist_percentile(st, run->id, "reclaim_latency_ns", 0.99,
			     &m[REPORT_METRIC_RECLAIM_P99], error))
		return FALSE;
	m[REPORT_METRIC_BLOCKED] = submitted > 0 ?
		report_run_scalar(run, "requests.blocked") / submitted : NAN;
	m[REPORT_METRIC_STRANDED] = report_run_scalar(run, "stranded_byte_s.total");
	m[REPORT_METRIC_EXTENT_UTIL] = extent_util_peak(run);
	m[REPORT_METRIC_FRAGMENTATION] = report_run_scalar(run, "summary.fragmentation.final");
	return TRUE;
}

GPtrArray *report_runs_load(struct store *st, unsigned *skipped, GError **error)
{
	struct load l = { g_ptr_array_new_with_free_func(run_free), 0 };

	if (!store_runs_foreach(st, run_take, &l, error))
		goto fail_load;
	for (guint i = 0; i < l.runs->len; i++) {
		struct report_run *run = g_ptr_array_index(l.runs, i);

		if (!store_params_foreach(st, run->id, param_take, run->params, error) ||
		    !store_scalars_foreach(st, run->id, scalar_take, run->scalars, error) ||
		    !metrics_compute(st, run, error))
			goto fail_load;
	}
	*skipped = l.skipped;
	return l.runs;
fail_load:
	g_ptr_array_unref(l.runs);
	return NULL;
}
