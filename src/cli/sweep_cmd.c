/* dcdsim sweep: a scenario over the product of parameter values, with
 * repetitions, into one results file; a summary table per point. */
#include "cli/sweep_cmd.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/sweep.h"
#include "store/store.h"

#define SWEEP_DESCRIPTION \
	"Runs SCENARIO for every combination of the -p values, REPS times each\n" \
	"with its own seed, as `dcdsim run` processes (JOBS at a time) that add\n" \
	"their runs to one results file, then prints each point's mean and 95%\n" \
	"confidence interval of the main metrics.\n" \
	"\n" \
	"Values: a list (rate=10,20,40; size=256MiB,1GiB), an arithmetic range\n" \
	"START:END:STEP (0.1:0.9:0.2) or a geometric one START:END:*FACTOR\n" \
	"(1:16:*2), mixed freely.  Repetition 0 uses the base seed (-s, else the\n" \
	"scenario's), repetition r > 0 the r-th splitmix64 output from it, halved.\n" \
	"\n" \
	"Running it again runs only what the file lacks: runs that a kill or an\n" \
	"error left incomplete are deleted and run again.  --list shows each run\n" \
	"with the `dcdsim run` command that reproduces it alone.\n" \
	"\n" \
	"Exit status:\n" \
	"  0    every run of the sweep is complete\n" \
	"  1    a run or the results file failed (the next sweep retries the run)\n" \
	"  2    bad command line, scenario or parameter value\n" \
	"  130  interrupted by SIGINT (143: SIGTERM); finished runs are kept\n" \
	"\n" \
	"See docs/sweep.md."

struct sweep_args {
	char **params;
	char *repetitions;
	char *jobs;
	char *seed;
	char *output;
	char *emit_jobs;
	gboolean slurm;
	gboolean list;
	gboolean quiet;
	gboolean help;
	char **rest;
};

static void sweep_args_clear(struct sweep_args *a)
{
	g_strfreev(a->params);
	g_free(a->repetitions);
	g_free(a->jobs);
	g_free(a->seed);
	g_free(a->output);
	g_free(a->emit_jobs);
	g_strfreev(a->rest);
}

static bool number_parse(const char *option, const char *text, guint64 min, guint64 max,
			 guint64 *value, GError **error)
{
	if (g_ascii_string_to_unsigned(text, 10, min, max, value, NULL))
		return true;
	g_set_error(error, CLI_ERROR, CLI_ERROR_USAGE,
		    "bad %s '%s': expected a whole number from %" G_GUINT64_FORMAT " to %"
		    G_GUINT64_FORMAT, option, text, min, max);
	return false;
}

/* Parses ARGV into A and OPTIONS (*JOBS too); false with ERROR
 * (CLI_ERROR_USAGE).  --help prints the help and sets A->help. */
static bool sweep_args_parse(int argc, char **argv, struct sweep_args *a,
			     struct sweep_options *options, unsigned *jobs, GError **error)
{
	GOptionEntry entries[] = {
		{ "param", 'p', 0, G_OPTION_ARG_STRING_ARRAY, &a->params,
		  "Sweep parameter NAME over VALUES (repeatable)", "NAME=VALUES" },
		{ "repetitions", 'r', 0, G_OPTION_ARG_STRING, &a->repetitions,
		  "Run each point REPS times, each with its own seed (default 1)", "REPS" },
		{ "jobs", 'j', 0, G_OPTION_ARG_STRING, &a->jobs,
		  "Run JOBS runs at a time (default: the number of processors)", "JOBS" },
		{ "seed", 's', 0, G_OPTION_ARG_STRING, &a->seed,
		  "Base seed, below 2^63 (default: the scenario's, else 1)", "SEED" },
		{ "output", 'o', 0, G_OPTION_ARG_FILENAME, &a->output,
		  "The results file (default: results/NAME-sweep.db)", "FILE" },
		{ "list", 0, 0, G_OPTION_ARG_NONE, &a->list,
		  "List the runs, their status and the command reproducing each; run nothing",
		  NULL },
		{ "emit-jobs", 0, 0, G_OPTION_ARG_FILENAME, &a->emit_jobs,
		  "Write one command per missing run into JOBS_FILE (for GNU parallel); "
		  "run nothing", "JOBS_FILE" },
		{ "slurm", 0, 0, G_OPTION_ARG_NONE, &a->slurm,
		  "With --emit-jobs: also write JOBS_FILE.sbatch, a Slurm job array", NULL },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &a->quiet,
		  "No progress, only the summary table and errors", NULL },
		{ "help", 'h', 0, G_OPTION_ARG_NONE, &a->help, "Show this help", NULL },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &a->rest, NULL, "SCENARIO" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	guint64 n;

	if (!cli_options_parse(&argc, &argv, entries,
			       "Runs a scenario over a product of parameter values.",
			       SWEEP_DESCRIPTION, &a->help, error))
		return false;
	if (a->help)
		return true;
	if (!a->rest || !a->rest[0]) {
		g_set_error_literal(error, CLI_ERROR, CLI_ERROR_USAGE, "no scenario given");
		return false;
	}
	if (a->rest[1]) {
		g_set_error(error, CLI_ERROR, CLI_ERROR_USAGE,
			    "one scenario at a time ('%s' and '%s' given)", a->rest[0], a->rest[1]);
		return false;
	}
	options->specs = (const char *const *)a->params;
	options->n_specs = a->params ? g_strv_length(a->params) : 0;
	options->repetitions = 1;
	if (a->repetitions) {
		if (!number_parse("-r", a->repetitions, 1, G_MAXUINT32, &n, error))
			return false;
		options->repetitions = (uint32_t)n;
	}
	*jobs = g_get_num_processors();
	if (a->jobs) {
		if (!number_parse("-j", a->jobs, 1, 4096, &n, error))
			return false;
		*jobs = (unsigned)n;
	}
	if (a->seed) {
		if (!number_parse("seed", a->seed, 0, G_MAXINT64, &n, error))
			return false;
		options->has_seed = true;
		options->seed = n;
	}
	options->db_path = a->output;
	if (a->slurm && !a->emit_jobs) {
		g_set_error_literal(error, CLI_ERROR, CLI_ERROR_USAGE,
				    "--slurm goes with --emit-jobs FILE");
		return false;
	}
	if (a->list && a->emit_jobs) {
		g_set_error_literal(error, CLI_ERROR, CLI_ERROR_USAGE,
				    "--list and --emit-jobs do not go together");
		return false;
	}
	return true;
}

/* ---- progress -------------------------------------------------------------------------- */

struct display {
	bool tty;		/* a bar rewritten in place, else a line per run */
	bool quiet;
	bool bar_shown;
};

static void bar_clear(struct display *d)
{
	if (d->bar_shown)
		fputs("\r\033[K", stderr);
	d->bar_shown = false;
}

static void clock_format(double s, char *buf, size_t size)
{
	unsigned t = (unsigned)lround(s);

	if (t >= 3600)
		g_snprintf(buf, size, "%u:%02u:%02u", t / 3600, t / 60 % 60, t % 60);
	else
		g_snprintf(buf, size, "%u:%02u", t / 60, t % 60);
}

static void bar_show(struct display *d, const struct sweep_progress *p)
{
	enum { WIDTH = 24 };
	size_t ended = p->done + p->failed;
	unsigned filled = p->total ? (unsigned)(WIDTH * ended / p->total) : WIDTH;
	char bar[WIDTH + 1], elapsed[16], eta[16];

	memset(bar, '#', filled);
	memset(bar + filled, '.', WIDTH - filled);
	bar[WIDTH] = '\0';
	clock_format(p->elapsed_s, elapsed, sizeof(elapsed));
	/* Runs end at the pace seen so far. */
	if (ended)
		clock_format(p->elapsed_s / (double)ended * (double)(p->total - ended), eta,
			     sizeof(eta));
	else
		g_strlcpy(eta, "?", sizeof(eta));
	fprintf(stderr, "\r[%s] %zu/%zu runs, %zu running, %zu failed, %s elapsed, ETA %s\033[K",
		bar, ended, p->total, p->running, p->failed, elapsed, eta);
	d->bar_shown = true;
}

static void progress_show(const struct sweep_progress *p, void *user_data)
{
	struct display *d = user_data;

	if (p->run && (!d->tty || p->failure)) {
		bar_clear(d);
		if (p->failure)
			fprintf(stderr, "[%zu/%zu] %s: failed: %s\n", p->done + p->failed, p->total,
				p->run->label, p->failure);
		else if (!d->quiet)
			fprintf(stderr, "[%zu/%zu] %s: complete in %.2f s\n", p->done + p->failed,
				p->total, p->run->label, p->run_wall_s);
	}
	if (d->tty && !d->quiet)
		bar_show(d, p);
}

static void waiting_show(const char *db_path)
{
	fprintf(stderr, "dcdsim sweep: waiting for another sweep of '%s' (or its last workers) "
		"to end\n", db_path);
}

/* ---- output -------------------------------------------------------------------------- */

static const struct {
	const char *title;
	double scale;		/* shown as value / scale */
} metric_columns[SWEEP_METRIC_COUNT] = {
	[SWEEP_METRIC_ACCEPTED] = { "accepted %", 0.01 },
	[SWEEP_METRIC_BLOCKED] = { "blocked", 1.0 },
	[SWEEP_METRIC_ACCEPT_P99] = { "accept p99 ms", 1e6 },
	[SWEEP_METRIC_RECLAIM_P99] = { "reclaim p99 ms", 1e6 },
	[SWEEP_METRIC_FRAGMENTATION] = { "frag final", 1.0 },
	[SWEEP_METRIC_STRANDED] = { "stranded GiB*s", 0x1p30 },
	[SWEEP_METRIC_LOST] = { "lost GiB", 0x1p30 },
};

/* "12.3 ± 0.5", "12.3" for one value, "-" for none: both numbers with the
 * decimals that give the larger three significant digits. */
static char *stat_format(const struct sweep_stat *s, double scale)
{
	double mean = s->mean / scale, half = s->half / scale;
	double top = fmax(fabs(mean), isnan(half) ? 0.0 : fabs(half));
	int decimals = top > 0 ? CLAMP(2 - (int)floor(log10(top)), 0, 6) : 0;
	char m[G_ASCII_DTOSTR_BUF_SIZE], h[G_ASCII_DTOSTR_BUF_SIZE], format[8];

	if (!s->n)
		return g_strdup("-");
	g_snprintf(format, sizeof(format), "%%.%df", decimals);
	g_ascii_formatd(m, sizeof(m), format, mean);
	if (isnan(half))
		return g_strdup(m);
	g_ascii_formatd(h, sizeof(h), format, half);
	return g_strdup_printf("%s ± %s", m, h);
}

/* Prints ROWS (GPtrArray of GStrv, the first the header) in aligned columns. */
static void table_print(const GPtrArray *rows)
{
	size_t n_cols = g_strv_length(rows->pdata[0]);
	g_autofree size_t *width = g_new0(size_t, n_cols);

	for (guint r = 0; r < rows->len; r++)
		for (size_t c = 0; c < n_cols; c++)
			width[c] = MAX(width[c], (size_t)g_utf8_strlen(((char **)rows->pdata[r])[c],
								       -1));
	for (guint r = 0; r < rows->len; r++) {
		char **row = rows->pdata[r];

		for (size_t c = 0; c < n_cols; c++) {
			size_t pad = width[c] - (size_t)g_utf8_strlen(row[c], -1);

			fputs(row[c], stdout);
			if (c + 1 < n_cols)
				printf("%*s", (int)(pad + 2), "");
		}
		putchar('\n');
	}
}

/* The parameter part of a "NAME=VALUE" text. */
static const char *define_value(const char *define)
{
	return strchr(define, '=') + 1;
}

static bool summary_print(struct sweep *sw, GError **error)
{
	size_t n_points = sweep_point_count(sw), n_params;
	g_autofree struct sweep_stat (*stats)[SWEEP_METRIC_COUNT] =
		g_malloc_n(n_points, sizeof(*stats));
	g_autofree unsigned *runs = g_new(unsigned, n_points);
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	const char *const *defines = sweep_point_defines(sw, 0, &n_params);
	GPtrArray *row = g_ptr_array_new();

	if (!sweep_summary_read(sw, stats, runs, error))
		return false;
	for (size_t k = 0; k < n_params; k++)
		g_ptr_array_add(row, g_strndup(defines[k], strcspn(defines[k], "=")));
	g_ptr_array_add(row, g_strdup("runs"));
	for (int m = 0; m < SWEEP_METRIC_COUNT; m++)
		g_ptr_array_add(row, g_strdup(metric_columns[m].title));
	g_ptr_array_add(row, NULL);
	g_ptr_array_add(rows, g_ptr_array_free(row, FALSE));
	for (size_t p = 0; p < n_points; p++) {
		defines = sweep_point_defines(sw, p, NULL);
		row = g_ptr_array_new();
		for (size_t k = 0; k < n_params; k++)
			g_ptr_array_add(row, g_strdup(define_value(defines[k])));
		g_ptr_array_add(row, g_strdup_printf("%u/%u", runs[p], sweep_repetitions(sw)));
		for (int m = 0; m < SWEEP_METRIC_COUNT; m++)
			g_ptr_array_add(row, stat_format(&stats[p][m], metric_columns[m].scale));
		g_ptr_array_add(row, NULL);
		g_ptr_array_add(rows, g_ptr_array_free(row, FALSE));
	}
	table_print(rows);
	return true;
}

static void list_print(const struct sweep *sw)
{
	for (size_t i = 0; i < sweep_run_count(sw); i++) {
		const struct sweep_run *run = sweep_run_nth(sw, i);
		g_auto(GStrv) argv = sweep_run_argv(sw, i, "dcdsim", NULL, false);
		g_autofree char *line = sweep_command_line((const char *const *)argv);

		printf("%s, seed %" G_GUINT64_FORMAT ": %s%s\n  %s\n", run->label,
		       (guint64)run->seed, run->fingerprint ? "complete, fingerprint " : "missing",
		       run->fingerprint ? run->fingerprint : "", line);
	}
}

/* The folder of a sweep's parts: "x/s.db" -> "x/s-parts". */
static char *parts_dir(const char *db_path)
{
	g_autofree char *stem = g_str_has_suffix(db_path, ".db") ?
				g_strndup(db_path, strlen(db_path) - 3) : g_strdup(db_path);

	return g_strconcat(stem, "-parts", NULL);
}

/* This program, for the workers and the emitted commands. */
static char *self_path(GError **error)
{
	char *path = g_file_read_link("/proc/self/exe", NULL);

	if (!path)
		path = g_find_program_in_path("dcdsim");
	if (!path)
		g_set_error_literal(error, CLI_ERROR, CLI_ERROR_FAILED,
				    "cannot find the dcdsim program (no /proc/self/exe, none on PATH)");
	return path;
}

static int emit_jobs(struct sweep *sw, const char *exe, const char *jobs_path, bool slurm,
		     GError **error)
{
	g_autofree char *parts = parts_dir(sweep_db_path(sw));
	size_t n;

	if (!sweep_status_read(sw, false, NULL, error) ||
	    !sweep_jobs_write(sw, exe, jobs_path, parts, slurm, &n, error))
		return cli_exit_status(*error);
	printf("%zu of %zu runs missing from '%s': %zu commands in '%s'\n",
	       sweep_missing_count(sw), sweep_run_count(sw), sweep_db_path(sw), n, jobs_path);
	if (!n)
		return CLI_EXIT_OK;
	if (slurm)
		printf("run them with:  sbatch %s.sbatch\n", jobs_path);
	else
		printf("run them with:  parallel < %s\n", jobs_path);
	printf("then merge:     dcdsim merge %s %s/*.db\n", sweep_db_path(sw), parts);
	return CLI_EXIT_OK;
}

static int sweep_here(struct sweep *sw, const char *exe, unsigned jobs, struct display *d,
		      GError **error)
{
	unsigned cleaned;
	size_t missing, failed;
	bool ok;

	cli_interrupt_install();
	if (!sweep_lock(sw, waiting_show, error) || !sweep_status_read(sw, true, &cleaned, error))
		return cli_exit_status(*error);
	missing = sweep_missing_count(sw);
	if (!d->quiet) {
		if (cleaned)
			fprintf(stderr, "removed %u incomplete runs of '%s' to run them again\n",
				cleaned, sweep_db_path(sw));
		if (missing)
			fprintf(stderr, "sweep of '%s': %zu points x %u repetitions, %zu runs to do "
				"of %zu, %u at a time, into '%s'\n", sweep_scenario_name(sw),
				sweep_point_count(sw), sweep_repetitions(sw), missing,
				sweep_run_count(sw), (unsigned)MIN(jobs, missing), sweep_db_path(sw));
		else
			fprintf(stderr, "sweep of '%s': all %zu runs complete in '%s'\n",
				sweep_scenario_name(sw), sweep_run_count(sw), sweep_db_path(sw));
	}
	if (missing) {
		ok = sweep_execute(sw, exe, (unsigned)MIN(jobs, missing), progress_show, d, error);
		bar_clear(d);
		if (!ok)
			return cli_exit_status(*error);
	}
	if (!sweep_status_read(sw, false, NULL, error) || !summary_print(sw, error))
		return cli_exit_status(*error);
	failed = sweep_missing_count(sw);
	if (failed) {
		fprintf(stderr, "dcdsim sweep: %zu of %zu runs failed; the same command runs them "
			"again\n", failed, sweep_run_count(sw));
		return CLI_EXIT_FAILURE;
	}
	return CLI_EXIT_OK;
}

int cli_sweep_main(int argc, char **argv)
{
	struct sweep_args args = { 0 };
	struct sweep_options options = { 0 };
	struct display d = { false, false, false };
	g_autoptr(sweep) sw = NULL;
	g_autofree char *exe = NULL;
	GError *error = NULL;
	unsigned jobs = 1;
	int status = CLI_EXIT_OK;

	g_set_prgname("dcdsim sweep");
	if (!sweep_args_parse(argc, argv, &args, &options, &jobs, &error)) {
		fprintf(stderr, "dcdsim sweep: %s (see 'dcdsim sweep --help')\n", error->message);
		status = CLI_EXIT_USAGE;
		goto done;
	}
	if (args.help)
		goto done;
	sw = sweep_new(args.rest[0], &options, &error);
	if (!sw) {
		status = cli_exit_status(error);
		goto failed;
	}
	if (args.list) {
		if (!sweep_status_read(sw, false, NULL, &error)) {
			status = cli_exit_status(error);
			goto failed;
		}
		list_print(sw);
		goto done;
	}
	exe = self_path(&error);
	if (!exe) {
		status = cli_exit_status(error);
		goto failed;
	}
	d.tty = isatty(STDERR_FILENO);
	d.quiet = args.quiet;
	status = args.emit_jobs ? emit_jobs(sw, exe, args.emit_jobs, args.slurm, &error)
				: sweep_here(sw, exe, jobs, &d, &error);
failed:
	if (error)
		fprintf(stderr, "dcdsim sweep: %s\n", error->message);
done:
	g_clear_error(&error);
	sweep_args_clear(&args);
	return status;
}
