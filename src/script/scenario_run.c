/* Scripted events: at() and every() callbacks, the only Lua that runs
 * during a simulation, and the actions they take on the fabric (add,
 * release, forced release, region teardown, device failure). */
#include "script/scenario_priv.h"

#include "sim/text.h"
#include "sim/units.h"

#include <lauxlib.h>
#include <string.h>

#define REQUEST_META "dcdsim.request"

/* What add() returns: the request's id and host, never a pointer. */
struct request_handle {
	uint64_t id;
	unsigned host;
};

void scenario_timer_free(void *data)
{
	struct scenario_timer *t = data;

	g_free(t->where);
	g_free(t);
}

/* ---- at() and every() --------------------------------------------------------- */

static void on_timer(struct sim *k, void *target, const void *payload)
{
	struct scenario_timer *t = target;
	struct scenario *sc = t->sc;
	lua_State *L = script_lua(sc->script);
	GError *error = NULL;
	bool stop;

	(void)payload;
	lua_rawgeti(L, LUA_REGISTRYINDEX, t->ref);
	lua_pushinteger(L, (lua_Integer)sim_now(k));
	if (!script_pcall(sc->script, 1, 1, &error)) {
		/* the first line gets the simulated time, as a policy's does */
		const char *nl = strchr(error->message, '\n');
		char at[UNITS_FORMAT_LEN];
		GError *timed;

		timed = g_error_new(SCRIPT_ERROR, error->code, "%.*s (%s() callback from %s at "
				    "simulated %s)%s", nl ? (int)(nl - error->message)
							  : (int)strlen(error->message),
				    error->message, t->period ? "every" : "at", t->where,
				    units_time_format(sim_now(k), at), nl ? nl : "");
		g_error_free(error);
		sim_fail(k, "%s", timed->message);
		if (!sc->error)
			sc->error = timed;
		else
			g_error_free(timed);
		return;
	}
	stop = lua_type(L, -1) == LUA_TBOOLEAN && !lua_toboolean(L, -1);
	lua_pop(L, 1);
	if (t->period && !stop)
		sim_schedule(k, t->period, on_timer, t, NULL, 0);
}

static void timer_schedule(struct scenario *sc, struct scenario_timer *t)
{
	struct sim *k = fabric_get_sim(sc->fabric);

	sim_schedule_at(k, MAX(t->at, sim_now(k)), on_timer, t, NULL, 0);
}

/* at(time, fn) and every(period, fn): WHAT names which. */
static int timer_add(lua_State *L, const char *what, bool repeat)
{
	struct scenario *sc = scenario_from_lua(L);
	uint64_t now = sc->fabric ? sim_now(fabric_get_sim(sc->fabric)) : 0;
	struct scenario_timer *t;
	struct script_value v;
	const char *file;
	int line = 0;

	if (lua_gettop(L) != 2 || lua_type(L, 2) != LUA_TFUNCTION)
		script_error_at_caller(L, SCRIPT_ERROR_DECL, "%s takes a %s and a function, e.g. "
				       "%s(\"%s\", function(now) ... end)", what,
				       repeat ? "period" : "time", what, repeat ? "1s" : "10s");
	lua_pushvalue(L, 1);
	scenario_single(L, what, repeat ? "period" : "time", SCRIPT_KIND_TIME, &v);
	if (repeat && v.time == 0)
		script_error_at_caller(L, SCRIPT_ERROR_DECL, "the period of every() must be positive");
	if (!repeat && v.time < now)
		script_error_at_caller(L, SCRIPT_ERROR_DECL, "at(): time %" G_GUINT64_FORMAT " ns is "
				       "in the past (now is %" G_GUINT64_FORMAT " ns)", v.time, now);
	file = script_caller_line(L, &line);
	t = g_new0(struct scenario_timer, 1);
	t->sc = sc;
	t->at = repeat ? now + v.time : v.time;
	t->period = repeat ? v.time : 0;
	t->where = file ? g_strdup_printf("%s:%d", file, line) : g_strdup(sc->path);
	lua_pushvalue(L, 2);
	t->ref = luaL_ref(L, LUA_REGISTRYINDEX);
	g_ptr_array_add(sc->timers, t);
	if (sc->fabric)
		timer_schedule(sc, t);
	return 0;
}

static int lua_at(lua_State *L)
{
	return timer_add(L, "at", false);
}

static int lua_every(lua_State *L)
{
	return timer_add(L, "every", true);
}

/* ---- actions ------------------------------------------------------------------------ */

/* The running fabric, or a raise: actions need a simulation. */
static struct fabric *running(lua_State *L, const char *what)
{
	struct scenario *sc = scenario_from_lua(L);

	if (!sc->fabric)
		script_error_at_caller(L, SCRIPT_ERROR_DECL, "%s acts on the running simulation: call "
				       "it inside an at() or every() callback (to declare a timed "
				       "request, use request{})", what);
	return sc->fabric;
}

/* The id of the host or device NAME (the fabric numbers them in
 * declaration order); raises with a suggestion. */
static unsigned find_named(lua_State *L, const char *what, bool host, const char *name)
{
	struct scenario *sc = scenario_from_lua(L);
	const struct scenario_decl *d = scenario_decl_find(sc, host ? "host" : "device", name);
	GArray *all = host ? sc->hosts : sc->devices;
	const char **names, *guess;

	if (d)
		return (unsigned)d->index;
	/* in Lua's memory, which the raise below cannot leak */
	names = lua_newuserdatauv(L, MAX(all->len, 1) * sizeof(*names), 0);
	for (guint i = 0; i < all->len; i++)
		names[i] = host ? g_array_index(all, struct fabric_host_config, i).host.name
				: g_array_index(all, struct fabric_device_config, i).name;
	guess = text_closest(name, names, all->len);
	script_error_at_caller(L, SCRIPT_ERROR_DECL, "%s: unknown %s '%s'%s%s%s", what,
			       host ? "host" : "device", name, guess ? " (did you mean '" : "",
			       guess ? guess : "", guess ? "'?)" : "");
}

/* The name of host ID. */
static const char *host_name(const struct scenario *sc, unsigned id)
{
	return g_array_index(sc->hosts, struct fabric_host_config, id).host.name;
}

/* add{ host = ..., size = ..., ... } -> a request handle. */
static int lua_add(lua_State *L)
{
	static const char what[] = "add{}";
	struct fabric *f = running(L, what);
	struct scenario *sc = scenario_from_lua(L);
	struct request_handle *r;
	struct fabric_item it;
	uint64_t unit, id;

	scenario_item_read(L, 1, what, false, &it);
	it.item.host = find_named(L, what, true, it.host);
	if (!scenario_size_unit(sc, it.host, it.item.region, &unit))
		script_error_at_caller(L, SCRIPT_ERROR_DECL, "%s: host '%s' has no DC region %u", what,
				       it.host, it.item.region);
	if (it.item.size > UINT64_MAX - unit)
		script_error_at_caller(L, SCRIPT_ERROR_DECL, "%s: size too large", what);
	it.item.size = (it.item.size + unit - 1) / unit * unit;
	id = workload_submit_add(fabric_get_workload(f), &it.item);
	g_assert(id != 0);
	r = lua_newuserdatauv(L, sizeof(*r), 0);
	r->id = id;
	r->host = it.item.host;
	luaL_setmetatable(L, REQUEST_META);
	return 1;
}

static int request_index(lua_State *L)
{
	const struct request_handle *r = luaL_checkudata(L, 1, REQUEST_META);
	struct scenario *sc = scenario_from_lua(L);
	const char *key = luaL_checkstring(L, 2);

	if (!strcmp(key, "id"))
		lua_pushinteger(L, (lua_Integer)r->id);
	else if (!strcmp(key, "host"))
		lua_pushstring(L, host_name(sc, r->host));
	else
		script_error_at_caller(L, SCRIPT_ERROR_RUNTIME, "a request has no field '%s' (it has "
				       "'id' and 'host')", key);
	return 1;
}

static int request_tostring(lua_State *L)
{
	const struct request_handle *r = luaL_checkudata(L, 1, REQUEST_META);
	struct scenario *sc = scenario_from_lua(L);

	lua_pushfstring(L, "request %I of host '%s'", (lua_Integer)r->id,
			host_name(sc, r->host));
	return 1;
}

enum { RL_REQUEST, RL_HOST, RL_TAG, RL_REGION, RL_DEVICE, RL_START, RL_LENGTH, RL_FORCED, RL_KEYS };

static const struct script_key release_keys[RL_KEYS] = {
	[RL_REQUEST] = { "request", SCRIPT_KIND_TABLE, false, NULL },
	[RL_HOST] = { "host", SCRIPT_KIND_STRING, false, NULL },
	[RL_TAG] = { "tag", SCRIPT_KIND_INTEGER, false, NULL },
	[RL_REGION] = { "region", SCRIPT_KIND_INTEGER, false, "0" },
	[RL_DEVICE] = { "device", SCRIPT_KIND_STRING, false, NULL },
	[RL_START] = { "start", SCRIPT_KIND_SIZE, false, NULL },
	[RL_LENGTH] = { "length", SCRIPT_KIND_SIZE, false, NULL },
	[RL_FORCED] = { "forced", SCRIPT_KIND_BOOLEAN, false, "false" },
};

static const char *const release_custom[] = { "request", NULL };

/* Fills R from the release table at 1: by request, by tag or by range. */
static void release_read(lua_State *L, const char *what, struct fm_release_request *r)
{
	struct script_value v[RL_KEYS];
	const struct request_handle *h;

	scenario_check(L, 1, what, release_keys, RL_KEYS, v, release_custom);
	r->forced = v[RL_FORCED].boolean;
	if (v[RL_REQUEST].given) {
		lua_getfield(L, 1, "request");
		h = luaL_testudata(L, -1, REQUEST_META);
		if (!h || v[RL_HOST].given || v[RL_TAG].given || v[RL_DEVICE].given)
			script_error_at_caller(L, SCRIPT_ERROR_DECL, "key 'request' in %s takes what "
					       "add{} returned, alone (or name a host with a tag "
					       "or a device range)", what);
		r->by = FM_RELEASE_BY_ADD;
		r->add_id = h->id;
		r->host = (uint16_t)h->host;
		return;
	}
	if (!v[RL_HOST].given || v[RL_TAG].given == v[RL_DEVICE].given ||
	    v[RL_DEVICE].given != (v[RL_START].given && v[RL_LENGTH].given))
		script_error_at_caller(L, SCRIPT_ERROR_DECL, "%s releases a request = r (from add{}), "
				       "a host's tag = n or a host's device = \"name\" with start "
				       "= ... and length = ...", what);
	r->host = (uint16_t)find_named(L, what, true, v[RL_HOST].string);
	if (v[RL_REGION].integer < 0 || v[RL_REGION].integer >= DCD_REGIONS_MAX)
		script_error_at_caller(L, SCRIPT_ERROR_DECL, "key 'region' in %s must lie in 0..%d",
				       what, DCD_REGIONS_MAX - 1);
	r->region = (uint8_t)v[RL_REGION].integer;
	if (v[RL_TAG].given) {
		if (v[RL_TAG].integer <= 0)
			script_error_at_caller(L, SCRIPT_ERROR_DECL, "key 'tag' in %s must be "
					       "positive (0 is no tag)", what);
		r->by = FM_RELEASE_BY_TAG;
		proto_tag_from_u64(r->tag, (uint64_t)v[RL_TAG].integer);
		return;
	}
	r->by = FM_RELEASE_BY_RANGE;
	r->device = (uint16_t)find_named(L, what, false, v[RL_DEVICE].string);
	r->start = v[RL_START].size;
	r->len = v[RL_LENGTH].size;
}

/* release(r) or release{ ... }; force_release the same, forced. */
static int release(lua_State *L, const char *what, bool forced)
{
	struct fabric *f = running(L, what);
	struct fm_release_request r = { 0 };

	if (luaL_testudata(L, 1, REQUEST_META)) {
		lua_createtable(L, 0, 1);
		lua_pushvalue(L, 1);
		lua_setfield(L, -2, "request");
		lua_replace(L, 1);
	}
	lua_settop(L, 1);
	release_read(L, what, &r);
	r.forced = r.forced || forced;
	workload_submit_release(fabric_get_workload(f), &r);
	return 0;
}

static int lua_release(lua_State *L)
{
	return release(L, "release()", false);
}

static int lua_force_release(lua_State *L)
{
	return release(L, "force_release()", true);
}

/* teardown(host): the host destroys its DC region, releasing every extent. */
static int lua_teardown(lua_State *L)
{
	struct fabric *f = running(L, "teardown()");

	workload_submit_destroy(fabric_get_workload(f),
				find_named(L, "teardown()", true, luaL_checkstring(L, 1)));
	return 0;
}

enum { SR_DEVICE, SR_REGION, SR_BLOCK_SIZE, SR_SANITIZE, SR_KEYS };

static const struct script_key set_region_keys[SR_KEYS] = {
	[SR_DEVICE] = { "device", SCRIPT_KIND_STRING, true, NULL },
	[SR_REGION] = { "region", SCRIPT_KIND_INTEGER, false, "0" },
	[SR_BLOCK_SIZE] = { "block_size", SCRIPT_KIND_SIZE, false, NULL },
	[SR_SANITIZE] = { "sanitize", SCRIPT_KIND_BOOLEAN, false, NULL },
};

/* set_region{ device = , region = 0, block_size = , sanitize = }: the FM
 * sends Set DC Region Config; what is not given stays as the device has
 * it now.  The device refuses it (and nothing changes) while the region
 * lends any capacity; else every host hears Region Configuration Updated. */
static int lua_set_region(lua_State *L)
{
	static const char what[] = "set_region{}";
	struct fabric *f = running(L, what);
	struct script_value v[SR_KEYS];
	const struct dcd_region_config *rc;
	const struct dcd_config *cfg;
	struct fm_region_request r = { 0 };
	unsigned d;

	script_decl_check(L, 1, what, set_region_keys, SR_KEYS, v);
	d = find_named(L, what, false, v[SR_DEVICE].string);
	cfg = dcd_get_config(fabric_get_device(f, d));
	if (v[SR_REGION].integer < 0 || v[SR_REGION].integer >= (lua_Integer)cfg->nregions)
		script_error_at_caller(L, SCRIPT_ERROR_DECL, "key 'region' in %s: device '%s' has "
				       "DC regions 0 to %u, got %" G_GINT64_FORMAT, what,
				       v[SR_DEVICE].string, cfg->nregions - 1, v[SR_REGION].integer);
	rc = &cfg->regions[v[SR_REGION].integer];
	r.device = (uint16_t)d;
	r.region = (uint8_t)v[SR_REGION].integer;
	r.block_size = v[SR_BLOCK_SIZE].given ? v[SR_BLOCK_SIZE].size : rc->block_size;
	r.sanitize = v[SR_SANITIZE].given ? v[SR_SANITIZE].boolean : rc->sanitize_on_release;
	if (r.block_size < 64 || (r.block_size & (r.block_size - 1)) || rc->base % r.block_size ||
	    rc->len % r.block_size)
		script_error_at_caller(L, SCRIPT_ERROR_DECL, "key 'block_size' in %s: %"
				       G_GUINT64_FORMAT " is not a power of two of at least 64 "
				       "bytes dividing region %u of device '%s' (base %"
				       G_GUINT64_FORMAT ", length %" G_GUINT64_FORMAT ")", what,
				       r.block_size, (unsigned)r.region, v[SR_DEVICE].string,
				       rc->base, rc->len);
	workload_submit_region(fabric_get_workload(f), &r);
	return 0;
}

struct lent {
	unsigned host;
	GArray *ranges;		/* struct fm_release_request */
	const struct dcd_config *cfg;
	unsigned device;
};

static int lent_visit(const struct extent_entry *e, void *data)
{
	struct lent *w = data;
	struct fm_release_request r = {
		.by = FM_RELEASE_BY_RANGE,
		.host = (uint16_t)w->host,
		.device = (uint16_t)w->device,
		.start = e->start,
		.len = e->len,
		.forced = 1,
	};

	for (unsigned i = 0; i < w->cfg->nregions; i++)
		if (e->start >= w->cfg->regions[i].base &&
		    e->start - w->cfg->regions[i].base < w->cfg->regions[i].len)
			r.region = (uint8_t)i;
	g_array_append_val(w->ranges, r);
	return 0;
}

/* fail_device(name): the device's capacity is gone at once: the FM forces
 * the release of every extent it lends to any host (in-use memory is
 * lost).  Offers still pending are left to their hosts' answers, and the
 * device stays in the fabric: later requests may still go to it. */
static int lua_fail_device(lua_State *L)
{
	struct fabric *f = running(L, "fail_device()");
	unsigned d = find_named(L, "fail_device()", false, luaL_checkstring(L, 1));
	struct dcd *dev = fabric_get_device(f, d);
	struct lent w = { .cfg = dcd_get_config(dev), .device = d };

	w.ranges = g_array_new(FALSE, FALSE, sizeof(struct fm_release_request));
	for (w.host = 0; w.host < fabric_get_n_hosts(f); w.host++)
		dcd_host_extents_foreach(dev, w.host, lent_visit, &w);
	for (guint i = 0; i < w.ranges->len; i++)
		workload_submit_release(fabric_get_workload(f),
					&g_array_index(w.ranges, struct fm_release_request, i));
	g_array_unref(w.ranges);
	return 0;
}

static int extent_push(const struct host_extent_info *info, void *data)
{
	lua_State *L = data;
	struct scenario *sc = scenario_from_lua(L);

	lua_createtable(L, 0, 6);
	lua_pushstring(L, g_array_index(sc->devices, struct fabric_device_config,
					info->device).name);
	lua_setfield(L, -2, "device");
	lua_pushinteger(L, (lua_Integer)info->start);
	lua_setfield(L, -2, "start");
	lua_pushinteger(L, (lua_Integer)info->len);
	lua_setfield(L, -2, "length");
	lua_pushinteger(L, (lua_Integer)info->request);
	lua_setfield(L, -2, "request");
	lua_pushstring(L, host_extent_state_name(info->state));
	lua_setfield(L, -2, "state");
	lua_pushinteger(L, (lua_Integer)info->in_use);
	lua_setfield(L, -2, "in_use");
	lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
	return 0;
}

/* extents(host) -> the pieces the host holds, as the host driver lists
 * them (4801h and its own state): { device, start, length, request,
 * state, in_use } each, by position then DPA. */
static int lua_extents(lua_State *L)
{
	struct fabric *f = running(L, "extents()");
	unsigned h = find_named(L, "extents()", true, luaL_checkstring(L, 1));

	lua_newtable(L);
	host_extents_foreach(fabric_get_host(f, h), extent_push, L);
	return 1;
}

static int lua_now(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)sim_now(fabric_get_sim(running(L, "now()"))));
	return 1;
}

/* ---- the public part ---------------------------------------------------------------- */

bool scenario_start(struct scenario *sc, struct fabric *f, GError **error)
{
	g_return_val_if_fail(sc != NULL && f != NULL, false);
	if (sc->fabric) {
		g_set_error(error, SCRIPT_ERROR, SCRIPT_ERROR_RUNTIME, "%s: the scenario has "
			    "started already", sc->path);
		return false;
	}
	sc->fabric = f;
	script_rng_set(sc->script, sim_stream(fabric_get_sim(f), "script"));
	for (guint i = 0; i < sc->timers->len; i++)
		timer_schedule(sc, g_ptr_array_index(sc->timers, i));
	return true;
}

const GError *scenario_error(const struct scenario *sc)
{
	g_return_val_if_fail(sc != NULL, NULL);
	if (sc->error)
		return sc->error;
	for (guint i = 0; i < sc->policies->len; i++) {
		const GError *e = script_policy_error(g_ptr_array_index(sc->policies, i));

		if (e)
			return e;
	}
	return NULL;
}

void scenario_run_register(struct script *s)
{
	static const luaL_Reg globals[] = {
		{ "at", lua_at },
		{ "every", lua_every },
		{ "add", lua_add },
		{ "release", lua_release },
		{ "force_release", lua_force_release },
		{ "teardown", lua_teardown },
		{ "set_region", lua_set_region },
		{ "fail_device", lua_fail_device },
		{ "extents", lua_extents },
		{ "now", lua_now },
	};
	static const luaL_Reg methods[] = {
		{ "__index", request_index },
		{ "__tostring", request_tostring },
		{ NULL, NULL },
	};
	lua_State *L = script_lua(s);

	for (size_t i = 0; i < G_N_ELEMENTS(globals); i++)
		script_function_register(s, globals[i].name, globals[i].func);
	luaL_newmetatable(L, REQUEST_META);
	luaL_setfuncs(L, methods, 0);
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 1);
}
