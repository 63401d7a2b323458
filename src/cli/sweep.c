/* A sweep's plan: its values, runs, seeds and run keys, what the results
 * file already has, the summary over repetitions, and the commands for
 * GNU parallel or Slurm.  sweep_exec.c runs the plan. */
#include "cli/sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "cli/cli.h"
#include "script/scenario.h"
#include "sim/rng.h"
#include "sim/stats.h"
#include "sim/text.h"
#include "store/store.h"

/* ---- values ---------------------------------------------------------------------- */

/* A range's end or step: a decimal number and the unit after it. */
struct range_number {
	double value;
	int decimals;		/* written after the point, less the exponent */
	const char *unit;	/* points into the text; "" for none */
};

/* [-]digits[.digits][e[+-]digits] then the unit, spaces allowed between. */
static bool range_number_parse(const char *text, struct range_number *n)
{
	const char *p = text;
	int fraction = 0, exponent = 0;
	bool digits = false;
	char *end;

	if (*p == '-')
		p++;
	for (; g_ascii_isdigit(*p); p++)
		digits = true;
	if (*p == '.')
		for (p++; g_ascii_isdigit(*p); p++, fraction++)
			digits = true;
	if (!digits)
		return false;
	if (*p == 'e' || *p == 'E') {
		const char *q = p + 1;

		if (*q == '+' || *q == '-')
			q++;
		if (g_ascii_isdigit(*q)) {
			exponent = (int)strtol(p + 1, &end, 10);
			p = end;
		}
	}
	n->value = g_ascii_strtod(text, NULL);
	n->decimals = MAX(fraction - exponent, 0);
	while (*p == ' ')
		p++;
	n->unit = p;
	return isfinite(n->value);
}

/* V written canonically: rounded to DECIMALS places (or, for -1, to 15
 * significant digits, which drops the noise of repeated products), then
 * in the shortest form that reads back exactly, then UNIT. */
static char *range_value_format(double v, int decimals, const char *unit)
{
	/* "%.30f" of the largest double: 309 digits, the point and 30 more. */
	char rounded[352], buf[TEXT_NUMBER_LEN];
	char format[16];

	if (decimals >= 0)
		g_snprintf(format, sizeof(format), "%%.%df", MIN(decimals, 30));
	else
		g_strlcpy(format, "%.15g", sizeof(format));
	g_ascii_formatd(rounded, sizeof(rounded), format, v);
	v = g_ascii_strtod(rounded, NULL);
	/* "-0" would make a second key for 0. */
	if (v == 0.0)
		v = 0.0;
	return g_strconcat(text_number_format(v, buf), unit, NULL);
}

static bool range_error(const char *item, const char *why, GError **error)
{
	g_set_error(error, CLI_ERROR, CLI_ERROR_USAGE, "bad range '%s': %s", item, why);
	return false;
}

/* Appends the values of the range ITEM ("START:END:STEP" or
 * "START:END:*FACTOR") to VALUES. */
static bool range_expand(const char *item, GPtrArray *values, GError **error)
{
	g_auto(GStrv) parts = g_strsplit(item, ":", -1);
	struct range_number start, end, step;
	bool geometric;
	double span, count;

	if (g_strv_length(parts) != 3)
		return range_error(item, "expected START:END:STEP or START:END:*FACTOR", error);
	for (int i = 0; i < 3; i++)
		g_strstrip(parts[i]);
	geometric = parts[2][0] == '*';
	if (!range_number_parse(parts[0], &start) || !range_number_parse(parts[1], &end) ||
	    !range_number_parse(parts[2] + geometric, &step))
		return range_error(item, "its ends and step must be numbers", error);
	if (strcmp(start.unit, end.unit))
		return range_error(item, "its ends must have the same unit", error);
	if (*step.unit && (geometric || strcmp(step.unit, start.unit)))
		return range_error(item, geometric ? "a factor has no unit" :
				   "its step must have no unit or that of its ends", error);
	span = end.value - start.value;
	if (geometric) {
		if (step.value <= 0.0 || step.value == 1.0 || start.value <= 0.0 ||
		    end.value <= 0.0)
			return range_error(item, "a geometric range needs positive ends and a "
					   "positive factor other than 1", error);
		if ((span > 0) != (step.value > 1.0) && span != 0)
			return range_error(item, "its factor leads away from its end", error);
		count = floor(log(end.value / start.value) / log(step.value) + 1e-9) + 1;
	} else {
		if (step.value == 0.0)
			return range_error(item, "its step must not be 0", error);
		if ((span > 0) != (step.value > 0) && span != 0)
			return range_error(item, "its step leads away from its end", error);
		count = floor(span / step.value + 1e-9) + 1;
	}
	if (!(count <= SWEEP_VALUES_MAX)) {
		g_set_error(error, CLI_ERROR, CLI_ERROR_USAGE,
			    "bad range '%s': %.3g values, more than %d", item, count,
			    SWEEP_VALUES_MAX);
		return false;
	}
	for (size_t i = 0; i < (size_t)count; i++) {
		double v = geometric ? start.value * pow(step.value, (double)i)
				     : start.value + (double)i * step.value;

		g_ptr_array_add(values, range_value_format(v, geometric ? -1 :
			MAX(start.decimals, step.decimals), start.unit));
	}
	return true;
}

bool sweep_values_parse(const char *text, char **name, GPtrArray **values, GError **error)
{
	const char *eq = strchr(text, '=');
	g_autofree char *key = NULL;
	g_auto(GStrv) items = NULL;
	g_autoptr(GPtrArray) out = NULL;
	g_autoptr(GHashTable) seen = NULL;

	if (!eq) {
		g_set_error(error, CLI_ERROR, CLI_ERROR_USAGE,
			    "bad -p '%s': expected NAME=V1,V2,... or NAME=START:END:STEP", text);
		return false;
	}
	key = g_strstrip(g_strndup(text, (gsize)(eq - text)));
	if (!*key) {
		g_set_error(error, CLI_ERROR, CLI_ERROR_USAGE, "bad -p '%s': no parameter name",
			    text);
		return false;
	}
	items = g_strsplit(eq + 1, ",", -1);
	if (!items[0]) {
		g_set_error(error, CLI_ERROR, CLI_ERROR_USAGE, "bad -p '%s': no values", text);
		return false;
	}
	out = g_ptr_array_new_with_free_func(g_free);
	for (char **item = items; *item; item++) {
		g_strstrip(*item);
		if (!**item) {
			g_set_error(error, CLI_ERROR, CLI_ERROR_USAGE, items[1] ?
				    "bad -p '%s': an empty value in the list" :
				    "bad -p '%s': no values", text);
			return false;
		}
		if (strchr(*item, ':')) {
			if (!range_expand(*item, out, error)) {
				g_prefix_error(error, "-p '%s': ", text);
				return false;
			}
		} else {
			g_ptr_array_add(out, g_strdup(*item));
		}
		if (out->len > SWEEP_VALUES_MAX) {
			g_set_error(error, CLI_ERROR, CLI_ERROR_USAGE,
				    "bad -p '%s': more than %d values", text, SWEEP_VALUES_MAX);
			return false;
		}
	}
	seen = g_hash_table_new(g_str_hash, g_str_equal);
	for (guint i = 0; i < out->len; i++)
		if (!g_hash_table_add(seen, out->pdata[i])) {
			g_set_error(error, CLI_ERROR, CLI_ERROR_USAGE,
				    "bad -p '%s': value '%s' given twice", text,
				    (const char *)out->pdata[i]);
			return false;
		}
	*name = g_steal_pointer(&key);
	*values = g_steal_pointer(&out);
	return true;
}

uint64_t sweep_seed(uint64_t base, uint32_t repetition)
{
	if (!repetition)
		return base;
	return sim_rng_mix(base + repetition * UINT64_C(0x9e3779b97f4a7c15)) >> 1;
}

/* ---- the plan ---------------------------------------------------------------------- */

struct sweep {
	char *path;			/* the scenario as given */
	char *hash;			/* store_scenario_hash() of its bytes */
	char *name;			/* scenario{name = ...} */
	char *db_path;
	uint32_t repetitions;
	GPtrArray *points;		/* GStrv of "NAME=VALUE", -p order */
	GArray *runs;			/* struct sweep_run */
	GPtrArray *strings;		/* what the runs point to */
	int lock_fd;			/* -1 until sweep_lock() */
};

static void print_nowhere(const char *line, void *user_data)
{
	(void)line;
	(void)user_data;
}

/* Loads the scenario with DEFINE (NULL: none) to check it. */
static struct scenario *scenario_try(const char *path, const char *define, GError **error)
{
	g_autofree char *lib = cli_data_path("lua");
	struct scenario_options so;

	scenario_options_init(&so);
	so.script.lib_dir = lib;
	so.script.print = print_nowhere;
	so.overrides = &define;
	so.n_overrides = define ? 1 : 0;
	return scenario_load(path, &so, error);
}

static char *keep(struct sweep *sw, char *s)
{
	g_ptr_array_add(sw->strings, s);
	return s;
}

/* The product of the axes: point P's value of axis K is digit K of P in
 * the mixed radix of the axes' lengths, the last axis varying fastest. */
static void points_lay_out(struct sweep *sw, const GPtrArray *names, const GPtrArray *axes)
{
	size_t n = 1;

	for (guint k = 0; k < axes->len; k++)
		n *= ((const GPtrArray *)axes->pdata[k])->len;
	for (size_t p = 0; p < n; p++) {
		char **defines = g_new0(char *, axes->len + 1);
		size_t rest = p;

		for (guint k = axes->len; k-- > 0;) {
			const GPtrArray *values = axes->pdata[k];

			defines[k] = g_strdup_printf("%s=%s", (const char *)names->pdata[k],
						     (const char *)values->pdata[rest % values->len]);
			rest /= values->len;
		}
		g_ptr_array_add(sw->points, defines);
	}
}

static void runs_lay_out(struct sweep *sw, uint64_t base)
{
	for (guint p = 0; p < sw->points->len; p++) {
		const char *const *defines = sw->points->pdata[p];
		size_t n = g_strv_length((char **)defines);
		g_autofree char *point = g_strjoinv(" ", (char **)defines);

		for (uint32_t r = 0; r < sw->repetitions; r++) {
			struct sweep_run run = {
				.point = p,
				.repetition = r,
				.seed = sweep_seed(base, r),
				.defines = defines,
				.n_defines = n,
			};

			run.run_key = keep(sw, store_run_key_compute(sw->hash, defines, n, run.seed,
								     r));
			run.label = keep(sw, g_strdup_printf("%s%srep %u", point, n ? " " : "", r));
			g_array_append_val(sw->runs, run);
		}
	}
}

static char *db_path_default(const char *scenario_name)
{
	g_autofree char *name = g_strdup(*scenario_name ? scenario_name : "sweep");

	g_strcanon(name, G_CSET_a_2_z G_CSET_A_2_Z G_CSET_DIGITS "_.-", '_');
	return g_strdup_printf("results/%s-sweep.db", name);
}

struct sweep *sweep_new(const char *path, const struct sweep_options *options,
			GError **error)
{
	g_autoptr(sweep) sw = g_new0(struct sweep, 1);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) axes = g_ptr_array_new_with_free_func(
		(GDestroyNotify)g_ptr_array_unref);
	g_autoptr(scenario) sc = NULL;
	g_autofree char *contents = NULL;
	uint64_t base, n_runs;
	GError *local = NULL;
	gsize len;

	g_return_val_if_fail(options->repetitions >= 1, NULL);
	sw->lock_fd = -1;
	sw->path = g_strdup(path);
	sw->repetitions = options->repetitions;
	sw->points = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	sw->runs = g_array_new(FALSE, FALSE, sizeof(struct sweep_run));
	sw->strings = g_ptr_array_new_with_free_func(g_free);

	n_runs = options->repetitions;
	for (size_t i = 0; i < options->n_specs; i++) {
		char *name;
		GPtrArray *values;

		if (!sweep_values_parse(options->specs[i], &name, &values, error))
			return NULL;
		g_ptr_array_add(names, name);
		g_ptr_array_add(axes, values);
		/* Checked at each factor, so that the product cannot overflow. */
		n_runs *= values->len;
		if (n_runs > SWEEP_RUNS_MAX)
			break;
		for (guint j = 0; j + 1 < names->len; j++)
			if (!strcmp(names->pdata[j], name)) {
				g_set_error(error, CLI_ERROR, CLI_ERROR_USAGE,
					    "parameter '%s' swept twice (two -p)", name);
				return NULL;
			}
	}

	if (n_runs > SWEEP_RUNS_MAX) {
		g_set_error(error, CLI_ERROR, CLI_ERROR_USAGE, "more than %d runs in the sweep "
			    "(the product of the -p lists times -r)", SWEEP_RUNS_MAX);
		return NULL;
	}
	if (!g_file_get_contents(path, &contents, &len, &local)) {
		if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			g_set_error(error, CLI_ERROR, CLI_ERROR_USAGE, "scenario '%s' not found", path);
		else
			g_set_error(error, CLI_ERROR, CLI_ERROR_USAGE, "cannot read scenario '%s': %s",
				    path, local->message);
		g_error_free(local);
		return NULL;
	}
	sw->hash = store_scenario_hash(contents, len);
	sc = scenario_try(path, NULL, error);
	if (!sc)
		return NULL;
	sw->name = g_strdup(scenario_name(sc));
	base = options->has_seed ? options->seed : scenario_seed(sc);
	if (base >> 63) {
		g_set_error(error, CLI_ERROR, CLI_ERROR_USAGE,
			    "the sweep's base seed %" G_GUINT64_FORMAT " is not below 2^63 "
			    "(give another with -s)", (guint64)base);
		return NULL;
	}
	/* Each value alone: an unknown name or a bad value fails here, with
	 * the scenario's own message, before anything runs. */
	for (guint k = 0; k < axes->len; k++) {
		const GPtrArray *values = axes->pdata[k];

		for (guint i = 0; i < values->len; i++) {
			g_autofree char *define = g_strdup_printf("%s=%s",
				(const char *)names->pdata[k], (const char *)values->pdata[i]);
			g_autoptr(scenario) check = scenario_try(path, define, error);

			if (!check) {
				g_prefix_error(error, "-p %s: ", define);
				return NULL;
			}
		}
	}
	sw->db_path = options->db_path ? g_strdup(options->db_path) : db_path_default(sw->name);
	points_lay_out(sw, names, axes);
	runs_lay_out(sw, base);
	return g_steal_pointer(&sw);
}

void sweep_free(struct sweep *sw)
{
	if (!sw)
		return;
	/* Workers inherited the lock: it lasts until the last of them exits. */
	if (sw->lock_fd >= 0)
		close(sw->lock_fd);
	g_free(sw->path);
	g_free(sw->hash);
	g_free(sw->name);
	g_free(sw->db_path);
	g_clear_pointer(&sw->points, g_ptr_array_unref);
	g_clear_pointer(&sw->runs, g_array_unref);
	g_clear_pointer(&sw->strings, g_ptr_array_unref);
	g_free(sw);
}

const char *sweep_db_path(const struct sweep *sw)
{
	return sw->db_path;
}

const char *sweep_scenario_name(const struct sweep *sw)
{
	return sw->name;
}

size_t sweep_point_count(const struct sweep *sw)
{
	return sw->points->len;
}

uint32_t sweep_repetitions(const struct sweep *sw)
{
	return sw->repetitions;
}

size_t sweep_run_count(const struct sweep *sw)
{
	return sw->runs->len;
}

const struct sweep_run *sweep_run_nth(const struct sweep *sw, size_t i)
{
	g_return_val_if_fail(i < sw->runs->len, NULL);
	return &g_array_index(sw->runs, struct sweep_run, i);
}

const char *const *sweep_point_defines(const struct sweep *sw, size_t point, size_t *n)
{
	const char *const *defines;

	g_return_val_if_fail(point < sw->points->len, NULL);
	defines = sw->points->pdata[point];
	if (n)
		*n = g_strv_length((char **)defines);
	return defines;
}

/* ---- the results file ------------------------------------------------------------------ */

static gboolean complete_take(const struct store_run_record *r, void *user_data)
{
	if (!g_strcmp0(r->status, "complete"))
		g_hash_table_insert(user_data, g_strdup(r->run_key),
				    g_strdup(r->fingerprint ? r->fingerprint : ""));
	return FALSE;
}

bool sweep_status_read(struct sweep *sw, bool clean, unsigned *cleaned, GError **error)
{
	g_autoptr(GHashTable) complete = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
							       g_free);
	g_autoptr(store) st = NULL;

	g_return_val_if_fail(!clean || sw->lock_fd >= 0, false);
	if (cleaned)
		*cleaned = 0;
	if (clean || g_file_test(sw->db_path, G_FILE_TEST_EXISTS)) {
		st = clean ? store_open(sw->db_path, error) : store_open_read(sw->db_path, error);
		if (!st)
			return false;
		if (clean && !store_delete_incomplete_runs(st, cleaned, error))
			return false;
		if (!store_runs_foreach(st, complete_take, complete, error))
			return false;
	}
	for (guint i = 0; i < sw->runs->len; i++) {
		struct sweep_run *run = &g_array_index(sw->runs, struct sweep_run, i);
		const char *fingerprint = g_hash_table_lookup(complete, run->run_key);

		run->fingerprint = fingerprint ? keep(sw, g_strdup(fingerprint)) : NULL;
	}
	return true;
}

size_t sweep_missing_count(const struct sweep *sw)
{
	size_t n = 0;

	for (guint i = 0; i < sw->runs->len; i++)
		n += !g_array_index(sw->runs, struct sweep_run, i).fingerprint;
	return n;
}

bool sweep_lock(struct sweep *sw, void (*waiting)(const char *db_path), GError **error)
{
	g_autofree char *dir = g_path_get_dirname(sw->db_path);
	int fd, err;

	g_return_val_if_fail(sw->lock_fd < 0, false);
	if (g_mkdir_with_parents(dir, 0777) < 0) {
		g_set_error(error, CLI_ERROR, CLI_ERROR_FAILED,
			    "cannot create folder '%s' for results file '%s': %s", dir, sw->db_path,
			    g_strerror(errno));
		return false;
	}
	/* Without O_CLOEXEC: the workers inherit it and hold the lock too.
	 * The descriptor stays open as long as the process (closing it would
	 * drop SQLite's own locks on the file in this process). */
	fd = open(sw->db_path, O_RDONLY | O_CREAT, 0666);
	if (fd < 0) {
		g_set_error(error, CLI_ERROR, CLI_ERROR_FAILED, "cannot open results file '%s': %s",
			    sw->db_path, g_strerror(errno));
		return false;
	}
	err = flock(fd, LOCK_EX | LOCK_NB) < 0 ? errno : 0;
	if (err == EWOULDBLOCK) {
		if (waiting)
			waiting(sw->db_path);
		/* A signal ends the wait: the handlers do not restart calls. */
		do
			err = flock(fd, LOCK_EX) < 0 ? errno : 0;
		while (err == EINTR && !cli_interrupt_signal());
	}
	if (err) {
		if (err == EINTR)
			g_set_error(error, CLI_ERROR, CLI_ERROR_INTERRUPTED,
				    "interrupted while waiting for results file '%s'", sw->db_path);
		else
			g_set_error(error, CLI_ERROR, CLI_ERROR_FAILED,
				    "cannot lock results file '%s': %s", sw->db_path, g_strerror(err));
		close(fd);
		return false;
	}
	sw->lock_fd = fd;
	return true;
}

/* ---- commands ---------------------------------------------------------------------- */

char **sweep_run_argv(const struct sweep *sw, size_t i, const char *exe, const char *db,
		      bool replace)
{
	const struct sweep_run *run = sweep_run_nth(sw, i);
	GPtrArray *argv = g_ptr_array_new();

	g_ptr_array_add(argv, g_strdup(exe));
	g_ptr_array_add(argv, g_strdup("run"));
	g_ptr_array_add(argv, g_strdup(sw->path));
	g_ptr_array_add(argv, g_strdup("-s"));
	g_ptr_array_add(argv, g_strdup_printf("%" G_GUINT64_FORMAT, (guint64)run->seed));
	if (db) {
		g_ptr_array_add(argv, g_strdup("--repetition"));
		g_ptr_array_add(argv, g_strdup_printf("%u", run->repetition));
	}
	for (size_t d = 0; d < run->n_defines; d++) {
		g_ptr_array_add(argv, g_strdup("-D"));
		g_ptr_array_add(argv, g_strdup(run->defines[d]));
	}
	if (db) {
		g_ptr_array_add(argv, g_strdup("-o"));
		g_ptr_array_add(argv, g_strdup(db));
		g_ptr_array_add(argv, g_strdup("--quiet"));
	}
	if (replace)
		g_ptr_array_add(argv, g_strdup("--replace"));
	g_ptr_array_add(argv, NULL);
	return (char **)g_ptr_array_free(argv, FALSE);
}

char *sweep_command_line(const char *const *argv)
{
	GString *line = g_string_new(NULL);

	for (const char *const *a = argv; *a; a++) {
		bool plain = **a != '\0';

		for (const char *c = *a; *c && plain; c++)
			plain = g_ascii_isalnum(*c) || strchr("_./=:,+@%-", *c);
		if (line->len)
			g_string_append_c(line, ' ');
		if (plain) {
			g_string_append(line, *a);
		} else {
			g_autofree char *quoted = g_shell_quote(*a);

			g_string_append(line, quoted);
		}
	}
	return g_string_free(line, FALSE);
}

/* ---- the summary ------------------------------------------------------------------- */

static gboolean id_take(const struct store_run_record *r, void *user_data)
{
	if (!g_strcmp0(r->status, "complete"))
		g_hash_table_insert(user_data, g_strdup(r->run_key), g_memdup2(&r->id,
									       sizeof(r->id)));
	return FALSE;
}

/* Scalar NAME of run ID, NaN when the run has none. */
static bool scalar_read(struct store *st, int64_t id, const char *name, double *value,
			GError **error)
{
	GError *local = NULL;

	if (store_scalar_get(st, id, name, value, &local))
		return true;
	if (!g_error_matches(local, STORE_ERROR, STORE_ERROR_NOT_FOUND)) {
		g_propagate_error(error, local);
		return false;
	}
	g_error_free(local);
	*value = NAN;
	return true;
}

/* The p99 of histogram NAME of run ID, NaN when it recorded nothing. */
static bool p99_read(struct store *st, int64_t id, const char *name, double *value,
		     GError **error)
{
	g_autoptr(sim_hist) h = sim_hist_new();

	if (!store_hist_load(st, id, name, h, error))
		return false;
	*value = sim_hist_count(h) ? (double)sim_hist_percentile(h, 0.99) : NAN;
	return true;
}

/* docs/sweep.md defines each metric. */
static bool metrics_read(struct store *st, int64_t id, double m[SWEEP_METRIC_COUNT],
			 GError **error)
{
	double submitted, accepted;

	if (!scalar_read(st, id, "requests.submitted", &submitted, error) ||
	    !scalar_read(st, id, "requests.accepted", &accepted, error) ||
	    !scalar_read(st, id, "requests.blocked", &m[SWEEP_METRIC_BLOCKED], error) ||
	    !p99_read(st, id, "accept_latency_ns.total", &m[SWEEP_METRIC_ACCEPT_P99], error) ||
	    !p99_read(st, id, "reclaim_latency_ns", &m[SWEEP_METRIC_RECLAIM_P99], error) ||
	    !scalar_read(st, id, "summary.fragmentation.final", &m[SWEEP_METRIC_FRAGMENTATION],
			 error) ||
	    !scalar_read(st, id, "stranded_byte_s.total", &m[SWEEP_METRIC_STRANDED], error) ||
	    !scalar_read(st, id, "forced_release.lost_in_use_bytes", &m[SWEEP_METRIC_LOST],
			 error))
		return false;
	m[SWEEP_METRIC_ACCEPTED] = submitted > 0 ? accepted / submitted : NAN;
	return true;
}

static struct sweep_stat stat_of(const GArray *values)
{
	struct sweep_stat s = { 0, NAN, NAN };
	double sum = 0.0, squares = 0.0;

	for (guint i = 0; i < values->len; i++) {
		double v = g_array_index(values, double, i);

		if (!isnan(v)) {
			s.n++;
			sum += v;
		}
	}
	if (!s.n)
		return s;
	s.mean = sum / s.n;
	for (guint i = 0; i < values->len; i++) {
		double v = g_array_index(values, double, i);

		if (!isnan(v))
			squares += (v - s.mean) * (v - s.mean);
	}
	if (s.n > 1)
		s.half = sim_student_t975(s.n - 1) * sqrt(squares / (s.n - 1)) / sqrt(s.n);
	return s;
}

bool sweep_summary_read(struct sweep *sw, struct sweep_stat (*stats)[SWEEP_METRIC_COUNT],
			unsigned *runs, GError **error)
{
	g_autoptr(GHashTable) ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr(store) st = NULL;
	GArray *values[SWEEP_METRIC_COUNT];
	bool ok = true;

	if (g_file_test(sw->db_path, G_FILE_TEST_EXISTS)) {
		st = store_open_read(sw->db_path, error);
		if (!st || !store_runs_foreach(st, id_take, ids, error))
			return false;
	}
	for (int m = 0; m < SWEEP_METRIC_COUNT; m++)
		values[m] = g_array_new(FALSE, FALSE, sizeof(double));
	for (guint p = 0; p < sw->points->len && ok; p++) {
		unsigned n = 0;

		for (int m = 0; m < SWEEP_METRIC_COUNT; m++)
			g_array_set_size(values[m], 0);
		for (uint32_t r = 0; r < sw->repetitions && ok; r++) {
			const struct sweep_run *run = sweep_run_nth(sw, p * sw->repetitions + r);
			const int64_t *id = g_hash_table_lookup(ids, run->run_key);
			double m[SWEEP_METRIC_COUNT];

			if (!id)
				continue;
			ok = metrics_read(st, *id, m, error);
			for (int k = 0; k < SWEEP_METRIC_COUNT && ok; k++)
				g_array_append_val(values[k], m[k]);
			n += ok;
		}
		for (int m = 0; m < SWEEP_METRIC_COUNT; m++)
			stats[p][m] = stat_of(values[m]);
		if (runs)
			runs[p] = n;
	}
	for (int m = 0; m < SWEEP_METRIC_COUNT; m++)
		g_array_free(values[m], TRUE);
	return ok;
}

/* ---- jobs for GNU parallel and Slurm ------------------------------------------------ */

/* Runs line $SLURM_ARRAY_TASK_ID of the jobs file from the folder the
 * sweep was planned in (its relative paths). */
static char *slurm_script(const struct sweep *sw, const char *jobs, const char *parts,
			  size_t n)
{
	g_autofree char *cwd = g_get_current_dir();
	g_autofree char *q_cwd = g_shell_quote(cwd), *q_jobs = g_shell_quote(jobs);
	g_autofree char *name = g_strdup(sw->name);

	g_strcanon(name, G_CSET_a_2_z G_CSET_A_2_Z G_CSET_DIGITS "_.-", '_');
	return g_strdup_printf(
		"#!/bin/sh\n"
		"# The %zu runs of '%s' in %s (one command a line) as a Slurm job\n"
		"# array, written by dcdsim sweep --emit-jobs --slurm.  Submit it with\n"
		"#   sbatch %s.sbatch\n"
		"# and once every task has ended, merge the parts:\n"
		"#   dcdsim merge %s %s/*.db\n"
		"#SBATCH --job-name=dcdsim-%s\n"
		"#SBATCH --array=1-%zu\n"
		"#SBATCH --ntasks=1\n"
		"#SBATCH --output=%s/slurm-%%A_%%a.out\n"
		"cd %s || exit 1\n"
		"line=$(sed -n \"${SLURM_ARRAY_TASK_ID:?not a Slurm array task}p\" %s)\n"
		"[ -n \"$line\" ] || { echo \"no line $SLURM_ARRAY_TASK_ID in \"%s >&2; exit 1; }\n"
		"exec sh -c \"$line\"\n",
		n, sw->name, jobs, jobs, sw->db_path, parts, name, n, parts, q_cwd, q_jobs, q_jobs);
}

bool sweep_jobs_write(const struct sweep *sw, const char *exe, const char *jobs_path,
		      const char *parts_dir, bool slurm, size_t *written, GError **error)
{
	g_autofree char *scenario_abs = g_canonicalize_filename(sw->path, NULL);
	g_autofree char *parts = g_canonicalize_filename(parts_dir, NULL);
	g_autofree char *jobs = g_canonicalize_filename(jobs_path, NULL);
	g_autoptr(GString) text = g_string_new(NULL);
	GError *local = NULL;
	size_t n = 0;

	if (g_mkdir_with_parents(parts, 0777) < 0) {
		g_set_error(error, CLI_ERROR, CLI_ERROR_FAILED, "cannot create folder '%s': %s",
			    parts, g_strerror(errno));
		return false;
	}
	for (guint i = 0; i < sw->runs->len; i++) {
		const struct sweep_run *run = sweep_run_nth(sw, i);
		g_autofree char *name = NULL, *part = NULL, *line = NULL;
		g_auto(GStrv) argv = NULL;

		if (run->fingerprint)
			continue;
		/* The key names the part: the same run, the same file. */
		name = g_strdup_printf("%.16s.db", run->run_key);
		part = g_build_filename(parts, name, NULL);
		argv = sweep_run_argv(sw, i, exe, part, true);
		/* Absolute paths: the lines may run from any folder. */
		g_free(argv[2]);
		argv[2] = g_strdup(scenario_abs);
		line = sweep_command_line((const char *const *)argv);
		g_string_append_printf(text, "%s\n", line);
		n++;
	}
	if (!g_file_set_contents(jobs_path, text->str, (gssize)text->len, &local))
		goto fail_write;
	if (slurm && n) {
		g_autofree char *text_sbatch = slurm_script(sw, jobs, parts, n);
		g_autofree char *script_path = g_strconcat(jobs_path, ".sbatch", NULL);

		if (!g_file_set_contents(script_path, text_sbatch, -1, &local))
			goto fail_write;
	}
	*written = n;
	return true;
fail_write:
	g_set_error_literal(error, CLI_ERROR, CLI_ERROR_FAILED, local->message);
	g_error_free(local);
	return false;
}
