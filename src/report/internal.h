/* Private to src/report: what its .c files share. */
#ifndef DCDSIM_REPORT_INTERNAL_H
#define DCDSIM_REPORT_INTERNAL_H

#include "report/report.h"

#include <stddef.h>
#include <stdint.h>

struct store;

/* Writes LEN bytes of TEXT (-1: up to its NUL) as PATH (report.c). */
gboolean report_file_write(const char *path, const char *text, gssize len, GError **error);

/* --- Quantities (runs.c) --- */

enum report_kind {
	REPORT_KIND_TIME,	/* ns */
	REPORT_KIND_BYTES,
	REPORT_KIND_BYTE_S,	/* byte-seconds */
	REPORT_KIND_PERCENT,	/* a fraction, shown in % */
	REPORT_KIND_RATIO,	/* a dimensionless index */
	REPORT_KIND_COUNT,
};

/* Values of a kind are shown as value / div in unit. */
struct report_scale {
	double div;
	const char *unit;	/* "" for none */
};

/* The scale that shows MAGNITUDE (> 0 for a useful choice) as a number
 * from 1 to 1000 (1024 for bytes) where the kind has units to pick from. */
struct report_scale report_scale_pick(enum report_kind kind, double magnitude);
/* An axis label: "WHAT (unit)", or WHAT for a scale without unit.  g_free
 * the result. */
char *report_scale_label(const char *what, struct report_scale scale);
/* VALUE in its own scale, 3 significant digits, "n/a" for NaN: "1.23 ms".
 * g_free the result. */
char *report_value_format(enum report_kind kind, double value);

/* --- Runs and their main metrics (runs.c) --- */

/* The figures a sweep plots against its parameters and its summary table
 * shows, one value per run. */
enum report_metric_id {
	REPORT_METRIC_ACCEPT_P50,
	REPORT_METRIC_ACCEPT_P99,
	REPORT_METRIC_RECLAIM_P99,
	REPORT_METRIC_BLOCKED,
	REPORT_METRIC_STRANDED,
	REPORT_METRIC_EXTENT_UTIL,
	REPORT_METRIC_FRAGMENTATION,
	REPORT_METRIC_COUNT
};

struct report_metric {
	const char *id;		/* file names */
	const char *title;	/* "acceptance latency p99" */
	enum report_kind kind;
};

extern const struct report_metric report_metrics[REPORT_METRIC_COUNT];

struct report_param {
	char *name;
	char *value;
	gboolean given;
};

struct report_scalar {
	char *name;
	char *unit;	/* NULL: none */
	double value;
};

/* A complete run as the report needs it. */
struct report_run {
	int64_t id;
	char *scenario;
	uint64_t seed;
	uint32_t repetition;
	uint64_t events;
	double wall_s;
	char *fingerprint;
	GPtrArray *params;	/* struct report_param, declaration order */
	GPtrArray *scalars;	/* struct report_scalar, write order */
	double metric[REPORT_METRIC_COUNT];	/* NaN: not measured */
};

/* The complete runs of ST in id order (a GPtrArray of struct report_run
 * that frees them), and the number of others in *SKIPPED. */
GPtrArray *report_runs_load(struct store *st, unsigned *skipped, GError **error);
/* NULL when RUN has no parameter NAME. */
const char *report_run_param(const struct report_run *run, const char *name);
/* NaN when RUN has no scalar NAME. */
double report_run_scalar(const struct report_run *run, const char *name);

/* --- gnuplot (plot.c) --- */

/* A figure of the report: FILE in the report folder. */
struct report_figure {
	char *file;
	char *title;
	char *caption;	/* what it shows, one or two sentences */
};

/* One gnuplot script that draws every figure, with its data files. */
struct report_plot;

/* Only so that g_autoptr() can name the type. */
typedef struct report_plot report_plot;

struct report_plot *report_plot_new(const char *dir, enum report_format format);
void report_plot_free(struct report_plot *plot);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(report_plot, report_plot_free)
/* Starts figure ID (a file stem): settings of the previous figure are
 * reset, output, title and the house style set.  The caller then adds
 * axis settings and one plot command.  Returns the figure, owned by PLOT. */
const struct report_figure *report_plot_figure(struct report_plot *plot, const char *id,
					       const char *title, const char *caption);
void report_plot_printf(struct report_plot *plot, const char *format, ...) G_GNUC_PRINTF(2, 3);
/* TEXT as a gnuplot string literal, single-quoted so that nothing in it is
 * interpreted (no backquote commands, no escapes).  g_free the result. */
char *report_plot_quote(const char *text);
/* Writes DATA as DIR/data/ID.dat; the script names it "data/ID.dat". */
gboolean report_plot_data(struct report_plot *plot, const char *id, const GString *data,
			  GError **error);
/* Appends X and Y to DATA as one data line ("NaN" for a gap). */
void report_plot_point(GString *data, double x, double y);
/* Writes the script as DIR/data/report.gp and runs gnuplot on it in DIR;
 * then checks that each figure's file is there. */
gboolean report_plot_run(struct report_plot *plot, GError **error);
unsigned report_plot_figure_count(const struct report_plot *plot);

/* --- index.html and report.md (page.c) --- */

struct report_page;
struct report_table;

typedef struct report_page report_page;

struct report_page *report_page_new(const char *title);
void report_page_free(struct report_page *page);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(report_page, report_page_free)
void report_page_heading(struct report_page *page, const char *text);
/* A paragraph of plain text. */
void report_page_text(struct report_page *page, const char *format, ...) G_GNUC_PRINTF(2, 3);
/* A table of N_COLS columns: the first N_COLS cells are its header. */
struct report_table *report_page_table(struct report_page *page, size_t n_cols);
void report_table_cell(struct report_table *table, const char *format, ...) G_GNUC_PRINTF(2, 3);
/* Shows FIGURE (copied). */
void report_page_figure(struct report_page *page, const struct report_figure *figure);
/* Writes DIR/index.html and DIR/report.md. */
gboolean report_page_write(const struct report_page *page, const char *dir, GError **error);

/* --- The two kinds of report --- */

/* Figures of one run (single.c). */
gboolean report_single(struct store *st, const struct report_run *run, struct report_plot *plot,
		       struct report_page *page, GError **error);
/* The parameters whose value differs between RUNS, in declaration order
 * (a GPtrArray of names that frees them); empty when nothing was swept. */
GPtrArray *report_swept_params(const GPtrArray *runs);
/* Summary table and figures of RUNS against the SWEPT parameters
 * (sweep.c). */
gboolean report_sweep(const GPtrArray *runs, const GPtrArray *swept, struct report_plot *plot,
		      struct report_page *page, GError **error);

#endif
