#include "unit.h"

#include "script/scenario.h"

#include <glib/gstdio.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Bad scenarios that loop must stop soon. */
#define TEST_BUDGET UINT64_C(20000000)

static GString *printed;

static void capture(const char *line, void *user_data)
{
	g_string_append(user_data, line);
	g_string_append_c(user_data, '\n');
}

/* A path under $top_srcdir (VPATH builds). */
static char *src_path(const char *first, ...) G_GNUC_NULL_TERMINATED;

static char *src_path(const char *first, ...)
{
	const char *top = g_getenv("top_srcdir");
	g_autoptr(GPtrArray) parts = g_ptr_array_new();
	va_list ap;

	g_ptr_array_add(parts, (char *)(top ? top : "."));
	va_start(ap, first);
	for (const char *p = first; p; p = va_arg(ap, const char *))
		g_ptr_array_add(parts, (char *)p);
	va_end(ap);
	g_ptr_array_add(parts, NULL);
	return g_build_filenamev((char **)parts->pdata);
}

static void options_for_test(struct scenario_options *o, char *lib)
{
	scenario_options_init(o);
	o->script.lib_dir = lib;
	o->script.instruction_budget = TEST_BUDGET;
	o->script.print = capture;
	o->script.print_data = printed;
	g_string_truncate(printed, 0);
}

static struct scenario *load(const char *path, const struct scenario_options *o)
{
	GError *error = NULL;
	struct scenario *sc = scenario_load(path, o, &error);

	CU_ASSERT_PTR_NOT_NULL(sc);
	if (error) {
		printf("\n  %s\n", error->message);
		g_error_free(error);
	}
	return sc;
}

static bool scalar_out(const char *name, double value, const char *unit, void *data)
{
	g_string_append_printf(data, "%s %.17g %s\n", name, value, unit);
	return false;
}

static bool hist_out(const char *name, const struct sim_hist *h, void *data)
{
	g_string_append_printf(data, "%s n=%" PRIu64 " min=%" PRIu64 " max=%" PRIu64
			       " p50=%" PRIu64 "\n", name, sim_hist_count(h), sim_hist_min(h),
			       sim_hist_max(h), sim_hist_percentile(h, 0.5));
	return false;
}

static bool series_out(const char *name, const uint64_t *t, const double *v, size_t n,
		       void *data)
{
	g_string_append_printf(data, "%s %zu", name, n);
	for (size_t i = 0; i < n; i++)
		g_string_append_printf(data, " %" PRIu64 ":%.17g", t[i], v[i]);
	g_string_append_c(data, '\n');
	return false;
}

/* Runs SC to its end; returns its metrics export, or NULL with ERROR. */
static char *run(struct scenario *sc, GError **error)
{
	g_autoptr(sim) k = sim_new(scenario_seed(sc));
	g_autoptr(fabric) f = fabric_new(k, scenario_fabric_config(sc), error);
	GString *out;

	if (!f || !scenario_start(sc, f, error) ||
	    !fabric_run(f, scenario_duration(sc), error))
		return NULL;
	out = g_string_new(NULL);
	g_string_append_printf(out, "events %" PRIu64 "\n", sim_events_fired(k));
	metrics_foreach_scalar(fabric_get_metrics(f), sim_now(k), scalar_out, out);
	metrics_foreach_histogram(fabric_get_metrics(f), hist_out, out);
	metrics_foreach_series(fabric_get_metrics(f), series_out, out);
	return g_string_free(out, FALSE);
}

/* The export of one run of scenario PATH with seed SEED (0: its own). */
static char *run_path(const char *path, uint64_t seed)
{
	g_autofree char *lib = src_path("lua", NULL);
	g_autoptr(scenario) sc = NULL;
	struct scenario_options o;
	GError *error = NULL;
	char *out;

	options_for_test(&o, lib);
	o.has_seed = seed != 0;
	o.seed = seed;
	sc = load(path, &o);
	if (!sc)
		return NULL;
	out = run(sc, &error);
	CU_ASSERT_PTR_NOT_NULL(out);
	if (error) {
		printf("\n  %s: %s\n", path, error->message);
		g_error_free(error);
	}
	return out;
}

/* A scalar of an export, or -1. */
static double scalar_of(const char *export, const char *name)
{
	g_autofree char *key = g_strdup_printf("\n%s ", name);
	const char *p = strstr(export, key);

	return p ? g_ascii_strtod(p + strlen(key), NULL) : -1;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_shipped_scenarios_run(void)
{
	g_autofree char *dir = src_path("scenarios", NULL);
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *name;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	while ((name = g_dir_read_name(d)))
		if (g_str_has_suffix(name, ".lua"))
			g_ptr_array_add(names, g_strdup(name));
	g_ptr_array_sort(names, by_name);
	CU_ASSERT_TRUE(names->len >= 1);
	for (guint i = 0; i < names->len; i++) {
		g_autofree char *path = g_build_filename(dir, g_ptr_array_index(names, i), NULL);
		gint64 t0 = g_get_monotonic_time();
		g_autofree char *out = run_path(path, 0);

		printf("\n  %-20s %6.2f s wall, %" G_GUINT64_FORMAT " events",
		       (char *)g_ptr_array_index(names, i),
		       (double)(g_get_monotonic_time() - t0) / 1e6,
		       out ? g_ascii_strtoull(out + strlen("events "), NULL, 10) : 0);
		if (out) {
			/* every shipped scenario gets capacity online */
			CU_ASSERT_TRUE(scalar_of(out, "requests.accepted") > 0);
		}
	}
}

static void test_same_seed_same_export(void)
{
	g_autofree char *path = src_path("scenarios", "quickstart.lua", NULL);
	g_autofree char *a = run_path(path, 0);
	g_autofree char *b = run_path(path, 0);
	g_autofree char *c = run_path(path, 7);

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(a, b);
	CU_ASSERT_STRING_NOT_EQUAL(a, c);
}

/* ---- the bad scenarios ------------------------------------------------------ */

/* One line of tests/data/scenarios/bad/EXPECT:
 *   FILE LINE [-D name=value]... MESSAGE PART
 * LINE is the line of FILE the message must start with, "-" for none
 * ("FILE: ..."), or "OTHER:LINE" for a line of another file (a trace). */
struct expectation {
	char *file;
	char *line;
	GPtrArray *overrides;
	char *part;
};

static void expectation_free(void *data)
{
	struct expectation *e = data;

	g_free(e->file);
	g_free(e->line);
	g_ptr_array_unref(e->overrides);
	g_free(e->part);
	g_free(e);
}

static GPtrArray *expectations_read(const char *path)
{
	GPtrArray *all = g_ptr_array_new_with_free_func(expectation_free);
	g_autoptr(GRegex) line_re = g_regex_new("^(\\S+)\\s+(\\S+)\\s+(.*)$", 0, 0, NULL);
	g_autoptr(GRegex) option_re = g_regex_new("^-D\\s+(\\S+)\\s+(.*)$", 0, 0, NULL);
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;

	CU_ASSERT_TRUE_FATAL(g_file_get_contents(path, &text, NULL, NULL));
	lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++) {
		g_autoptr(GMatchInfo) m = NULL;
		struct expectation *e;
		char *rest;

		if (!*g_strstrip(*l) || **l == '#')
			continue;
		CU_ASSERT_TRUE_FATAL(g_regex_match(line_re, *l, 0, &m));
		e = g_new0(struct expectation, 1);
		e->file = g_match_info_fetch(m, 1);
		e->line = g_match_info_fetch(m, 2);
		e->overrides = g_ptr_array_new_with_free_func(g_free);
		rest = g_match_info_fetch(m, 3);
		for (;;) {
			g_autoptr(GMatchInfo) o = NULL;
			char *next;

			if (!g_regex_match(option_re, rest, 0, &o))
				break;
			g_ptr_array_add(e->overrides, g_match_info_fetch(o, 1));
			next = g_match_info_fetch(o, 2);
			g_free(rest);
			rest = next;
		}
		e->part = rest;
		g_ptr_array_add(all, e);
	}
	return all;
}

/* Loads (and, if it loads, runs) one bad scenario: the message must start
 * with its file:line and contain the expected part. */
static void expect_bad(const char *dir, const struct expectation *e)
{
	g_autofree char *lib = src_path("lua", NULL);
	g_autofree char *path = g_build_filename(dir, e->file, NULL);
	g_autofree char *prefix = !strcmp(e->line, "-") ? g_strdup_printf("%s: ", path)
				  : strchr(e->line, ':') ? g_strdup_printf("%s/%s: ", dir, e->line)
				  : g_strdup_printf("%s:%s: ", path, e->line);
	g_autoptr(scenario) sc = NULL;
	g_autofree char *out = NULL;
	struct scenario_options o;
	GError *error = NULL;

	options_for_test(&o, lib);
	o.overrides = (const char *const *)e->overrides->pdata;
	o.n_overrides = e->overrides->len;
	sc = scenario_load(path, &o, &error);
	if (sc) {
		out = run(sc, &error);
		CU_ASSERT_PTR_NULL(out);
		CU_ASSERT_PTR_NOT_NULL_FATAL(scenario_error(sc));
		/* the run's error gives the time, the scenario's the line */
		CU_ASSERT_PTR_NOT_NULL(strstr(error->message, scenario_error(sc)->message));
		g_clear_error(&error);
		error = g_error_copy(scenario_error(sc));
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	CU_ASSERT_TRUE(error->domain == SCRIPT_ERROR);
	CU_ASSERT_TRUE(g_str_has_prefix(error->message, prefix));
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, e->part));
	if (!g_str_has_prefix(error->message, prefix) || !strstr(error->message, e->part))
		printf("\n  %s: wanted '%s...%s', got:\n%s\n", e->file, prefix, e->part,
		       error->message);
	g_error_free(error);
}

static void test_bad_scenarios(void)
{
	g_autofree char *dir = src_path("tests", "data", "scenarios", "bad", NULL);
	g_autofree char *table = g_build_filename(dir, "EXPECT", NULL);
	g_autoptr(GPtrArray) all = expectations_read(table);
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;

	for (guint i = 0; i < all->len; i++)
		expect_bad(dir, g_ptr_array_index(all, i));
	/* every bad scenario has its expectation */
	while ((name = g_dir_read_name(d))) {
		bool listed = false;

		for (guint i = 0; i < all->len; i++)
			listed = listed ||
				 !strcmp(((struct expectation *)g_ptr_array_index(all, i))->file, name);
		CU_ASSERT_TRUE(listed || !g_str_has_suffix(name, ".lua"));
		if (!listed && g_str_has_suffix(name, ".lua"))
			printf("\n  %s has no line in EXPECT\n", name);
	}
}

/* ---- the good ones under tests/data/scenarios/ok --------------------------------- */

static char *ok_path(const char *name)
{
	return src_path("tests", "data", "scenarios", "ok", name, NULL);
}

/* Declarations become the fabric configuration, defaults included. */
static void test_declarations(void)
{
	g_autofree char *lib = src_path("lua", NULL);
	g_autofree char *path = ok_path("decls.lua");
	g_autoptr(scenario) sc = NULL;
	const struct fabric_config *c;
	const struct dcd_config *d;
	const struct host_config *h;
	struct scenario_options o;
	const char *sizes[] = { "sz=3", NULL };

	options_for_test(&o, lib);
	o.overrides = sizes;
	o.n_overrides = 1;
	sc = load(path, &o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
	CU_ASSERT_STRING_EQUAL(scenario_name(sc), "decls");
	CU_ASSERT_EQUAL(scenario_seed(sc), 42);
	CU_ASSERT_EQUAL(scenario_duration(sc), UINT64_C(90) * 1000000000);
	c = scenario_fabric_config(sc);
	CU_ASSERT_EQUAL(c->metrics.sample_period, UINT64_C(900000000));
	CU_ASSERT_EQUAL(c->metrics.n_request_sizes, 2);
	CU_ASSERT_EQUAL(c->metrics.request_sizes[1], UINT64_C(3) << 30);
	CU_ASSERT_EQUAL_FATAL(c->n_devices, 3);
	d = &c->devices[0].dcd;
	CU_ASSERT_STRING_EQUAL(c->devices[0].name, "a");
	CU_ASSERT_EQUAL(d->profile, DCD_PROFILE_QEMU);
	CU_ASSERT_EQUAL(d->nregions, 2);
	CU_ASSERT_EQUAL(d->regions[1].base, UINT64_C(8) << 30);
	CU_ASSERT_EQUAL(d->regions[1].len, UINT64_C(8) << 30);
	CU_ASSERT_EQUAL(d->regions[1].block_size, UINT64_C(2) << 20);
	CU_ASSERT_EQUAL(d->max_extents, 512);
	d = &c->devices[1].dcd;
	CU_ASSERT_TRUE(d->regions[1].sanitize_on_release);
	CU_ASSERT_FALSE(d->regions[0].sanitize_on_release);
	CU_ASSERT_EQUAL(d->max_extents, 100);
	CU_ASSERT_EQUAL(d->latency.fm_api_cmd, UINT64_C(250000));
	CU_ASSERT_EQUAL(d->latency.irq_delivery, c->devices[0].dcd.latency.irq_delivery);
	CU_ASSERT_EQUAL(d->alloc_policy, EXTENT_ALLOC_BEST_FIT);
	d = &c->devices[2].dcd;
	CU_ASSERT_EQUAL(d->nregions, 2);
	CU_ASSERT_EQUAL(d->regions[0].len, UINT64_C(1) << 30);
	CU_ASSERT_EQUAL(d->regions[0].decode_len, UINT64_C(1) << 30);
	CU_ASSERT_EQUAL(d->regions[1].base, UINT64_C(1) << 30);
	CU_ASSERT_EQUAL(d->regions[1].decode_len, UINT64_C(768) << 20);
	CU_ASSERT_EQUAL(d->regions[1].block_size, UINT64_C(64) << 10);
	CU_ASSERT_EQUAL_FATAL(c->n_hosts, 2);
	h = &c->hosts[1].host;
	CU_ASSERT_STRING_EQUAL(h->policy, "interleave");
	CU_ASSERT_EQUAL(h->ways, 2);
	CU_ASSERT_EQUAL(h->granularity, 4096);
	CU_ASSERT_STRING_EQUAL(c->hosts[1].devices[1], "b");
	CU_ASSERT_EQUAL(h->busy_release, HOST_BUSY_IGNORE);
	CU_ASSERT_EQUAL(h->latency.host_extent_create, UINT64_C(1000000));
	CU_ASSERT_EQUAL(c->fm.alloc_policy, EXTENT_ALLOC_WORST_FIT);
	CU_ASSERT_EQUAL(c->fm.release_reissue_max, 5);
	CU_ASSERT_FALSE(c->fm.release_force);
	CU_ASSERT_EQUAL_FATAL(c->n_workloads, 3);
	CU_ASSERT_STRING_EQUAL(c->workloads[0].gen.name, "h0-0");
	CU_ASSERT_EQUAL(c->workloads[0].gen.size.kind, WORKLOAD_DIST_EXPONENTIAL);
	CU_ASSERT_DOUBLE_EQUAL(c->workloads[0].gen.size.a, (double)(UINT64_C(1) << 30), 0.5);
	CU_ASSERT_EQUAL(c->workloads[1].gen.arrival, WORKLOAD_PERIODIC);
	CU_ASSERT_STRING_EQUAL(c->workloads[1].gen.name, "tenant-b");
	CU_ASSERT_STRING_EQUAL(c->workloads[2].gen.name, "h0-1");
	CU_ASSERT_EQUAL(c->workloads[1].gen.hold.kind, WORKLOAD_DIST_LOGNORMAL);
	CU_ASSERT_EQUAL(c->workloads[2].gen.burst, 5);
	CU_ASSERT_EQUAL(c->workloads[2].gen.max_requests, 5);
	CU_ASSERT_EQUAL(c->workloads[2].gen.start, UINT64_C(3) * 1000000000);
	/* request{} and the trace's 3 rows, sizes rounded to whole blocks */
	CU_ASSERT_EQUAL_FATAL(c->n_items, 4);
	CU_ASSERT_EQUAL(c->items[0].item.size, UINT64_C(2) << 20);
	CU_ASSERT_EQUAL(c->items[0].item.hold, WORKLOAD_NEVER);
	CU_ASSERT_EQUAL(c->items[1].item.at, UINT64_C(1500) * 1000000);
	CU_ASSERT_STRING_EQUAL(c->items[2].host, "h1");
	CU_ASSERT_EQUAL(c->items[2].item.size, UINT64_C(3) << 30);
	CU_ASSERT_EQUAL(c->items[2].item.hold, UINT64_C(10) * 1000000000);
	CU_ASSERT_TRUE(c->items[3].item.forced);
	CU_ASSERT_DOUBLE_EQUAL(c->items[3].item.use_fraction, 0.25, 1e-12);
	CU_ASSERT_STRING_EQUAL(printed->str, "loaded\n");
}

/* Scripted actions run during the simulation and change its results. */
static void test_actions(void)
{
	g_autofree char *path = ok_path("actions.lua");
	g_autofree char *out = run_path(path, 0);

	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_TRUE(scalar_of(out, "releases.forced") >= 2);
	CU_ASSERT_TRUE(scalar_of(out, "forced_release.lost_in_use_bytes") > 0);
	CU_ASSERT_TRUE(scalar_of(out, "requests.accepted") >= 3);
	/* every() ran until it returned false, at(), now() and print */
	CU_ASSERT_STRING_EQUAL(printed->str, "tick 1000000000\ntick 2000000000\ntick 3000000000\n"
			       "added request 1 of host 'h0'\nlater 4500000000\ndone\n");
}

/* host{ policy = ... }: a built-in, a file of the scenario's folder, a
 * shipped policy's short name, a module, a configured module table and
 * inline tables; the policy's defaults under the host{} keys given; one
 * policy per file, module or table, shared by the hosts naming it. */
static void test_lua_policies(void)
{
	g_autofree char *lib = src_path("lua", NULL);
	g_autofree char *path = ok_path("policies.lua");
	g_autoptr(scenario) sc = NULL;
	g_autofree char *out = NULL;
	const struct fabric_config *c;
	const struct host_config *h[9];
	struct scenario_options o;
	GError *error = NULL;

	options_for_test(&o, lib);
	sc = load(path, &o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
	c = scenario_fabric_config(sc);
	CU_ASSERT_EQUAL_FATAL(c->n_hosts, G_N_ELEMENTS(h));
	for (size_t i = 0; i < G_N_ELEMENTS(h); i++)
		h[i] = &c->hosts[i].host;
	/* the built-in: no Lua */
	CU_ASSERT_STRING_EQUAL(h[0]->policy, "linux");
	CU_ASSERT_PTR_NULL(h[0]->policy_ops);
	/* policies/half.lua: its defaults, but busy_release as host{} says */
	CU_ASSERT_STRING_EQUAL(h[1]->policy, "half");
	CU_ASSERT_PTR_NOT_NULL(h[1]->policy_ops);
	CU_ASSERT_EQUAL(h[1]->chain_timeout, UINT64_C(7) * 1000000000);
	CU_ASSERT_EQUAL(h[1]->busy_release, HOST_BUSY_IGNORE);
	/* "greedy" twice: one policy; chain_timeout given for the first */
	CU_ASSERT_STRING_EQUAL(h[2]->policy, "greedy");
	CU_ASSERT_TRUE(h[2]->region_updates);
	CU_ASSERT_EQUAL(h[2]->chain_timeout, UINT64_C(3) * 1000000000);
	CU_ASSERT_EQUAL(h[3]->chain_timeout, UINT64_C(20) * 1000000000);
	CU_ASSERT_PTR_EQUAL(h[2]->policy_data, h[3]->policy_data);
	/* the shipped Lua linux is not the built-in */
	CU_ASSERT_STRING_EQUAL(h[4]->policy, "linux");
	CU_ASSERT_PTR_NOT_NULL(h[4]->policy_ops);
	CU_ASSERT_PTR_NOT_EQUAL(h[4]->policy_data, h[2]->policy_data);
	CU_ASSERT_STRING_EQUAL(h[5]->policy, "quota");
	/* one table, two hosts; a table without a name */
	CU_ASSERT_STRING_EQUAL(h[6]->policy, "mine");
	CU_ASSERT_TRUE(h[6]->region_updates);
	CU_ASSERT_PTR_EQUAL(h[6]->policy_data, h[7]->policy_data);
	CU_ASSERT_STRING_EQUAL(h[8]->policy, "inline");
	CU_ASSERT_PTR_NOT_EQUAL(h[8]->policy_data, h[6]->policy_data);
	CU_ASSERT_FALSE(h[8]->region_updates);

	out = run(sc, &error);
	CU_ASSERT_PTR_NOT_NULL(out);
	if (error) {
		printf("\n  %s\n", error->message);
		g_clear_error(&error);
	}
	CU_ASSERT_PTR_NULL(scenario_error(sc));
	if (out)
		CU_ASSERT_TRUE(scalar_of(out, "requests.accepted") > 0);
}

/* set_region{} in a callback: the FM sends Set DC Region Config; what a
 * host then accepts is judged by the new block size. */
static void test_set_region(void)
{
	g_autofree char *path = ok_path("set_region.lua");
	g_autofree char *out = run_path(path, 0);

	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_STRING_EQUAL(printed->str, "chain false\nupdate 5000118100\nchain true\n"
			       "chain true\n");
}

/* math.random draws from the stream "script" of the seed: at load time
 * from a copy seeded like the kernel's, then from the kernel's own. */
static void test_random(void)
{
	g_autofree char *lib = src_path("lua", NULL);
	g_autofree char *path = ok_path("random.lua");
	g_autoptr(scenario) sc = NULL;
	struct scenario_options o;
	struct sim_rng r;
	g_autofree char *want = NULL;
	g_autofree char *out = NULL;
	GError *error = NULL;

	options_for_test(&o, lib);
	sc = load(path, &o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
	sim_rng_init(&r, 5, "script");
	want = g_strdup_printf("%" PRIu64 "\n", sim_rng_below(&r, 1000000) + 1);
	CU_ASSERT_STRING_EQUAL(printed->str, want);
	out = run(sc, &error);
	CU_ASSERT_PTR_NOT_NULL(out);
	g_clear_error(&error);
	/* the kernel's stream starts where the load-time one started */
	CU_ASSERT_STRING_EQUAL(printed->str + strlen(want), want);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "declarations", test_declarations },
		{ "random", test_random },
		{ "actions", test_actions },
		{ "lua policies", test_lua_policies },
		{ "set_region", test_set_region },
		{ "bad scenarios", test_bad_scenarios },
		{ "same seed same export", test_same_seed_same_export },
		{ "shipped scenarios run", test_shipped_scenarios_run },
		{ NULL, NULL },
	};
	int status;

	printed = g_string_new(NULL);
	status = unit_run("scenario", tests);
	g_string_free(printed, TRUE);
	return status;
}
