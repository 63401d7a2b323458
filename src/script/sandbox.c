/* The Lua state behind a scenario: allocator with a cap, instruction
 * budget, the sandboxed globals, require() and error reporting. */
#include "script/script.h"

#include "script/param.h"
#include "sim/rng.h"
#include "sim/units.h"

#include <errno.h>
#include <inttypes.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK(dcdsim-script-error-quark, script_error)

/* The budget is counted in steps of at most this many instructions. */
#define HOOK_STEP 65536
/* Room beyond the memory cap for the error path (message, traceback). */
#define MEMORY_HEADROOM ((size_t)1 << 20)
/* Registry table of modules being loaded, to report require loops. */
#define LOADING_TABLE "dcdsim.loading"

#define BINARY_CHUNK_MESSAGE "binary chunks are not allowed (scenarios load as text only)"

struct script {
	lua_State *L;
	char *lib_dir;			/* no trailing '/'; NULL: none */
	size_t memory_cap;		/* 0: none */
	size_t memory_used;
	uint64_t budget;		/* 0: none */
	uint64_t instructions;		/* counted in this call into Lua */
	int hook_step;
	gboolean budget_exceeded;	/* both end the call: pcall rethrows */
	gboolean memory_exceeded;
	gboolean running;
	gboolean capped;		/* the cap applies: loading or running Lua code */
	enum script_error raised;	/* class of the error being raised */
	script_print_fn print;
	void *print_data;
	struct sim_rng *rng;
	char *chunk_name;		/* the running file, for messages without a line */
	char *folder;			/* its folder, for require(); NULL for strings */
	struct script_params *params;
};

/* Globals a scenario might look for, with a clear refusal instead of nil. */
static const char *const refused_globals[] = {
	"io", "os", "package", "debug", "coroutine", "dofile", "loadfile",
};

static void *script_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct script *s = ud;
	size_t old = ptr ? osize : 0;	/* without PTR, OSIZE is a type tag */
	size_t others = s->memory_used - old;
	void *p;

	if (nsize == 0) {
		free(ptr);
		s->memory_used = others;
		return NULL;
	}
	/* Lua requires shrinking to succeed, so only growth is refused. */
	if (nsize > old && s->memory_cap && s->capped) {
		size_t cap = s->memory_cap + (s->memory_exceeded ? MEMORY_HEADROOM : 0);

		if (others > cap || nsize > cap - others)
			return NULL;
	}
	p = realloc(ptr, nsize);
	if (!p)
		return NULL;
	s->memory_used = others + nsize;
	return p;
}

struct script *script_from_lua(lua_State *L)
{
	void *ud;

	lua_getallocf(L, &ud);
	return ud;
}

lua_State *script_lua(struct script *s)
{
	return s->L;
}

const char *script_lib_dir(const struct script *s)
{
	g_return_val_if_fail(s != NULL, NULL);
	return s->lib_dir;
}

/* Raises the error that ends the call: the budget or the memory cap. */
static int raise_fatal(lua_State *L, const struct script *s)
{
	char number[UNITS_FORMAT_LEN];

	if (s->budget_exceeded) {
		snprintf(number, sizeof(number), "%" PRIu64, s->budget);
		lua_pushfstring(L, "instruction budget of %s exceeded", number);
	} else {
		lua_pushfstring(L, "memory cap of %s exceeded",
				units_size_format(s->memory_cap, number));
	}
	return lua_error(L);
}

static void budget_hook(lua_State *L, lua_Debug *ar)
{
	struct script *s = script_from_lua(L);

	(void)ar;
	s->instructions += (uint64_t)s->hook_step;
	if (s->instructions >= s->budget) {
		s->budget_exceeded = TRUE;
		raise_fatal(L, s);
	}
}

/* The chunk name as the user wrote it. */
static const char *frame_source(const lua_Debug *ar)
{
	if (ar->source[0] == '@' || ar->source[0] == '=')
		return ar->source + 1;
	return ar->short_src;
}

static gboolean frame_in_library(const struct script *s, const lua_Debug *ar)
{
	size_t n;

	if (!s->lib_dir || ar->source[0] != '@')
		return FALSE;
	n = strlen(s->lib_dir);
	return !strncmp(ar->source + 1, s->lib_dir, n) && ar->source[1 + n] == '/';
}

/* The innermost frame at LEVEL or above that runs Lua code, preferring
 * the scenario's own code to the shipped library's. */
static gboolean caller_frame(lua_State *L, const struct script *s, int level, lua_Debug *ar)
{
	lua_Debug library;
	gboolean have_library = FALSE;

	for (; lua_getstack(L, level, ar); level++) {
		lua_getinfo(L, "Sl", ar);
		if (ar->currentline <= 0)
			continue;
		if (!frame_in_library(s, ar))
			return TRUE;
		if (!have_library) {
			library = *ar;
			have_library = TRUE;
		}
	}
	if (have_library)
		*ar = library;
	return have_library;
}

/* MSG starts with "SOURCE:<digits>:". */
static gboolean has_location(const char *msg, const char *source)
{
	size_t n = strlen(source);
	const char *p;

	if (strncmp(msg, source, n) || msg[n] != ':' || !g_ascii_isdigit(msg[n + 1]))
		return FALSE;
	for (p = msg + n + 1; g_ascii_isdigit(*p); p++)
		;
	return *p == ':';
}

/* Makes the error message start with the scenario line, then adds the
 * traceback. */
static int message_handler(lua_State *L)
{
	struct script *s = script_from_lua(L);
	const char *msg = lua_tostring(L, 1);
	lua_Debug ar;

	if (!msg) {
		if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
			msg = lua_tostring(L, -1);
		else
			msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
	}
	if (caller_frame(L, s, 1, &ar)) {
		const char *source = frame_source(&ar);
		size_t n = strlen(ar.short_src);

		/* Lua shortens long paths to "...tail"; give the path back. */
		if (strcmp(source, ar.short_src) && !strncmp(msg, ar.short_src, n) && msg[n] == ':')
			msg = lua_pushfstring(L, "%s%s", source, msg + n);
		if (!has_location(msg, source))
			msg = lua_pushfstring(L, "%s:%d: %s", source, ar.currentline, msg);
	}
	luaL_traceback(L, L, msg, 1);
	return 1;
}

const char *script_caller_line(lua_State *L, int *line)
{
	lua_Debug ar;

	/* chunks from files and named strings only: others have no name */
	if (!caller_frame(L, script_from_lua(L), 1, &ar) ||
	    (ar.source[0] != '@' && ar.source[0] != '='))
		return NULL;
	*line = ar.currentline;
	return ar.source + 1;
}

int script_error_at_caller(lua_State *L, enum script_error code, const char *format, ...)
{
	struct script *s = script_from_lua(L);
	lua_Debug ar;
	luaL_Buffer b;
	va_list ap;
	char *p;
	int n;

	if (caller_frame(L, s, 1, &ar))
		lua_pushfstring(L, "%s:%d: ", frame_source(&ar), ar.currentline);
	else
		lua_pushliteral(L, "");
	/* Formatted into Lua's memory: nothing leaks when lua_error jumps. */
	va_start(ap, format);
	n = g_vsnprintf(NULL, 0, format, ap);
	va_end(ap);
	p = luaL_buffinitsize(L, &b, (size_t)n + 1);
	va_start(ap, format);
	g_vsnprintf(p, (gulong)n + 1, format, ap);
	va_end(ap);
	luaL_pushresultsize(&b, (size_t)n);
	lua_concat(L, 2);
	s->raised = code;
	lua_error(L);
	abort();	/* not reached: lua_error() jumps */
}

/* Loads a text chunk; -1 for a binary one (nothing pushed), else as
 * luaL_loadbufferx. */
static int load_text(lua_State *L, const char *code, size_t len, const char *chunk_name)
{
	if (len > 0 && code[0] == LUA_SIGNATURE[0])
		return -1;
	return luaL_loadbufferx(L, code, len, chunk_name, "t");
}

static char *read_file(const char *path, size_t *len, GError **error)
{
	FILE *f = fopen(path, "rb");
	GString *text;
	char chunk[8192];
	size_t n;

	if (!f) {
		g_set_error(error, SCRIPT_ERROR, SCRIPT_ERROR_LOAD, "cannot read '%s': %s", path,
			    g_strerror(errno));
		return NULL;
	}
	text = g_string_new(NULL);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		g_string_append_len(text, chunk, (gssize)n);
	if (ferror(f)) {
		g_set_error(error, SCRIPT_ERROR, SCRIPT_ERROR_LOAD, "cannot read '%s': %s", path,
			    g_strerror(errno));
		fclose(f);
		g_string_free(text, TRUE);
		return NULL;
	}
	fclose(f);
	*len = text->len;
	return g_string_free(text, FALSE);
}

/* --- the sandboxed globals --- */

static int sandbox_print(lua_State *L)
{
	struct script *s = script_from_lua(L);
	int n = lua_gettop(L);
	luaL_Buffer b;

	luaL_buffinit(L, &b);
	for (int i = 1; i <= n; i++) {
		if (i > 1)
			luaL_addchar(&b, '\t');
		luaL_tolstring(L, i, NULL);
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
	if (s->print) {
		s->print(lua_tostring(L, -1), s->print_data);
	} else {
		fputs(lua_tostring(L, -1), stdout);
		fputc('\n', stdout);
	}
	return 0;
}

/* Reading a refused global explains itself; other missing globals are nil. */
static int sandbox_globals_index(lua_State *L)
{
	const char *name;

	if (lua_type(L, 2) != LUA_TSTRING)
		return 0;
	name = lua_tostring(L, 2);
	for (size_t i = 0; i < G_N_ELEMENTS(refused_globals); i++)
		if (!strcmp(name, refused_globals[i]))
			return luaL_error(L, "'%s' is not available in scenarios: they run sandboxed, "
					  "with only the base, table, string, math and utf8 libraries",
					  name);
	return 0;
}

/* Lua's load() with mode "t" forced (upvalue 1: the original). */
static int sandbox_load(lua_State *L)
{
	int n = lua_gettop(L);
	size_t len;
	const char *code;

	luaL_checkany(L, 1);
	if (lua_type(L, 1) == LUA_TSTRING) {
		code = lua_tolstring(L, 1, &len);
		if (len > 0 && code[0] == LUA_SIGNATURE[0]) {
			luaL_pushfail(L);
			lua_pushliteral(L, BINARY_CHUNK_MESSAGE);
			return 2;
		}
	}
	lua_settop(L, 4);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_pushvalue(L, 1);
	lua_pushvalue(L, 2);
	lua_pushliteral(L, "t");
	/* An explicit nil environment differs from none: keep which. */
	if (n >= 4)
		lua_pushvalue(L, 4);
	lua_call(L, n >= 4 ? 4 : 3, LUA_MULTRET);
	return lua_gettop(L) - 4;
}

/* Budget and memory errors must end the call into Lua, so a protected
 * call that caught one raises it again. */
static void rethrow_fatal(lua_State *L, int status)
{
	struct script *s = script_from_lua(L);

	if (status == LUA_ERRMEM)
		s->memory_exceeded = TRUE;
	if (s->budget_exceeded || s->memory_exceeded)
		raise_fatal(L, s);
	/* Any other error was caught: a binding's class no longer applies. */
	s->raised = SCRIPT_ERROR_RUNTIME;
}

static int sandbox_pcall(lua_State *L)
{
	int status;

	luaL_checkany(L, 1);
	status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
	rethrow_fatal(L, status);
	luaL_checkstack(L, 1, "too many results");
	lua_pushboolean(L, status == LUA_OK);
	lua_insert(L, 1);
	return lua_gettop(L);
}

/* Runs xpcall's handler (upvalue 1) unless the budget or the cap ran out:
 * Lua runs handlers for errors raised in a hook with hooks off, so a
 * looping handler could never be stopped. */
static int xpcall_handler(lua_State *L)
{
	struct script *s = script_from_lua(L);

	if (s->budget_exceeded || s->memory_exceeded)
		return 1;
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, 1);
	return 1;
}

static int sandbox_xpcall(lua_State *L)
{
	int status;

	luaL_checktype(L, 2, LUA_TFUNCTION);
	/* f, handler, args... -> wrapped handler, f, args... */
	lua_pushvalue(L, 2);
	lua_pushcclosure(L, xpcall_handler, 1);
	lua_pushvalue(L, 1);
	lua_replace(L, 2);
	lua_replace(L, 1);
	status = lua_pcall(L, lua_gettop(L) - 2, LUA_MULTRET, 1);
	rethrow_fatal(L, status);
	luaL_checkstack(L, 1, "too many results");
	lua_pushboolean(L, status == LUA_OK);
	lua_replace(L, 1);
	return lua_gettop(L);
}

/* Lua's setmetatable() (upvalue 1) refusing finalizers. */
static int sandbox_setmetatable(lua_State *L)
{
	if (lua_type(L, 2) == LUA_TTABLE) {
		lua_pushliteral(L, "__gc");
		if (lua_rawget(L, 2) != LUA_TNIL)
			return luaL_error(L, "setmetatable: __gc metamethods are not allowed in "
					  "scenarios (finalizers run beyond the instruction budget)");
		lua_pop(L, 1);
	}
	lua_settop(L, 2);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, 2, 1);
	return 1;
}

static int sandbox_collectgarbage(lua_State *L)
{
	static const char *const options[] = { "collect", "count", NULL };

	if (luaL_checkoption(L, 1, "collect", options) == 0) {
		lua_gc(L, LUA_GCCOLLECT);
		lua_pushinteger(L, 0);
	} else {
		lua_pushnumber(L, (lua_Number)lua_gc(L, LUA_GCCOUNT) +
				  (lua_Number)lua_gc(L, LUA_GCCOUNTB) / 1024.0);
	}
	return 1;
}

/* math.random with Lua 5.4's semantics, drawing from the kernel stream. */
static int sandbox_random(lua_State *L)
{
	struct script *s = script_from_lua(L);
	lua_Integer low, up;
	uint64_t span, draw;

	if (!s->rng)
		return luaL_error(L, "math.random: no random stream yet (random numbers come "
				  "from the run's seed, available once the simulation exists)");
	switch (lua_gettop(L)) {
	case 0:
		lua_pushnumber(L, sim_rng_uniform01(s->rng));
		return 1;
	case 1:
		low = 1;
		up = luaL_checkinteger(L, 1);
		if (up == 0) {	/* math.random(0): all 64 bits */
			lua_pushinteger(L, (lua_Integer)sim_rng_next(s->rng));
			return 1;
		}
		break;
	case 2:
		low = luaL_checkinteger(L, 1);
		up = luaL_checkinteger(L, 2);
		break;
	default:
		return luaL_error(L, "wrong number of arguments");
	}
	luaL_argcheck(L, low <= up, 1, "interval is empty");
	span = (uint64_t)up - (uint64_t)low;
	draw = span == UINT64_MAX ? sim_rng_next(s->rng) : sim_rng_below(s->rng, span + 1);
	lua_pushinteger(L, (lua_Integer)((uint64_t)low + draw));
	return 1;
}

static int sandbox_randomseed(lua_State *L)
{
	return luaL_error(L, "math.randomseed is disabled: a run's random numbers come from "
			  "its seed alone (dcdsim run -s SEED)");
}

static void module_name_check(lua_State *L, const char *name)
{
	static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "0123456789_-.";

	if (g_path_is_absolute(name) || name[0] == '/')
		script_error_at_caller(L, SCRIPT_ERROR_LOAD, "require: '%s' is an absolute path; "
				       "modules load by name from the dcdsim library and the "
				       "scenario's folder", name);
	if (strstr(name, ".."))
		script_error_at_caller(L, SCRIPT_ERROR_LOAD, "require: '%s' goes up a folder ('..'); "
				       "modules load by name from the dcdsim library and the "
				       "scenario's folder", name);
	if (!*name || name[0] == '.' || name[strlen(name) - 1] == '.' || name[strspn(name, allowed)])
		script_error_at_caller(L, SCRIPT_ERROR_LOAD, "require: bad module name '%s' (use "
				       "letters, digits, '_' and '-', with '.' between folders, e.g. "
				       "'dcdsim.workload')", name);
}

/* Pushes and returns the path of module NAME (REL: NAME as a relative
 * path), or raises with every place it looked. */
static const char *module_find(lua_State *L, const struct script *s, const char *name,
			       const char *rel)
{
	const char *dirs[] = { s->lib_dir, s->folder };
	int base = lua_gettop(L), tried = 0;
	luaL_Buffer b;

	for (size_t i = 0; i < G_N_ELEMENTS(dirs); i++) {
		const char *path;

		if (!dirs[i])
			continue;
		path = lua_pushfstring(L, "%s/%s.lua", dirs[i], rel);
		if (g_file_test(path, G_FILE_TEST_IS_REGULAR))
			return path;
		tried++;
	}
	if (!tried)
		script_error_at_caller(L, SCRIPT_ERROR_LOAD, "module '%s' not found: no library "
				       "folder and no scenario folder to look in", name);
	luaL_buffinit(L, &b);
	luaL_addstring(&b, "module '");
	luaL_addstring(&b, name);
	luaL_addstring(&b, "' not found:");
	for (int i = 1; i <= tried; i++) {
		luaL_addstring(&b, "\n\tno file '");
		luaL_addstring(&b, lua_tostring(L, base + i));
		luaL_addchar(&b, '\'');
	}
	luaL_pushresult(&b);
	script_error_at_caller(L, SCRIPT_ERROR_LOAD, "%s", lua_tostring(L, -1));
}

/* require(name): the dcdsim library first, then the scenario's folder;
 * modules are cached in the registry's loaded table, as Lua's own are. */
static int sandbox_require(lua_State *L)
{
	struct script *s = script_from_lua(L);
	const char *name = luaL_checkstring(L, 1);
	const char *path, *chunk_name;
	GError *error = NULL;
	char *code;
	size_t len;
	int status;

	lua_settop(L, 1);
	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);	/* 2 */
	if (lua_getfield(L, 2, name) != LUA_TNIL)
		return 1;
	lua_pop(L, 1);
	module_name_check(L, name);
	luaL_getsubtable(L, LUA_REGISTRYINDEX, LOADING_TABLE);		/* 3 */
	if (lua_getfield(L, 3, name) != LUA_TNIL)
		script_error_at_caller(L, SCRIPT_ERROR_LOAD,
				       "require: module '%s' is required again while it loads "
				       "(a require loop)", name);
	lua_pop(L, 1);
	path = module_find(L, s, name, luaL_gsub(L, name, ".", "/"));
	chunk_name = lua_pushfstring(L, "@%s", path);
	code = read_file(path, &len, &error);
	if (!code) {
		char message[512];

		g_strlcpy(message, error->message, sizeof(message));
		g_error_free(error);
		script_error_at_caller(L, SCRIPT_ERROR_LOAD, "require: %s", message);
	}
	status = load_text(L, code, len, chunk_name);
	g_free(code);
	if (status == -1)
		script_error_at_caller(L, SCRIPT_ERROR_LOAD, "require: '%s': %s", path,
				       BINARY_CHUNK_MESSAGE);
	if (status != LUA_OK) {
		s->raised = status == LUA_ERRSYNTAX ? SCRIPT_ERROR_SYNTAX : SCRIPT_ERROR_LOAD;
		return lua_error(L);
	}
	lua_pushboolean(L, 1);
	lua_setfield(L, 3, name);
	lua_pushstring(L, name);
	lua_pushstring(L, path);
	lua_call(L, 2, 1);
	lua_pushnil(L);
	lua_setfield(L, 3, name);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_pushboolean(L, 1);
	}
	lua_pushvalue(L, -1);
	lua_setfield(L, 2, name);
	return 1;
}

/* Replaces global NAME by FN, which gets the original as upvalue 1. */
static void wrap_global(lua_State *L, const char *name, lua_CFunction fn)
{
	lua_getglobal(L, name);
	lua_pushcclosure(L, fn, 1);
	lua_setglobal(L, name);
}

static void sandbox_install(lua_State *L)
{
	static const luaL_Reg libraries[] = {
		{ LUA_GNAME, luaopen_base },
		{ LUA_TABLIBNAME, luaopen_table },
		{ LUA_STRLIBNAME, luaopen_string },
		{ LUA_MATHLIBNAME, luaopen_math },
		{ LUA_UTF8LIBNAME, luaopen_utf8 },
	};
	static const luaL_Reg globals[] = {
		{ "print", sandbox_print },
		{ "pcall", sandbox_pcall },
		{ "xpcall", sandbox_xpcall },
		{ "collectgarbage", sandbox_collectgarbage },
		{ "require", sandbox_require },
		{ NULL, NULL },
	};
	/* warn() too: there is nothing to warn to. */
	static const char *const removed[] = { "dofile", "loadfile", "warn" };
	static const luaL_Reg math[] = {
		{ "random", sandbox_random },
		{ "randomseed", sandbox_randomseed },
		{ NULL, NULL },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(libraries); i++) {
		luaL_requiref(L, libraries[i].name, libraries[i].func, 1);
		lua_pop(L, 1);
	}
	wrap_global(L, "load", sandbox_load);
	wrap_global(L, "setmetatable", sandbox_setmetatable);
	lua_pushglobaltable(L);
	luaL_setfuncs(L, globals, 0);
	for (size_t i = 0; i < G_N_ELEMENTS(removed); i++) {
		lua_pushnil(L);
		lua_setfield(L, -2, removed[i]);
	}
	lua_getglobal(L, LUA_MATHLIBNAME);
	luaL_setfuncs(L, math, 0);
	lua_pop(L, 1);
	lua_createtable(L, 0, 1);
	lua_pushcfunction(L, sandbox_globals_index);
	lua_setfield(L, -2, "__index");
	lua_setmetatable(L, -2);
	lua_pop(L, 1);
}

static int panic(lua_State *L)
{
	g_error("lua: unprotected error: %s", lua_tostring(L, -1));
	return 0;
}

void script_options_init(struct script_options *options)
{
	memset(options, 0, sizeof(*options));
#ifdef DCDSIM_PKGDATADIR
	options->lib_dir = DCDSIM_PKGDATADIR "/lua";
#endif
	options->memory_cap = SCRIPT_MEMORY_CAP_DEFAULT;
	options->instruction_budget = SCRIPT_INSTRUCTION_BUDGET_DEFAULT;
}

struct script *script_new(const struct script_options *options)
{
	struct script_options defaults;
	struct script *s;

	if (!options) {
		script_options_init(&defaults);
		options = &defaults;
	}
	g_return_val_if_fail(options->memory_cap == 0 ||
			     options->memory_cap >= SCRIPT_MEMORY_CAP_MIN, NULL);
	s = g_new0(struct script, 1);
	if (options->lib_dir) {
		size_t n = strlen(options->lib_dir);

		while (n > 1 && options->lib_dir[n - 1] == '/')
			n--;
		s->lib_dir = g_strndup(options->lib_dir, n);
	}
	s->budget = options->instruction_budget;
	s->hook_step = (int)MIN(s->budget, HOOK_STEP);
	s->print = options->print;
	s->print_data = options->print_data;
	s->params = script_params_new();
	s->L = lua_newstate(script_alloc, s);
	if (!s->L)
		g_error("lua: cannot create a state: out of memory");
	lua_atpanic(s->L, panic);
	sandbox_install(s->L);
	script_params_install(s->params, s->L);
	/* Unprotected work between calls (as this setup) must never fail, so
	 * the cap applies only while Lua code loads or runs. */
	s->memory_cap = options->memory_cap;
	return s;
}

void script_free(struct script *s)
{
	if (!s)
		return;
	lua_close(s->L);
	script_params_free(s->params);
	g_free(s->lib_dir);
	g_free(s->chunk_name);
	g_free(s->folder);
	g_free(s);
}

void script_rng_set(struct script *s, struct sim_rng *rng)
{
	s->rng = rng;
}

void script_function_register(struct script *s, const char *name, script_lua_fn fn)
{
	lua_pushcfunction(s->L, fn);
	lua_setglobal(s->L, name);
}

gboolean script_param_override(struct script *s, const char *assignment, GError **error)
{
	return script_params_override(s->params, assignment, error);
}

size_t script_param_count(const struct script *s)
{
	return script_params_count(s->params);
}

const struct script_param *script_param_nth(const struct script *s, size_t i)
{
	return script_params_nth(s->params, i);
}

/* Turns the error on top of the stack, from a failed call or load, into
 * ERROR. */
static void set_error(struct script *s, int status, GError **error)
{
	const char *msg = lua_tostring(s->L, -1);
	enum script_error code = s->raised;
	char cap[UNITS_FORMAT_LEN];

	if (!msg)
		msg = "(no error message)";
	if (status == LUA_ERRMEM) {
		/* Lua runs no message handler for these: no line to give. */
		if (s->memory_cap)
			g_set_error(error, SCRIPT_ERROR, SCRIPT_ERROR_MEMORY,
				    "%s: memory cap of %s exceeded", s->chunk_name,
				    units_size_format(s->memory_cap, cap));
		else
			g_set_error(error, SCRIPT_ERROR, SCRIPT_ERROR_MEMORY, "%s: out of memory",
				    s->chunk_name);
		return;
	}
	if (s->memory_exceeded)
		code = SCRIPT_ERROR_MEMORY;
	else if (s->budget_exceeded)
		code = SCRIPT_ERROR_BUDGET;
	else if (status == LUA_ERRSYNTAX)
		code = SCRIPT_ERROR_SYNTAX;
	if (status == LUA_ERRERR)
		g_set_error(error, SCRIPT_ERROR, code, "%s: error while reporting an error: %s",
			    s->chunk_name, msg);
	else
		g_set_error_literal(error, SCRIPT_ERROR, code, msg);
}

gboolean script_pcall(struct script *s, int nargs, int nresults, GError **error)
{
	lua_State *L = s->L;
	int base, status;

	g_return_val_if_fail(!s->running, FALSE);
	g_return_val_if_fail(lua_gettop(L) > nargs, FALSE);
	base = lua_gettop(L) - nargs;
	lua_pushcfunction(L, message_handler);
	lua_insert(L, base);
	s->running = TRUE;
	s->instructions = 0;
	s->budget_exceeded = FALSE;
	s->memory_exceeded = FALSE;
	s->raised = SCRIPT_ERROR_RUNTIME;
	if (s->budget)
		lua_sethook(L, budget_hook, LUA_MASKCOUNT, s->hook_step);
	s->capped = TRUE;
	status = lua_pcall(L, nargs, nresults, base);
	s->capped = FALSE;
	lua_sethook(L, NULL, 0, 0);
	s->running = FALSE;
	lua_remove(L, base);
	if (status == LUA_OK)
		return TRUE;
	set_error(s, status, error);
	lua_pop(L, 1);
	return FALSE;
}

/* Loads CODE as chunk CHUNK_NAME ("@path" or "=name") and runs it. */
static gboolean run_chunk(struct script *s, const char *code, size_t len, const char *chunk_name,
			  GError **error)
{
	int top = lua_gettop(s->L);
	int status;

	s->capped = TRUE;
	status = load_text(s->L, code, len, chunk_name);
	s->capped = FALSE;

	if (status == -1) {
		g_set_error(error, SCRIPT_ERROR, SCRIPT_ERROR_LOAD, "%s:1: %s", s->chunk_name,
			    BINARY_CHUNK_MESSAGE);
		return FALSE;
	}
	if (status != LUA_OK) {
		const char *msg = lua_tostring(s->L, -1);

		s->raised = SCRIPT_ERROR_LOAD;
		s->budget_exceeded = s->memory_exceeded = FALSE;
		/* Lua shortens long paths to "...tail:line:"; give the path back. */
		if (msg && g_str_has_prefix(msg, "...") && chunk_name[0] == '@') {
			const char *colon = strchr(msg + 3, ':');

			while (colon && !has_location(colon, ""))
				colon = strchr(colon + 1, ':');
			if (colon) {
				char *tail = g_strndup(msg + 3, (size_t)(colon - msg - 3));

				if (g_str_has_suffix(chunk_name, tail))
					lua_pushfstring(s->L, "%s%s", chunk_name + 1, colon);
				g_free(tail);
			}
		}
		set_error(s, status, error);
		lua_settop(s->L, top);
		return FALSE;
	}
	return script_pcall(s, 0, 0, error);
}

gboolean script_run_file(struct script *s, const char *path, GError **error)
{
	g_autofree char *code = NULL;
	g_autofree char *chunk_name = NULL;
	size_t len;

	g_return_val_if_fail(path != NULL, FALSE);
	code = read_file(path, &len, error);
	if (!code)
		return FALSE;
	g_free(s->chunk_name);
	s->chunk_name = g_strdup(path);
	g_free(s->folder);
	s->folder = g_path_get_dirname(path);
	chunk_name = g_strconcat("@", path, NULL);
	return run_chunk(s, code, len, chunk_name, error) &&
	       script_params_check(s->params, path, error);
}

gboolean script_run_string(struct script *s, const char *name, const char *code,
			   GError **error)
{
	g_autofree char *chunk_name = NULL;

	g_return_val_if_fail(name != NULL && code != NULL, FALSE);
	g_free(s->chunk_name);
	s->chunk_name = g_strdup(name);
	g_clear_pointer(&s->folder, g_free);
	chunk_name = g_strconcat("=", name, NULL);
	return run_chunk(s, code, strlen(code), chunk_name, error);
}
