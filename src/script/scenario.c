/* Scenario loading: the sandbox, the declarations scenario{}, device{},
 * host{} and fm{}, and the checks that need the whole file. */
#include "script/scenario_priv.h"

#include "sim/text.h"

#include <lauxlib.h>
#include <string.h>

#define SCENARIO_KEY "dcdsim.scenario"
/* Keys of a latency table at most: the table of latency.c fits. */
#define LATENCY_KEYS_MAX 32
/* Prefix of the latencies the host model applies (latency.h). */
#define HOST_LATENCY_PREFIX "host_"

void scenario_options_init(struct scenario_options *options)
{
	g_return_if_fail(options != NULL);
	memset(options, 0, sizeof(*options));
	script_options_init(&options->script);
}

struct scenario *scenario_from_lua(lua_State *L)
{
	struct scenario *sc;

	lua_getfield(L, LUA_REGISTRYINDEX, SCENARIO_KEY);
	sc = lua_touserdata(L, -1);
	lua_pop(L, 1);
	g_assert(sc != NULL);
	return sc;
}

/* ---- helpers for every binding ------------------------------------------ */

static void decl_free(void *data)
{
	struct scenario_decl *d = data;

	g_free(d->name);
	g_free(d->where);
	g_free(d);
}

struct scenario_decl *scenario_decl_find(const struct scenario *sc, const char *kind,
					 const char *name)
{
	for (guint i = 0; i < sc->decls->len; i++) {
		struct scenario_decl *d = g_ptr_array_index(sc->decls, i);

		if (!strcmp(d->kind, kind) && d->name && name && !strcmp(d->name, name))
			return d;
	}
	return NULL;
}

struct scenario_decl *scenario_decl_add(lua_State *L, struct scenario *sc, const char *kind,
					const char *name, size_t index)
{
	const struct scenario_decl *twice = name ? scenario_decl_find(sc, kind, name) : NULL;
	struct scenario_decl *d;
	const char *file;
	int line = 0;

	if (twice)
		script_error_at_caller(L, SCRIPT_ERROR_DECL, "%s '%s' is declared twice (first at %s)",
				       kind, name, twice->where);
	file = script_caller_line(L, &line);
	d = g_new0(struct scenario_decl, 1);
	d->kind = kind;
	d->name = g_strdup(name);
	d->where = file ? g_strdup_printf("%s:%d", file, line) : g_strdup(sc->path);
	d->index = index;
	g_ptr_array_add(sc->decls, d);
	return d;
}

void scenario_raise(lua_State *L, const char *prefix, GError *error)
{
	lua_pushstring(L, error->message);
	g_error_free(error);
	script_error_at_caller(L, SCRIPT_ERROR_DECL, "%s%s", prefix, lua_tostring(L, -1));
}

size_t scenario_choose(lua_State *L, const char *what, const char *key, const char *value,
		       const char *const *names, size_t n)
{
	const char *guess;

	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], value))
			return i;
	guess = text_closest(value, names, n);
	if (guess)
		script_error_at_caller(L, SCRIPT_ERROR_DECL,
				       "key '%s' in %s: unknown value '%s' (did you mean '%s'?)", key,
				       what, value, guess);
	for (size_t i = 0; i < n; i++) {
		if (i)
			lua_pushliteral(L, ", ");
		lua_pushstring(L, names[i]);
	}
	lua_concat(L, 2 * (int)n - 1);
	script_error_at_caller(L, SCRIPT_ERROR_DECL, "key '%s' in %s: unknown value '%s' (expected "
			       "one of %s)", key, what, value, lua_tostring(L, -1));
}

void scenario_name_check(lua_State *L, const char *what, const char *name)
{
	static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "0123456789_-";

	if (!*name || strlen(name) >= FABRIC_NAME_SIZE || name[strspn(name, allowed)])
		script_error_at_caller(L, SCRIPT_ERROR_DECL, "bad name '%s' in %s (use 1 to %d "
				       "letters, digits, '_' and '-')", name, what,
				       FABRIC_NAME_SIZE - 1);
}

void scenario_check(lua_State *L, int index, const char *what, const struct script_key *keys,
		    size_t n, struct script_value *values, const char *const *custom)
{
	index = lua_absindex(L, index);
	if (custom && lua_type(L, index) == LUA_TTABLE) {
		/* A copy in which the custom keys hold a table, so that the
		 * checker knows them (for suggestions) yet lets any value by. */
		lua_newtable(L);
		lua_pushnil(L);
		while (lua_next(L, index)) {
			lua_pushvalue(L, -2);
			lua_insert(L, -2);
			lua_rawset(L, -4);
		}
		for (const char *const *c = custom; *c; c++) {
			lua_pushstring(L, *c);
			if (lua_rawget(L, -2) != LUA_TNIL) {
				lua_newtable(L);
				lua_setfield(L, -3, *c);
			}
			lua_pop(L, 1);
		}
		index = lua_gettop(L);
	}
	script_decl_check(L, index, what, keys, n, values);
}

/* The integer of KEY as an unsigned value of at most MAX. */
static uint64_t bounded(lua_State *L, const char *what, const char *key,
			const struct script_value *v, uint64_t max)
{
	if (v->integer < 0 || (uint64_t)v->integer > max)
		script_error_at_caller(L, SCRIPT_ERROR_DECL,
				       "key '%s' in %s must lie in 0..%" G_GUINT64_FORMAT
				       ", got %" G_GINT64_FORMAT, key, what, max, v->integer);
	return (uint64_t)v->integer;
}

/* The length of the list at INDEX, raising unless it is a list of 1..MAX
 * entries. */
static size_t list_length(lua_State *L, int index, const char *what, const char *key, size_t max)
{
	size_t n = (size_t)lua_rawlen(L, index), count = 0;

	index = lua_absindex(L, index);
	lua_pushnil(L);
	while (lua_next(L, index)) {
		lua_pop(L, 1);
		count++;
	}
	if (count != n || n == 0 || n > max)
		script_error_at_caller(L, SCRIPT_ERROR_DECL, "key '%s' in %s must be a list of 1 to "
				       "%zu entries, e.g. { a, b }", key, what, max);
	return n;
}

/* The size at position I of the list at INDEX. */
static uint64_t list_size(lua_State *L, int index, lua_Integer i, const char *what, const char *key)
{
	struct script_value v;

	lua_rawgeti(L, index, i);
	scenario_single(L, what, key, SCRIPT_KIND_SIZE, &v);
	return v.size;
}

/* Reads the latency table at INDEX into P: the host's latencies (names
 * starting "host_") or the device's (the others). */
static void latencies_read(lua_State *L, int index, const char *what, bool host,
			   struct latency_params *p)
{
	struct script_key keys[LATENCY_KEYS_MAX];
	struct script_value values[LATENCY_KEYS_MAX];
	const struct latency_param_info *table;
	size_t n_table, n = 0;

	table = latency_param_table(&n_table);
	g_assert(n_table <= LATENCY_KEYS_MAX);
	for (size_t i = 0; i < n_table; i++)
		if (g_str_has_prefix(table[i].name, HOST_LATENCY_PREFIX) == host)
			keys[n++] = (struct script_key){ table[i].name, SCRIPT_KIND_TIME, false, NULL };
	if (lua_type(L, index) == LUA_TTABLE) {
		lua_pushnil(L);
		while (lua_next(L, index)) {
			const struct latency_param_info *info;

			lua_pop(L, 1);
			if (lua_type(L, -1) != LUA_TSTRING)
				continue;
			info = latency_param_find(lua_tostring(L, -1));
			if (info && g_str_has_prefix(info->name, HOST_LATENCY_PREFIX) != host)
				script_error_at_caller(L, SCRIPT_ERROR_DECL, "latency '%s' in %s is "
						       "applied by the %s: set it in %s{ latencies "
						       "= ... }", info->name, what,
						       host ? "device" : "host",
						       host ? "device" : "host");
		}
	}
	script_decl_check(L, index, what, keys, n, values);
	for (size_t i = 0; i < n; i++)
		if (values[i].given)
			latency_params_set(p, keys[i].name, values[i].time, NULL);
}

/* ---- scenario{} ------------------------------------------------------------ */

enum { SC_NAME, SC_DURATION, SC_SEED, SC_SAMPLE, SC_SIZES, SC_KEYS };

static const struct script_key scenario_keys[SC_KEYS] = {
	[SC_NAME] = { "name", SCRIPT_KIND_STRING, false, NULL },
	[SC_DURATION] = { "duration", SCRIPT_KIND_TIME, true, NULL },
	[SC_SEED] = { "seed", SCRIPT_KIND_INTEGER, false, NULL },
	[SC_SAMPLE] = { "sample_period", SCRIPT_KIND_TIME, false, NULL },
	[SC_SIZES] = { "request_sizes", SCRIPT_KIND_TABLE, false, NULL },
};

/* The fragmentation request size when the scenario names none. */
#define DEFAULT_REQUEST_SIZE (UINT64_C(1) << 30)
/* Samples per run when the scenario gives no sampling period. */
#define DEFAULT_SAMPLES 100

static int lua_scenario(lua_State *L)
{
	static const char what[] = "scenario{}";
	struct scenario *sc = scenario_from_lua(L);
	struct fabric_metrics_config *mc = &sc->cfg.metrics;
	struct script_value v[SC_KEYS];

	if (sc->main)
		script_error_at_caller(L, SCRIPT_ERROR_DECL, "scenario{} is declared twice (first at "
				       "%s)", sc->main->where);
	script_decl_check(L, 1, what, scenario_keys, SC_KEYS, v);
	if (v[SC_DURATION].time == 0)
		script_error_at_caller(L, SCRIPT_ERROR_DECL, "key 'duration' in %s must be positive",
				       what);
	if (v[SC_NAME].given) {
		g_free(sc->name);
		sc->name = g_strdup(v[SC_NAME].string);
	}
	sc->duration = v[SC_DURATION].time;
	if (v[SC_SEED].given && !sc->seed_fixed) {
		sc->seed = bounded(L, what, "seed", &v[SC_SEED], INT64_MAX);
		sim_rng_init(&sc->load_rng, sc->seed, "script");
	}
	mc->sample_period = v[SC_SAMPLE].given ? v[SC_SAMPLE].time
					       : MAX(sc->duration / DEFAULT_SAMPLES, 1);
	if (v[SC_SIZES].given) {
		lua_getfield(L, 1, "request_sizes");
		mc->n_request_sizes = list_length(L, -1, what, "request_sizes",
						  METRICS_MAX_REQUEST_SIZES);
		for (size_t i = 0; i < mc->n_request_sizes; i++)
			mc->request_sizes[i] = list_size(L, -1, (lua_Integer)i + 1, what,
							 "request_sizes");
	} else {
		mc->request_sizes[0] = DEFAULT_REQUEST_SIZE;
		mc->n_request_sizes = 1;
	}
	sc->main = scenario_decl_add(L, sc, "scenario", NULL, 0);
	return 0;
}

/* ---- fm{} -------------------------------------------------------------------- */

enum {
	FM_ALLOC, FM_MAX_EXTENTS, FM_BACKOFF, FM_BACKOFF_MAX, FM_RETRY_MAX, FM_RELEASE_TIMEOUT,
	FM_REISSUE, FM_FORCE, FM_SANITIZE, FM_KEYS
};

static const struct script_key fm_keys[FM_KEYS] = {
	[FM_ALLOC] = { "alloc", SCRIPT_KIND_STRING, false, NULL },
	[FM_MAX_EXTENTS] = { "max_extents_per_add", SCRIPT_KIND_INTEGER, false, NULL },
	[FM_BACKOFF] = { "retry_backoff", SCRIPT_KIND_TIME, false, NULL },
	[FM_BACKOFF_MAX] = { "retry_backoff_max", SCRIPT_KIND_TIME, false, NULL },
	[FM_RETRY_MAX] = { "retry_max", SCRIPT_KIND_INTEGER, false, NULL },
	[FM_RELEASE_TIMEOUT] = { "release_timeout", SCRIPT_KIND_TIME, false, NULL },
	[FM_REISSUE] = { "reissue", SCRIPT_KIND_INTEGER, false, NULL },
	[FM_FORCE] = { "force_after_timeout", SCRIPT_KIND_BOOLEAN, false, NULL },
	[FM_SANITIZE] = { "sanitize", SCRIPT_KIND_BOOLEAN, false, NULL },
};

/* The allocation policy named by KEY's value V. */
static enum extent_alloc_policy alloc_policy(lua_State *L, const char *what, const char *key,
					     const struct script_value *v)
{
	const char *names[EXTENT_ALLOC_RANDOM + 1];

	for (unsigned i = 0; i < G_N_ELEMENTS(names); i++)
		names[i] = extent_alloc_policy_name((enum extent_alloc_policy)i);
	return (enum extent_alloc_policy)scenario_choose(L, what, key, v->string, names,
							   G_N_ELEMENTS(names));
}

static int lua_fm(lua_State *L)
{
	static const char what[] = "fm{}";
	struct scenario *sc = scenario_from_lua(L);
	struct fm_config *c = &sc->cfg.fm;
	struct script_value v[FM_KEYS];
	GError *error = NULL;

	if (sc->fm)
		script_error_at_caller(L, SCRIPT_ERROR_DECL, "fm{} is declared twice (first at %s)",
				       sc->fm->where);
	script_decl_check(L, 1, what, fm_keys, FM_KEYS, v);
	if (v[FM_ALLOC].given)
		c->alloc_policy = alloc_policy(L, what, "alloc", &v[FM_ALLOC]);
	if (v[FM_MAX_EXTENTS].given)
		c->max_extents_per_add = (uint32_t)bounded(L, what, "max_extents_per_add",
							   &v[FM_MAX_EXTENTS], UINT32_MAX);
	if (v[FM_BACKOFF].given)
		c->retry_backoff = v[FM_BACKOFF].time;
	if (v[FM_BACKOFF_MAX].given)
		c->retry_backoff_max = v[FM_BACKOFF_MAX].time;
	if (v[FM_RETRY_MAX].given)
		c->retry_max = (uint32_t)bounded(L, what, "retry_max", &v[FM_RETRY_MAX], UINT32_MAX);
	if (v[FM_RELEASE_TIMEOUT].given)
		c->release_timeout = v[FM_RELEASE_TIMEOUT].time;
	if (v[FM_REISSUE].given)
		c->release_reissue_max = (uint32_t)bounded(L, what, "reissue", &v[FM_REISSUE],
							   UINT32_MAX);
	if (v[FM_FORCE].given)
		c->release_force = v[FM_FORCE].boolean;
	if (v[FM_SANITIZE].given)
		c->release_sanitize = v[FM_SANITIZE].boolean;
	if (!fm_config_validate(c, &error))
		scenario_raise(L, "", error);
	sc->fm = scenario_decl_add(L, sc, "fm", NULL, 0);
	return 0;
}

/* ---- device{} ---------------------------------------------------------------- */

enum {
	DEV_NAME, DEV_PROFILE, DEV_REGIONS, DEV_CAPACITY, DEV_REGION_COUNT, DEV_BLOCK_SIZE,
	DEV_SANITIZE, DEV_MAX_EXTENTS, DEV_MAX_TAGS, DEV_LOG_CAPACITY, DEV_PAYLOAD,
	DEV_FREE_MAX_EXTENTS, DEV_ALLOC, DEV_LATENCIES, DEV_KEYS
};

static const struct script_key device_keys[DEV_KEYS] = {
	[DEV_NAME] = { "name", SCRIPT_KIND_STRING, true, NULL },
	[DEV_PROFILE] = { "profile", SCRIPT_KIND_STRING, false, "spec" },
	[DEV_REGIONS] = { "regions", SCRIPT_KIND_TABLE, false, NULL },
	[DEV_CAPACITY] = { "capacity", SCRIPT_KIND_SIZE, false, NULL },
	[DEV_REGION_COUNT] = { "region_count", SCRIPT_KIND_INTEGER, false, "1" },
	[DEV_BLOCK_SIZE] = { "block_size", SCRIPT_KIND_SIZE, false, "2MiB" },
	[DEV_SANITIZE] = { "sanitize", SCRIPT_KIND_BOOLEAN, false, "false" },
	[DEV_MAX_EXTENTS] = { "max_extents", SCRIPT_KIND_INTEGER, false, NULL },
	[DEV_MAX_TAGS] = { "max_tags", SCRIPT_KIND_INTEGER, false, NULL },
	[DEV_LOG_CAPACITY] = { "log_capacity", SCRIPT_KIND_INTEGER, false, NULL },
	[DEV_PAYLOAD] = { "payload_size", SCRIPT_KIND_SIZE, false, NULL },
	[DEV_FREE_MAX_EXTENTS] = { "free_max_extents", SCRIPT_KIND_INTEGER, false, NULL },
	[DEV_ALLOC] = { "alloc", SCRIPT_KIND_STRING, false, NULL },
	[DEV_LATENCIES] = { "latencies", SCRIPT_KIND_TABLE, false, NULL },
};

enum { REG_BASE, REG_LENGTH, REG_DECODE, REG_BLOCK_SIZE, REG_SANITIZE, REG_DSMAS, REG_KEYS };

static const struct script_key region_keys[REG_KEYS] = {
	[REG_BASE] = { "base", SCRIPT_KIND_SIZE, false, NULL },
	[REG_LENGTH] = { "length", SCRIPT_KIND_SIZE, true, NULL },
	[REG_DECODE] = { "decode_length", SCRIPT_KIND_SIZE, false, NULL },
	[REG_BLOCK_SIZE] = { "block_size", SCRIPT_KIND_SIZE, false, NULL },
	[REG_SANITIZE] = { "sanitize", SCRIPT_KIND_BOOLEAN, false, NULL },
	[REG_DSMAS] = { "dsmas_handle", SCRIPT_KIND_INTEGER, false, NULL },
};

/* Reads the region list at INDEX into C; V holds the device's keys. */
static void regions_read(lua_State *L, int index, const struct script_value *v,
			 struct dcd_config *c)
{
	uint64_t next_base = 0;

	c->nregions = (unsigned)list_length(L, index, "device{}", "regions", DCD_REGIONS_MAX);
	for (unsigned i = 0; i < c->nregions; i++) {
		struct dcd_region_config *r = &c->regions[i];
		struct script_value rv[REG_KEYS];
		char what[48];

		g_snprintf(what, sizeof(what), "region %u of device{}", i);
		lua_rawgeti(L, index, (lua_Integer)i + 1);
		script_decl_check(L, -1, what, region_keys, REG_KEYS, rv);
		lua_pop(L, 1);
		r->base = rv[REG_BASE].given ? rv[REG_BASE].size : next_base;
		r->len = rv[REG_LENGTH].size;
		/* the decode length is counted in 256 MiB units */
		r->decode_len = rv[REG_DECODE].given ? rv[REG_DECODE].size
			: (r->len + DCD_REGION_ALIGN - 1) / DCD_REGION_ALIGN * DCD_REGION_ALIGN;
		r->block_size = rv[REG_BLOCK_SIZE].given ? rv[REG_BLOCK_SIZE].size
							 : v[DEV_BLOCK_SIZE].size;
		r->sanitize_on_release = rv[REG_SANITIZE].given ? rv[REG_SANITIZE].boolean
								: v[DEV_SANITIZE].boolean;
		r->dsmas_handle = rv[REG_DSMAS].given
			? (uint32_t)bounded(L, what, "dsmas_handle", &rv[REG_DSMAS], UINT32_MAX) : i;
		next_base = r->base + r->decode_len;
	}
}

static int lua_device(lua_State *L)
{
	static const char what[] = "device{}";
	struct scenario *sc = scenario_from_lua(L);
	struct script_value v[DEV_KEYS];
	struct fabric_device_config d = { 0 };
	struct dcd_config *c = &d.dcd;
	const char *profiles[] = {
		dcd_profile_name(DCD_PROFILE_SPEC), dcd_profile_name(DCD_PROFILE_QEMU),
	};
	GError *error = NULL;

	script_decl_check(L, 1, what, device_keys, DEV_KEYS, v);
	scenario_name_check(L, what, v[DEV_NAME].string);
	g_strlcpy(d.name, v[DEV_NAME].string, sizeof(d.name));
	dcd_config_init(c, (enum dcd_profile)scenario_choose(L, what, "profile",
								 v[DEV_PROFILE].string, profiles,
								 G_N_ELEMENTS(profiles)));
	if (v[DEV_REGIONS].given == v[DEV_CAPACITY].given)
		script_error_at_caller(L, SCRIPT_ERROR_DECL, "%s needs either regions = { {length = "
				       "...}, ... } or capacity = ... (with region_count), not %s",
				       what, v[DEV_REGIONS].given ? "both" : "neither");
	if (v[DEV_REGIONS].given) {
		lua_getfield(L, 1, "regions");
		regions_read(L, lua_gettop(L), v, c);
		lua_pop(L, 1);
	} else {
		uint64_t count = bounded(L, what, "region_count", &v[DEV_REGION_COUNT],
					 DCD_REGIONS_MAX);

		if (!dcd_config_set_uniform_regions(c, 0, v[DEV_CAPACITY].size, (unsigned)count,
						    v[DEV_BLOCK_SIZE].size, &error))
			scenario_raise(L, "device{}: ", error);
		for (unsigned i = 0; i < c->nregions; i++)
			c->regions[i].sanitize_on_release = v[DEV_SANITIZE].boolean;
	}
	if (v[DEV_MAX_EXTENTS].given)
		c->max_extents = (uint32_t)bounded(L, what, "max_extents", &v[DEV_MAX_EXTENTS],
						   UINT32_MAX);
	if (v[DEV_MAX_TAGS].given)
		c->max_tags = (uint32_t)bounded(L, what, "max_tags", &v[DEV_MAX_TAGS], UINT32_MAX);
	if (v[DEV_LOG_CAPACITY].given)
		c->log_capacity = (uint32_t)bounded(L, what, "log_capacity", &v[DEV_LOG_CAPACITY],
						    UINT32_MAX);
	if (v[DEV_PAYLOAD].given)
		c->payload_size = (uint32_t)MIN(v[DEV_PAYLOAD].size, UINT32_MAX);
	if (v[DEV_FREE_MAX_EXTENTS].given)
		c->free_max_extents = (uint32_t)bounded(L, what, "free_max_extents",
							&v[DEV_FREE_MAX_EXTENTS], UINT32_MAX);
	if (v[DEV_ALLOC].given)
		c->alloc_policy = alloc_policy(L, what, "alloc", &v[DEV_ALLOC]);
	if (v[DEV_LATENCIES].given) {
		lua_getfield(L, 1, "latencies");
		latencies_read(L, lua_gettop(L), "latencies of device{}", false, &c->latency);
		lua_pop(L, 1);
	}
	if (!dcd_config_validate(c, &error)) {
		lua_pushfstring(L, "device '%s': ", d.name);
		scenario_raise(L, lua_tostring(L, -1), error);
	}
	scenario_decl_add(L, sc, "device", d.name, sc->devices->len);
	g_array_append_val(sc->devices, d);
	return 0;
}

/* ---- host{} -------------------------------------------------------------------- */

enum {
	HOST_NAME, HOST_POLICY, HOST_DEVICE, HOST_INTERLEAVE, HOST_REGION, HOST_DECODER_OFFSET,
	HOST_DECODER_LENGTH, HOST_MEMORY_BLOCK, HOST_BUSY_RELEASE, HOST_FORCED_RELEASE,
	HOST_TAG_GROUPS, HOST_REGION_UPDATES, HOST_CHAIN_TIMEOUT, HOST_ASSEMBLY_TIMEOUT,
	HOST_MAX_PENDING, HOST_ALIGNMENT, HOST_LATENCIES, HOST_KEYS
};

static const struct script_key host_keys[HOST_KEYS] = {
	[HOST_NAME] = { "name", SCRIPT_KIND_STRING, true, NULL },
	[HOST_POLICY] = { "policy", SCRIPT_KIND_TABLE, false, NULL },	/* policy_read() */
	[HOST_DEVICE] = { "device", SCRIPT_KIND_STRING, false, NULL },
	[HOST_INTERLEAVE] = { "interleave", SCRIPT_KIND_TABLE, false, NULL },
	[HOST_REGION] = { "region", SCRIPT_KIND_INTEGER, false, "0" },
	[HOST_DECODER_OFFSET] = { "decoder_offset", SCRIPT_KIND_SIZE, false, "0" },
	[HOST_DECODER_LENGTH] = { "decoder_length", SCRIPT_KIND_SIZE, false, "0" },
	[HOST_MEMORY_BLOCK] = { "memory_block", SCRIPT_KIND_SIZE, false, NULL },
	[HOST_BUSY_RELEASE] = { "busy_release", SCRIPT_KIND_STRING, false, NULL },
	[HOST_FORCED_RELEASE] = { "forced_release", SCRIPT_KIND_STRING, false, NULL },
	[HOST_TAG_GROUPS] = { "tag_groups", SCRIPT_KIND_BOOLEAN, false, NULL },
	[HOST_REGION_UPDATES] = { "region_updates", SCRIPT_KIND_BOOLEAN, false, NULL },
	[HOST_CHAIN_TIMEOUT] = { "chain_timeout", SCRIPT_KIND_TIME, false, NULL },
	[HOST_ASSEMBLY_TIMEOUT] = { "assembly_timeout", SCRIPT_KIND_TIME, false, NULL },
	[HOST_MAX_PENDING] = { "max_pending", SCRIPT_KIND_INTEGER, false, NULL },
	[HOST_ALIGNMENT] = { "alignment", SCRIPT_KIND_SIZE, false, NULL },
	[HOST_LATENCIES] = { "latencies", SCRIPT_KIND_TABLE, false, NULL },
};

enum { IL_WAYS, IL_GRANULARITY, IL_DEVICES, IL_KEYS };

static const struct script_key interleave_keys[IL_KEYS] = {
	[IL_WAYS] = { "ways", SCRIPT_KIND_INTEGER, false, NULL },
	[IL_GRANULARITY] = { "granularity", SCRIPT_KIND_SIZE, false, NULL },
	[IL_DEVICES] = { "devices", SCRIPT_KIND_TABLE, true, NULL },
};

/* Indexed by enum host_busy_release and enum host_forced. */
static const char *const busy_release_names[] = { "ignore", "defer" };
static const char *const forced_release_names[] = { "ignore", "drop" };

/* Reads the interleave table at INDEX into H. */
static void interleave_read(lua_State *L, int index, struct fabric_host_config *h)
{
	static const char what[] = "interleave of host{}";
	struct script_value v[IL_KEYS];
	size_t n;

	script_decl_check(L, index, what, interleave_keys, IL_KEYS, v);
	lua_getfield(L, index, "devices");
	n = list_length(L, lua_gettop(L), what, "devices", INTERLEAVE_MAX_WAYS);
	for (size_t p = 0; p < n; p++) {
		if (lua_rawgeti(L, -1, (lua_Integer)p + 1) != LUA_TSTRING)
			script_error_at_caller(L, SCRIPT_ERROR_DECL, "key 'devices' in %s must list "
					       "device names, got %s at position %zu", what,
					       luaL_typename(L, -1), p + 1);
		g_strlcpy(h->devices[p], lua_tostring(L, -1), FABRIC_NAME_SIZE);
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	if (v[IL_WAYS].given && (v[IL_WAYS].integer < 0 || (uint64_t)v[IL_WAYS].integer != n))
		script_error_at_caller(L, SCRIPT_ERROR_DECL, "key 'ways' in %s is %" G_GINT64_FORMAT
				       " but 'devices' lists %zu", what, v[IL_WAYS].integer, n);
	h->host.ways = (unsigned)n;
	if (v[IL_GRANULARITY].given)
		h->host.granularity = v[IL_GRANULARITY].size;
}

/* Where the policy of a host{} comes from. */
struct policy_source {
	const char *spec;	/* a file or module to load after the file ran; NULL: none */
	bool table;		/* a table (argument 1's "policy") to load then */
};

static gint name_cmp(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of the built-in policies and of the shipped Lua ones, pushed
 * on the stack (they live there); returns how many, at most MAX. */
static size_t policy_names(lua_State *L, struct scenario *sc, const char **names, size_t max)
{
	const char *lib = script_lib_dir(sc->script);
	g_autoptr(GDir) d = NULL;
	g_autoptr(GPtrArray) shipped = g_ptr_array_new_with_free_func(g_free);
	const char *entry;
	size_t n = 0;

	/* the built-ins, split from host_policy_names() */
	lua_pushstring(L, host_policy_names());
	for (const char *p = lua_tostring(L, -1); *p && n < max;) {
		size_t len = strcspn(p, ", ");

		lua_pushlstring(L, p, len);
		names[n++] = lua_tostring(L, -1);
		p += len;
		p += strspn(p, ", ");
	}
	if (lib) {
		g_autofree char *dir = g_build_filename(lib, "dcdsim", "policies", NULL);

		d = g_dir_open(dir, 0, NULL);
	}
	while (d && (entry = g_dir_read_name(d)))
		if (g_str_has_suffix(entry, ".lua"))
			g_ptr_array_add(shipped, g_strndup(entry, strlen(entry) - 4));
	g_ptr_array_sort(shipped, name_cmp);
	for (guint i = 0; i < shipped->len && n < max; i++) {
		bool twice = false;

		for (size_t j = 0; j < n; j++)
			twice = twice || !strcmp(names[j], g_ptr_array_index(shipped, i));
		if (!twice) {
			lua_pushstring(L, g_ptr_array_index(shipped, i));
			names[n++] = lua_tostring(L, -1);
		}
	}
	return n;
}

/* Starts C from the policy that key 'policy' of the host{} at 1 names:
 * a built-in gets its defaults now; a Lua policy (a file, a module, a
 * shipped policy's short name, a table) starts from linux's and is loaded
 * after the file ran (policies_resolve()), its spec or table in OUT. */
static void policy_read(lua_State *L, struct scenario *sc, bool given, struct host_config *c,
			struct policy_source *out)
{
	static const char what[] = "host{}";
	const char *names[32], *spec, *lib;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (!given) {
		host_config_init(c, "linux", NULL);
		return;
	}
	lua_getfield(L, 1, "policy");
	if (lua_type(L, -1) == LUA_TTABLE) {
		host_config_init(c, "linux", NULL);
		out->table = true;
		return;
	}
	if (lua_type(L, -1) != LUA_TSTRING)
		script_error_at_caller(L, SCRIPT_ERROR_DECL, "key 'policy' in %s must be a policy "
				       "name, a policy file or module (a string) or a table of "
				       "callbacks, got %s", what, luaL_typename(L, -1));
	spec = lua_tostring(L, -1);
	if (host_policy_find(spec)) {
		host_config_init(c, spec, NULL);
		return;
	}
	host_config_init(c, "linux", NULL);
	if (g_str_has_suffix(spec, ".lua") || strchr(spec, '/')) {
		/* a file of the scenario's folder, as require() allows */
		if (!*spec || g_path_is_absolute(spec) || spec[0] == '/' || strstr(spec, "..") ||
		    strchr(spec, '\\'))
			script_error_at_caller(L, SCRIPT_ERROR_DECL, "key 'policy' in %s: '%s' is not "
					       "a file inside the scenario's folder (no absolute "
					       "paths, no '..')", what, spec);
		out->spec = strcmp(sc->folder, ".") ? lua_pushfstring(L, "%s/%s", sc->folder, spec)
						    : spec;
		if (!g_file_test(out->spec, G_FILE_TEST_IS_REGULAR))
			script_error_at_caller(L, SCRIPT_ERROR_DECL, "key 'policy' in %s: no policy "
					       "file '%s' (looked for '%s')", what, spec, out->spec);
		return;
	}
	if (strchr(spec, '.')) {
		/* a module, found when it loads as require() finds it */
		out->spec = spec;
		return;
	}
	/* a bare name: a shipped policy */
	lib = script_lib_dir(sc->script);
	if (lib) {
		g_autofree char *path = g_strdup_printf("%s/dcdsim/policies/%s.lua", lib, spec);

		if (g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
			out->spec = lua_pushfstring(L, "dcdsim.policies.%s", spec);
			return;
		}
	}
	n = policy_names(L, sc, names, G_N_ELEMENTS(names));
	if (text_closest(spec, names, n))
		scenario_choose(L, what, "policy", spec, names, n);
	for (size_t i = 0; i < n; i++) {
		if (i)
			lua_pushliteral(L, ", ");
		lua_pushstring(L, names[i]);
	}
	lua_concat(L, 2 * (int)n - 1);
	script_error_at_caller(L, SCRIPT_ERROR_DECL, "key 'policy' in %s: unknown policy '%s' "
			       "(expected one of %s, a file \"name.lua\", a module "
			       "\"folder.name\" or a table of callbacks)", what, spec,
			       lua_tostring(L, -1));
}

/* The host{} keys that a Lua policy's defaults give way to. */
static const int policy_keys[] = {
	HOST_BUSY_RELEASE, HOST_FORCED_RELEASE, HOST_TAG_GROUPS, HOST_REGION_UPDATES,
	HOST_CHAIN_TIMEOUT, HOST_ASSEMBLY_TIMEOUT, HOST_MAX_PENDING, HOST_ALIGNMENT,
};

static const char *const host_custom[] = { "policy", NULL };

static int lua_host(lua_State *L)
{
	static const char what[] = "host{}";
	struct scenario *sc = scenario_from_lua(L);
	struct script_value v[HOST_KEYS];
	struct fabric_host_config h = { 0 };
	struct host_config *c = &h.host;
	struct scenario_host_policy *hp = NULL;
	struct policy_source src;
	int ref = LUA_NOREF;

	scenario_check(L, 1, what, host_keys, HOST_KEYS, v, host_custom);
	scenario_name_check(L, what, v[HOST_NAME].string);
	policy_read(L, sc, v[HOST_POLICY].given, c, &src);
	g_strlcpy(c->name, v[HOST_NAME].string, sizeof(c->name));
	if (v[HOST_DEVICE].given == v[HOST_INTERLEAVE].given)
		script_error_at_caller(L, SCRIPT_ERROR_DECL, "%s needs either device = \"name\" "
				       "(1-way) or interleave = { devices = {...} }, not %s", what,
				       v[HOST_DEVICE].given ? "both" : "neither");
	if (v[HOST_DEVICE].given) {
		g_strlcpy(h.devices[0], v[HOST_DEVICE].string, FABRIC_NAME_SIZE);
	} else {
		lua_getfield(L, 1, "interleave");
		interleave_read(L, lua_gettop(L), &h);
		lua_pop(L, 1);
	}
	c->region = (unsigned)bounded(L, what, "region", &v[HOST_REGION], DCD_REGIONS_MAX - 1);
	h.dpa_skip = v[HOST_DECODER_OFFSET].size;
	h.dpa_len = v[HOST_DECODER_LENGTH].size;
	if (v[HOST_MEMORY_BLOCK].given)
		c->memory_block = v[HOST_MEMORY_BLOCK].size;
	if (v[HOST_BUSY_RELEASE].given)
		c->busy_release = (enum host_busy_release)scenario_choose(
			L, what, "busy_release", v[HOST_BUSY_RELEASE].string, busy_release_names,
			G_N_ELEMENTS(busy_release_names));
	if (v[HOST_FORCED_RELEASE].given)
		c->forced = (enum host_forced)scenario_choose(
			L, what, "forced_release", v[HOST_FORCED_RELEASE].string,
			forced_release_names, G_N_ELEMENTS(forced_release_names));
	if (v[HOST_TAG_GROUPS].given)
		c->tag_groups = v[HOST_TAG_GROUPS].boolean;
	if (v[HOST_REGION_UPDATES].given)
		c->region_updates = v[HOST_REGION_UPDATES].boolean;
	if (v[HOST_CHAIN_TIMEOUT].given)
		c->chain_timeout = v[HOST_CHAIN_TIMEOUT].time;
	if (v[HOST_ASSEMBLY_TIMEOUT].given)
		c->assembly_timeout = v[HOST_ASSEMBLY_TIMEOUT].time;
	if (v[HOST_MAX_PENDING].given)
		c->max_pending = (uint32_t)bounded(L, what, "max_pending", &v[HOST_MAX_PENDING],
						   UINT32_MAX);
	if (v[HOST_ALIGNMENT].given)
		c->alignment = v[HOST_ALIGNMENT].size;
	if (v[HOST_LATENCIES].given) {
		lua_getfield(L, 1, "latencies");
		latencies_read(L, lua_gettop(L), "latencies of host{}", true, &c->latency);
		lua_pop(L, 1);
	}
	if (src.table) {
		lua_getfield(L, 1, "policy");
		ref = luaL_ref(L, LUA_REGISTRYINDEX);
	}
	scenario_decl_add(L, sc, "host", c->name, sc->hosts->len);
	/* nothing raises from here on: what is allocated is kept */
	if (src.spec || src.table) {
		hp = g_new0(struct scenario_host_policy, 1);
		hp->spec = g_strdup(src.spec);
		hp->ref = ref;
		for (size_t i = 0; i < G_N_ELEMENTS(policy_keys); i++)
			if (v[policy_keys[i]].given)
				hp->given |= 1u << policy_keys[i];
	}
	g_ptr_array_add(sc->host_policies, hp);
	g_array_append_val(sc->hosts, h);
	return 0;
}

/* ---- after the file ran ------------------------------------------------------- */

bool scenario_fail_at(GError **error, const char *where, const char *format, ...)
{
	g_autofree char *message = NULL;
	va_list ap;

	va_start(ap, format);
	message = g_strdup_vprintf(format, ap);
	va_end(ap);
	g_set_error(error, SCRIPT_ERROR, SCRIPT_ERROR_DECL, "%s: %s", where, message);
	return false;
}

/* Every device a host names exists. */
static bool hosts_resolve(struct scenario *sc, GError **error)
{
	g_autofree const char **names = g_new0(const char *, sc->devices->len + 1);

	for (guint i = 0; i < sc->devices->len; i++)
		names[i] = g_array_index(sc->devices, struct fabric_device_config, i).name;
	for (guint i = 0; i < sc->hosts->len; i++) {
		const struct fabric_host_config *h = &g_array_index(sc->hosts,
								    struct fabric_host_config, i);

		for (unsigned p = 0; p < h->host.ways; p++) {
			const char *guess;

			if (scenario_decl_find(sc, "device", h->devices[p]))
				continue;
			guess = text_closest(h->devices[p], names, sc->devices->len);
			return scenario_fail_at(error,
						scenario_decl_find(sc, "host", h->host.name)->where,
						"host '%s': %sunknown device '%s'%s%s%s", h->host.name,
						h->host.ways > 1 ? "interleave over " : "",
						h->devices[p], guess ? " (did you mean '" : "",
						guess ? guess : "", guess ? "'?)" : "");
		}
	}
	return true;
}

static void policy_free(void *data)
{
	script_policy_free(data);
}

static void host_policy_free(void *data)
{
	struct scenario_host_policy *hp = data;

	if (!hp)
		return;
	g_free(hp->spec);
	g_free(hp);
}

/* Whether A and B name the same policy: the same file or module, or the
 * same table. */
static bool policy_same(lua_State *L, const struct scenario_host_policy *a,
			const struct scenario_host_policy *b)
{
	bool same;

	if (a->spec || b->spec)
		return a->spec && b->spec && !strcmp(a->spec, b->spec);
	lua_rawgeti(L, LUA_REGISTRYINDEX, a->ref);
	lua_rawgeti(L, LUA_REGISTRYINDEX, b->ref);
	same = lua_rawequal(L, -1, -2);
	lua_pop(L, 2);
	return same;
}

/* Makes host C use P: the policy's defaults over linux's (which C started
 * from), then the host{} keys GIVEN again, so that they win. */
static void policy_apply(struct host_config *c, struct script_policy *p, unsigned given)
{
	const struct host_config declared = *c;

	script_policy_configure(p, c);
#define KEEP(key, field) \
	if (given & (1u << (key))) \
		c->field = declared.field
	KEEP(HOST_BUSY_RELEASE, busy_release);
	KEEP(HOST_FORCED_RELEASE, forced);
	KEEP(HOST_TAG_GROUPS, tag_groups);
	KEEP(HOST_REGION_UPDATES, region_updates);
	KEEP(HOST_CHAIN_TIMEOUT, chain_timeout);
	KEEP(HOST_ASSEMBLY_TIMEOUT, assembly_timeout);
	KEEP(HOST_MAX_PENDING, max_pending);
	KEEP(HOST_ALIGNMENT, alignment);
#undef KEEP
}

/* Loads the Lua policies the hosts name, once each (hosts naming the same
 * file, module or table share it); errors point at the host{} line. */
static bool policies_resolve(struct scenario *sc, GError **error)
{
	lua_State *L = script_lua(sc->script);

	for (guint i = 0; i < sc->hosts->len; i++) {
		struct scenario_host_policy *hp = g_ptr_array_index(sc->host_policies, i);
		struct host_config *c = &g_array_index(sc->hosts, struct fabric_host_config,
							i).host;
		struct script_policy *p = NULL;
		g_autofree char *where = NULL;
		GError *local = NULL;

		if (!hp)
			continue;
		for (guint j = 0; j < i && !p; j++) {
			const struct scenario_host_policy *o = g_ptr_array_index(sc->host_policies,
										  j);

			if (o && policy_same(L, hp, o))
				p = o->policy;
		}
		if (!p) {
			where = g_strdup_printf("%s: host '%s'",
						scenario_decl_find(sc, "host", c->name)->where,
						c->name);
			if (hp->spec) {
				p = script_policy_load(sc->script, hp->spec, &local);
				if (!p)
					g_prefix_error(&local, "%s: ", where);
			} else {
				lua_rawgeti(L, LUA_REGISTRYINDEX, hp->ref);
				p = script_policy_from_table(sc->script, "inline", where, &local);
			}
			if (!p) {
				g_propagate_error(error, local);
				return false;
			}
			g_ptr_array_add(sc->policies, p);
		}
		hp->policy = p;
		policy_apply(c, p, hp->given);
	}
	return true;
}

/* The declaration a model's message is about: "<kind> '<name>'..." names
 * it; else the fm{} for the FM's, else scenario{}. */
static const struct scenario_decl *subject_of(const struct scenario *sc, const char *message)
{
	static const char *const kinds[] = { "device", "host", "workload" };

	for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++) {
		size_t n = strlen(kinds[i]);
		const char *name = message + n + 2, *end;

		if (strncmp(message, kinds[i], n) || strncmp(message + n, " '", 2))
			continue;
		end = strchr(name, '\'');
		if (end) {
			g_autofree char *copy = g_strndup(name, (size_t)(end - name));
			const struct scenario_decl *d = scenario_decl_find(sc, kinds[i], copy);

			if (d)
				return d;
		}
	}
	if (sc->fm && g_str_has_prefix(message, "fm"))
		return sc->fm;
	return sc->main;
}

/* Builds the fabric once on a scratch kernel: whatever the models refuse
 * is reported at the line of the declaration it is about. */
static bool trial_build(struct scenario *sc, GError **error)
{
	g_autoptr(sim) k = sim_new(sc->seed);
	g_autoptr(fabric) f = NULL;
	GError *local = NULL;

	f = fabric_new(k, &sc->cfg, &local);
	if (f)
		return true;
	scenario_fail_at(error, subject_of(sc, local->message)->where, "%s", local->message);
	g_error_free(local);
	return false;
}

static bool finish(struct scenario *sc, GError **error)
{
	if (!sc->main)
		return scenario_fail_at(error, sc->path, "no scenario{} declaration (expected "
					"scenario{ name = \"...\", duration = \"10s\" } before the "
					"devices and hosts)");
	if (sc->devices->len == 0)
		return scenario_fail_at(error, sc->main->where,
					"the scenario declares no device{}");
	sc->cfg.devices = (const struct fabric_device_config *)(void *)sc->devices->data;
	sc->cfg.n_devices = sc->devices->len;
	sc->cfg.hosts = (const struct fabric_host_config *)(void *)sc->hosts->data;
	sc->cfg.n_hosts = sc->hosts->len;
	sc->cfg.workloads = (const struct fabric_workload_config *)(void *)sc->workloads->data;
	sc->cfg.n_workloads = sc->workloads->len;
	sc->cfg.items = (const struct fabric_item *)(void *)sc->items->data;
	sc->cfg.n_items = sc->items->len;
	return hosts_resolve(sc, error) && policies_resolve(sc, error) &&
	       scenario_workload_resolve(sc, error) && trial_build(sc, error);
}

/* ---- bytes() and ns() -------------------------------------------------------------- */

/* bytes("2MiB") -> 2097152 and ns("10us") -> 10000: units as numbers, for
 * arithmetic in scenarios. */
static int lua_bytes(lua_State *L)
{
	struct script_value v;

	luaL_checkany(L, 1);
	lua_settop(L, 1);
	scenario_single(L, "bytes()", "size", SCRIPT_KIND_SIZE, &v);
	if (v.size > (uint64_t)LUA_MAXINTEGER)
		script_error_at_caller(L, SCRIPT_ERROR_DECL, "bytes(): too large for a Lua integer");
	lua_pushinteger(L, (lua_Integer)v.size);
	return 1;
}

static int lua_ns(lua_State *L)
{
	struct script_value v;

	luaL_checkany(L, 1);
	lua_settop(L, 1);
	scenario_single(L, "ns()", "time", SCRIPT_KIND_TIME, &v);
	if (v.time > (uint64_t)LUA_MAXINTEGER)
		script_error_at_caller(L, SCRIPT_ERROR_DECL, "ns(): too large for a Lua integer");
	lua_pushinteger(L, (lua_Integer)v.time);
	return 1;
}

/* ---- the lifecycle ----------------------------------------------------------- */

static void bindings_register(struct scenario *sc)
{
	static const luaL_Reg globals[] = {
		{ "scenario", lua_scenario },
		{ "device", lua_device },
		{ "host", lua_host },
		{ "fm", lua_fm },
		{ "bytes", lua_bytes },
		{ "ns", lua_ns },
	};
	lua_State *L = script_lua(sc->script);

	lua_pushlightuserdata(L, sc);
	lua_setfield(L, LUA_REGISTRYINDEX, SCENARIO_KEY);
	for (size_t i = 0; i < G_N_ELEMENTS(globals); i++)
		script_function_register(sc->script, globals[i].name, globals[i].func);
	scenario_workload_register(sc->script);
	scenario_run_register(sc->script);
}

struct scenario *scenario_load(const char *path, const struct scenario_options *options,
			       GError **error)
{
	g_autoptr(scenario) sc = NULL;
	struct scenario_options defaults;
	g_autofree char *base = NULL;

	g_return_val_if_fail(path != NULL, NULL);
	if (!options) {
		scenario_options_init(&defaults);
		options = &defaults;
	}
	sc = g_new0(struct scenario, 1);
	sc->path = g_strdup(path);
	sc->folder = g_path_get_dirname(path);
	base = g_path_get_basename(path);
	sc->name = g_str_has_suffix(base, ".lua") ? g_strndup(base, strlen(base) - 4)
						   : g_strdup(base);
	sc->decls = g_ptr_array_new_with_free_func(decl_free);
	sc->devices = g_array_new(FALSE, TRUE, sizeof(struct fabric_device_config));
	sc->hosts = g_array_new(FALSE, TRUE, sizeof(struct fabric_host_config));
	sc->host_policies = g_ptr_array_new_with_free_func(host_policy_free);
	sc->policies = g_ptr_array_new_with_free_func(policy_free);
	sc->workloads = g_array_new(FALSE, TRUE, sizeof(struct fabric_workload_config));
	sc->items = g_array_new(FALSE, TRUE, sizeof(struct fabric_item));
	sc->item_where = g_ptr_array_new_with_free_func(g_free);
	sc->timers = g_ptr_array_new_with_free_func(scenario_timer_free);
	fabric_config_init(&sc->cfg);
	sc->seed_fixed = options->has_seed;
	sc->seed = options->has_seed ? options->seed : 1;
	sc->script = script_new(&options->script);
	if (!sc->script) {
		g_set_error(error, SCRIPT_ERROR, SCRIPT_ERROR_LOAD, "%s: bad script options", path);
		return NULL;
	}
	sim_rng_init(&sc->load_rng, sc->seed, "script");
	script_rng_set(sc->script, &sc->load_rng);
	bindings_register(sc);
	for (size_t i = 0; i < options->n_overrides; i++)
		if (!script_param_override(sc->script, options->overrides[i], error))
			return NULL;
	if (!script_run_string(sc->script, "dcdsim library", "require 'dcdsim.prelude'", error) ||
	    !script_run_file(sc->script, path, error) || !finish(sc, error))
		return NULL;
	return g_steal_pointer(&sc);
}

void scenario_free(struct scenario *sc)
{
	if (!sc)
		return;
	g_ptr_array_free(sc->timers, TRUE);
	g_clear_error(&sc->error);
	/* the policies hold references into the Lua state */
	g_ptr_array_free(sc->policies, TRUE);
	script_free(sc->script);
	g_ptr_array_free(sc->host_policies, TRUE);
	g_ptr_array_free(sc->decls, TRUE);
	g_array_free(sc->devices, TRUE);
	g_array_free(sc->hosts, TRUE);
	g_array_free(sc->workloads, TRUE);
	g_array_free(sc->items, TRUE);
	g_ptr_array_free(sc->item_where, TRUE);
	g_free(sc->path);
	g_free(sc->folder);
	g_free(sc->name);
	g_free(sc);
}

const char *scenario_name(const struct scenario *sc)
{
	g_return_val_if_fail(sc != NULL, NULL);
	return sc->name;
}

const char *scenario_path(const struct scenario *sc)
{
	g_return_val_if_fail(sc != NULL, NULL);
	return sc->path;
}

uint64_t scenario_seed(const struct scenario *sc)
{
	g_return_val_if_fail(sc != NULL, 0);
	return sc->seed;
}

uint64_t scenario_duration(const struct scenario *sc)
{
	g_return_val_if_fail(sc != NULL, 0);
	return sc->duration;
}

const struct fabric_config *scenario_fabric_config(const struct scenario *sc)
{
	g_return_val_if_fail(sc != NULL, NULL);
	return &sc->cfg;
}

struct script *scenario_script(struct scenario *sc)
{
	g_return_val_if_fail(sc != NULL, NULL);
	return sc->script;
}
