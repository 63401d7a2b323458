/* A report: the complete runs of a results file, the summary of the run
 * or sweep, its figures, and the page that shows them. */
#include "report/internal.h"

#include "store/store.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

gboolean report_file_write(const char *path, const char *text, gssize len, GError **error)
{
	GError *local = NULL;

	if (!g_file_set_contents(path, text, len, &local)) {
		g_set_error(error, REPORT_ERROR, REPORT_ERROR_OUTPUT, "cannot write '%s': %s", path,
			    local->message);
		g_error_free(local);
		return FALSE;
	}
	return TRUE;
}

char *report_dir_default(const char *db_path)
{
	g_autofree char *stem = g_str_has_suffix(db_path, ".db") ?
				g_strndup(db_path, strlen(db_path) - strlen(".db")) :
				g_strdup(db_path);

	return g_strconcat(stem, "-report", NULL);
}

/* "quickstart", or "3 scenarios: a, b, c". */
static char *scenarios_name(const GPtrArray *runs)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new();
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
	g_autofree char *list = NULL;

	for (guint i = 0; i < runs->len; i++) {
		char *name = ((const struct report_run *)g_ptr_array_index(runs, i))->scenario;

		if (g_hash_table_add(seen, name))
			g_ptr_array_add(names, name);
	}
	g_ptr_array_add(names, NULL);
	list = g_strjoinv(", ", (char **)names->pdata);
	return names->len == 2 ? g_steal_pointer(&list) :
	       g_strdup_printf("%u scenarios: %s", names->len - 1, list);
}

static void runs_table(struct report_page *page, const GPtrArray *runs)
{
	struct report_table *t = report_page_table(page, 7);

	report_table_cell(t, "run");
	report_table_cell(t, "scenario");
	report_table_cell(t, "seed");
	report_table_cell(t, "repetition");
	report_table_cell(t, "events");
	report_table_cell(t, "wall time");
	report_table_cell(t, "fingerprint");
	for (guint i = 0; i < runs->len; i++) {
		const struct report_run *run = g_ptr_array_index(runs, i);

		report_table_cell(t, "%" G_GINT64_FORMAT, run->id);
		report_table_cell(t, "%s", run->scenario);
		report_table_cell(t, "%" G_GUINT64_FORMAT, (guint64)run->seed);
		report_table_cell(t, "%u", run->repetition);
		report_table_cell(t, "%" G_GUINT64_FORMAT, (guint64)run->events);
		report_table_cell(t, "%.2f s", run->wall_s);
		report_table_cell(t, "%s", run->fingerprint ? run->fingerprint : "");
	}
}

static void params_table(struct report_page *page, const struct report_run *run)
{
	struct report_table *t;

	if (!run->params->len)
		return;
	t = report_page_table(page, 3);
	report_table_cell(t, "parameter");
	report_table_cell(t, "value");
	report_table_cell(t, "set by");
	for (guint i = 0; i < run->params->len; i++) {
		const struct report_param *p = g_ptr_array_index(run->params, i);

		report_table_cell(t, "%s", p->name);
		report_table_cell(t, "%s", p->value);
		report_table_cell(t, "%s", p->given ? "command line" : "scenario default");
	}
}

static void metrics_table(struct report_page *page, const struct report_run *run)
{
	struct report_table *t = report_page_table(page, 2);

	report_table_cell(t, "metric");
	report_table_cell(t, "value");
	for (unsigned m = 0; m < REPORT_METRIC_COUNT; m++) {
		g_autofree char *value = report_value_format(report_metrics[m].kind, run->metric[m]);

		report_table_cell(t, "%s", report_metrics[m].title);
		report_table_cell(t, "%s", value);
	}
}

static void scalars_table(struct report_page *page, const struct report_run *run)
{
	struct report_table *t = report_page_table(page, 3);

	report_table_cell(t, "scalar");
	report_table_cell(t, "value");
	report_table_cell(t, "unit");
	for (guint i = 0; i < run->scalars->len; i++) {
		const struct report_scalar *s = g_ptr_array_index(run->scalars, i);
		char value[G_ASCII_DTOSTR_BUF_SIZE];

		report_table_cell(t, "%s", s->name);
		report_table_cell(t, "%s", isnan(s->value) ? "n/a" :
				  g_ascii_formatd(value, sizeof(value), "%.6g", s->value));
		report_table_cell(t, "%s", s->unit ? s->unit : "");
	}
}

/* One run, or repetitions of one point: the first run's figures. */
static gboolean runs_report(struct store *st, const GPtrArray *runs, const GPtrArray *swept,
			    struct report_plot *plot, struct report_page *page, GError **error)
{
	const struct report_run *first = g_ptr_array_index(runs, 0);

	report_page_heading(page, runs->len > 1 ? "Runs" : "Run");
	runs_table(page, runs);
	params_table(page, first);
	report_page_heading(page, "Main metrics");
	if (runs->len > 1) {
		report_page_text(page, "No parameter differs between these %u runs: the table "
				 "gives each metric's mean over them with its 95%% confidence "
				 "interval, and the figures show run %" G_GINT64_FORMAT " alone.",
				 runs->len, first->id);
		if (!report_sweep(runs, swept, plot, page, error))
			return FALSE;
	} else {
		metrics_table(page, first);
	}
	report_page_heading(page, "Figures");
	if (!report_single(st, first, plot, page, error))
		return FALSE;
	report_page_heading(page, "Every scalar");
	scalars_table(page, first);
	return TRUE;
}

static gboolean sweep_report(const GPtrArray *runs, const GPtrArray *swept,
			     struct report_plot *plot, struct report_page *page, GError **error)
{
	g_autoptr(GString) names = g_string_new(NULL);

	for (guint i = 0; i < swept->len; i++)
		g_string_append_printf(names, "%s%s", i ? ", " : "",
				       (const char *)g_ptr_array_index(swept, i));
	report_page_heading(page, "Sweep");
	report_page_text(page, "Swept parameters: %s.  Each row is a point of the sweep: its "
			 "runs, and each main metric's mean over them with its 95%% confidence "
			 "interval (Student t; none for a single run).", names->str);
	return report_sweep(runs, swept, plot, page, error);
}

static gboolean dir_make(const char *dir, GError **error)
{
	g_autofree char *data = g_build_filename(dir, "data", NULL);

	if (g_mkdir_with_parents(data, 0777) < 0) {
		g_set_error(error, REPORT_ERROR, REPORT_ERROR_OUTPUT,
			    "cannot create report folder '%s': %s", data, g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

gboolean report_write(const char *db_path, const char *dir, enum report_format format,
		      struct report_summary *summary, GError **error)
{
	g_autoptr(store) st = NULL;
	g_autoptr(GPtrArray) runs = NULL;
	g_autoptr(GPtrArray) swept = NULL;
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autofree char *when = g_date_time_format(now, "%Y-%m-%d %H:%M");
	g_autofree char *scenarios = NULL, *title = NULL;
	g_autoptr(report_plot) plot = NULL;
	g_autoptr(report_page) page = NULL;
	unsigned skipped = 0;
	gboolean sweep;

	g_return_val_if_fail(db_path != NULL && dir != NULL, FALSE);
	st = store_open_read(db_path, error);
	if (!st)
		return FALSE;
	runs = report_runs_load(st, &skipped, error);
	if (!runs)
		return FALSE;
	if (!runs->len) {
		g_set_error(error, REPORT_ERROR, REPORT_ERROR_EMPTY,
			    "results file '%s' has no complete run to report (%u incomplete)",
			    db_path, skipped);
		return FALSE;
	}
	if (!dir_make(dir, error))
		return FALSE;
	swept = report_swept_params(runs);
	sweep = runs->len > 1 && swept->len > 0;
	scenarios = scenarios_name(runs);
	title = g_strdup_printf("dcdsim report: %s", scenarios);
	plot = report_plot_new(dir, format);
	page = report_page_new(title);
	report_page_text(page, "Results file '%s': %u complete run%s%s; %u incomplete run%s "
			 "(running or failed) left out.  Written by dcdsim %s on %s.", db_path,
			 runs->len, runs->len == 1 ? "" : "s", sweep ? " of a sweep" : "", skipped,
			 skipped == 1 ? "" : "s", PACKAGE_VERSION, when);
	if (!(sweep ? sweep_report(runs, swept, plot, page, error) :
	      runs_report(st, runs, swept, plot, page, error)))
		return FALSE;
	report_page_text(page, "The figures' data and gnuplot script are in data/: run "
			 "'gnuplot data/report.gp' in this folder to draw them again.");
	if (!report_plot_run(plot, error) || !report_page_write(page, dir, error))
		return FALSE;
	if (summary)
		*summary = (struct report_summary){ runs->len, skipped,
						    report_plot_figure_count(plot), sweep };
	return TRUE;
}
