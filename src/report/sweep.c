/* Sweeps: runs grouped by the values of their swept parameters, each main
 * metric as a mean with a 95% confidence interval over the repetitions
 * (Student t), tabled per point and plotted against each parameter. */
#include "report/internal.h"

#include "sim/stats.h"
#include "sim/units.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A swept parameter and its distinct values, in plotting order: by value
 * when they are quantities ("2MiB", "50/s"), else bytewise. */
struct axis {
	const char *name;
	gboolean numeric;	/* plain numbers: plotted at their value */
	GPtrArray *values;	/* const char *, borrowed from the runs */
};

/* Runs sharing the values of some axes. */
struct group {
	GPtrArray *runs;	/* const struct report_run * */
	guint *index;		/* per axis of the grouping, its value's index */
};

/* The mean of a metric over some runs, NaN-valued runs left out. */
struct stat {
	unsigned n;
	double mean;
	double half;	/* half-width of the 95% interval; NaN when n < 2 */
};

static const char *param_or_empty(const struct report_run *run, const char *name)
{
	const char *value = report_run_param(run, name);

	return value ? value : "";
}

GPtrArray *report_swept_params(const GPtrArray *runs)
{
	GPtrArray *swept = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
	const struct report_run *first = g_ptr_array_index(runs, 0);

	/* Names in the first run's order, then any that only later runs have. */
	for (guint r = 0; r < runs->len; r++) {
		const struct report_run *run = g_ptr_array_index(runs, r);

		for (guint p = 0; p < run->params->len; p++) {
			const struct report_param *param = g_ptr_array_index(run->params, p);

			if (!g_hash_table_add(seen, param->name))
				continue;
			for (guint o = 1; o < runs->len; o++) {
				if (strcmp(param_or_empty(first, param->name),
					   param_or_empty(g_ptr_array_index(runs, o), param->name))) {
					g_ptr_array_add(swept, g_strdup(param->name));
					break;
				}
			}
		}
	}
	return swept;
}

/* --- axes and groups --- */

static gboolean number_parse(const char *text, double *value)
{
	char *end;

	*value = g_ascii_strtod(text, &end);
	return *text && !*end && isfinite(*value);
}

/* A number, or a size, time or rate as scenarios write them. */
static gboolean quantity_parse(const char *text, double *value)
{
	uint64_t n;

	if (number_parse(text, value) || units_rate_parse(text, value, NULL))
		return TRUE;
	if (!units_size_parse(text, &n, NULL) && !units_time_parse(text, &n, NULL))
		return FALSE;
	*value = (double)n;
	return TRUE;
}

/* For g_ptr_array_sort(): quantities by value, else bytewise. */
static int value_compare(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	double u, v;

	if (quantity_parse(x, &u) && quantity_parse(y, &v) && u != v)
		return (u > v) - (u < v);
	return strcmp(x, y);
}

static void axis_init(struct axis *axis, const char *name, const GPtrArray *runs)
{
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
	double unused;

	axis->name = name;
	axis->numeric = TRUE;
	axis->values = g_ptr_array_new();
	for (guint r = 0; r < runs->len; r++) {
		const char *value = param_or_empty(g_ptr_array_index(runs, r), name);

		if (g_hash_table_add(seen, (char *)value)) {
			g_ptr_array_add(axis->values, (char *)value);
			axis->numeric &= number_parse(value, &unused);
		}
	}
	g_ptr_array_sort(axis->values, value_compare);
}

static guint axis_index(const struct axis *axis, const struct report_run *run)
{
	const char *value = param_or_empty(run, axis->name);
	guint i;

	for (i = 0; i < axis->values->len; i++)
		if (!strcmp(g_ptr_array_index(axis->values, i), value))
			break;
	return i;
}

static void group_free(void *data)
{
	struct group *g = data;

	g_ptr_array_unref(g->runs);
	g_free(g->index);
	g_free(g);
}

/* Groups in the order of their values' indexes on the *N_AXES axes, the
 * first axis first. */
static int group_compare(const void *a, const void *b, void *n_axes)
{
	const struct group *x = *(const struct group *const *)a;
	const struct group *y = *(const struct group *const *)b;

	for (size_t i = 0; i < *(const size_t *)n_axes; i++)
		if (x->index[i] != y->index[i])
			return x->index[i] < y->index[i] ? -1 : 1;
	return 0;
}

/* RUNS grouped by their values of the N AXES (all runs in one group when
 * N = 0), sorted by those values. */
static GPtrArray *groups_make(const GPtrArray *runs, const struct axis *const *axes, size_t n)
{
	GPtrArray *groups = g_ptr_array_new_with_free_func(group_free);
	g_autoptr(GHashTable) by_key = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
							      NULL);

	for (guint r = 0; r < runs->len; r++) {
		const struct report_run *run = g_ptr_array_index(runs, r);
		g_autofree guint *index = g_new0(guint, n + 1);
		GString *key = g_string_new(NULL);
		struct group *g;

		for (size_t i = 0; i < n; i++) {
			index[i] = axis_index(axes[i], run);
			g_string_append_printf(key, "%u,", index[i]);
		}
		g = g_hash_table_lookup(by_key, key->str);
		if (!g) {
			g = g_new(struct group, 1);
			g->runs = g_ptr_array_new();
			g->index = g_steal_pointer(&index);
			g_ptr_array_add(groups, g);
			g_hash_table_insert(by_key, g_string_free(key, FALSE), g);
		} else {
			g_string_free(key, TRUE);
		}
		g_ptr_array_add(g->runs, (void *)run);
	}
	g_ptr_array_sort_with_data(groups, group_compare, &n);
	return groups;
}

/* --- statistics --- */

static struct stat stat_of(const GPtrArray *runs, enum report_metric_id metric)
{
	struct stat s = { 0, NAN, NAN };
	double sum = 0.0, squares = 0.0;

	for (guint i = 0; i < runs->len; i++) {
		double v = ((const struct report_run *)g_ptr_array_index(runs, i))->metric[metric];

		if (isnan(v))
			continue;
		s.n++;
		sum += v;
	}
	if (!s.n)
		return s;
	s.mean = sum / s.n;
	for (guint i = 0; i < runs->len; i++) {
		double v = ((const struct report_run *)g_ptr_array_index(runs, i))->metric[metric];

		if (!isnan(v))
			squares += (v - s.mean) * (v - s.mean);
	}
	if (s.n > 1)
		s.half = sim_student_t975(s.n - 1) * sqrt(squares / (s.n - 1)) / sqrt(s.n);
	return s;
}

/* "1.23 ± 0.04 ms", in the scale of the mean. */
static char *stat_format(enum report_kind kind, const struct stat *s)
{
	struct report_scale scale = report_scale_pick(kind, s->mean);
	char mean[G_ASCII_DTOSTR_BUF_SIZE], half[G_ASCII_DTOSTR_BUF_SIZE];

	if (!s->n)
		return g_strdup("n/a");
	g_ascii_formatd(mean, sizeof(mean), "%.3g", s->mean / scale.div);
	if (isnan(s->half))
		return g_strdup_printf("%s%s%s", mean, *scale.unit ? " " : "", scale.unit);
	/* Two digits, not an exponent, for a wide interval. */
	g_ascii_formatd(half, sizeof(half), s->half / scale.div < 100 ? "%.2g" : "%.0f",
			s->half / scale.div);
	return g_strdup_printf("%s ± %s%s%s", mean, half, *scale.unit ? " " : "", scale.unit);
}

/* --- the summary table --- */

static void table_write(struct report_page *page, const GPtrArray *runs,
			const struct axis *const *axes, size_t n_axes)
{
	g_autoptr(GPtrArray) groups = groups_make(runs, axes, n_axes);
	struct report_table *t = report_page_table(page, n_axes + 1 + REPORT_METRIC_COUNT);

	for (size_t i = 0; i < n_axes; i++)
		report_table_cell(t, "%s", axes[i]->name);
	report_table_cell(t, "runs");
	for (unsigned m = 0; m < REPORT_METRIC_COUNT; m++)
		report_table_cell(t, "%s", report_metrics[m].title);
	for (guint g = 0; g < groups->len; g++) {
		const struct group *group = g_ptr_array_index(groups, g);

		for (size_t i = 0; i < n_axes; i++)
			report_table_cell(t, "%s",
					  (const char *)g_ptr_array_index(axes[i]->values,
									  group->index[i]));
		report_table_cell(t, "%u", group->runs->len);
		for (unsigned m = 0; m < REPORT_METRIC_COUNT; m++) {
			struct stat s = stat_of(group->runs, m);
			g_autofree char *text = stat_format(report_metrics[m].kind, &s);

			report_table_cell(t, "%s", text);
		}
	}
}

/* --- figures --- */

/* A data line "x mean low high". */
static void error_point(GString *data, double x, const struct stat *s, double div)
{
	char xs[G_ASCII_DTOSTR_BUF_SIZE], m[G_ASCII_DTOSTR_BUF_SIZE];
	char lo[G_ASCII_DTOSTR_BUF_SIZE], hi[G_ASCII_DTOSTR_BUF_SIZE];
	double half = isnan(s->half) ? 0.0 : s->half;

	g_string_append_printf(data, "%s %s %s %s\n",
			       g_ascii_formatd(xs, sizeof(xs), "%.10g", x),
			       g_ascii_formatd(m, sizeof(m), "%.10g", s->mean / div),
			       g_ascii_formatd(lo, sizeof(lo), "%.10g", (s->mean - half) / div),
			       g_ascii_formatd(hi, sizeof(hi), "%.10g", (s->mean + half) / div));
}

/* A categorical axis: its values at 0, 1, ... */
static void category_tics(struct report_plot *plot, const struct axis *x)
{
	g_autoptr(GString) tics = g_string_new("set xtics (");

	for (guint i = 0; i < x->values->len; i++) {
		g_autofree char *label = report_plot_quote(g_ptr_array_index(x->values, i));

		g_string_append_printf(tics, "%s%s %u", i ? ", " : "", label, i);
	}
	report_plot_printf(plot, "%s)\nset xrange [-0.5:%u.5]\n", tics->str, x->values->len - 1);
}

/* Whether the numeric X axis spans enough to read better in log scale. */
static gboolean axis_log(const struct axis *x)
{
	double lo, hi;

	if (!x->numeric)
		return FALSE;
	number_parse(g_ptr_array_index(x->values, 0), &lo);
	number_parse(g_ptr_array_index(x->values, x->values->len - 1), &hi);
	return lo > 0 && hi / lo >= 20;
}

/* METRIC against axis X, one line per value of axis Y (NULL: one line),
 * the runs of each (x, y) pooled over every other swept parameter. */
static gboolean metric_figure(struct report_plot *plot, struct report_page *page,
			      const GPtrArray *runs, enum report_metric_id metric, unsigned x_index,
			      const struct axis *x, const struct axis *y, const char *pooled,
			      GError **error)
{
	const struct report_metric *m = &report_metrics[metric];
	const struct axis *axes[] = { y, x };
	g_autoptr(GPtrArray) groups = groups_make(runs, y ? axes : axes + 1, y ? 2 : 1);
	g_autoptr(GString) data = g_string_new(NULL);
	g_autoptr(GString) command = g_string_new("plot ");
	g_autofree char *id = g_strdup_printf("sweep_p%u_%s", x_index, m->id);
	g_autofree char *title = NULL, *caption = NULL, *xlabel = NULL, *ylabel = NULL;
	g_autofree char *what = NULL;
	struct report_scale scale;
	double most = 0.0;
	gboolean measured = FALSE;
	guint block = 0, line = G_MAXUINT, n_lines = y ? y->values->len : 1;

	for (guint g = 0; g < groups->len; g++) {
		struct stat s = stat_of(((struct group *)g_ptr_array_index(groups, g))->runs, metric);

		if (s.n) {
			measured = TRUE;
			most = fmax(most, fabs(s.mean));
		}
	}
	title = g_strdup_printf("%c%s against %s", g_ascii_toupper(m->title[0]), m->title + 1,
				x->name);
	if (!measured) {
		report_page_text(page, "%s: not measured in any run.", title);
		return TRUE;
	}
	scale = report_scale_pick(m->kind, most);
	for (guint g = 0; g < groups->len; g++) {
		const struct group *group = g_ptr_array_index(groups, g);
		guint yi = y ? group->index[0] : 0, xi = group->index[y ? 1 : 0];
		const char *xv = g_ptr_array_index(x->values, xi);
		struct stat s = stat_of(group->runs, metric);
		/* Lines side by side at a category, so that intervals do not hide. */
		double xpos = xi + (yi - (n_lines - 1) / 2.0) * MIN(0.08, 0.4 / n_lines);

		if (!s.n)
			continue;
		if (yi != line) {
			g_autofree char *key = y ? g_strdup_printf("%s = %s", y->name,
				(const char *)g_ptr_array_index(y->values, yi)) : NULL;
			g_autofree char *quoted = key ? report_plot_quote(key) : NULL;

			if (block) {
				g_string_append(data, "\n\n");
				g_string_append(command, ", \\\n     ");
			}
			g_string_append_printf(command, "'data/%s.dat' index %u using 1:2:3:4 "
					       "with yerrorlines lw 2 pt 7 ps 0.8 lc %u %s%s",
					       id, block, block + 1, key ? "title " : "notitle",
					       key ? quoted : "");
			block++;
			line = yi;
		}
		if (x->numeric)
			number_parse(xv, &xpos);
		error_point(data, xpos, &s, scale.div);
	}
	caption = g_strdup_printf("Mean over the repetitions of each point with its 95%% "
				  "confidence interval (Student t)%s%s%s%s.",
				  y ? ", one line per value of " : "", y ? y->name : "",
				  pooled ? "; averaged over " : "", pooled ? pooled : "");
	if (!report_plot_data(plot, id, data, error))
		return FALSE;
	report_page_figure(page, report_plot_figure(plot, id, title, caption));
	what = report_scale_label(m->title, scale);
	xlabel = report_plot_quote(x->name);
	ylabel = report_plot_quote(what);
	report_plot_printf(plot, "set xlabel %s\nset ylabel %s\nset yrange [0:*]\n%s", xlabel,
			   ylabel, y ? "" : "unset key\n");
	if (!x->numeric)
		category_tics(plot, x);
	else
		report_plot_printf(plot, "set offsets graph 0.04, graph 0.04, 0, 0\n");
	if (axis_log(x))
		report_plot_printf(plot, "set logscale x 2\nset format x '%%g'\n");
	report_plot_printf(plot, "%s\n", command->str);
	return TRUE;
}

gboolean report_sweep(const GPtrArray *runs, const GPtrArray *swept, struct report_plot *plot,
		      struct report_page *page, GError **error)
{
	size_t n = swept->len;
	g_autofree struct axis *axes = g_new0(struct axis, n + 1);
	g_autofree const struct axis **order = g_new0(const struct axis *, n + 1);
	gboolean ok = TRUE;

	for (size_t i = 0; i < n; i++) {
		axis_init(&axes[i], g_ptr_array_index(swept, i), runs);
		order[i] = &axes[i];
	}
	table_write(page, runs, order, n);
	for (size_t xi = 0; ok && xi < n; xi++) {
		/* The next parameter draws the lines; any others are pooled. */
		const struct axis *y = n > 1 ? &axes[(xi + 1) % n] : NULL;
		g_autoptr(GString) pooled = g_string_new(NULL);

		for (size_t o = 0; o < n; o++)
			if (o != xi && &axes[o] != y)
				g_string_append_printf(pooled, "%s%s", pooled->len ? ", " : "",
						       axes[o].name);
		report_page_heading(page, axes[xi].name);
		for (unsigned m = 0; ok && m < REPORT_METRIC_COUNT; m++)
			ok = metric_figure(plot, page, runs, m, (unsigned)xi, &axes[xi], y,
					   pooled->len ? pooled->str : NULL, error);
	}
	for (size_t i = 0; i < n; i++)
		g_ptr_array_unref(axes[i].values);
	return ok;
}
