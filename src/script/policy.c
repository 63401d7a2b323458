/* The Lua host policy adapter: a table of Lua callbacks behind struct
 * host_policy_ops, and the read-only view of the host they get.
 *
 * The view is a set of proxies: userdata holding ids (a call epoch, a
 * position, an index), never pointers.  A callback runs inside a call
 * frame that knows the host; the per-state epoch moves when a call starts
 * and ends, so a proxy kept past its callback is refused instead of
 * reading a host that has moved on. */
#include "script/policy.h"

#include "sim/text.h"
#include "sim/units.h"

#include <inttypes.h>
#include <lauxlib.h>
#include <limits.h>
#include <lua.h>
#include <string.h>

#define HOST_META "dcdsim.host"
#define CHAIN_META "dcdsim.chain"
#define OFFER_META "dcdsim.offer"
#define EXTENT_META "dcdsim.extent"
#define RELEASE_META "dcdsim.release"
/* Registry: the struct policy_state of the Lua state. */
#define STATE_KEY "dcdsim.policy.state"

enum callback { CB_CHAIN, CB_RELEASE, CB_FORCED, CB_REGION, CB_TIMER, CB_COUNT };

static const char *const callback_names[CB_COUNT] = {
	"on_chain", "on_release", "on_forced", "on_region_update", "on_timer",
};

/* The answers, as Lua writes them; indexed by the host enums. */
static const char *const release_answers[] = { "ignore", "defer", "now" };
static const char *const forced_answers[] = { "ignore", "drop" };

enum {
	DEF_BUSY_RELEASE, DEF_FORCED_RELEASE, DEF_TAG_GROUPS, DEF_REGION_UPDATES,
	DEF_CHAIN_TIMEOUT, DEF_ASSEMBLY_TIMEOUT, DEF_MAX_PENDING, DEF_ALIGNMENT, DEF_KEYS
};

static const struct script_key default_keys[DEF_KEYS] = {
	[DEF_BUSY_RELEASE] = { "busy_release", SCRIPT_KIND_STRING, FALSE, NULL },
	[DEF_FORCED_RELEASE] = { "forced_release", SCRIPT_KIND_STRING, FALSE, NULL },
	[DEF_TAG_GROUPS] = { "tag_groups", SCRIPT_KIND_BOOLEAN, FALSE, NULL },
	[DEF_REGION_UPDATES] = { "region_updates", SCRIPT_KIND_BOOLEAN, FALSE, NULL },
	[DEF_CHAIN_TIMEOUT] = { "chain_timeout", SCRIPT_KIND_TIME, FALSE, NULL },
	[DEF_ASSEMBLY_TIMEOUT] = { "assembly_timeout", SCRIPT_KIND_TIME, FALSE, NULL },
	[DEF_MAX_PENDING] = { "max_pending", SCRIPT_KIND_INTEGER, FALSE, NULL },
	[DEF_ALIGNMENT] = { "alignment", SCRIPT_KIND_SIZE, FALSE, NULL },
};

struct script_policy {
	struct script *s;
	char name[HOST_NAME_SIZE];
	int ref;			/* the policy table */
	int fn[CB_COUNT];		/* the callbacks; LUA_NOREF when absent */
	char *where[CB_COUNT];		/* "file:line" each callback is defined at */
	unsigned max_ways;
	bool set[DEF_KEYS];		/* the defaults the policy declares */
	struct host_config defaults;	/* their values */
	struct host_policy_ops ops;
	GArray *extents;		/* struct host_extent_info: the call's snapshot */
	enum script_policy_fault fault;
	GError *error;
};

/* One callback running. */
struct policy_call {
	struct script_policy *p;
	const struct host *h;
	enum callback cb;
	int top;				/* the stack below the call */
	unsigned position;
	const struct proto_extent *requested;	/* on_release, on_forced */
	uint64_t in_use;			/* on_release */
	bool extents_ready;			/* p->extents holds this call's */
};

/* Per Lua state, a userdata in the registry. */
struct policy_state {
	lua_Integer epoch;		/* moves when a call starts and ends */
	struct policy_call *call;	/* the one running, or NULL */
};

/* What every proxy holds. */
struct proxy {
	lua_Integer epoch;
	unsigned position;
	size_t index;
};

/* ---- the call frame ---------------------------------------------------------- */

static struct policy_state *state_get(lua_State *L)
{
	struct policy_state *st;

	lua_getfield(L, LUA_REGISTRYINDEX, STATE_KEY);
	st = lua_touserdata(L, -1);
	lua_pop(L, 1);
	return st;
}

/* The proxy at IDX of type META, checked to belong to the running call. */
static struct policy_call *proxy_check(lua_State *L, int idx, const char *meta,
				       struct proxy **out)
{
	struct proxy *pr = luaL_checkudata(L, idx, meta);
	struct policy_state *st = state_get(L);

	if (!st->call || pr->epoch != st->epoch)
		luaL_error(L, "this %s was given to an earlier callback: a view is valid only "
			   "inside the callback that got it", meta);
	if (out)
		*out = pr;
	return st->call;
}

static struct proxy *proxy_push(lua_State *L, const char *meta, unsigned position, size_t index)
{
	struct proxy *pr = lua_newuserdatauv(L, sizeof(*pr), 0);

	pr->epoch = state_get(L)->epoch;
	pr->position = position;
	pr->index = index;
	luaL_setmetatable(L, meta);
	return pr;
}

static void push_u64(lua_State *L, uint64_t v)
{
	lua_pushinteger(L, (lua_Integer)v);
}

/* Field NAME of the table on the top of the stack. */
static void set_u64(lua_State *L, const char *name, uint64_t v)
{
	push_u64(L, v);
	lua_setfield(L, -2, name);
}

static void set_string(lua_State *L, const char *name, const char *v)
{
	lua_pushstring(L, v);
	lua_setfield(L, -2, name);
}

static void set_bool(lua_State *L, const char *name, bool v)
{
	lua_pushboolean(L, v);
	lua_setfield(L, -2, name);
}

/* A tag as its UUID text, nil for none. */
static void push_tag(lua_State *L, const uint8_t tag[PROTO_TAG_SIZE])
{
	char text[37];
	size_t n = 0;

	if (proto_tag_is_zero(tag)) {
		lua_pushnil(L);
		return;
	}
	for (size_t i = 0; i < PROTO_TAG_SIZE; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			text[n++] = '-';
		n += (size_t)g_snprintf(text + n, sizeof(text) - n, "%02x", tag[i]);
	}
	lua_pushlstring(L, text, n);
}

/* The tag written as push_tag() does (dashes optional), or a raise. */
static void tag_check(lua_State *L, int idx, uint8_t tag[PROTO_TAG_SIZE])
{
	const char *text = luaL_checkstring(L, idx);
	size_t n = 0;

	for (const char *c = text; *c; c++) {
		if (*c == '-')
			continue;
		if (!g_ascii_isxdigit(*c) || n == 2 * PROTO_TAG_SIZE)
			luaL_argerror(L, idx, "a tag is a UUID: 32 hex digits, dashes allowed");
		if (n % 2 == 0)
			tag[n / 2] = 0;
		tag[n / 2] = (uint8_t)(tag[n / 2] << 4 | g_ascii_xdigit_value(*c));
		n++;
	}
	if (n != 2 * PROTO_TAG_SIZE)
		luaL_argerror(L, idx, "a tag is a UUID: 32 hex digits, dashes allowed");
}

static unsigned position_check(lua_State *L, int idx, const struct host *h)
{
	lua_Integer p = luaL_checkinteger(L, idx);
	unsigned ways = host_get_config(h)->ways;

	if (p < 0 || (lua_Integer)ways <= p)
		luaL_error(L, "bad position %I: host '%s' has positions 0 to %d", p, host_get_name(h),
			   (int)ways - 1);
	return (unsigned)p;
}

static uint64_t u64_check(lua_State *L, int idx)
{
	lua_Integer v = luaL_checkinteger(L, idx);

	luaL_argcheck(L, v >= 0, idx, "must not be negative");
	return (uint64_t)v;
}

static int read_only(lua_State *L)
{
	luaL_getmetafield(L, 1, "__name");
	return luaL_error(L, "%s is read-only: a policy changes the host only by its answers",
			  lua_tostring(L, -1));
}

static int unknown_field(lua_State *L, const char *meta, const char *key,
			 const char *const *fields, size_t n)
{
	const char *guess = text_closest(key, fields, n);

	if (guess)
		return luaL_error(L, "%s has no field '%s' (did you mean '%s'?)", meta, key, guess);
	return luaL_error(L, "%s has no field '%s'", meta, key);
}

/* ---- dcdsim.offer and dcdsim.chain --------------------------------------------- */

static const char *const offer_fields[] = {
	"position", "device", "index", "start", "length", "tag", "shared",
};

static int offer_index(lua_State *L)
{
	struct proxy *pr;
	struct policy_call *c = proxy_check(L, 1, OFFER_META, &pr);
	const char *key = luaL_checkstring(L, 2);
	size_t n;
	const struct proto_extent *e = host_chain_get(c->h, pr->position, &n);

	if (pr->index >= n)
		return luaL_error(L, "this dcdsim.offer is no longer in its chain");
	e += pr->index;
	if (!strcmp(key, "position"))
		lua_pushinteger(L, pr->position);
	else if (!strcmp(key, "device"))
		lua_pushinteger(L, host_get_config(c->h)->devices[pr->position]);
	else if (!strcmp(key, "index"))
		push_u64(L, pr->index + 1);
	else if (!strcmp(key, "start"))
		push_u64(L, e->start);
	else if (!strcmp(key, "length"))
		push_u64(L, e->len);
	else if (!strcmp(key, "tag"))
		push_tag(L, e->tag);
	else if (!strcmp(key, "shared"))
		lua_pushboolean(L, e->seq != 0);
	else
		return unknown_field(L, OFFER_META, key, offer_fields, G_N_ELEMENTS(offer_fields));
	return 1;
}

static int offer_tostring(lua_State *L)
{
	struct proxy *pr;
	struct policy_call *c = proxy_check(L, 1, OFFER_META, &pr);
	size_t n;
	const struct proto_extent *e = host_chain_get(c->h, pr->position, &n);

	if (pr->index >= n)
		return luaL_error(L, "this dcdsim.offer is no longer in its chain");
	lua_pushfstring(L, "dcdsim.offer %I of position %d: [%I, +%I)", (lua_Integer)pr->index + 1,
			(int)pr->position, (lua_Integer)e[pr->index].start,
			(lua_Integer)e[pr->index].len);
	return 1;
}

static int chain_index(lua_State *L)
{
	static const char *const fields[] = { "position", "device" };
	struct proxy *pr;
	struct policy_call *c = proxy_check(L, 1, CHAIN_META, &pr);
	size_t n;

	host_chain_get(c->h, pr->position, &n);
	if (lua_type(L, 2) == LUA_TNUMBER) {
		lua_Integer i = luaL_checkinteger(L, 2);

		if (i < 1 || (lua_Integer)n < i)
			lua_pushnil(L);
		else
			proxy_push(L, OFFER_META, pr->position, (size_t)i - 1);
		return 1;
	}
	if (!strcmp(luaL_checkstring(L, 2), "position"))
		lua_pushinteger(L, pr->position);
	else if (!strcmp(lua_tostring(L, 2), "device"))
		lua_pushinteger(L, host_get_config(c->h)->devices[pr->position]);
	else
		return unknown_field(L, CHAIN_META, lua_tostring(L, 2), fields,
				     G_N_ELEMENTS(fields));
	return 1;
}

static int chain_len(lua_State *L)
{
	struct proxy *pr;
	struct policy_call *c = proxy_check(L, 1, CHAIN_META, &pr);
	size_t n;

	host_chain_get(c->h, pr->position, &n);
	push_u64(L, n);
	return 1;
}

static int chain_tostring(lua_State *L)
{
	struct proxy *pr;
	struct policy_call *c = proxy_check(L, 1, CHAIN_META, &pr);
	size_t n;

	host_chain_get(c->h, pr->position, &n);
	lua_pushfstring(L, "dcdsim.chain of position %d: %I extents", (int)pr->position,
			(lua_Integer)n);
	return 1;
}

/* ---- dcdsim.extent ------------------------------------------------------------- */

static int extent_collect(const struct host_extent_info *info, void *data)
{
	g_array_append_vals(data, info, 1);
	return 0;
}

/* The host's pieces, read once per call. */
static const struct host_extent_info *extents_of(struct policy_call *c, size_t *n)
{
	if (!c->extents_ready) {
		g_array_set_size(c->p->extents, 0);
		host_extents_foreach(c->h, extent_collect, c->p->extents);
		c->extents_ready = true;
	}
	*n = c->p->extents->len;
	return (const struct host_extent_info *)(void *)c->p->extents->data;
}

static const char *const extent_fields[] = {
	"position", "device", "start", "length", "tag", "state", "stale", "accessible",
	"hpa", "hpa_length", "in_use",
};

static int extent_index(lua_State *L)
{
	struct proxy *pr;
	struct policy_call *c = proxy_check(L, 1, EXTENT_META, &pr);
	const char *key = luaL_checkstring(L, 2);
	size_t n;
	const struct host_extent_info *x = extents_of(c, &n) + pr->index;

	if (!strcmp(key, "position"))
		lua_pushinteger(L, x->position);
	else if (!strcmp(key, "device"))
		lua_pushinteger(L, x->device);
	else if (!strcmp(key, "start"))
		push_u64(L, x->start);
	else if (!strcmp(key, "length"))
		push_u64(L, x->len);
	else if (!strcmp(key, "tag"))
		push_tag(L, x->tag);
	else if (!strcmp(key, "state"))
		lua_pushstring(L, host_extent_state_name(x->state));
	else if (!strcmp(key, "stale"))
		lua_pushboolean(L, x->stale);
	else if (!strcmp(key, "accessible"))
		lua_pushboolean(L, x->accessible);
	else if (!strcmp(key, "hpa"))
		push_u64(L, x->hpa);
	else if (!strcmp(key, "hpa_length"))
		push_u64(L, x->hpa_len);
	else if (!strcmp(key, "in_use"))
		push_u64(L, x->in_use);
	else
		return unknown_field(L, EXTENT_META, key, extent_fields, G_N_ELEMENTS(extent_fields));
	return 1;
}

static int extent_tostring(lua_State *L)
{
	struct proxy *pr;
	struct policy_call *c = proxy_check(L, 1, EXTENT_META, &pr);
	size_t n;
	const struct host_extent_info *x = extents_of(c, &n) + pr->index;

	lua_pushfstring(L, "dcdsim.extent of position %d: [%I, +%I) %s", (int)x->position,
			(lua_Integer)x->start, (lua_Integer)x->len, host_extent_state_name(x->state));
	return 1;
}

/* ---- dcdsim.release (on_release, on_forced) --------------------------------------- */

static int release_index(lua_State *L)
{
	static const char *const fields[] = {
		"kind", "position", "device", "start", "length", "tag", "in_use",
	};
	struct policy_call *c = proxy_check(L, 1, RELEASE_META, NULL);
	const char *key = luaL_checkstring(L, 2);
	const struct proto_extent *e = c->requested;

	if (!strcmp(key, "kind"))
		lua_pushstring(L, c->cb == CB_FORCED ? "forced" : "release");
	else if (!strcmp(key, "position"))
		lua_pushinteger(L, c->position);
	else if (!strcmp(key, "device"))
		lua_pushinteger(L, host_get_config(c->h)->devices[c->position]);
	else if (!strcmp(key, "start"))
		push_u64(L, e->start);
	else if (!strcmp(key, "length"))
		push_u64(L, e->len);
	else if (!strcmp(key, "tag"))
		push_tag(L, e->tag);
	else if (!strcmp(key, "in_use"))
		push_u64(L, c->in_use);
	else
		return unknown_field(L, RELEASE_META, key, fields, G_N_ELEMENTS(fields));
	return 1;
}

/* ---- dcdsim.host ---------------------------------------------------------------- */

static struct policy_call *view_check(lua_State *L)
{
	return proxy_check(L, 1, HOST_META, NULL);
}

static int view_name(lua_State *L)
{
	lua_pushstring(L, host_get_name(view_check(L)->h));
	return 1;
}

static int view_id(lua_State *L)
{
	lua_pushinteger(L, host_get_id(view_check(L)->h));
	return 1;
}

static int view_ways(lua_State *L)
{
	lua_pushinteger(L, host_get_config(view_check(L)->h)->ways);
	return 1;
}

static int view_granularity(lua_State *L)
{
	push_u64(L, host_get_config(view_check(L)->h)->granularity);
	return 1;
}

static int view_now(lua_State *L)
{
	push_u64(L, sim_now(host_get_sim(view_check(L)->h)));
	return 1;
}

/* A fresh table of the host's policy parameters. */
static int view_config(lua_State *L)
{
	const struct host_config *cfg = host_get_config(view_check(L)->h);

	lua_createtable(L, 0, 11);
	set_string(L, "busy_release", release_answers[cfg->busy_release]);
	set_string(L, "forced_release", forced_answers[cfg->forced]);
	set_bool(L, "tag_groups", cfg->tag_groups);
	set_bool(L, "region_updates", cfg->region_updates);
	set_u64(L, "chain_timeout", cfg->chain_timeout);
	set_u64(L, "assembly_timeout", cfg->assembly_timeout);
	set_u64(L, "max_pending", cfg->max_pending);
	set_u64(L, "alignment", cfg->alignment);
	set_u64(L, "memory_block", cfg->memory_block);
	set_u64(L, "region", cfg->region);
	set_string(L, "policy", cfg->policy);
	return 1;
}

static int view_decoder(lua_State *L)
{
	const struct host *h = view_check(L)->h;
	unsigned p = position_check(L, 2, h);
	const struct host_config *cfg = host_get_config(h);

	lua_createtable(L, 0, 3);
	set_u64(L, "device", cfg->devices[p]);
	set_u64(L, "base", cfg->decoders[p].dpa_base);
	set_u64(L, "length", cfg->decoders[p].dpa_len);
	return 1;
}

/* The (position, start, length) arguments of the helpers. */
static const struct host *range_args(lua_State *L, unsigned *p, uint64_t *start, uint64_t *len)
{
	const struct host *h = view_check(L)->h;

	*p = position_check(L, 2, h);
	*start = u64_check(L, 3);
	*len = u64_check(L, 4);
	return h;
}

static bool range_overlaps(const struct host *h, unsigned position, uint64_t start, uint64_t len)
{
	return host_overlap(h, position, start, len) != HOST_OVERLAP_NONE;
}

/* view:NAME(position, start, len): TEST of the range, as a boolean. */
static int push_range_test(lua_State *L,
			   bool (*test)(const struct host *, unsigned, uint64_t, uint64_t))
{
	unsigned p;
	uint64_t start, len;
	const struct host *h = range_args(L, &p, &start, &len);

	lua_pushboolean(L, test(h, p, start, len));
	return 1;
}

static int view_decoder_contains(lua_State *L)
{
	return push_range_test(L, host_decoder_contains);
}

static int view_block_aligned(lua_State *L)
{
	return push_range_test(L, host_block_aligned);
}

static int view_overlaps(lua_State *L)
{
	return push_range_test(L, range_overlaps);
}

static int view_tag_in_use(lua_State *L)
{
	const struct host *h = view_check(L)->h;
	uint8_t tag[PROTO_TAG_SIZE];

	tag_check(L, 2, tag);
	lua_pushboolean(L, host_tag_in_use(h, tag));
	return 1;
}

static int view_can_access(lua_State *L)
{
	const struct host *h = view_check(L)->h;
	lua_Integer device = luaL_checkinteger(L, 2);

	lua_pushboolean(L, device >= 0 && device <= UINT_MAX &&
			   host_can_access(h, (unsigned)device, u64_check(L, 3)));
	return 1;
}

static int view_extents(lua_State *L)
{
	struct policy_call *c = view_check(L);
	size_t n;

	extents_of(c, &n);
	lua_createtable(L, (int)MIN(n, (size_t)INT_MAX), 0);
	for (size_t i = 0; i < n; i++) {
		proxy_push(L, EXTENT_META, 0, i);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

static int view_chain(lua_State *L)
{
	const struct host *h = view_check(L)->h;

	proxy_push(L, CHAIN_META, position_check(L, 2, h), 0);
	return 1;
}

static int view_stats(lua_State *L)
{
	static const struct {
		const char *name;
		size_t offset;
	} fields[] = {
#define F(x) { #x, offsetof(struct host_stats, x) }
		F(online_bytes), F(in_use_bytes), F(assembling_bytes), F(stale_bytes),
		F(region_extents), F(chains_open), F(records), F(extents_accepted),
		F(extents_rejected), F(releases), F(deferred), F(ignored), F(forced),
		F(lost_bytes), F(chain_timeouts), F(assembly_timeouts), F(mbox_failures),
		F(interrupts),
#undef F
	};
	struct host_stats st;

	host_get_stats(view_check(L)->h, &st);
	lua_createtable(L, 0, (int)G_N_ELEMENTS(fields) + 1);
	for (size_t i = 0; i < G_N_ELEMENTS(fields); i++) {
		uint64_t v;

		memcpy(&v, (const char *)&st + fields[i].offset, sizeof(v));
		set_u64(L, fields[i].name, v);
	}
	set_bool(L, "region_destroyed", st.region_destroyed);
	return 1;
}

/* host:timer(delay, value): on_timer(host, value) after DELAY (ns or "10ms"). */
static int view_timer(lua_State *L)
{
	struct policy_call *c = view_check(L);
	g_autoptr(GError) error = NULL;
	uint64_t delay;
	int ref;

	if (c->p->fn[CB_TIMER] == LUA_NOREF)
		return luaL_error(L, "host:timer() needs an on_timer callback in the policy");
	if (lua_type(L, 2) == LUA_TSTRING) {
		if (!units_time_parse(lua_tostring(L, 2), &delay, &error))
			return luaL_error(L, "host:timer(): %s", error->message);
	} else {
		delay = u64_check(L, 2);
	}
	lua_settop(L, 3);
	ref = luaL_ref(L, LUA_REGISTRYINDEX);
	/* LUA_REFNIL (-1) for nil: the argument is the reference shifted to >= 0 */
	host_policy_timer(c->h, delay, (uint64_t)(ref - LUA_REFNIL));
	return 0;
}

static const luaL_Reg view_methods[] = {
	{ "name", view_name },
	{ "id", view_id },
	{ "ways", view_ways },
	{ "granularity", view_granularity },
	{ "now", view_now },
	{ "config", view_config },
	{ "decoder", view_decoder },
	{ "decoder_contains", view_decoder_contains },
	{ "block_aligned", view_block_aligned },
	{ "overlaps", view_overlaps },
	{ "tag_in_use", view_tag_in_use },
	{ "can_access", view_can_access },
	{ "extents", view_extents },
	{ "chain", view_chain },
	{ "stats", view_stats },
	{ "timer", view_timer },
	{ NULL, NULL },
};

static int view_index(lua_State *L)
{
	const char *key = luaL_checkstring(L, 2);
	const char *names[G_N_ELEMENTS(view_methods)];
	size_t n = 0;

	view_check(L);
	for (const luaL_Reg *m = view_methods; m->name; m++) {
		if (!strcmp(m->name, key)) {
			lua_pushcfunction(L, m->func);
			return 1;
		}
		names[n++] = m->name;
	}
	return unknown_field(L, HOST_META, key, names, n);
}

static int view_tostring(lua_State *L)
{
	lua_pushfstring(L, "dcdsim.host '%s'", host_get_name(view_check(L)->h));
	return 1;
}

/* The metatables, and the state, once per Lua state. */
static void view_install(lua_State *L)
{
	static const struct {
		const char *meta;
		lua_CFunction index, tostring, len;
	} types[] = {
		{ HOST_META, view_index, view_tostring, NULL },
		{ CHAIN_META, chain_index, chain_tostring, chain_len },
		{ OFFER_META, offer_index, offer_tostring, NULL },
		{ EXTENT_META, extent_index, extent_tostring, NULL },
		{ RELEASE_META, release_index, NULL, NULL },
	};

	if (lua_getfield(L, LUA_REGISTRYINDEX, STATE_KEY) != LUA_TNIL) {
		lua_pop(L, 1);
		return;
	}
	lua_pop(L, 1);
	memset(lua_newuserdatauv(L, sizeof(struct policy_state), 0), 0,
	       sizeof(struct policy_state));
	lua_setfield(L, LUA_REGISTRYINDEX, STATE_KEY);
	for (size_t i = 0; i < G_N_ELEMENTS(types); i++) {
		luaL_newmetatable(L, types[i].meta);
		lua_pushcfunction(L, types[i].index);
		lua_setfield(L, -2, "__index");
		lua_pushcfunction(L, read_only);
		lua_setfield(L, -2, "__newindex");
		if (types[i].tostring) {
			lua_pushcfunction(L, types[i].tostring);
			lua_setfield(L, -2, "__tostring");
		}
		if (types[i].len) {
			lua_pushcfunction(L, types[i].len);
			lua_setfield(L, -2, "__len");
		}
		/* getmetatable() gives the name, not the table */
		set_string(L, "__metatable", types[i].meta);
		lua_pop(L, 1);
	}
}

/* ---- calling the callbacks ------------------------------------------------------- */

/* Stops the run with ERROR (taken): its first line gets the policy, host,
 * callback and simulated time. */
static void call_fail(struct policy_call *c, enum script_policy_fault fault, GError *error)
{
	struct script_policy *p = c->p;
	struct sim *k = host_get_sim(c->h);
	const char *msg = error->message;
	const char *nl = strchr(msg, '\n');
	char at[UNITS_FORMAT_LEN];

	units_time_format(sim_now(k), at);
	p->fault = fault;
	p->error = g_error_new(SCRIPT_ERROR, error->code, "%.*s (policy '%s', host '%s', %s at "
			       "simulated %s)%s", nl ? (int)(nl - msg) : (int)strlen(msg), msg,
			       p->name, host_get_name(c->h), callback_names[c->cb], at,
			       nl ? nl : "");
	g_error_free(error);
	sim_fail(k, "%s", p->error->message);
}

/* An answer of the wrong shape: reported at the callback's definition. */
static void answer_fail(struct policy_call *c, enum script_policy_fault fault,
			const char *format, ...) G_GNUC_PRINTF(3, 4);

static void answer_fail(struct policy_call *c, enum script_policy_fault fault,
			const char *format, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, format);
	msg = g_strdup_vprintf(format, ap);
	va_end(ap);
	call_fail(c, fault, g_error_new(SCRIPT_ERROR, SCRIPT_ERROR_RUNTIME, "%s: %s %s",
					c->p->where[c->cb], callback_names[c->cb], msg));
}

/* Opens the call and pushes the callback and the host; false when the
 * policy failed before (the caller answers nothing). */
static bool call_begin(struct policy_call *c)
{
	lua_State *L = script_lua(c->p->s);
	struct policy_state *st = state_get(L);

	if (c->p->fault != SCRIPT_POLICY_OK)
		return false;
	c->top = lua_gettop(L);
	st->epoch++;
	st->call = c;
	lua_rawgeti(L, LUA_REGISTRYINDEX, c->p->fn[c->cb]);
	proxy_push(L, HOST_META, 0, 0);
	return true;
}

/* Runs the callback with the host and NARGS more arguments; true with its
 * answer on the stack. */
static bool call_run(struct policy_call *c, int nargs)
{
	GError *error = NULL;

	if (script_pcall(c->p->s, nargs + 1, 1, &error))
		return true;
	call_fail(c, SCRIPT_POLICY_LUA, error);
	return false;
}

/* Closes the call, dropping its answer; proxies go stale. */
static void call_end(struct policy_call *c)
{
	lua_State *L = script_lua(c->p->s);
	struct policy_state *st = state_get(L);

	lua_settop(L, c->top);
	st->epoch++;
	st->call = NULL;
}

/* The answer on top is one of the strings NAMES[0..N); N when it is not. */
static size_t answer_choice(lua_State *L, const char *const *names, size_t n)
{
	const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;

	for (size_t i = 0; s && i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	return n;
}

/* A value of the answer as a message shows it. */
static const char *answer_show(lua_State *L, int idx)
{
	if (lua_type(L, idx) == LUA_TSTRING)
		return lua_pushfstring(L, "\"%s\"", lua_tostring(L, idx));
	return luaL_tolstring(L, idx, NULL);
}

/* Marks the offer that item I (on top) of an on_chain answer names. */
static bool accept_item(struct policy_call *c, lua_Integer i, const struct proto_extent *offered,
			size_t n, bool *accept)
{
	lua_State *L = script_lua(c->p->s);
	struct proxy *pr = luaL_testudata(L, -1, OFFER_META);
	lua_Integer index = -1;

	if (pr) {
		if (pr->epoch != state_get(L)->epoch || pr->position != c->position) {
			answer_fail(c, SCRIPT_POLICY_OUTSIDE, "accepted an offer of another chain "
				    "(item %" LUA_INTEGER_FRMLEN "d of its answer)", i);
			return false;
		}
		index = (lua_Integer)pr->index;
	} else if (lua_isinteger(L, -1)) {
		index = lua_tointeger(L, -1) - 1;
		if (index < 0 || (lua_Integer)n <= index) {
			answer_fail(c, SCRIPT_POLICY_OUTSIDE, "accepted offer %" LUA_INTEGER_FRMLEN "d of a chain of %zu "
				    "(item %" LUA_INTEGER_FRMLEN "d of its answer)", index + 1, n, i);
			return false;
		}
	} else if (lua_type(L, -1) == LUA_TTABLE) {
		lua_Integer start, len;
		bool inside = false;

		lua_getfield(L, -1, "start");
		lua_getfield(L, -2, "length");
		if (!lua_isinteger(L, -2) || !lua_isinteger(L, -1)) {
			answer_fail(c, SCRIPT_POLICY_SHAPE, "answered a range without integer 'start' "
				    "and 'length' (item %" LUA_INTEGER_FRMLEN "d of its answer)", i);
			return false;
		}
		start = lua_tointeger(L, -2);
		len = lua_tointeger(L, -1);
		lua_pop(L, 2);
		for (size_t j = 0; j < n && index < 0; j++) {
			uint64_t s = offered[j].start, e = s + offered[j].len;

			if ((uint64_t)start == s && (uint64_t)len == offered[j].len)
				index = (lua_Integer)j;
			inside = inside || (start >= 0 && len > 0 && (uint64_t)start >= s &&
					    (uint64_t)(start + len) <= e);
		}
		if (index < 0 && inside) {
			answer_fail(c, SCRIPT_POLICY_SHAPE, "accepted part of an offered extent, "
				    "[%" G_GINT64_FORMAT ", +%" G_GINT64_FORMAT "): an extent is "
				    "accepted whole or not at all (item %" LUA_INTEGER_FRMLEN "d of its answer)",
				    (gint64)start, (gint64)len, i);
			return false;
		}
		if (index < 0) {
			answer_fail(c, SCRIPT_POLICY_OUTSIDE, "accepted [%" G_GINT64_FORMAT ", +%"
				    G_GINT64_FORMAT ") on position %u, which was not offered "
				    "(item %" LUA_INTEGER_FRMLEN "d of its answer)", (gint64)start, (gint64)len,
				    c->position, i);
			return false;
		}
	} else {
		answer_fail(c, SCRIPT_POLICY_SHAPE, "answered %s as item %" LUA_INTEGER_FRMLEN "d: items are offers, "
			    "their indices or { start =, length = } ranges", answer_show(L, -1), i);
		return false;
	}
	if (accept[index]) {
		answer_fail(c, SCRIPT_POLICY_SHAPE, "accepted offer %" LUA_INTEGER_FRMLEN "d twice", index + 1);
		return false;
	}
	accept[index] = true;
	return true;
}

/* Reads the on_chain answer on top into ACCEPT; false (with ACCEPT all
 * false) on a bad one.  *WAIT for "wait". */
static bool chain_answer(struct policy_call *c, const struct proto_extent *offered, size_t n,
			 bool *accept, bool *wait)
{
	static const char *const words[] = { "all", "none", "wait" };
	lua_State *L = script_lua(c->p->s);
	int t = lua_gettop(L);
	lua_Integer len;

	switch (answer_choice(L, words, G_N_ELEMENTS(words))) {
	case 0:
		for (size_t i = 0; i < n; i++)
			accept[i] = true;
		return true;
	case 1:
		return true;
	case 2:
		*wait = true;
		return true;
	default:
		break;
	}
	if (lua_type(L, t) != LUA_TTABLE) {
		answer_fail(c, SCRIPT_POLICY_SHAPE, "must answer \"all\", \"none\", \"wait\" or a "
			    "list of accepted offers, got %s", answer_show(L, t));
		goto bad;
	}
	len = (lua_Integer)lua_rawlen(L, t);
	lua_pushnil(L);
	while (lua_next(L, t)) {
		lua_Integer i = lua_isinteger(L, -2) ? lua_tointeger(L, -2) : 0;

		lua_pop(L, 1);
		if (i < 1 || len < i) {
			answer_fail(c, SCRIPT_POLICY_SHAPE, "answered a table with key %s: the "
				    "accepted offers must be a list", answer_show(L, -1));
			goto bad;
		}
	}
	for (lua_Integer i = 1; i <= len; i++) {
		bool ok;

		lua_rawgeti(L, t, i);
		ok = accept_item(c, i, offered, n, accept);
		lua_settop(L, t);
		if (!ok)
			goto bad;
	}
	return true;
bad:
	lua_settop(L, t);
	memset(accept, 0, n * sizeof(*accept));
	return false;
}

static bool decide_chain(const struct host *h, void *data, unsigned position,
			 const struct proto_extent *offered, size_t n, bool *accept)
{
	struct policy_call c = { .p = data, .h = h, .cb = CB_CHAIN, .position = position };
	lua_State *L = script_lua(c.p->s);
	bool wait = false, ran;

	if (!call_begin(&c))
		return true;
	proxy_push(L, CHAIN_META, position, 0);
	ran = call_run(&c, 1);
	if (ran)
		chain_answer(&c, offered, n, accept, &wait);
	call_end(&c);
	return !wait;
}

/* Runs a callback with a dcdsim.release; true with its answer among
 * NAMES in *OUT. */
static bool request_decide(struct policy_call *c, const char *const *names, size_t n,
			   size_t *out)
{
	lua_State *L = script_lua(c->p->s);
	bool ran;

	if (!call_begin(c))
		return false;
	proxy_push(L, RELEASE_META, c->position, 0);
	ran = call_run(c, 1);
	if (ran) {
		*out = answer_choice(L, names, n);
		if (*out == n) {
			g_autofree char *list = g_strjoinv("\", \"", (char **)names);

			answer_fail(c, SCRIPT_POLICY_SHAPE, "must answer \"%s\", got %s", list,
				    answer_show(L, -1));
		}
	}
	call_end(c);
	return ran && *out < n;
}

static enum host_busy_release decide_release(const struct host *h, void *data, unsigned position,
					     const struct proto_extent *requested,
					     uint64_t in_use)
{
	struct policy_call c = { .p = data, .h = h, .cb = CB_RELEASE, .position = position,
				 .requested = requested, .in_use = in_use };
	static const char *const names[] = { "ignore", "defer", "now", NULL };
	size_t answer;

	if (c.p->fn[CB_RELEASE] == LUA_NOREF)
		return in_use ? host_get_config(h)->busy_release : HOST_BUSY_NOW;
	if (!request_decide(&c, names, G_N_ELEMENTS(names) - 1, &answer))
		return HOST_BUSY_IGNORE;
	return (enum host_busy_release)answer;
}

static enum host_forced decide_forced(const struct host *h, void *data, unsigned position,
				      const struct proto_extent *forced)
{
	struct policy_call c = { .p = data, .h = h, .cb = CB_FORCED, .position = position,
				 .requested = forced };
	static const char *const names[] = { "ignore", "drop", NULL };
	size_t answer;

	if (c.p->fn[CB_FORCED] == LUA_NOREF)
		return host_get_config(h)->forced;
	if (!request_decide(&c, names, G_N_ELEMENTS(names) - 1, &answer))
		return HOST_FORCED_IGNORE;
	return (enum host_forced)answer;
}

static bool decide_region(const struct host *h, void *data, unsigned position)
{
	struct policy_call c = { .p = data, .h = h, .cb = CB_REGION, .position = position };
	static const char *const words[] = { "ignore", "reread" };
	lua_State *L = script_lua(c.p->s);
	size_t answer = 0;
	bool ran;

	if (c.p->fn[CB_REGION] == LUA_NOREF)
		return host_get_config(h)->region_updates;
	if (!call_begin(&c))
		return false;
	lua_pushinteger(L, position);
	ran = call_run(&c, 1);
	if (ran) {
		answer = answer_choice(L, words, G_N_ELEMENTS(words));
		if (answer == G_N_ELEMENTS(words)) {
			answer_fail(&c, SCRIPT_POLICY_SHAPE, "must answer \"ignore\" or \"reread\", "
				    "got %s", answer_show(L, -1));
			answer = 0;
		}
	}
	call_end(&c);
	return answer == 1;
}

/* One give-back an on_timer answer asks for. */
struct give_back {
	unsigned position;
	uint64_t start, len;
};

/* Reads the on_timer answer on top: nil or a list of extents or
 * { position =, start =, length = } ranges to give back. */
static bool timer_answer(struct policy_call *c, GArray *out)
{
	lua_State *L = script_lua(c->p->s);
	int t = lua_gettop(L);
	lua_Integer len;

	if (lua_isnil(L, t))
		return true;
	if (lua_type(L, t) != LUA_TTABLE) {
		answer_fail(c, SCRIPT_POLICY_SHAPE, "must answer nil or a list of extents to give "
			    "back, got %s", answer_show(L, t));
		return false;
	}
	len = (lua_Integer)lua_rawlen(L, t);
	for (lua_Integer i = 1; i <= len; i++) {
		struct give_back g;
		struct proxy *pr;
		size_t n;

		lua_rawgeti(L, t, i);
		pr = luaL_testudata(L, -1, EXTENT_META);
		if (pr && pr->epoch == state_get(L)->epoch) {
			const struct host_extent_info *x = extents_of(c, &n) + pr->index;

			g = (struct give_back){ x->position, x->start, x->len };
		} else if (lua_type(L, -1) == LUA_TTABLE) {
			lua_getfield(L, -1, "position");
			lua_getfield(L, -2, "start");
			lua_getfield(L, -3, "length");
			if (!lua_isinteger(L, -3) || !lua_isinteger(L, -2) || !lua_isinteger(L, -1) ||
			    lua_tointeger(L, -3) < 0 ||
			    lua_tointeger(L, -3) >= (lua_Integer)host_get_config(c->h)->ways ||
			    lua_tointeger(L, -2) < 0 || lua_tointeger(L, -1) <= 0) {
				answer_fail(c, SCRIPT_POLICY_SHAPE, "item %" LUA_INTEGER_FRMLEN "d: a range to give back "
					    "needs a valid integer 'position', 'start' and positive "
					    "'length'", i);
				lua_settop(L, t);
				return false;
			}
			g = (struct give_back){ (unsigned)lua_tointeger(L, -3),
						(uint64_t)lua_tointeger(L, -2),
						(uint64_t)lua_tointeger(L, -1) };
		} else {
			answer_fail(c, SCRIPT_POLICY_SHAPE, "item %" LUA_INTEGER_FRMLEN "d is %s: give back extents of this "
				    "call or { position =, start =, length = } ranges", i,
				    answer_show(L, -1));
			lua_settop(L, t);
			return false;
		}
		lua_settop(L, t);
		g_array_append_val(out, g);
	}
	return true;
}

static void policy_timer(struct host *h, void *data, uint64_t arg)
{
	struct policy_call c = { .p = data, .h = h, .cb = CB_TIMER };
	lua_State *L = script_lua(c.p->s);
	int ref = (int)arg + LUA_REFNIL;
	g_autoptr(GArray) backs = g_array_new(FALSE, FALSE, sizeof(struct give_back));
	bool ran, ok = false;

	if (!call_begin(&c)) {
		luaL_unref(L, LUA_REGISTRYINDEX, ref);
		return;
	}
	lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
	luaL_unref(L, LUA_REGISTRYINDEX, ref);
	ran = call_run(&c, 1);
	if (ran)
		ok = timer_answer(&c, backs);
	call_end(&c);
	for (guint i = 0; ok && i < backs->len; i++) {
		const struct give_back *g = &g_array_index(backs, struct give_back, i);

		host_give_back(h, g->position, g->start, g->len);
	}
}

static bool policy_check(const struct host_config *cfg, GError **error)
{
	const struct script_policy *p = cfg->policy_data;

	if (cfg->ways <= p->max_ways)
		return true;
	g_set_error(error, HOST_ERROR, HOST_ERROR_CONFIG, "host '%s': policy '%s' supports at "
		    "most %u-way DC regions, got %u", cfg->name, p->name, p->max_ways, cfg->ways);
	return false;
}

/* ---- loading ------------------------------------------------------------------------ */

/* defaults_read(table): fills the policy (upvalue 1) from its defaults. */
static int defaults_read(lua_State *L)
{
	struct script_policy *p = lua_touserdata(L, lua_upvalueindex(1));
	struct script_value v[DEF_KEYS];
	struct host_config *d = &p->defaults;

	script_decl_check(L, 1, "the defaults of a policy", default_keys, DEF_KEYS, v);
	for (size_t i = 0; i < DEF_KEYS; i++)
		p->set[i] = v[i].given;
	if (v[DEF_BUSY_RELEASE].given) {
		lua_pushstring(L, v[DEF_BUSY_RELEASE].string);
		d->busy_release = (enum host_busy_release)answer_choice(L, release_answers, 3);
		if ((size_t)d->busy_release == 3)
			return luaL_error(L, "busy_release in the defaults must be \"ignore\", "
					  "\"defer\" or \"now\", got \"%s\"", v[DEF_BUSY_RELEASE].string);
	}
	if (v[DEF_FORCED_RELEASE].given) {
		lua_pushstring(L, v[DEF_FORCED_RELEASE].string);
		d->forced = (enum host_forced)answer_choice(L, forced_answers, 2);
		if ((size_t)d->forced == 2)
			return luaL_error(L, "forced_release in the defaults must be \"ignore\" or "
					  "\"drop\", got \"%s\"", v[DEF_FORCED_RELEASE].string);
	}
	d->tag_groups = v[DEF_TAG_GROUPS].boolean;
	d->region_updates = v[DEF_REGION_UPDATES].boolean;
	d->chain_timeout = v[DEF_CHAIN_TIMEOUT].time;
	d->assembly_timeout = v[DEF_ASSEMBLY_TIMEOUT].time;
	if (v[DEF_MAX_PENDING].given && (v[DEF_MAX_PENDING].integer < 0 ||
					 v[DEF_MAX_PENDING].integer > UINT32_MAX))
		return luaL_error(L, "max_pending in the defaults must be from 0 to %I",
				  (lua_Integer)UINT32_MAX);
	d->max_pending = (uint32_t)v[DEF_MAX_PENDING].integer;
	d->alignment = v[DEF_ALIGNMENT].size;
	return 0;
}

static bool load_fail(GError **error, const char *where, const char *format, ...)
	G_GNUC_PRINTF(3, 4);

static bool load_fail(GError **error, const char *where, const char *format, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, format);
	msg = g_strdup_vprintf(format, ap);
	va_end(ap);
	g_set_error(error, SCRIPT_ERROR, SCRIPT_ERROR_DECL, "%s: %s", where, msg);
	return false;
}

/* Checks the keys of the table at T: on_* must be known callbacks. */
static bool keys_check(lua_State *L, int t, const char *where, GError **error)
{
	lua_pushnil(L);
	while (lua_next(L, t)) {
		const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
		const char *guess;

		lua_pop(L, 1);
		if (!key || strncmp(key, "on_", 3))
			continue;
		for (size_t i = 0; i < CB_COUNT && key; i++)
			if (!strcmp(key, callback_names[i]))
				key = NULL;
		if (!key)
			continue;
		guess = text_closest(key, callback_names, CB_COUNT);
		load_fail(error, where, "unknown callback '%s'%s%s%s (callbacks: on_chain, "
			  "on_release, on_forced, on_region_update, on_timer)", key,
			  guess ? " (did you mean '" : "", guess ? guess : "", guess ? "'?)" : "");
		lua_pop(L, 1);
		return false;
	}
	return true;
}

/* Reads the callbacks and settings of the table at T into P. */
static bool table_read(struct script_policy *p, int t, const char *where, GError **error)
{
	lua_State *L = script_lua(p->s);

	if (!keys_check(L, t, where, error))
		return false;
	for (size_t i = 0; i < CB_COUNT; i++) {
		lua_Debug ar;
		int type = lua_getfield(L, t, callback_names[i]);

		if (type == LUA_TNIL) {
			lua_pop(L, 1);
			continue;
		}
		if (type != LUA_TFUNCTION) {
			load_fail(error, where, "'%s' must be a function, got %s", callback_names[i],
				  luaL_typename(L, -1));
			lua_pop(L, 1);
			return false;
		}
		lua_pushvalue(L, -1);
		lua_getinfo(L, ">S", &ar);
		p->where[i] = g_strdup_printf("%s:%d", ar.short_src[0] && ar.source[0] == '@'
					       ? ar.source + 1 : ar.short_src, ar.linedefined);
		p->fn[i] = luaL_ref(L, LUA_REGISTRYINDEX);
	}
	if (p->fn[CB_CHAIN] == LUA_NOREF)
		return load_fail(error, where, "a policy needs an on_chain callback");
	switch (lua_getfield(L, t, "name")) {
	case LUA_TNIL:
		break;
	case LUA_TSTRING:
		if (lua_rawlen(L, -1) == 0 || lua_rawlen(L, -1) >= HOST_NAME_SIZE) {
			lua_pop(L, 1);
			return load_fail(error, where, "'name' must have 1 to %d bytes",
					 HOST_NAME_SIZE - 1);
		}
		g_strlcpy(p->name, lua_tostring(L, -1), sizeof(p->name));
		break;
	default:
		load_fail(error, where, "'name' must be a string, got %s", luaL_typename(L, -1));
		lua_pop(L, 1);
		return false;
	}
	lua_pop(L, 1);
	p->max_ways = INTERLEAVE_MAX_WAYS;
	if (lua_getfield(L, t, "max_ways") != LUA_TNIL) {
		lua_Integer w = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : 0;

		lua_pop(L, 1);
		if (w < 1 || w > INTERLEAVE_MAX_WAYS)
			return load_fail(error, where, "'max_ways' must be an integer from 1 to %d",
					 INTERLEAVE_MAX_WAYS);
		p->max_ways = (unsigned)w;
	} else {
		lua_pop(L, 1);
	}
	if (lua_getfield(L, t, "defaults") == LUA_TNIL) {
		lua_pop(L, 1);
		return true;
	}
	lua_pushlightuserdata(L, p);
	lua_pushcclosure(L, defaults_read, 1);
	lua_insert(L, -2);
	if (script_pcall(p->s, 1, 0, error))
		return true;
	g_prefix_error(error, "%s: ", where);
	return false;
}

struct script_policy *script_policy_from_table(struct script *s, const char *name,
					       const char *where, GError **error)
{
	lua_State *L = script_lua(s);
	struct script_policy *p;
	int t = lua_gettop(L);

	g_return_val_if_fail(s != NULL && name != NULL && where != NULL && t > 0, NULL);
	if (lua_type(L, t) != LUA_TTABLE) {
		load_fail(error, where, "a policy is a table of callbacks, got %s",
			  luaL_typename(L, t));
		lua_settop(L, t - 1);
		return NULL;
	}
	view_install(L);
	p = g_new0(struct script_policy, 1);
	p->s = s;
	g_strlcpy(p->name, name, sizeof(p->name));
	for (size_t i = 0; i < CB_COUNT; i++)
		p->fn[i] = LUA_NOREF;
	p->extents = g_array_new(FALSE, FALSE, sizeof(struct host_extent_info));
	p->ops = (struct host_policy_ops){
		.name = p->name,
		.check = policy_check,
		.decide_chain = decide_chain,
		.decide_release = decide_release,
		.decide_forced = decide_forced,
		.decide_region = decide_region,
		.timer = policy_timer,
	};
	if (!table_read(p, t, where, error)) {
		lua_settop(L, t - 1);
		script_policy_free(p);
		return NULL;
	}
	lua_settop(L, t);
	p->ref = luaL_ref(L, LUA_REGISTRYINDEX);
	return p;
}

/* Pushes the chunk of the Lua file PATH, loaded as text. */
static bool file_load(lua_State *L, const char *path, GError **error)
{
	g_autofree char *code = NULL, *chunk = NULL;
	GError *local = NULL;
	const char *msg;
	size_t len;
	int status;

	if (!g_file_get_contents(path, &code, &len, &local)) {
		g_set_error(error, SCRIPT_ERROR, SCRIPT_ERROR_LOAD, "cannot read policy '%s': %s",
			    path, local->message);
		g_error_free(local);
		return false;
	}
	if (len > 0 && code[0] == LUA_SIGNATURE[0]) {
		g_set_error(error, SCRIPT_ERROR, SCRIPT_ERROR_LOAD, "%s:1: binary chunks are not "
			    "allowed (policies load as text only)", path);
		return false;
	}
	chunk = g_strconcat("@", path, NULL);
	status = luaL_loadbufferx(L, code, len, chunk, "t");
	if (status == LUA_OK)
		return true;
	/* Lua shortens long paths to "...tail:line:": give the path back */
	msg = lua_tostring(L, -1);
	if (g_str_has_prefix(msg, "...")) {
		const char *colon = strstr(msg, ".lua:");
		g_autofree char *tail = colon ? g_strndup(msg + 3, (size_t)(colon + 4 - msg - 3))
					      : NULL;

		if (tail && g_str_has_suffix(path, tail))
			msg = lua_pushfstring(L, "%s%s", path, colon + 4);
	}
	g_set_error_literal(error, SCRIPT_ERROR, status == LUA_ERRSYNTAX ? SCRIPT_ERROR_SYNTAX
									 : SCRIPT_ERROR_LOAD, msg);
	return false;
}

struct script_policy *script_policy_load(struct script *s, const char *spec, GError **error)
{
	g_autofree char *base = NULL;
	lua_State *L;
	int top;

	g_return_val_if_fail(s != NULL && spec != NULL, NULL);
	L = script_lua(s);
	top = lua_gettop(L);
	if (g_str_has_suffix(spec, ".lua") || strchr(spec, '/')) {
		if (!file_load(L, spec, error))
			goto failed;
		base = g_path_get_basename(spec);
		if (g_str_has_suffix(base, ".lua"))
			base[strlen(base) - 4] = '\0';
		if (!script_pcall(s, 0, 1, error))
			goto failed;
	} else {
		const char *dot = strrchr(spec, '.');

		lua_getglobal(L, "require");
		/* a bare name is a shipped policy */
		if (dot)
			lua_pushstring(L, spec);
		else
			lua_pushfstring(L, "dcdsim.policies.%s", spec);
		if (!script_pcall(s, 1, 1, error))
			goto failed;
		base = g_strdup(dot ? dot + 1 : spec);
	}
	return script_policy_from_table(s, base, spec, error);
failed:
	lua_settop(L, top);
	return NULL;
}

void script_policy_free(struct script_policy *p)
{
	lua_State *L;

	if (!p)
		return;
	L = script_lua(p->s);
	luaL_unref(L, LUA_REGISTRYINDEX, p->ref);
	for (size_t i = 0; i < CB_COUNT; i++) {
		luaL_unref(L, LUA_REGISTRYINDEX, p->fn[i]);
		g_free(p->where[i]);
	}
	g_array_unref(p->extents);
	g_clear_error(&p->error);
	g_free(p);
}

const char *script_policy_name(const struct script_policy *p)
{
	g_return_val_if_fail(p != NULL, NULL);
	return p->name;
}

void script_policy_configure(struct script_policy *p, struct host_config *cfg)
{
	const struct host_config *d = &p->defaults;

	g_return_if_fail(p != NULL && cfg != NULL);
	g_strlcpy(cfg->policy, p->name, sizeof(cfg->policy));
	cfg->policy_ops = &p->ops;
	cfg->policy_data = p;
	if (p->set[DEF_BUSY_RELEASE])
		cfg->busy_release = d->busy_release;
	if (p->set[DEF_FORCED_RELEASE])
		cfg->forced = d->forced;
	if (p->set[DEF_TAG_GROUPS])
		cfg->tag_groups = d->tag_groups;
	if (p->set[DEF_REGION_UPDATES])
		cfg->region_updates = d->region_updates;
	if (p->set[DEF_CHAIN_TIMEOUT])
		cfg->chain_timeout = d->chain_timeout;
	if (p->set[DEF_ASSEMBLY_TIMEOUT])
		cfg->assembly_timeout = d->assembly_timeout;
	if (p->set[DEF_MAX_PENDING])
		cfg->max_pending = d->max_pending;
	if (p->set[DEF_ALIGNMENT])
		cfg->alignment = d->alignment;
}

enum script_policy_fault script_policy_fault(const struct script_policy *p)
{
	g_return_val_if_fail(p != NULL, SCRIPT_POLICY_OK);
	return p->fault;
}

const GError *script_policy_error(const struct script_policy *p)
{
	g_return_val_if_fail(p != NULL, NULL);
	return p->error;
}
