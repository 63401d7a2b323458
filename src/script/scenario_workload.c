/* The workload declarations: generators (workload{}), timed requests
 * (request{}), the distributions they draw sizes and times from, and the
 * CSV reader behind trace replay. */
#include "script/scenario_priv.h"

#include "sim/text.h"

#include <lauxlib.h>
#include <math.h>
#include <string.h>

/* A trace file is read whole: a bound keeps a typo from reading a disk. */
#define CSV_MAX_BYTES ((size_t)256 << 20)

/* ---- distributions ------------------------------------------------------------ */

/* How a scenario writes each distribution: `dist` names it, then one or
 * two parameters, in the quantity's unit or plain numbers. */
struct dist_form {
	enum workload_dist_kind kind;
	const char *a, *b;	/* parameter keys; b NULL for none */
	bool b_unit;		/* b in the quantity's unit (a always is) */
	bool a_log;		/* a is a median: the model wants its log */
};

static const struct dist_form dist_forms[] = {
	{ WORKLOAD_DIST_FIXED, "value", NULL, false, false },
	{ WORKLOAD_DIST_UNIFORM, "low", "high", true, false },
	{ WORKLOAD_DIST_EXPONENTIAL, "mean", NULL, false, false },
	{ WORKLOAD_DIST_NORMAL, "mean", "sd", true, false },
	{ WORKLOAD_DIST_LOGNORMAL, "median", "sigma", false, true },
	{ WORKLOAD_DIST_PARETO, "scale", "shape", false, false },
	{ WORKLOAD_DIST_WEIBULL, "scale", "shape", false, false },
};

static double unit_value(enum script_kind unit, const struct script_value *v)
{
	return unit == SCRIPT_KIND_SIZE ? (double)v->size : (double)v->time;
}

void scenario_single(lua_State *L, const char *what, const char *key, enum script_kind kind,
		     struct script_value *out)
{
	const struct script_key k = { key, kind, true, NULL };

	lua_createtable(L, 0, 1);
	lua_insert(L, -2);
	lua_setfield(L, -2, key);
	script_decl_check(L, -1, what, &k, 1, out);
	lua_pop(L, 1);
}

/* Reads the distribution on top of the stack (popped), the value of KEY
 * in WHAT, for a quantity of UNIT (SCRIPT_KIND_SIZE or _TIME): a plain
 * quantity is a fixed distribution. */
static void dist_read(lua_State *L, const char *what, const char *key, enum script_kind unit,
		      struct workload_dist *out)
{
	const char *names[G_N_ELEMENTS(dist_forms)];
	const struct dist_form *form;
	struct script_key keys[3];
	struct script_value v[3];
	char where[96];
	size_t n = 2;

	if (lua_type(L, -1) == LUA_TNUMBER || lua_type(L, -1) == LUA_TSTRING) {
		scenario_single(L, what, key, unit, &v[0]);
		*out = (struct workload_dist){ WORKLOAD_DIST_FIXED, unit_value(unit, &v[0]), 0 };
		return;
	}
	if (lua_type(L, -1) != LUA_TTABLE)
		script_error_at_caller(L, SCRIPT_ERROR_DECL, "key '%s' in %s must be %s or a "
				       "distribution such as exponential(%s), got %s", key, what,
				       unit == SCRIPT_KIND_SIZE ? "a size" : "a time",
				       unit == SCRIPT_KIND_SIZE ? "\"1GiB\"" : "\"10s\"",
				       luaL_typename(L, -1));
	for (size_t i = 0; i < G_N_ELEMENTS(dist_forms); i++)
		names[i] = workload_dist_name(dist_forms[i].kind);
	g_snprintf(where, sizeof(where), "the distribution of '%s' in %s", key, what);
	if (lua_getfield(L, -1, "dist") != LUA_TSTRING)
		script_error_at_caller(L, SCRIPT_ERROR_DECL, "%s needs dist = \"exponential\" or "
				       "another kind (or use exponential(...) etc.)", where);
	form = &dist_forms[scenario_choose(L, where, "dist", lua_tostring(L, -1), names,
					   G_N_ELEMENTS(names))];
	lua_pop(L, 1);
	keys[0] = (struct script_key){ "dist", SCRIPT_KIND_STRING, true, NULL };
	keys[1] = (struct script_key){ form->a, unit, true, NULL };
	if (form->b)
		keys[n++] = (struct script_key){ form->b, form->b_unit ? unit : SCRIPT_KIND_NUMBER,
						 true, NULL };
	script_decl_check(L, -1, where, keys, n, v);
	lua_pop(L, 1);
	out->kind = form->kind;
	out->a = unit_value(unit, &v[1]);
	out->b = !form->b ? 0 : form->b_unit ? unit_value(unit, &v[2]) : v[2].number;
	if (form->a_log) {
		if (out->a <= 0)
			script_error_at_caller(L, SCRIPT_ERROR_DECL, "key '%s' in %s must be "
					       "positive", form->a, where);
		out->a = log(out->a);
	}
}

/* The time on top of the stack (popped), or WORKLOAD_NEVER for "never". */
static uint64_t time_or_never(lua_State *L, const char *what, const char *key)
{
	struct script_value v;

	if (lua_type(L, -1) == LUA_TSTRING && !strcmp(lua_tostring(L, -1), "never")) {
		lua_pop(L, 1);
		return WORKLOAD_NEVER;
	}
	scenario_single(L, what, key, SCRIPT_KIND_TIME, &v);
	return v.time;
}

/* A probability or fraction. */
static double fraction(lua_State *L, const char *what, const char *key,
		       const struct script_value *v)
{
	if (!(v->number >= 0 && v->number <= 1))
		script_error_at_caller(L, SCRIPT_ERROR_DECL, "key '%s' in %s must lie in [0, 1], "
				       "got %g", key, what, v->number);
	return v->number;
}

/* The selection policy named by V: free, contiguous or prescriptive. */
static uint8_t select_read(lua_State *L, const char *what, const struct script_value *v)
{
	const char *names[PROTO_SELECT_PRESCRIPTIVE + 1];

	for (unsigned i = 0; i < G_N_ELEMENTS(names); i++)
		names[i] = proto_select_name((enum proto_select)i);
	return (uint8_t)scenario_choose(L, what, "select", v->string, names, G_N_ELEMENTS(names));
}

static uint8_t region_read(lua_State *L, const char *what, const struct script_value *v)
{
	if (v->integer < 0 || v->integer >= DCD_REGIONS_MAX)
		script_error_at_caller(L, SCRIPT_ERROR_DECL, "key 'region' in %s must lie in 0..%d, "
				       "got %" G_GINT64_FORMAT, what, DCD_REGIONS_MAX - 1, v->integer);
	return (uint8_t)v->integer;
}

/* ---- workload{} ------------------------------------------------------------------ */

enum {
	WL_NAME, WL_HOST, WL_ARRIVAL, WL_RATE, WL_PERIOD, WL_START, WL_STOP, WL_MAX_REQUESTS,
	WL_BURST, WL_SIZE, WL_HOLD, WL_USE, WL_BUSY_RELEASE, WL_BUSY_TAIL, WL_FORCED, WL_REGION,
	WL_SELECT, WL_TAGGED, WL_KEYS
};

static const struct script_key workload_keys[WL_KEYS] = {
	[WL_NAME] = { "name", SCRIPT_KIND_STRING, false, NULL },
	[WL_HOST] = { "host", SCRIPT_KIND_STRING, true, NULL },
	[WL_ARRIVAL] = { "arrival", SCRIPT_KIND_STRING, false, "poisson" },
	[WL_RATE] = { "rate", SCRIPT_KIND_RATE, false, NULL },
	[WL_PERIOD] = { "period", SCRIPT_KIND_TIME, false, NULL },
	[WL_START] = { "start", SCRIPT_KIND_TIME, false, "0" },
	[WL_STOP] = { "stop", SCRIPT_KIND_TIME, false, "0" },
	[WL_MAX_REQUESTS] = { "max_requests", SCRIPT_KIND_INTEGER, false, "0" },
	[WL_BURST] = { "burst", SCRIPT_KIND_INTEGER, false, "1" },
	[WL_SIZE] = { "size", SCRIPT_KIND_TABLE, false, NULL },
	[WL_HOLD] = { "hold", SCRIPT_KIND_TABLE, false, NULL },
	[WL_USE] = { "use", SCRIPT_KIND_NUMBER, false, "0" },
	[WL_BUSY_RELEASE] = { "busy_release", SCRIPT_KIND_NUMBER, false, "0" },
	[WL_BUSY_TAIL] = { "busy_tail", SCRIPT_KIND_TABLE, false, NULL },
	[WL_FORCED] = { "forced", SCRIPT_KIND_NUMBER, false, "0" },
	[WL_REGION] = { "region", SCRIPT_KIND_INTEGER, false, "0" },
	[WL_SELECT] = { "select", SCRIPT_KIND_STRING, false, "free" },
	[WL_TAGGED] = { "tagged", SCRIPT_KIND_BOOLEAN, false, "false" },
};

static const char *const workload_custom[] = { "size", "hold", "busy_tail", NULL };

/* Indexed by enum workload_arrival. */
static const char *const arrival_names[] = { "poisson", "periodic" };

/* The default name of a generator of HOST: "<host>-<n>", n counting the
 * host's generators, so that adding one elsewhere renames none (its
 * random stream follows its name). */
static void default_name(lua_State *L, const struct scenario *sc, const char *host, char *out)
{
	unsigned n = 0;

	for (guint i = 0; i < sc->workloads->len; i++)
		n += !strcmp(g_array_index(sc->workloads, struct fabric_workload_config, i).host,
			     host);
	if ((size_t)g_snprintf(out, WORKLOAD_NAME_SIZE, "%s-%u", host, n) >= WORKLOAD_NAME_SIZE)
		script_error_at_caller(L, SCRIPT_ERROR_DECL, "workload{} of host '%s' needs a name "
				       "(the default '%s-%u' is too long)", host, host, n);
}

static int lua_workload(lua_State *L)
{
	static const char what[] = "workload{}";
	struct scenario *sc = scenario_from_lua(L);
	struct script_value v[WL_KEYS];
	struct fabric_workload_config w = { 0 };
	struct workload_gen_config *g = &w.gen;
	GError *error = NULL;
	bool poisson;

	scenario_check(L, 1, what, workload_keys, WL_KEYS, v, workload_custom);
	scenario_name_check(L, what, v[WL_HOST].string);
	g_strlcpy(w.host, v[WL_HOST].string, sizeof(w.host));
	workload_gen_config_init(g);
	if (v[WL_NAME].given) {
		scenario_name_check(L, what, v[WL_NAME].string);
		g_strlcpy(g->name, v[WL_NAME].string, sizeof(g->name));
	} else {
		default_name(L, sc, w.host, g->name);
	}
	g->arrival = (enum workload_arrival)scenario_choose(L, what, "arrival",
							     v[WL_ARRIVAL].string, arrival_names,
							     G_N_ELEMENTS(arrival_names));
	poisson = g->arrival == WORKLOAD_POISSON;
	if (!v[poisson ? WL_RATE : WL_PERIOD].given)
		script_error_at_caller(L, SCRIPT_ERROR_DECL, "%s arrivals in %s need %s",
				       arrival_names[g->arrival], what,
				       poisson ? "rate = \"50/s\"" : "period = \"1s\"");
	if (v[poisson ? WL_PERIOD : WL_RATE].given)
		script_error_at_caller(L, SCRIPT_ERROR_DECL, "%s arrivals in %s take a %s, not a %s",
				       arrival_names[g->arrival], what, poisson ? "rate" : "period",
				       poisson ? "period" : "rate");
	g->rate = v[WL_RATE].rate;
	g->period = v[WL_PERIOD].time;
	g->start = v[WL_START].time;
	g->stop = v[WL_STOP].time;
	if (v[WL_MAX_REQUESTS].integer < 0 || v[WL_BURST].integer < 1 ||
	    v[WL_BURST].integer > UINT32_MAX)
		script_error_at_caller(L, SCRIPT_ERROR_DECL, "%s needs max_requests >= 0 and burst "
				       ">= 1", what);
	g->max_requests = (uint64_t)v[WL_MAX_REQUESTS].integer;
	g->burst = (unsigned)v[WL_BURST].integer;
	if (lua_getfield(L, 1, "size") != LUA_TNIL)
		dist_read(L, what, "size", SCRIPT_KIND_SIZE, &g->size);
	else
		lua_pop(L, 1);
	if (lua_getfield(L, 1, "hold") != LUA_TNIL)
		dist_read(L, what, "hold", SCRIPT_KIND_TIME, &g->hold);
	else
		lua_pop(L, 1);
	if (lua_getfield(L, 1, "busy_tail") != LUA_TNIL)
		dist_read(L, what, "busy_tail", SCRIPT_KIND_TIME, &g->busy_tail);
	else
		lua_pop(L, 1);
	g->use_fraction = fraction(L, what, "use", &v[WL_USE]);
	g->busy_release = fraction(L, what, "busy_release", &v[WL_BUSY_RELEASE]);
	g->forced = fraction(L, what, "forced", &v[WL_FORCED]);
	g->region = region_read(L, what, &v[WL_REGION]);
	g->select = select_read(L, what, &v[WL_SELECT]);
	g->tagged = v[WL_TAGGED].boolean;
	if (!workload_gen_config_validate(g, &error))
		scenario_raise(L, "", error);
	scenario_decl_add(L, sc, "workload", g->name, sc->workloads->len);
	g_array_append_val(sc->workloads, w);
	return 0;
}

/* ---- request{} and the requests of add() ------------------------------------------ */

enum {
	RQ_AT, RQ_HOST, RQ_SIZE, RQ_REGION, RQ_SELECT, RQ_TAG, RQ_USE, RQ_USE_FOR, RQ_HOLD,
	RQ_FORCED, RQ_KEYS
};

/* add{} takes the same keys but `at`, the first. */
static const struct script_key request_keys[RQ_KEYS] = {
	[RQ_AT] = { "at", SCRIPT_KIND_TIME, true, NULL },
	[RQ_HOST] = { "host", SCRIPT_KIND_STRING, true, NULL },
	[RQ_SIZE] = { "size", SCRIPT_KIND_SIZE, true, NULL },
	[RQ_REGION] = { "region", SCRIPT_KIND_INTEGER, false, "0" },
	[RQ_SELECT] = { "select", SCRIPT_KIND_STRING, false, "free" },
	[RQ_TAG] = { "tag", SCRIPT_KIND_INTEGER, false, "0" },
	[RQ_USE] = { "use", SCRIPT_KIND_NUMBER, false, "0" },
	[RQ_USE_FOR] = { "use_for", SCRIPT_KIND_TABLE, false, NULL },
	[RQ_HOLD] = { "hold", SCRIPT_KIND_TABLE, false, NULL },
	[RQ_FORCED] = { "forced", SCRIPT_KIND_BOOLEAN, false, "false" },
};

static const char *const request_custom[] = { "use_for", "hold", NULL };

void scenario_item_read(lua_State *L, int index, const char *what, bool timed,
			struct fabric_item *out)
{
	struct script_value v[RQ_KEYS];
	struct workload_item *it = &out->item;
	size_t first = timed ? 0 : 1;

	index = lua_absindex(L, index);
	memset(out, 0, sizeof(*out));
	scenario_check(L, index, what, request_keys + first, RQ_KEYS - first, v + first,
		       request_custom);
	scenario_name_check(L, what, v[RQ_HOST].string);
	g_strlcpy(out->host, v[RQ_HOST].string, sizeof(out->host));
	it->at = timed ? v[RQ_AT].time : 0;
	it->size = v[RQ_SIZE].size;
	if (it->size == 0)
		script_error_at_caller(L, SCRIPT_ERROR_DECL, "key 'size' in %s must be positive",
				       what);
	it->region = region_read(L, what, &v[RQ_REGION]);
	it->select = select_read(L, what, &v[RQ_SELECT]);
	if (v[RQ_TAG].integer < 0)
		script_error_at_caller(L, SCRIPT_ERROR_DECL, "key 'tag' in %s must not be negative",
				       what);
	it->tag = (uint64_t)v[RQ_TAG].integer;
	it->use_fraction = fraction(L, what, "use", &v[RQ_USE]);
	it->hold = WORKLOAD_NEVER;
	if (lua_getfield(L, index, "hold") != LUA_TNIL)
		it->hold = time_or_never(L, what, "hold");
	else
		lua_pop(L, 1);
	/* by default the use stops when the release comes */
	it->use_for = it->hold;
	if (lua_getfield(L, index, "use_for") != LUA_TNIL)
		it->use_for = time_or_never(L, what, "use_for");
	else
		lua_pop(L, 1);
	it->forced = v[RQ_FORCED].boolean;
}

/* request{ at = ..., host = ..., size = ... } [, where]: WHERE, "file:line"
 * of a trace row, replaces the caller's line in errors found later. */
static int lua_request(lua_State *L)
{
	struct scenario *sc = scenario_from_lua(L);
	const char *where = luaL_optstring(L, 2, NULL);
	struct fabric_item item;
	const char *file;
	int line = 0;

	scenario_item_read(L, 1, "request{}", true, &item);
	file = where ? NULL : script_caller_line(L, &line);
	g_array_append_val(sc->items, item);
	g_ptr_array_add(sc->item_where, where ? g_strdup(where) : file ?
			g_strdup_printf("%s:%d", file, line) : g_strdup(sc->path));
	return 0;
}

/* ---- read_csv(name) ------------------------------------------------------------------ */

/* Splits the CSV line [P, END) into fields pushed on the stack (quotes
 * with "" escapes; spaces around fields trimmed); returns their count, or
 * -1 for an unterminated quote. */
static int csv_fields(lua_State *L, const char *p, const char *end)
{
	int n = 0;

	for (;;) {
		luaL_Buffer b;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		luaL_checkstack(L, 2, "too many fields");
		luaL_buffinit(L, &b);
		if (p < end && *p == '"') {
			for (p++;; p++) {
				if (p >= end)
					return -1;
				if (*p == '"' && (p + 1 >= end || p[1] != '"'))
					break;
				if (*p == '"')
					p++;
				luaL_addchar(&b, *p);
			}
			p++;
			while (p < end && (*p == ' ' || *p == '\t'))
				p++;
		} else {
			const char *start = p, *stop;

			while (p < end && *p != ',')
				p++;
			for (stop = p; stop > start && (stop[-1] == ' ' || stop[-1] == '\t'); stop--)
				;
			luaL_addlstring(&b, start, (size_t)(stop - start));
		}
		luaL_pushresult(&b);
		n++;
		if (p >= end || *p != ',')
			return n;
		p++;
	}
}

/* A trace name: relative, inside the scenario's folder. */
static void csv_name_check(lua_State *L, const char *name)
{
	if (!*name || g_path_is_absolute(name) || name[0] == '/' || strstr(name, "..") ||
	    strchr(name, '\\'))
		script_error_at_caller(L, SCRIPT_ERROR_LOAD, "read_csv: '%s' is not a file name "
				       "inside the scenario's folder (no absolute paths, no '..')",
				       name);
}

/* read_csv(name) -> rows, lines, path: the CSV file NAME of the scenario's
 * folder, its first line the column names; each row a table of column
 * name -> text (empty cells left out), LINES[i] the line of row i.  Blank
 * lines and lines starting with '#' are skipped. */
static int lua_read_csv(lua_State *L)
{
	struct scenario *sc = scenario_from_lua(L);
	const char *name = luaL_checkstring(L, 1);
	const char *path, *text, *p, *end, *stop;
	gchar *contents = NULL;
	GError *error = NULL;
	int columns = 0, line = 0, header, rows, lines;
	size_t len;

	csv_name_check(L, name);
	path = strcmp(sc->folder, ".") ? lua_pushfstring(L, "%s/%s", sc->folder, name)
				       : lua_pushstring(L, name);
	if (!g_file_test(path, G_FILE_TEST_IS_REGULAR))
		script_error_at_caller(L, SCRIPT_ERROR_LOAD, "read_csv: no file '%s'", path);
	if (!g_file_get_contents(path, &contents, &len, &error))
		scenario_raise(L, "read_csv: ", error);
	if (len > CSV_MAX_BYTES) {
		g_free(contents);
		script_error_at_caller(L, SCRIPT_ERROR_LOAD, "read_csv: '%s' is larger than %zu MiB",
				       path, CSV_MAX_BYTES >> 20);
	}
	/* the text moves into Lua's memory: a raise must leak nothing */
	text = lua_pushlstring(L, contents, len);
	stop = text + len;
	g_free(contents);
	lua_newtable(L);
	header = lua_gettop(L);
	lua_newtable(L);
	rows = lua_gettop(L);
	lua_newtable(L);
	lines = lua_gettop(L);
	for (p = text; p < stop; p = end + 1) {
		const char *start = p;
		int n, base;

		end = memchr(p, '\n', (size_t)(stop - p));
		end = end ? end : stop;
		line++;
		while (start < end && (*start == ' ' || *start == '\t' || *start == '\r'))
			start++;
		if (start == end || *start == '#')
			continue;
		base = lua_gettop(L);
		n = csv_fields(L, start, end[-1] == '\r' ? end - 1 : end);
		if (n < 0)
			script_error_at_caller(L, SCRIPT_ERROR_DECL, "%s:%d: unterminated quote", path,
					       line);
		if (!columns) {
			for (int i = n; i >= 1; i--)
				lua_rawseti(L, header, i);
			columns = n;
			continue;
		}
		if (n > columns)
			script_error_at_caller(L, SCRIPT_ERROR_DECL, "%s:%d: %d fields, the header "
					       "names %d", path, line, n, columns);
		lua_createtable(L, 0, n);
		for (int i = 1; i <= n; i++) {
			if (lua_rawlen(L, base + i) == 0)
				continue;
			lua_rawgeti(L, header, i);
			lua_pushvalue(L, base + i);
			lua_rawset(L, -3);
		}
		lua_rawseti(L, rows, (lua_Integer)lua_rawlen(L, rows) + 1);
		lua_settop(L, base);
		lua_pushinteger(L, line);
		lua_rawseti(L, lines, (lua_Integer)lua_rawlen(L, lines) + 1);
	}
	lua_pushvalue(L, rows);
	lua_pushvalue(L, lines);
	lua_pushstring(L, path);
	return 3;
}

/* ---- after the file ran ------------------------------------------------------------ */

bool scenario_size_unit(const struct scenario *sc, const char *host, unsigned region,
			uint64_t *out)
{
	const struct scenario_decl *h = scenario_decl_find(sc, "host", host);
	const struct scenario_decl *d;
	const struct fabric_host_config *hc;
	const struct dcd_config *c;

	if (!h)
		return false;
	hc = &g_array_index(sc->hosts, struct fabric_host_config, h->index);
	d = scenario_decl_find(sc, "device", hc->devices[0]);
	if (!d)
		return false;
	c = &g_array_index(sc->devices, struct fabric_device_config, d->index).dcd;
	if (region >= c->nregions)
		return false;
	*out = c->regions[region].block_size * hc->host.ways;
	return true;
}

/* HOST names a declared host; else ERROR at WHERE, with a suggestion. */
static bool host_known(const struct scenario *sc, const char *what, const char *host,
		       const char *where, GError **error)
{
	g_autofree const char **names = NULL;
	const char *guess;

	if (scenario_decl_find(sc, "host", host))
		return true;
	names = g_new0(const char *, sc->hosts->len + 1);
	for (guint i = 0; i < sc->hosts->len; i++)
		names[i] = g_array_index(sc->hosts, struct fabric_host_config, i).host.name;
	guess = text_closest(host, names, sc->hosts->len);
	return scenario_fail_at(error, where, "%s: unknown host '%s'%s%s%s", what, host,
				guess ? " (did you mean '" : "", guess ? guess : "",
				guess ? "'?)" : "");
}

bool scenario_workload_resolve(struct scenario *sc, GError **error)
{
	for (guint i = 0; i < sc->workloads->len; i++) {
		const struct fabric_workload_config *w =
			&g_array_index(sc->workloads, struct fabric_workload_config, i);
		g_autofree char *what = g_strdup_printf("workload '%s'", w->gen.name);

		if (!host_known(sc, what, w->host,
				scenario_decl_find(sc, "workload", w->gen.name)->where, error))
			return false;
	}
	for (guint i = 0; i < sc->items->len; i++) {
		struct fabric_item *it = &g_array_index(sc->items, struct fabric_item, i);
		const char *where = g_ptr_array_index(sc->item_where, i);
		uint64_t unit;

		if (!host_known(sc, "request{}", it->host, where, error))
			return false;
		if (!scenario_size_unit(sc, it->host, it->item.region, &unit))
			return scenario_fail_at(error, where, "request{}: host '%s' has no DC region "
						"%u", it->host, it->item.region);
		if (it->item.size > UINT64_MAX - unit)
			return scenario_fail_at(error, where, "request{}: size too large");
		/* whole blocks on every device, as generated requests */
		it->item.size = (it->item.size + unit - 1) / unit * unit;
	}
	return true;
}

void scenario_workload_register(struct script *s)
{
	script_function_register(s, "workload", lua_workload);
	script_function_register(s, "request", lua_request);
	script_function_register(s, "read_csv", lua_read_csv);
}
