#include "cli/runner.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "script/scenario.h"
#include "sim/sim.h"
#include "sim/stats.h"
#include "sim/units.h"

/* Events per sim_run() call between polls of the interrupt flag: a few
 * milliseconds of work, so Ctrl-C answers at once at no measurable cost. */
#define SLICE_EVENTS 65536
#define PROGRESS_PERIOD_S 0.1

/* Wall-clock seconds since T0_US (g_get_monotonic_time), in whole
 * microseconds so that the figures print without rounding noise. */
static double wall_since(gint64 t0_us)
{
	return (double)(g_get_monotonic_time() - t0_us) / 1e6;
}

void cli_summary_clear(struct cli_summary *s)
{
	g_free(s->scenario);
	g_free(s->scenario_path);
	g_free(s->db);
	memset(s, 0, sizeof(*s));
}

/* ---- the export walk: every metric into the store, the summary on the way ---- */

struct frag_point {
	gint64 t_ns;		/* the key */
	double unusable;	/* sum of index * free bytes */
	double free;		/* sum of free bytes */
};

struct export {
	struct store_run *run;
	struct cli_summary *sum;
	GError *error;
	/* "fragmentation.<dev>.unusable_index." of the device whose free
	 * bytes were seen last, and those free bytes: metrics.h exports a
	 * device's free_bytes series before its unusable_index series. */
	char *frag_prefix;
	GArray *free_bytes;
	GHashTable *frag_points;	/* by time */
};

static bool export_scalar(const char *name, double value, const char *unit, void *data)
{
	struct export *x = data;
	struct cli_summary *s = x->sum;

	if (!store_scalar_add(x->run, name, value, unit, &x->error))
		return true;
	if (!strcmp(name, "requests.submitted"))
		s->submitted = (uint64_t)value;
	else if (!strcmp(name, "requests.accepted"))
		s->accepted = (uint64_t)value;
	else if (!strcmp(name, "requests.blocked"))
		s->blocked = (uint64_t)value;
	else if (!strcmp(name, "requests.rejected"))
		s->rejected = (uint64_t)value;
	else if (!strcmp(name, "stranded_byte_s.total"))
		s->stranded_byte_s = value;
	else if (!strcmp(name, "forced_release.lost_in_use_bytes"))
		s->lost_bytes = (uint64_t)value;
	else if (g_str_has_prefix(name, "blocked."))
		for (unsigned c = 0; c < METRICS_BLOCK_COUNT; c++)
			if (!strcmp(name + strlen("blocked."), metrics_block_cause_name(c)))
				s->blocked_by_cause[c] = (uint64_t)value;
	return false;
}

static void latency_take(struct cli_latency *l, const struct sim_hist *h)
{
	l->count = sim_hist_count(h);
	l->p50 = sim_hist_percentile(h, 0.5);
	l->p99 = sim_hist_percentile(h, 0.99);
	l->max = sim_hist_max(h);
}

/* Histogram families name their unit ("accept_latency_ns.host.0.total"). */
static const char *hist_unit(const char *name)
{
	size_t len = strcspn(name, ".");

	return len >= 3 && !strncmp(name + len - 3, "_ns", 3) ? "ns" : NULL;
}

static bool export_histogram(const char *name, const struct sim_hist *h, void *data)
{
	struct export *x = data;

	if (!store_hist_add(x->run, name, h, hist_unit(name), &x->error))
		return true;
	if (!strcmp(name, "accept_latency_ns.total"))
		latency_take(&x->sum->accept, h);
	else if (!strcmp(name, "reclaim_latency_ns"))
		latency_take(&x->sum->reclaim, h);
	return false;
}

/* The unit of a series, by the families of docs/metrics.md. */
static const char *series_unit(const char *name)
{
	if (g_str_has_prefix(name, "stranded_bytes.") || g_str_has_suffix(name, ".free_bytes"))
		return "bytes";
	if (g_str_has_suffix(name, ".free_extents"))
		return "count";
	return "ratio";
}

/* Pools the devices' unusable free space index for the first request
 * size: sum of index * F over sum of F at each sample time.  Region series
 * ("fragmentation.<dev>.r<i>. ...") are left out: their device's series
 * already cover them. */
static void frag_take(struct export *x, const char *name, const uint64_t *t_ns,
		      const double *value, size_t n)
{
	const char *dev, *tail;

	if (!g_str_has_prefix(name, "fragmentation."))
		return;
	dev = name + strlen("fragmentation.");
	tail = strchr(dev, '.');
	if (!tail)
		return;
	tail++;
	if (!strcmp(tail, "free_bytes")) {
		g_free(x->frag_prefix);
		x->frag_prefix = g_strdup_printf("%.*sunusable_index.", (int)(tail - name), name);
		g_array_set_size(x->free_bytes, 0);
		g_array_append_vals(x->free_bytes, value, (guint)n);
		return;
	}
	if (!x->frag_prefix || !g_str_has_prefix(name, x->frag_prefix) || x->free_bytes->len != n)
		return;
	/* Only the first size: later ones of this device are skipped. */
	g_clear_pointer(&x->frag_prefix, g_free);
	for (size_t i = 0; i < n; i++) {
		gint64 t = (gint64)t_ns[i];
		struct frag_point *p = g_hash_table_lookup(x->frag_points, &t);
		double free = g_array_index(x->free_bytes, double, i);

		if (!p) {
			p = g_new0(struct frag_point, 1);
			p->t_ns = t;
			g_hash_table_insert(x->frag_points, &p->t_ns, p);
		}
		p->unusable += value[i] * free;
		p->free += free;
	}
}

static bool export_series(const char *name, const uint64_t *t_ns, const double *value, size_t n,
			  void *data)
{
	struct export *x = data;
	const char *unit = series_unit(name);

	for (size_t i = 0; i < n; i++)
		if (!store_series_add(x->run, name, unit, t_ns[i], value[i], &x->error))
			return true;
	frag_take(x, name, t_ns, value, n);
	return false;
}

static void frag_finish(struct export *x)
{
	struct cli_summary *s = x->sum;
	GHashTableIter it;
	gpointer value;
	gint64 last = -1;

	s->frag_final = s->frag_peak = NAN;
	g_hash_table_iter_init(&it, x->frag_points);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		const struct frag_point *p = value;
		/* No free space: no fragmentation (docs/metrics.md). */
		double index = p->free > 0 ? p->unusable / p->free : 0.0;

		if (p->t_ns > last) {
			last = p->t_ns;
			s->frag_final = index;
		}
		if (isnan(s->frag_peak) || index > s->frag_peak)
			s->frag_peak = index;
	}
}

/* The summary figures as scalars, for sweeps and reports to read. */
static bool summary_scalars_add(struct store_run *run, const struct cli_summary *s,
				GError **error)
{
	const struct {
		const char *name;
		double value;
		const char *unit;
	} rows[] = {
		{ "summary.accept_latency_ns.p50", (double)s->accept.p50, "ns" },
		{ "summary.accept_latency_ns.p99", (double)s->accept.p99, "ns" },
		{ "summary.accept_latency_ns.max", (double)s->accept.max, "ns" },
		{ "summary.reclaim_latency_ns.p50", (double)s->reclaim.p50, "ns" },
		{ "summary.reclaim_latency_ns.p99", (double)s->reclaim.p99, "ns" },
		{ "summary.reclaim_latency_ns.max", (double)s->reclaim.max, "ns" },
		{ "summary.fragmentation.final", s->frag_final, "ratio" },
		{ "summary.fragmentation.peak", s->frag_peak, "ratio" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++)
		if (!store_scalar_add(run, rows[i].name, rows[i].value, rows[i].unit, error))
			return false;
	return true;
}

static bool export_run(const struct fabric *f, struct store_run *run, struct cli_summary *s,
		       GError **error)
{
	const struct metrics *m = fabric_get_metrics(f);
	struct export x = {
		.run = run,
		.sum = s,
		.free_bytes = g_array_new(FALSE, FALSE, sizeof(double)),
		.frag_points = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, g_free),
	};

	if (!metrics_foreach_scalar(m, sim_now(fabric_get_sim(f)), export_scalar, &x) &&
	    !metrics_foreach_histogram(m, export_histogram, &x) &&
	    !metrics_foreach_series(m, export_series, &x)) {
		frag_finish(&x);
		summary_scalars_add(run, s, &x.error);
	}
	g_free(x.frag_prefix);
	g_array_free(x.free_bytes, TRUE);
	g_hash_table_destroy(x.frag_points);
	if (x.error) {
		g_propagate_error(error, x.error);
		return false;
	}
	return true;
}

/* ---- running ------------------------------------------------------------------- */

static void interrupted_error(const struct sim *k, GError **error)
{
	char at[UNITS_FORMAT_LEN];

	g_set_error(error, CLI_ERROR, CLI_ERROR_INTERRUPTED, "interrupted by %s at simulated %s",
		    cli_interrupt_signal() == SIGTERM ? "SIGTERM" : "SIGINT",
		    units_time_format(sim_now(k), at));
}

/* Fires events in slices until the run's end, polling the interrupt flag
 * and reporting progress between slices. */
static bool run_events(struct sim *k, const struct cli_fabric_run *run, GError **error)
{
	gint64 start = g_get_monotonic_time();
	double reported = 0.0;

	for (;;) {
		double now;

		if (cli_interrupt_signal()) {
			interrupted_error(k, error);
			return false;
		}
		if (!sim_run(k, run->until, SLICE_EVENTS, error))
			return false;
		if (sim_stop_reason(k) != SIM_STOP_COUNT)
			return true;
		now = wall_since(start);
		if (run->progress && now - reported >= PROGRESS_PERIOD_S) {
			struct cli_progress p = {
				.now_ns = sim_now(k),
				.until_ns = run->until,
				.events = sim_events_fired(k),
				.pending = sim_events_pending(k),
				.wall_s = now,
			};

			run->progress(&p, run->progress_data);
			reported = now;
		}
	}
}

bool cli_run_fabric(const struct cli_fabric_run *run, struct cli_summary *out, GError **error)
{
	g_autoptr(sim) k = NULL;
	g_autoptr(fabric) f = NULL;
	g_autoptr(store) st = NULL;
	g_autoptr(store_run) sr = NULL;
	struct store_run_info info = {
		.scenario = run->scenario,
		.scenario_path = run->scenario_path,
		.scenario_hash = run->scenario_hash,
		.seed = run->seed,
		.repetition = run->repetition,
		.overrides = run->overrides,
		.n_overrides = run->n_overrides,
		.params = run->params,
		.n_params = run->n_params,
	};
	const struct fabric_metrics_config *mc = &run->fabric->metrics;
	gint64 start = run->started_us ? run->started_us : g_get_monotonic_time(), t;
	GError *local = NULL;
	bool ok;

	g_return_val_if_fail(run->db_path != NULL, false);
	memset(out, 0, sizeof(*out));
	out->scenario = g_strdup(run->scenario);
	out->scenario_path = g_strdup(run->scenario_path);
	out->db = g_strdup(run->db_path);
	out->seed = run->seed;
	out->frag_request_size = mc->n_request_sizes ? mc->request_sizes[0] : 0;

	/* Configuration mistakes surface before the results file is touched. */
	k = sim_new(run->seed);
	f = fabric_new(k, run->fabric, &local);
	if (!f) {
		g_set_error_literal(error, CLI_ERROR, CLI_ERROR_SCENARIO, local->message);
		g_error_free(local);
		return false;
	}
	if (run->start && !run->start(f, run->start_data, error))
		return false;
	if (cli_interrupt_signal()) {
		interrupted_error(k, error);
		return false;
	}

	t = g_get_monotonic_time();
	st = store_open(run->db_path, error);
	if (!st)
		return false;
	sr = store_run_begin(st, &info, error);
	if (!sr)
		return false;
	out->store_s = wall_since(t);

	t = g_get_monotonic_time();
	ok = run_events(k, run, &local);
	out->sim_s = wall_since(t);
	out->events = sim_events_fired(k);
	out->end_ns = sim_now(k);
	if (!ok)
		goto run_failed;
	if (!fabric_check_invariants(f, sim_events_pending(k) == 0, &local)) {
		char at[UNITS_FORMAT_LEN];

		g_prefix_error(&local, "invariant broken at simulated %s: ",
			       units_time_format(sim_now(k), at));
		goto run_failed;
	}

	t = g_get_monotonic_time();
	if (!export_run(f, sr, out, &local))
		goto run_failed;
	/* A signal while writing still means "stop": never complete it. */
	if (cli_interrupt_signal()) {
		interrupted_error(k, &local);
		goto run_failed;
	}
	out->wall_s = wall_since(start);
	if (!store_run_finish(sr, out->events, out->wall_s, &local))
		goto run_failed;
	out->store_s += wall_since(t);
	out->fingerprint = store_run_fingerprint(sr);
	return true;

run_failed:
	/* If even this fails the run stays 'running': still not complete. */
	store_run_fail(sr, local->message, NULL);
	g_propagate_error(error, local);
	return false;
}

/* ---- from a scenario file ------------------------------------------------------- */

void cli_run_options_init(struct cli_run_options *options)
{
	memset(options, 0, sizeof(*options));
}

static bool start_scenario(struct fabric *f, void *user_data, GError **error)
{
	return scenario_start(user_data, f, error);
}

static char *default_db_path(const char *scenario_name, uint64_t seed)
{
	g_autofree char *name = g_strdup(*scenario_name ? scenario_name : "run");

	g_strcanon(name, G_CSET_a_2_z G_CSET_A_2_Z G_CSET_DIGITS "_.-", '_');
	return g_strdup_printf("results/%s-s%" G_GUINT64_FORMAT ".db", name, (guint64)seed);
}

/* A results file and the journal a crash may leave beside it. */
static void db_remove(const char *path)
{
	g_autofree char *journal = g_strconcat(path, "-journal", NULL);

	g_remove(path);
	g_remove(journal);
}

bool cli_run_one(const char *path, const struct cli_run_options *options,
		 struct cli_summary *out, GError **error)
{
	g_autofree char *contents = NULL, *hash = NULL, *lib = NULL, *until_key = NULL;
	g_autofree char *db = NULL, *tmp = NULL;
	g_autoptr(scenario) sc = NULL;
	g_autoptr(GPtrArray) keys = g_ptr_array_new();
	g_autoptr(GArray) params = g_array_new(FALSE, FALSE, sizeof(struct store_param));
	struct scenario_options so;
	struct cli_fabric_run run;
	struct script *s;
	gint64 start = g_get_monotonic_time();
	GError *local = NULL;
	gsize len;

	memset(out, 0, sizeof(*out));
	if (!g_file_get_contents(path, &contents, &len, &local)) {
		if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			g_set_error(error, CLI_ERROR, CLI_ERROR_USAGE, "scenario '%s' not found", path);
		else
			g_set_error(error, CLI_ERROR, CLI_ERROR_USAGE, "cannot read scenario '%s': %s",
				    path, local->message);
		g_error_free(local);
		return false;
	}
	hash = store_scenario_hash(contents, len);

	lib = cli_data_path("lua");
	scenario_options_init(&so);
	so.script.lib_dir = lib;
	so.script.print = options->print;
	so.script.print_data = options->print_data;
	so.overrides = options->overrides;
	so.n_overrides = options->n_overrides;
	so.has_seed = options->has_seed;
	so.seed = options->seed;
	sc = scenario_load(path, &so, error);
	if (!sc)
		return false;

	s = scenario_script(sc);
	for (size_t i = 0; i < script_param_count(s); i++) {
		const struct script_param *p = script_param_nth(s, i);
		struct store_param sp = { p->name, p->value, p->given };

		g_array_append_val(params, sp);
	}
	/* --until changes the results, so it is part of the run key. */
	for (size_t i = 0; i < options->n_overrides; i++)
		g_ptr_array_add(keys, (gpointer)options->overrides[i]);
	if (options->has_until) {
		until_key = g_strdup_printf("--until=%" G_GUINT64_FORMAT, (guint64)options->until);
		g_ptr_array_add(keys, until_key);
	}

	db = options->db_path ? g_strdup(options->db_path)
			      : default_db_path(scenario_name(sc), scenario_seed(sc));
	if (!options->db_path || options->replace) {
		tmp = g_strdup_printf("%s.%ld.tmp", db, (long)getpid());
		db_remove(tmp);
	}

	run = (struct cli_fabric_run){
		.scenario = scenario_name(sc),
		.scenario_path = path,
		.scenario_hash = hash,
		.seed = scenario_seed(sc),
		.repetition = options->repetition,
		.overrides = (const char *const *)keys->pdata,
		.n_overrides = keys->len,
		.params = (const struct store_param *)(void *)params->data,
		.n_params = params->len,
		.fabric = scenario_fabric_config(sc),
		.until = options->has_until ? options->until : scenario_duration(sc),
		.start = start_scenario,
		.start_data = sc,
		.progress = options->progress,
		.progress_data = options->progress_data,
		.db_path = tmp ? tmp : db,
		.started_us = start,
	};
	/* A scenario without a duration runs until nothing is left. */
	if (!run.until)
		run.until = SIM_TIME_NEVER;
	if (!cli_run_fabric(&run, out, &local)) {
		const GError *cause = scenario_error(sc);

		if (tmp)
			db_remove(tmp);
		/* The scenario's own code stopped the run (a callback, a Lua
		 * policy): a scenario error, with its file:line. */
		if (cause && g_error_matches(local, SIM_ERROR, SIM_ERROR_MODEL) &&
		    g_str_has_suffix(local->message, cause->message)) {
			g_clear_error(&local);
			local = g_error_copy(cause);
		}
		g_propagate_error(error, local);
		return false;
	}
	if (tmp && g_rename(tmp, db) < 0) {
		int saved = errno;

		db_remove(tmp);
		g_set_error(error, CLI_ERROR, CLI_ERROR_FAILED, "cannot replace '%s': %s", db,
			    g_strerror(saved));
		return false;
	}
	g_free(out->db);
	out->db = g_steal_pointer(&db);
	return true;
}
