/* The Lua host policy adapter (src/script/policy.c) on fabrics built in C:
 * loading and its mistakes, every answer shape and its errors (with the
 * policy's file:line and the simulated time), the read-only view, timers
 * and give-backs, and the shipped linux.lua held to the built-in linux
 * policy's exact results. */
#include <glib/gstdio.h>
#include <lua.h>
#include <string.h>

#include "models/fabric.h"
#include "script/policy.h"
#include "script/scenario.h"
#include "unit.h"

#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)
#define MS UINT64_C(1000000)
#define SEC UINT64_C(1000000000)
#define BS (2 * MIB)

static char *lib_dir;

/* A path under $top_srcdir (VPATH builds). */
static char *src_path(const char *rel)
{
	const char *top = g_getenv("top_srcdir");

	return g_build_filename(top ? top : ".", rel, NULL);
}

struct fx {
	struct script *s;
	struct script_policy *p;
	struct sim *k;
	struct fabric *f;
	struct fabric_config cfg;
	struct fabric_device_config dev[2];
	struct fabric_host_config host[2];
	struct fabric_item items[16];
	struct fabric_workload_config wl[4];
	GError *error;		/* of the run */
};

static struct script *script_for_test(uint64_t budget)
{
	struct script_options o;

	script_options_init(&o);
	o.lib_dir = lib_dir;
	o.instruction_budget = budget;
	return script_new(&o);
}

/* dcd0 (spec, one 1 GiB region of 2 MiB blocks) and h0, 1-way on it with
 * the linux parameters; no policy yet. */
static void fx_init(struct fx *x)
{
	memset(x, 0, sizeof(*x));
	x->s = script_for_test(100000);
	x->k = sim_new(42);
	fabric_config_init(&x->cfg);
	g_strlcpy(x->dev[0].name, "dcd0", FABRIC_NAME_SIZE);
	dcd_config_init(&x->dev[0].dcd, DCD_PROFILE_SPEC);
	g_assert(dcd_config_set_uniform_regions(&x->dev[0].dcd, 0, GIB, 1, BS, NULL));
	g_assert(host_config_init(&x->host[0].host, "linux", NULL));
	g_strlcpy(x->host[0].host.name, "h0", HOST_NAME_SIZE);
	g_strlcpy(x->host[0].devices[0], "dcd0", FABRIC_NAME_SIZE);
	x->cfg.devices = x->dev;
	x->cfg.n_devices = 1;
	x->cfg.hosts = x->host;
	x->cfg.n_hosts = 1;
	x->cfg.items = x->items;
	x->cfg.workloads = x->wl;
}

/* An add of SIZE for h0 at AT, never released. */
static struct workload_item *fx_item(struct fx *x, uint64_t at, uint64_t size)
{
	struct fabric_item *it = &x->items[x->cfg.n_items++];

	g_assert(x->cfg.n_items <= G_N_ELEMENTS(x->items));
	g_strlcpy(it->host, "h0", FABRIC_NAME_SIZE);
	it->item = (struct workload_item){
		.at = at,
		.size = size,
		.use_for = WORKLOAD_NEVER,
		.hold = WORKLOAD_NEVER,
	};
	return &it->item;
}

/* The policy CODE (it sets the global P), as chunk "policy.lua". */
static void fx_policy(struct fx *x, const char *code)
{
	GError *error = NULL;

	CU_ASSERT_TRUE_FATAL(script_run_string(x->s, "policy.lua", code, &error));
	lua_getglobal(script_lua(x->s), "P");
	x->p = script_policy_from_table(x->s, "test", "policy.lua", &error);
	if (error)
		printf("\n  %s\n", error->message);
	g_clear_error(&error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x->p);
	script_policy_configure(x->p, &x->host[0].host);
}

/* Builds and runs to the end; the run's error stays in x->error. */
static bool fx_run(struct fx *x)
{
	GError *error = NULL;

	x->f = fabric_new(x->k, &x->cfg, &error);
	if (error)
		printf("\n  %s\n", error->message);
	g_clear_error(&error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x->f);
	return fabric_run(x->f, SIM_TIME_NEVER, &x->error);
}

static void fx_fini(struct fx *x)
{
	fabric_free(x->f);
	sim_free(x->k);
	script_policy_free(x->p);
	script_free(x->s);
	g_clear_error(&x->error);
}

static struct host_stats fx_host(struct fx *x)
{
	struct host_stats st;

	host_get_stats(fabric_get_host(x->f, 0), &st);
	return st;
}

/* The Lua global NAME as an integer (-1 when it is not one). */
static lua_Integer lua_global(struct fx *x, const char *name)
{
	lua_State *L = script_lua(x->s);
	lua_Integer v;

	lua_getglobal(L, name);
	v = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : -1;
	lua_pop(L, 1);
	return v;
}

/* ---- loading ------------------------------------------------------------------- */

static void expect_load_error(struct script *s, const char *spec, const char *part)
{
	GError *error = NULL;
	struct script_policy *p = script_policy_load(s, spec, &error);

	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	CU_ASSERT_EQUAL(error->domain, SCRIPT_ERROR);
	if (!strstr(error->message, part))
		printf("\n  '%s' lacks '%s'\n", error->message, part);
	CU_ASSERT_PTR_NOT_NULL(strstr(error->message, part));
	g_error_free(error);
	script_policy_free(p);
}

static void test_load_errors(void)
{
	static const struct {
		const char *code, *message;
	} bad[] = {
		{ "return 42", "a policy is a table of callbacks, got number" },
		{ "return {}", "a policy needs an on_chain callback" },
		{ "return { on_chain = 1 }", "'on_chain' must be a function, got number" },
		{ "return { on_chian = function() end }",
		  "unknown callback 'on_chian' (did you mean 'on_chain'?)" },
		{ "return { on_chain = function() end, max_ways = 0 }",
		  "'max_ways' must be an integer from 1 to 16" },
		{ "return { on_chain = function() end, name = '' }", "'name' must have 1 to 31" },
		{ "return { on_chain = function() end, defaults = { chain_timout = '1s' } }",
		  "unknown key 'chain_timout'" },
		{ "return { on_chain = function() end, defaults = { chain_timeout = '1 parsec' } }",
		  "chain_timeout" },
		{ "return { on_chain = function() end, defaults = { busy_release = 'later' } }",
		  "busy_release in the defaults must be" },
		{ "return {\n on_chain = function() end,\n x = }", "bad.lua:3:" },
		{ "error('refused')", "bad.lua:1: refused" },
	};
	g_autofree char *dir = g_dir_make_tmp("dcdsim-policy-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "bad.lua", NULL);
	g_autoptr(script) s = script_for_test(100000);

	expect_load_error(s, "no/such/policy.lua", "cannot read policy 'no/such/policy.lua'");
	expect_load_error(s, "dcdsim.policies.nothing", "module 'dcdsim.policies.nothing' not found");
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_assert(g_file_set_contents(path, bad[i].code, -1, NULL));
		expect_load_error(s, path, bad[i].message);
	}
	g_assert(g_file_set_contents(path, "\033Lua", -1, NULL));
	expect_load_error(s, path, "binary chunks are not allowed");
	g_remove(path);
	g_rmdir(dir);
	/* the stack is left as it was */
	CU_ASSERT_EQUAL(lua_gettop(script_lua(s)), 0);
}

static void test_shipped_policies(void)
{
	static const char *const names[][2] = {
		{ "dcdsim.policies.greedy", "greedy" },
		{ "dcdsim.policies.quota", "quota" },
		{ "dcdsim.policies.linux", "linux" },
	};
	g_autoptr(script) s = script_for_test(100000);
	g_autofree char *file = src_path("lua/dcdsim/policies/greedy.lua");

	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		GError *error = NULL;
		g_autoptr(script_policy) p = script_policy_load(s, names[i][0], &error);
		struct host_config cfg;

		if (error)
			printf("\n  %s\n", error->message);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		g_clear_error(&error);
		CU_ASSERT_STRING_EQUAL(script_policy_name(p), names[i][1]);
		g_assert(host_config_init(&cfg, "linux", NULL));
		script_policy_configure(p, &cfg);
		CU_ASSERT_STRING_EQUAL(cfg.policy, names[i][1]);
		CU_ASSERT_PTR_EQUAL(cfg.policy_data, p);
		/* greedy and quota want a chain timeout; linux keeps its none */
		CU_ASSERT_EQUAL(cfg.chain_timeout, i < 2 ? 20 * SEC : 0);
		cfg.ways = 2;
		CU_ASSERT_EQUAL(cfg.policy_ops->check(&cfg, NULL), i < 2);
	}
	{
		GError *error = NULL;
		g_autoptr(script_policy) p = script_policy_load(s, file, &error);

		CU_ASSERT_PTR_NOT_NULL(p);
		CU_ASSERT_STRING_EQUAL(script_policy_name(p), "greedy");
		g_clear_error(&error);
	}
	CU_ASSERT_EQUAL(lua_gettop(script_lua(s)), 0);
}

/* ---- answers ------------------------------------------------------------------- */

/* Three chains of one 4 MiB extent each, answered by ANSWER; the number
 * of extents accepted. */
static uint64_t accepted_with(const char *answer)
{
	struct fx x;
	g_autofree char *code = g_strdup_printf("P = { on_chain = function(host, chain) "
						"return %s end }", answer);
	uint64_t n;

	fx_init(&x);
	fx_policy(&x, code);
	for (unsigned i = 0; i < 3; i++)
		fx_item(&x, (i + 1) * MS, 4 * MIB);
	CU_ASSERT_TRUE(fx_run(&x));
	n = fx_host(&x).extents_accepted;
	CU_ASSERT_EQUAL(n + fx_host(&x).extents_rejected, 3);
	fx_fini(&x);
	return n;
}

static void test_answer_shapes(void)
{
	CU_ASSERT_EQUAL(accepted_with("'all'"), 3);
	CU_ASSERT_EQUAL(accepted_with("'none'"), 0);
	CU_ASSERT_EQUAL(accepted_with("{}"), 0);
	CU_ASSERT_EQUAL(accepted_with("{ 1 }"), 3);
	CU_ASSERT_EQUAL(accepted_with("{ chain[1] }"), 3);
	CU_ASSERT_EQUAL(accepted_with("{ { start = chain[1].start, length = chain[1].length } }"),
			3);
	/* only the first request's extent starts at DPA 0 */
	CU_ASSERT_EQUAL(accepted_with("chain[1].start == 0 and 'all' or 'none'"), 1);
}

/* The view: what a callback sees of the host and its chain. */
static void test_view(void)
{
	struct fx x;

	fx_init(&x);
	fx_policy(&x,
		  "seen = 0\n"
		  "P = { on_chain = function(host, chain)\n"
		  "  assert(host:name() == 'h0' and host:id() == 0 and host:ways() == 1)\n"
		  "  assert(chain.position == 0 and chain.device == 0 and #chain == 1)\n"
		  "  local e = chain[1]\n"
		  "  assert(e.index == 1 and e.length == 4 * 1048576 and e.tag == nil)\n"
		  "  assert(not e.shared and chain[2] == nil)\n"
		  "  assert(host:decoder_contains(0, e.start, e.length))\n"
		  "  assert(not host:decoder_contains(0, 1 << 30, 4096))\n"
		  "  assert(host:block_aligned(0, e.start, e.length))\n"
		  "  assert(not host:block_aligned(0, e.start + 4096, e.length))\n"
		  "  assert(host:decoder(0).length == 1 << 30 and host:decoder(0).base == 0)\n"
		  "  assert(host:config().busy_release == 'ignore')\n"
		  "  assert(host:config().policy == 'test')\n"
		  "  assert(#host:chain(0) == 1 and host:now() > 0)\n"
		  "  assert(host:tag_in_use('00000000-0000-0000-0000-00000000002a') == false)\n"
		  "  assert(host:stats().extents_accepted == seen)\n"
		  "  for _, x in ipairs(host:extents()) do\n"
		  "    assert(x.state == 'online' and x.length == e.length and x.in_use == 0)\n"
		  "    assert(host:overlaps(0, x.start, 1) and host:can_access(0, x.start))\n"
		  "  end\n"
		  "  assert(#host:extents() == seen)\n"
		  "  assert(tostring(e):find('dcdsim.offer 1 of position 0', 1, true))\n"
		  "  assert(getmetatable(e) == 'dcdsim.offer' and getmetatable(host) == 'dcdsim.host')\n"
		  "  seen = seen + 1\n"
		  "  return 'all'\n"
		  "end }\n");
	fx_item(&x, 1 * MS, 4 * MIB);
	fx_item(&x, 100 * MS, 4 * MIB);
	CU_ASSERT_TRUE(fx_run(&x));
	if (x.error)
		printf("\n  %s\n", x.error->message);
	CU_ASSERT_EQUAL(lua_global(&x, "seen"), 2);
	fx_fini(&x);
}

struct bad_answer {
	const char *code;		/* the policy, setting P */
	enum script_policy_fault fault;
	const char *message;		/* what the error starts with */
};

/* Each runs an add (4 MiB at 1 ms, in use, released at 10 ms). */
static const struct bad_answer bad_answers[] = {
	{ "P = { on_chain = function() return 42 end }", SCRIPT_POLICY_SHAPE,
	  "policy.lua:1: on_chain must answer \"all\", \"none\", \"wait\" or a list of "
	  "accepted offers, got 42" },
	{ "P = { on_chain = function() return nil end }", SCRIPT_POLICY_SHAPE,
	  "policy.lua:1: on_chain must answer" },
	{ "P = { on_chain = function() return { 2 } end }", SCRIPT_POLICY_OUTSIDE,
	  "policy.lua:1: on_chain accepted offer 2 of a chain of 1" },
	{ "P = { on_chain = function() return { { start = 512 << 20, length = 4 << 20 } } end }",
	  SCRIPT_POLICY_OUTSIDE, "policy.lua:1: on_chain accepted [536870912, +4194304) on "
	  "position 0, which was not offered" },
	{ "P = { on_chain = function(h, c) return { { start = c[1].start, length = 4096 } } end }",
	  SCRIPT_POLICY_SHAPE, "policy.lua:1: on_chain accepted part of an offered extent" },
	{ "P = { on_chain = function() return { 1, 1 } end }", SCRIPT_POLICY_SHAPE,
	  "policy.lua:1: on_chain accepted offer 1 twice" },
	{ "P = { on_chain = function() return { x = 1 } end }", SCRIPT_POLICY_SHAPE,
	  "policy.lua:1: on_chain answered a table with key \"x\"" },
	{ "P = { on_chain = function() return { true } end }", SCRIPT_POLICY_SHAPE,
	  "policy.lua:1: on_chain answered true as item 1" },
	{ "P = {\n on_chain = function(h, c)\n  local t = nil\n  return t.x\n end }",
	  SCRIPT_POLICY_LUA, "policy.lua:4: attempt to index a nil value (local 't')" },
	{ "P = { on_chain = function() error('no thanks') end }", SCRIPT_POLICY_LUA,
	  "policy.lua:1: no thanks" },
	{ "P = { on_chain = function() while true do end end }", SCRIPT_POLICY_LUA,
	  "policy.lua:1: instruction budget of 100000 exceeded" },
	{ "P = { on_chain = function(h, c) c.position = 3 end }", SCRIPT_POLICY_LUA,
	  "policy.lua:1: dcdsim.chain is read-only" },
	{ "P = { on_chain = function(h, c) return c.positon end }", SCRIPT_POLICY_LUA,
	  "policy.lua:1: dcdsim.chain has no field 'positon' (did you mean 'position'?)" },
	{ "P = { on_chain = function(h) return h:decoder(1) end }", SCRIPT_POLICY_LUA,
	  "policy.lua:1: bad position 1: host 'h0' has positions 0 to 0" },
	{ "P = { on_chain = function(h) h:timer(1) return 'all' end }", SCRIPT_POLICY_LUA,
	  "policy.lua:1: host:timer() needs an on_timer callback" },
	{ "P = {\n on_chain = function(h, c) kept = c[1] return 'all' end,\n"
	  " on_release = function(h, r) return kept.start end }", SCRIPT_POLICY_LUA,
	  "policy.lua:3: this dcdsim.offer was given to an earlier callback" },
	{ "P = {\n on_chain = function() return 'all' end,\n"
	  " on_release = function() return 'maybe' end }", SCRIPT_POLICY_SHAPE,
	  "policy.lua:3: on_release must answer \"ignore\", \"defer\", \"now\", got \"maybe\"" },
};

static void test_bad_answers(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(bad_answers); i++) {
		const struct bad_answer *b = &bad_answers[i];
		struct fx x;
		struct workload_item *it;
		const GError *e;

		fx_init(&x);
		fx_policy(&x, b->code);
		it = fx_item(&x, 1 * MS, 4 * MIB);
		it->use_fraction = 1;
		it->hold = 10 * MS;
		CU_ASSERT_FALSE(fx_run(&x));
		CU_ASSERT_EQUAL(script_policy_fault(x.p), b->fault);
		e = script_policy_error(x.p);
		CU_ASSERT_PTR_NOT_NULL_FATAL(e);
		CU_ASSERT_EQUAL(e->domain, SCRIPT_ERROR);
		if (!g_str_has_prefix(e->message, b->message))
			printf("\n  case %zu: '%s'\n  does not start with '%s'\n", i, e->message,
			       b->message);
		CU_ASSERT_TRUE(g_str_has_prefix(e->message, b->message));
		/* the run's error is the policy's, with the host and the time */
		CU_ASSERT_PTR_NOT_NULL_FATAL(x.error);
		CU_ASSERT_PTR_NOT_NULL(strstr(x.error->message, b->message));
		CU_ASSERT_PTR_NOT_NULL(strstr(e->message, "(policy 'test', host 'h0', "));
		CU_ASSERT_PTR_NOT_NULL(strstr(e->message, " at simulated "));
		fx_fini(&x);
	}
}

/* ---- releases, forced releases, waits, timers ------------------------------------------- */

/* An in-use release answered "now": released at once, the use lost. */
static void test_release_now(void)
{
	struct fx x;
	struct workload_item *it;

	fx_init(&x);
	fx_policy(&x, "P = { on_chain = function() return 'all' end,\n"
		      "  on_release = function(h, r)\n"
		      "    asked = r.in_use; kind = r.kind == 'release' and 1 or 0\n"
		      "    return 'now' end }");
	it = fx_item(&x, 1 * MS, 8 * MIB);
	it->use_fraction = 0.5;
	it->hold = 100 * MS;
	CU_ASSERT_TRUE(fx_run(&x));
	CU_ASSERT_EQUAL(lua_global(&x, "asked"), 4 * MIB);
	CU_ASSERT_EQUAL(lua_global(&x, "kind"), 1);
	CU_ASSERT_EQUAL(fx_host(&x).lost_bytes, 4 * MIB);
	CU_ASSERT_EQUAL(fx_host(&x).region_extents, 0);
	fx_fini(&x);
}

/* "wait" leaves the chain open until the chain timeout answers it empty. */
static void test_wait(void)
{
	struct fx x;

	fx_init(&x);
	fx_policy(&x, "P = { on_chain = function() calls = (calls or 0) + 1 return 'wait' end,\n"
		      "  defaults = { chain_timeout = '5s' } }");
	fx_item(&x, 1 * MS, 4 * MIB);
	CU_ASSERT_TRUE(fx_run(&x));
	CU_ASSERT_EQUAL(lua_global(&x, "calls"), 1);
	CU_ASSERT_EQUAL(fx_host(&x).chain_timeouts, 1);
	CU_ASSERT_EQUAL(fx_host(&x).extents_accepted, 0);
	CU_ASSERT_TRUE(sim_now(x.k) >= 5 * SEC);
	fx_fini(&x);
}

/* A timer set while deciding; its callback gives everything back. */
static void test_timer_gives_back(void)
{
	struct fx x;
	struct dcd_stats ds;

	fx_init(&x);
	fx_policy(&x, "P = {\n"
		      "  on_chain = function(h, c) h:timer('50ms', { note = 7 }) return 'all' end,\n"
		      "  on_timer = function(h, v)\n"
		      "    note = v.note; fired = h:now()\n"
		      "    return h:extents()\n"
		      "  end }");
	fx_item(&x, 1 * MS, 4 * MIB);
	fx_item(&x, 2 * MS, 4 * MIB);
	CU_ASSERT_TRUE(fx_run(&x));
	CU_ASSERT_EQUAL(lua_global(&x, "note"), 7);
	CU_ASSERT_TRUE(lua_global(&x, "fired") > 50 * (lua_Integer)MS);
	CU_ASSERT_EQUAL(fx_host(&x).region_extents, 0);
	dcd_get_stats(fabric_get_device(x.f, 0), &ds);
	CU_ASSERT_EQUAL(ds.extents, 0);
	fx_fini(&x);
}

/* A forced release asks on_forced; "drop" forgets the extent. */
static void test_forced_drop(void)
{
	struct fx x;
	struct workload_item *it;

	fx_init(&x);
	fx_policy(&x, "P = { on_chain = function() return 'all' end,\n"
		      "  on_forced = function(h, r)\n"
		      "    forced = r.kind == 'forced' and r.length or -1 return 'drop' end }");
	it = fx_item(&x, 1 * MS, 4 * MIB);
	it->hold = 10 * MS;
	it->forced = true;
	CU_ASSERT_TRUE(fx_run(&x));
	CU_ASSERT_EQUAL(lua_global(&x, "forced"), 4 * MIB);
	CU_ASSERT_EQUAL(fx_host(&x).stale_bytes, 0);
	CU_ASSERT_EQUAL(fx_host(&x).region_extents, 0);
	fx_fini(&x);
}

/* ---- linux.lua against the built-in linux policy ---------------------------------------- */

static void gen(struct fx *x, unsigned i, const char *host, double forced, bool tagged)
{
	struct workload_gen_config *g = &x->wl[i].gen;

	workload_gen_config_init(g);
	g_snprintf(g->name, sizeof(g->name), "g%u", i);
	g_strlcpy(x->wl[i].host, host, FABRIC_NAME_SIZE);
	g->rate = 4;
	g->stop = 20 * SEC;
	g->size = (struct workload_dist){ WORKLOAD_DIST_UNIFORM, 2.0 * MIB, 96.0 * MIB };
	g->hold = (struct workload_dist){ WORKLOAD_DIST_EXPONENTIAL, 2e9, 0 };
	g->use_fraction = 0.5;
	g->busy_release = 0.3;
	g->busy_tail = (struct workload_dist){ WORKLOAD_DIST_EXPONENTIAL, 1.5e9, 0 };
	g->forced = forced;
	g->burst = 2;
	g->tagged = tagged;
	x->cfg.n_workloads = i + 1;
}

/* Two linux hosts, on a spec device and on a qemu one, under random
 * tenants (tagged ones too, which linux refuses), forced releases and a
 * region teardown; the fingerprint of every exported metric and the hosts'
 * counters.  LUA: the hosts run linux.lua instead of the built-in. */
static uint64_t linux_run(uint64_t seed, bool lua)
{
	struct fx x;
	struct host_stats hs;
	uint64_t fp = UINT64_C(0xcbf29ce484222325);
	GError *error = NULL;
	bool destroyed = false;

	fx_init(&x);
	sim_free(x.k);
	x.k = sim_new(seed);
	g_strlcpy(x.dev[1].name, "dcd1", FABRIC_NAME_SIZE);
	dcd_config_init(&x.dev[1].dcd, DCD_PROFILE_QEMU);
	g_assert(dcd_config_set_uniform_regions(&x.dev[1].dcd, 0, GIB, 1, BS, NULL));
	x.dev[0].dcd.max_extents = 48;
	x.cfg.n_devices = 2;
	g_assert(host_config_init(&x.host[1].host, "linux", NULL));
	g_strlcpy(x.host[1].host.name, "h1", HOST_NAME_SIZE);
	g_strlcpy(x.host[1].devices[0], "dcd1", FABRIC_NAME_SIZE);
	x.host[0].dpa_len = 256 * MIB;	/* first-fit offers above it: outside */
	x.cfg.n_hosts = 2;
	x.cfg.fm.release_timeout = 300 * MS;
	x.cfg.metrics.sample_period = 100 * MS;
	x.cfg.metrics.request_sizes[0] = 2 * MIB;
	x.cfg.metrics.n_request_sizes = 1;
	gen(&x, 0, "h0", 0.1, false);
	gen(&x, 1, "h0", 0.1, true);
	gen(&x, 2, "h1", 0.2, false);
	x.wl[2].gen.select = PROTO_SELECT_PRESCRIPTIVE;
	if (lua) {
		x.p = script_policy_load(x.s, "dcdsim.policies.linux", &error);
		CU_ASSERT_PTR_NOT_NULL_FATAL(x.p);
		for (unsigned h = 0; h < 2; h++)
			script_policy_configure(x.p, &x.host[h].host);
	}
	x.f = fabric_new(x.k, &x.cfg, &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x.f);
	while (sim_events_pending(x.k)) {
		CU_ASSERT_TRUE_FATAL(sim_run(x.k, SIM_TIME_NEVER, 64, &error));
		if (!destroyed && sim_now(x.k) > 12 * SEC) {
			workload_submit_destroy(fabric_get_workload(x.f), 1);
			destroyed = true;
		}
	}
	CU_ASSERT_TRUE(fabric_check_invariants(x.f, true, NULL));
	CU_ASSERT_EQUAL(host_get_config(fabric_get_host(x.f, 0))->policy_ops != NULL, lua);
	metrics_foreach_scalar(fabric_get_metrics(x.f), sim_now(x.k), unit_fingerprint_scalar, &fp);
	for (unsigned h = 0; h < 2; h++) {
		host_get_stats(fabric_get_host(x.f, h), &hs);
		unit_fingerprint_scalar("host", (double)hs.extents_accepted, NULL, &fp);
		unit_fingerprint_scalar("host", (double)hs.extents_rejected, NULL, &fp);
		unit_fingerprint_scalar("host", (double)hs.ignored, NULL, &fp);
		unit_fingerprint_scalar("host", (double)hs.stale_bytes, NULL, &fp);
		/* the run exercised what the policy decides */
		CU_ASSERT_TRUE(hs.extents_accepted > 10);
		CU_ASSERT_TRUE(hs.extents_rejected > 0);
		CU_ASSERT_TRUE(hs.forced > 0);
	}
	unit_fingerprint_scalar("events", (double)sim_events_fired(x.k), NULL, &fp);
	fx_fini(&x);
	return fp;
}

static void test_linux_lua_is_linux(void)
{
	for (uint64_t seed = 1; seed <= 3; seed++)
		CU_ASSERT_EQUAL(linux_run(seed, false), linux_run(seed, true));
}

/* A shipped scenario as declared, or with its linux hosts on linux.lua:
 * the fingerprint of its metrics and events; 0 when no host runs linux. */
static uint64_t scenario_fingerprint(const char *path, bool lua)
{
	struct scenario_options o;
	g_autoptr(scenario) sc = NULL;
	g_autoptr(script_policy) p = NULL;
	g_autofree struct fabric_host_config *hosts = NULL;
	struct fabric_config cfg;
	struct fabric *f;
	struct sim *k;
	GError *error = NULL;
	uint64_t fp = UINT64_C(0xcbf29ce484222325);
	bool any = false;

	scenario_options_init(&o);
	o.script.lib_dir = lib_dir;
	sc = scenario_load(path, &o, &error);
	if (error)
		printf("\n  %s\n", error->message);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
	p = script_policy_load(scenario_script(sc), "linux", &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	cfg = *scenario_fabric_config(sc);
	hosts = g_memdup2(cfg.hosts, cfg.n_hosts * sizeof(*hosts));
	for (size_t i = 0; i < cfg.n_hosts; i++) {
		if (strcmp(hosts[i].host.policy, "linux"))
			continue;
		any = true;
		if (lua)
			script_policy_configure(p, &hosts[i].host);
	}
	cfg.hosts = hosts;
	k = sim_new(scenario_seed(sc));
	f = fabric_new(k, &cfg, &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_TRUE_FATAL(scenario_start(sc, f, &error));
	CU_ASSERT_TRUE(fabric_run(f, scenario_duration(sc), &error));
	if (error)
		printf("\n  %s\n", error->message);
	g_clear_error(&error);
	metrics_foreach_scalar(fabric_get_metrics(f), sim_now(k), unit_fingerprint_scalar, &fp);
	unit_fingerprint_scalar("events", (double)sim_events_fired(k), NULL, &fp);
	fabric_free(f);
	sim_free(k);
	return any ? fp : 0;
}

static void test_linux_lua_on_shipped_scenarios(void)
{
	g_autofree char *dir = src_path("scenarios");
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;
	unsigned compared = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	while ((name = g_dir_read_name(d))) {
		g_autofree char *path = g_build_filename(dir, name, NULL);
		uint64_t builtin, lua;

		if (!g_str_has_suffix(name, ".lua"))
			continue;
		builtin = scenario_fingerprint(path, false);
		if (!builtin)
			continue;
		compared++;
		lua = scenario_fingerprint(path, true);
		if (builtin != lua)
			printf("\n  %s: linux.lua differs from linux\n", name);
		CU_ASSERT_EQUAL(builtin, lua);
	}
	CU_ASSERT_TRUE(compared > 0);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "load errors", test_load_errors },
		{ "shipped policies load", test_shipped_policies },
		{ "answer shapes", test_answer_shapes },
		{ "read-only view", test_view },
		{ "bad answers fail the run", test_bad_answers },
		{ "release now loses the use", test_release_now },
		{ "wait until the chain timeout", test_wait },
		{ "timers give back", test_timer_gives_back },
		{ "forced release dropped", test_forced_drop },
		{ "linux.lua is linux", test_linux_lua_is_linux },
		{ "linux.lua is linux on the shipped scenarios", test_linux_lua_on_shipped_scenarios },
		{ NULL, NULL },
	};
	int rc;

	lib_dir = src_path("lua");
	rc = unit_run("policy", tests);
	g_free(lib_dir);
	return rc;
}
