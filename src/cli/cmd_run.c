/* dcdsim run: one scenario, one seed, a summary and a results file. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/json.h"
#include "cli/runner.h"
#include "sim/units.h"

#define RUN_DESCRIPTION \
	"Runs SCENARIO (default: the shipped scenarios/quickstart.lua) for its\n" \
	"duration, prints a summary and writes every metric into a results file.\n" \
	"\n" \
	"Defaults: the scenario's seed (else 1), its duration, and the results\n" \
	"file results/NAME-sSEED.db under the current folder, which each new run\n" \
	"of that scenario and seed replaces once it completes.  -o FILE adds the\n" \
	"run to FILE instead; a run FILE already has (same scenario file, seed,\n" \
	"-D values and --until) is refused unless --replace is given.\n" \
	"\n" \
	"Exit status:\n" \
	"  0    the run completed\n" \
	"  1    the run failed (a model error, a broken invariant, the results file)\n" \
	"  2    bad command line or scenario, or an error of the scenario's Lua\n" \
	"       during the run (a callback, a host policy); the run is marked failed\n" \
	"  130  interrupted by SIGINT (143: SIGTERM); the run is marked failed\n" \
	"\n" \
	"Environment: DCDSIM_DATADIR, the folder holding the shipped scenarios/\n" \
	"and lua/ (default: the installed one).  See docs/cli.md."

struct run_args {
	char *seed;
	char *repetition;
	char **defines;
	char *output;
	char *until;
	gboolean replace;
	gboolean json;
	gboolean quiet;
	gboolean help;
	char **rest;
};

static void run_args_clear(struct run_args *a)
{
	g_free(a->seed);
	g_free(a->repetition);
	g_strfreev(a->defines);
	g_free(a->output);
	g_free(a->until);
	g_strfreev(a->rest);
}

/* Parses ARGV into A and OPTIONS; false with ERROR (CLI_ERROR_USAGE).
 * --help prints the help and sets A->help. */
static bool run_args_parse(int argc, char **argv, struct run_args *a,
			   struct cli_run_options *options, GError **error)
{
	/* FILENAME arguments come as typed: STRING ones would be recoded
	 * from the locale, which fails for non-ASCII in the C locale. */
	GOptionEntry entries[] = {
		{ "seed", 's', 0, G_OPTION_ARG_FILENAME, &a->seed,
		  "Seed of the run's random streams (default: the scenario's, else 1)", "SEED" },
		{ "repetition", 0, 0, G_OPTION_ARG_STRING, &a->repetition,
		  "Record the run as repetition N of a sweep (part of the run key; default 0)",
		  "N" },
		{ "define", 'D', 0, G_OPTION_ARG_FILENAME_ARRAY, &a->defines,
		  "Set the scenario parameter NAME (repeatable)", "NAME=VALUE" },
		{ "output", 'o', 0, G_OPTION_ARG_FILENAME, &a->output,
		  "Add the run to the results file FILE (default: results/NAME-sSEED.db)", "FILE" },
		{ "replace", 0, 0, G_OPTION_ARG_NONE, &a->replace,
		  "Replace FILE by a file holding only this run, once it completes", NULL },
		{ "until", 0, 0, G_OPTION_ARG_FILENAME, &a->until,
		  "Stop at simulated TIME, e.g. 10s or 500ms (default: the scenario's duration)",
		  "TIME" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &a->json,
		  "Print the summary as one JSON object (scenario print() goes to stderr)", NULL },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &a->quiet,
		  "No progress, no summary, no scenario print() (--json still prints)", NULL },
		{ "help", 'h', 0, G_OPTION_ARG_NONE, &a->help, "Show this help", NULL },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &a->rest, NULL, "[SCENARIO]" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};

	if (!cli_options_parse(&argc, &argv, entries, "Runs one simulation of a scenario.",
			       RUN_DESCRIPTION, &a->help, error))
		return false;
	if (a->help)
		return true;
	if (a->rest && a->rest[0] && a->rest[1]) {
		g_set_error(error, CLI_ERROR, CLI_ERROR_USAGE,
			    "one scenario at a time ('%s' and '%s' given)", a->rest[0], a->rest[1]);
		return false;
	}
	if (a->seed) {
		guint64 seed;

		if (!g_ascii_string_to_unsigned(a->seed, 10, 0, G_MAXUINT64, &seed, NULL)) {
			g_set_error(error, CLI_ERROR, CLI_ERROR_USAGE,
				    "bad seed '%s': expected a whole number from 0 to %" G_GUINT64_FORMAT,
				    a->seed, G_MAXUINT64);
			return false;
		}
		options->has_seed = true;
		options->seed = seed;
	}
	if (a->repetition) {
		guint64 repetition;

		if (!g_ascii_string_to_unsigned(a->repetition, 10, 0, G_MAXUINT32, &repetition,
						NULL)) {
			g_set_error(error, CLI_ERROR, CLI_ERROR_USAGE,
				    "bad repetition '%s': expected a whole number from 0 to %u",
				    a->repetition, G_MAXUINT32);
			return false;
		}
		options->repetition = (uint32_t)repetition;
	}
	if (a->until) {
		GError *local = NULL;

		if (!units_time_parse(a->until, &options->until, &local)) {
			g_set_error(error, CLI_ERROR, CLI_ERROR_USAGE, "--until: %s", local->message);
			g_error_free(local);
			return false;
		}
		if (!options->until) {
			g_set_error(error, CLI_ERROR, CLI_ERROR_USAGE,
				    "--until: the time must be positive, not '%s'", a->until);
			return false;
		}
		options->has_until = true;
	}
	if (a->replace && !a->output) {
		g_set_error_literal(error, CLI_ERROR, CLI_ERROR_USAGE,
				    "--replace needs -o FILE (the default file is always replaced)");
		return false;
	}
	options->overrides = (const char *const *)a->defines;
	options->n_overrides = a->defines ? g_strv_length(a->defines) : 0;
	options->db_path = a->output;
	options->replace = a->replace;
	return true;
}

/* ---- output -------------------------------------------------------------------- */

static void print_to_stderr(const char *line, void *user_data)
{
	(void)user_data;
	fprintf(stderr, "%s\n", line);
}

static void print_nowhere(const char *line, void *user_data)
{
	(void)line;
	(void)user_data;
}

struct tty_progress {
	bool shown;
};

/* One line, rewritten in place, once a run has taken a second. */
static void progress_show(const struct cli_progress *p, void *user_data)
{
	struct tty_progress *tp = user_data;
	char now[UNITS_FORMAT_LEN], until[UNITS_FORMAT_LEN];
	double rate = (double)p->events / p->wall_s / 1e6;

	if (p->wall_s < 1.0)
		return;
	if (p->until_ns == SIM_TIME_NEVER)
		fprintf(stderr, "\r%s simulated, %.2f M events/s\033[K",
			units_time_format(p->now_ns, now), rate);
	else
		fprintf(stderr, "\r%s / %s simulated (%.0f%%), %.2f M events/s\033[K",
			units_time_format(p->now_ns, now), units_time_format(p->until_ns, until),
			100.0 * (double)p->now_ns / (double)p->until_ns, rate);
	tp->shown = true;
}

static void progress_clear(struct tty_progress *tp)
{
	if (tp->shown)
		fputs("\r\033[K", stderr);
	tp->shown = false;
}

/* Kernel time only: loading and writing results are not the model's speed. */
static double events_per_s(const struct cli_summary *s)
{
	return (double)s->events / fmax(s->sim_s, 1e-6);
}

static void latency_print(const char *what, const struct cli_latency *l, const char *noun)
{
	char p50[UNITS_FORMAT_LEN], p99[UNITS_FORMAT_LEN], max[UNITS_FORMAT_LEN];

	if (!l->count) {
		printf("  %-17s no %s\n", what, noun);
		return;
	}
	printf("  %-17s p50 %s, p99 %s, max %s (%" G_GUINT64_FORMAT " %s)\n", what,
	       units_time_format(l->p50, p50), units_time_format(l->p99, p99),
	       units_time_format(l->max, max), (guint64)l->count, noun);
}

static void summary_print(const struct cli_summary *s)
{
	char buf[UNITS_FORMAT_LEN];
	uint64_t done = s->accepted + s->blocked + s->rejected;

	printf("%s (%s), seed %" G_GUINT64_FORMAT ", %s simulated\n", s->scenario,
	       s->scenario_path, (guint64)s->seed, units_time_format(s->end_ns, buf));
	printf("  %-17s %" G_GUINT64_FORMAT " submitted: %" G_GUINT64_FORMAT " accepted, %"
	       G_GUINT64_FORMAT " blocked, %" G_GUINT64_FORMAT " rejected, %" G_GUINT64_FORMAT
	       " in flight\n", "requests", (guint64)s->submitted, (guint64)s->accepted,
	       (guint64)s->blocked, (guint64)s->rejected,
	       (guint64)(s->submitted > done ? s->submitted - done : 0));
	if (s->blocked) {
		const char *sep = "";

		printf("  %-17s ", "blocked by cause");
		for (unsigned c = 0; c < METRICS_BLOCK_COUNT; c++) {
			if (!s->blocked_by_cause[c])
				continue;
			printf("%s%s %" G_GUINT64_FORMAT, sep, metrics_block_cause_name(c),
			       (guint64)s->blocked_by_cause[c]);
			sep = ", ";
		}
		printf("\n");
	}
	latency_print("accept latency", &s->accept, "accepted");
	latency_print("reclaim latency", &s->reclaim, "reclaimed");
	if (isnan(s->frag_final))
		printf("  %-17s none measured\n", "fragmentation");
	else
		printf("  %-17s final %.3f, peak %.3f (unusable free space for %s requests)\n",
		       "fragmentation", s->frag_final, s->frag_peak,
		       units_size_format(s->frag_request_size, buf));
	printf("  %-17s %.3f GiB*s\n", "stranded", s->stranded_byte_s / (double)(1u << 30));
	printf("  %-17s %s\n", "lost in use", units_size_format(s->lost_bytes, buf));
	printf("  %-17s %" G_GUINT64_FORMAT " in %.2f s wall, %.2f M events/s\n", "events",
	       (guint64)s->events, s->wall_s, events_per_s(s) / 1e6);
	printf("  %-17s %s\n", "results", s->db);
	printf("  %-17s " STORE_FINGERPRINT_FORMAT "\n", "fingerprint", (guint64)s->fingerprint);
}

static void latency_json(struct json *j, const char *key, const struct cli_latency *l)
{
	json_object_begin(j, key);
	json_uint(j, "count", l->count);
	json_uint(j, "p50", l->p50);
	json_uint(j, "p99", l->p99);
	json_uint(j, "max", l->max);
	json_object_end(j);
}

static void summary_json(const struct cli_summary *s)
{
	g_autoptr(json) j = json_new();
	g_autofree char *fingerprint = g_strdup_printf(STORE_FINGERPRINT_FORMAT,
						       (guint64)s->fingerprint);

	json_object_begin(j, NULL);
	json_string(j, "scenario", s->scenario);
	json_string(j, "scenario_path", s->scenario_path);
	json_uint(j, "seed", s->seed);
	json_string(j, "fingerprint", fingerprint);
	json_uint(j, "simulated_ns", s->end_ns);
	json_uint(j, "events", s->events);
	json_number(j, "wall_s", s->wall_s);
	json_number(j, "events_per_s", events_per_s(s));
	json_object_begin(j, "requests");
	json_uint(j, "total", s->submitted);
	json_uint(j, "accepted", s->accepted);
	json_uint(j, "blocked", s->blocked);
	json_uint(j, "rejected", s->rejected);
	json_object_begin(j, "blocked_by_cause");
	for (unsigned c = 0; c < METRICS_BLOCK_COUNT; c++)
		json_uint(j, metrics_block_cause_name(c), s->blocked_by_cause[c]);
	json_object_end(j);
	json_object_end(j);
	latency_json(j, "accept_latency_ns", &s->accept);
	latency_json(j, "reclaim_latency_ns", &s->reclaim);
	json_object_begin(j, "fragmentation");
	json_uint(j, "request_size", s->frag_request_size);
	json_number(j, "final", s->frag_final);
	json_number(j, "peak", s->frag_peak);
	json_object_end(j);
	json_number(j, "stranded_byte_s", s->stranded_byte_s);
	json_uint(j, "lost_bytes", s->lost_bytes);
	json_string(j, "db", s->db);
	json_object_end(j);
	printf("%s\n", json_text(j));
}

int cli_cmd_run(int argc, char **argv)
{
	struct run_args args = { 0 };
	struct cli_run_options options;
	struct cli_summary summary = { 0 };
	struct tty_progress tp = { false };
	g_autofree char *fallback = NULL;
	const char *path;
	GError *error = NULL;
	int status = CLI_EXIT_OK;

	g_set_prgname("dcdsim run");
	cli_run_options_init(&options);
	if (!run_args_parse(argc, argv, &args, &options, &error)) {
		fprintf(stderr, "dcdsim run: %s (see 'dcdsim run --help')\n", error->message);
		status = CLI_EXIT_USAGE;
		goto done;
	}
	if (args.help)
		goto done;
	if (args.rest && args.rest[0]) {
		path = args.rest[0];
	} else {
		fallback = cli_data_path("scenarios/quickstart.lua");
		path = fallback;
	}
	if (args.quiet)
		options.print = print_nowhere;
	else if (args.json)
		options.print = print_to_stderr;
	if (!args.quiet && isatty(STDERR_FILENO)) {
		options.progress = progress_show;
		options.progress_data = &tp;
	}

	cli_interrupt_install();
	if (!cli_run_one(path, &options, &summary, &error)) {
		progress_clear(&tp);
		fprintf(stderr, "dcdsim run: %s\n", error->message);
		if (g_error_matches(error, STORE_ERROR, STORE_ERROR_DUPLICATE))
			fprintf(stderr, "dcdsim run: use another -o FILE, or --replace to start "
				"'%s' afresh\n", options.db_path);
		status = cli_exit_status(error);
		goto done;
	}
	progress_clear(&tp);
	if (args.json)
		summary_json(&summary);
	else if (!args.quiet)
		summary_print(&summary);

done:
	g_clear_error(&error);
	cli_summary_clear(&summary);
	run_args_clear(&args);
	return status;
}
