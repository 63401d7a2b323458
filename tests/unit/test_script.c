#include "unit.h"

#include "script/script.h"
#include "sim/rng.h"

#include <glib/gstdio.h>
#include <lua.h>
#include <stdio.h>
#include <string.h>

#define KIB ((uint64_t)1 << 10)
#define MIB ((uint64_t)1 << 20)

static GString *printed;

static void capture(const char *line, void *user_data)
{
	g_string_append(user_data, line);
	g_string_append_c(user_data, '\n');
}

/* A file under tests/data/script, found from $top_srcdir (VPATH builds). */
static char *data_path(const char *rel)
{
	const char *top = g_getenv("top_srcdir");

	return g_build_filename(top ? top : ".", "tests", "data", "script", rel, NULL);
}

static struct script *script_for_test(uint64_t budget, size_t cap)
{
	g_autofree char *lib = data_path("lib");
	struct script_options options;

	script_options_init(&options);
	options.lib_dir = lib;
	options.instruction_budget = budget;
	options.memory_cap = cap;
	options.print = capture;
	options.print_data = printed;
	g_string_truncate(printed, 0);
	return script_new(&options);
}

/* Checks a failure: its class, the start of its message, a part of it. */
static void expect_failure(gboolean ok, GError *error, int code, const char *prefix,
			   const char *part)
{
	CU_ASSERT_FALSE(ok);
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	CU_ASSERT_TRUE(g_error_matches(error, SCRIPT_ERROR, code));
	if (prefix)
		CU_ASSERT_TRUE(g_str_has_prefix(error->message, prefix));
	if (part)
		CU_ASSERT_PTR_NOT_NULL(strstr(error->message, part));
	if (!g_error_matches(error, SCRIPT_ERROR, code) ||
	    (prefix && !g_str_has_prefix(error->message, prefix)) ||
	    (part && !strstr(error->message, part)))
		printf("\n  code %d (wanted %d), message:\n%s\n", error->code, code, error->message);
}

static void run_string_fails(struct script *s, const char *code, int error_code,
			     const char *prefix, const char *part)
{
	GError *error = NULL;
	gboolean ok = script_run_string(s, "t", code, &error);

	expect_failure(ok, error, error_code, prefix, part);
	g_clear_error(&error);
}

static void run_string_ok(struct script *s, const char *code)
{
	GError *error = NULL;

	CU_ASSERT_TRUE(script_run_string(s, "t", code, &error));
	if (error)
		printf("\n  unexpected error: %s\n", error->message);
	g_clear_error(&error);
}

static void run_file_fails(struct script *s, const char *rel, int error_code, int line,
			   const char *part)
{
	g_autofree char *path = data_path(rel);
	g_autofree char *prefix = line ? g_strdup_printf("%s:%d: ", path, line) :
				  g_strdup_printf("%s: ", path);
	GError *error = NULL;
	gboolean ok = script_run_file(s, path, &error);

	expect_failure(ok, error, error_code, prefix, part);
	g_clear_error(&error);
}

static void test_refused_globals(void)
{
	static const char *const names[] = {
		"io", "os", "package", "debug", "coroutine", "dofile", "loadfile",
	};
	struct script *s = script_for_test(0, 0);

	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autofree char *code = g_strdup_printf("\nlocal x = %s", names[i]);
		g_autofree char *part = g_strdup_printf("'%s' is not available in scenarios",
							names[i]);

		run_string_fails(s, code, SCRIPT_ERROR_RUNTIME, "t:2: ", part);
	}
	run_string_ok(s, "for _, n in ipairs{'io', 'os', 'package', 'debug', 'dofile', 'loadfile',\n"
		      "'warn'} do assert(rawget(_G, n) == nil, n) end\n"
		      "assert(undefined_global == nil)\n"
		      "assert(type(string.format) == 'function' and type(table.concat) == 'function')\n"
		      "assert(type(math.floor) == 'function' and type(utf8.char) == 'function')\n");
	run_string_fails(s, "collectgarbage('stop')", SCRIPT_ERROR_RUNTIME, "t:1: ",
			 "invalid option 'stop'");
	run_string_ok(s, "assert(type(collectgarbage('count')) == 'number')\ncollectgarbage()");
	run_string_fails(s, "setmetatable({}, { __gc = function() end })", SCRIPT_ERROR_RUNTIME,
			 "t:1: ", "__gc metamethods are not allowed");
	run_string_ok(s, "local t = setmetatable({}, { __index = function() return 7 end })\n"
		      "assert(t.x == 7)");
	script_free(s);
}

static void test_binary_chunks(void)
{
	struct script *s = script_for_test(0, 0);
	g_autofree char *dir = g_dir_make_tmp("dcdsim-script-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "binary.lua", NULL);
	g_autofree char *prefix = g_strdup_printf("%s:1: ", path);
	GError *error = NULL;
	gboolean ok;

	run_string_ok(s, "local dumped = string.dump(function() return 1 end)\n"
		      "for _, mode in ipairs{ 'b', 'bt', 't' } do\n"
		      "  local f, err = load(dumped, 'x', mode)\n"
		      "  assert(f == nil and err:find('binary chunks are not allowed'), err)\n"
		      "end\n"
		      "local f, err = load(function() local d = dumped; dumped = nil; return d end)\n"
		      "assert(f == nil and err:find('binary chunk'), err)\n"
		      "assert(load('return 1 + 1')() == 2)\n"
		      "assert(load('return x', 'c', 't', { x = 5 })() == 5)\n");
	CU_ASSERT_TRUE(g_file_set_contents(path, "\x1bLua\x54\x00 not really bytecode", 24, NULL));
	ok = script_run_file(s, path, &error);
	expect_failure(ok, error, SCRIPT_ERROR_LOAD, prefix, "binary chunks are not allowed");
	g_clear_error(&error);
	g_unlink(path);
	g_rmdir(dir);
	script_free(s);
}

static void test_require_refusals(void)
{
	struct script *s = script_for_test(0, 0);

	run_string_fails(s, "require('../x')", SCRIPT_ERROR_LOAD, "t:1: ", "goes up a folder");
	run_string_fails(s, "require('dcdsim..x')", SCRIPT_ERROR_LOAD, "t:1: ", "goes up a folder");
	run_string_fails(s, "require('/etc/passwd')", SCRIPT_ERROR_LOAD, "t:1: ",
			 "is an absolute path");
	run_string_fails(s, "require('a/b')", SCRIPT_ERROR_LOAD, "t:1: ", "bad module name 'a/b'");
	run_string_fails(s, "require('')", SCRIPT_ERROR_LOAD, "t:1: ", "bad module name ''");
	run_string_fails(s, "require('.hidden')", SCRIPT_ERROR_LOAD, "t:1: ", "bad module name");
	run_string_fails(s, "require('io')", SCRIPT_ERROR_LOAD, "t:1: ", "module 'io' not found");
	/* Standard libraries that are present come from the loaded table. */
	run_string_ok(s, "assert(require('string') == string)");
	script_free(s);
}

static void test_require_loads(void)
{
	struct script *s = script_for_test(0, 0);
	g_autofree char *path = data_path("scen/main.lua");
	GError *error = NULL;

	CU_ASSERT_TRUE(script_run_file(s, path, &error));
	if (error)
		printf("\n  %s\n", error->message);
	g_clear_error(&error);
	CU_ASSERT_STRING_EQUAL(printed->str, "hello lib\n42\n");
	/* Cached across chunks of the same state. */
	run_string_ok(s, "assert(require('helper').twice(2) == 4)");
	run_file_fails(s, "scen/loop_a.lua", SCRIPT_ERROR_LOAD, 1,
		       "require: module 'loop_b' is required again while it loads (a require loop)");
	script_free(s);
}

static void test_require_missing_lists_places(void)
{
	struct script *s = script_for_test(0, 0);
	g_autofree char *lib = data_path("lib");
	g_autofree char *dir = g_dir_make_tmp("dcdsim-script-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "s.lua", NULL);
	g_autofree char *part = g_strdup_printf("module 'nope.sub' not found:\n"
						"\tno file '%s/nope/sub.lua'\n"
						"\tno file '%s/nope/sub.lua'\n", lib, dir);
	g_autofree char *prefix = g_strdup_printf("%s:2: ", path);
	GError *error = NULL;
	gboolean ok;

	CU_ASSERT_TRUE(g_file_set_contents(path, "-- two places\nrequire('nope.sub')\n", -1, NULL));
	ok = script_run_file(s, path, &error);
	expect_failure(ok, error, SCRIPT_ERROR_LOAD, prefix, part);
	g_clear_error(&error);
	g_unlink(path);
	g_rmdir(dir);
	script_free(s);
}

static void test_instruction_budget(void)
{
	struct script *s = script_for_test(1000000, 0);

	run_string_fails(s, "local x = 0\nwhile true do x = x + 1 end", SCRIPT_ERROR_BUDGET,
			 "t:2: ", "instruction budget of 1000000 exceeded");
	/* pcall cannot swallow it, nor can an error handler. */
	run_string_fails(s, "while true do\n  pcall(function() while true do end end)\nend",
			 SCRIPT_ERROR_BUDGET, "t:", "instruction budget of 1000000 exceeded");
	run_string_fails(s, "xpcall(function() while true do end end,\n"
			 "       function(m) while true do end end)", SCRIPT_ERROR_BUDGET, "t:",
			 "instruction budget of 1000000 exceeded");
	run_string_fails(s, "xpcall(function() error('x') end,\n"
			 "       function(m) while true do end end)", SCRIPT_ERROR_BUDGET, "t:1: ",
			 "instruction budget of 1000000 exceeded");
	run_string_ok(s, "local ok, m = xpcall(function() error('x', 0) end,\n"
		      "  function(m) return 'handled ' .. m end, 1)\n"
		      "assert(not ok and m == 'handled x', m)\n"
		      "local ok2, a, b = xpcall(function(x, y) return x + y, x end, print, 2, 3)\n"
		      "assert(ok2 and a == 5 and b == 2)");
	/* Each call into Lua gets the whole budget again. */
	for (int i = 0; i < 3; i++)
		run_string_ok(s, "local x = 0 for i = 1, 100000 do x = x + i end");
	script_free(s);
}

static void test_memory_cap(void)
{
	struct script *s = script_for_test(0, 16 * MIB);

	run_string_fails(s, "local t = {} for i = 1, 1e9 do t[i] = i end", SCRIPT_ERROR_MEMORY,
			 "t: ", "memory cap of 16 MiB exceeded");
	run_string_fails(s, "local ok = pcall(string.rep, 'x', 1e9)\nprint(ok)",
			 SCRIPT_ERROR_MEMORY, "t:1: ", "memory cap of 16 MiB exceeded");
	run_string_fails(s, "local ok = pcall(function()\n"
			 "  local t = {} for i = 1, 1e9 do t[i] = {} end\nend)",
			 SCRIPT_ERROR_MEMORY, "t:", "memory cap of 16 MiB exceeded");
	CU_ASSERT_STRING_EQUAL(printed->str, "");
	/* The state is usable again once the garbage is gone. */
	run_string_ok(s, "collectgarbage() local t = {} for i = 1, 1000 do t[i] = i end");
	script_free(s);
}

static void test_error_locations(void)
{
	struct script *s = script_for_test(0, 0);

	run_file_fails(s, "scen/runtime_error.lua", SCRIPT_ERROR_RUNTIME, 3,
		       "attempt to index a nil value (field 'missing')\nstack traceback:");
	run_file_fails(s, "scen/syntax_error.lua", SCRIPT_ERROR_SYNTAX, 3, "unexpected symbol");
	/* An error inside the library points at the scenario line first. */
	run_file_fails(s, "scen/library_error.lua", SCRIPT_ERROR_RUNTIME, 3,
		       "/lib/dcdsim/fail.lua:5: library failure");
	run_file_fails(s, "scen/library_syntax.lua", SCRIPT_ERROR_SYNTAX, 2,
		       "/lib/dcdsim/broken.lua:3:");
	run_string_fails(s, "\n\nerror('plain', 0)", SCRIPT_ERROR_RUNTIME, "t:3: plain", NULL);
	run_string_fails(s, "error({})", SCRIPT_ERROR_RUNTIME,
			 "t:1: (error object is a table value)", NULL);
	run_string_fails(s, "error(setmetatable({}, { __tostring = function() return 'obj' end }))",
			 SCRIPT_ERROR_RUNTIME, "t:1: obj", NULL);
	run_string_fails(s, "local function f()\n  error('deep', 2)\nend\n\nf()",
			 SCRIPT_ERROR_RUNTIME, "t:5: deep", NULL);
	run_string_fails(s, "local x = 1 +", SCRIPT_ERROR_SYNTAX, "t:1: ", "unexpected symbol");
	script_free(s);
}

/* Lua shortens chunk names past 60 bytes; messages still give the path. */
static void test_long_paths(void)
{
	struct script *s = script_for_test(0, 0);
	g_autofree char *dir = g_dir_make_tmp("dcdsim-script-XXXXXX", NULL);
	g_autofree char *sub = g_build_filename(dir, "a-folder-name-long-enough-to-push-the-path-"
						"well-past-sixty-characters", NULL);
	g_autofree char *runtime = g_build_filename(sub, "runtime.lua", NULL);
	g_autofree char *syntax = g_build_filename(sub, "syntax.lua", NULL);
	g_autofree char *prefix_runtime = g_strdup_printf("%s:2: ", runtime);
	g_autofree char *prefix_syntax = g_strdup_printf("%s:3: ", syntax);
	GError *error = NULL;
	gboolean ok;

	CU_ASSERT_EQUAL(g_mkdir(sub, 0700), 0);
	CU_ASSERT_TRUE(g_file_set_contents(runtime, "local x\nlocal y = x.field\n", -1, NULL));
	CU_ASSERT_TRUE(g_file_set_contents(syntax, "local a = 1\n\nlocal = 2\n", -1, NULL));
	ok = script_run_file(s, runtime, &error);
	expect_failure(ok, error, SCRIPT_ERROR_RUNTIME, prefix_runtime, "attempt to index");
	g_clear_error(&error);
	ok = script_run_file(s, syntax, &error);
	expect_failure(ok, error, SCRIPT_ERROR_SYNTAX, prefix_syntax, NULL);
	g_clear_error(&error);
	g_unlink(runtime);
	g_unlink(syntax);
	g_rmdir(sub);
	g_rmdir(dir);
	script_free(s);
}

static void test_unreadable_file(void)
{
	struct script *s = script_for_test(0, 0);
	GError *error = NULL;
	gboolean ok = script_run_file(s, "/nonexistent/scenario.lua", &error);

	expect_failure(ok, error, SCRIPT_ERROR_LOAD,
		       "cannot read '/nonexistent/scenario.lua': No such file", NULL);
	g_clear_error(&error);
	script_free(s);
}

static void test_params(void)
{
	struct script *s = script_for_test(0, 0);
	g_autofree char *path = data_path("scen/params.lua");
	GError *error = NULL;
	static const struct script_param expected[] = {
		{ "rate", "200", TRUE },
		{ "load", "0.75", TRUE },
		{ "name", "quick", FALSE },
		{ "trace", "true", TRUE },
	};

	CU_ASSERT_TRUE(script_param_override(s, "rate=100", NULL));
	CU_ASSERT_TRUE(script_param_override(s, "rate=200", NULL));	/* the last wins */
	CU_ASSERT_TRUE(script_param_override(s, "load=.75", NULL));
	CU_ASSERT_TRUE(script_param_override(s, "trace=true", NULL));
	CU_ASSERT_TRUE(script_run_file(s, path, &error));
	if (error)
		printf("\n  %s\n", error->message);
	g_clear_error(&error);
	run_string_ok(s, "assert(math.type(result.rate) == 'integer' and result.rate == 200)\n"
		      "assert(result.load == 0.75)\n"
		      "assert(result.name == 'quick')\n"
		      "assert(result.trace == true)");
	CU_ASSERT_EQUAL_FATAL(script_param_count(s), G_N_ELEMENTS(expected));
	for (size_t i = 0; i < G_N_ELEMENTS(expected); i++) {
		const struct script_param *p = script_param_nth(s, i);

		CU_ASSERT_STRING_EQUAL(p->name, expected[i].name);
		CU_ASSERT_STRING_EQUAL(p->value, expected[i].value);
		CU_ASSERT_EQUAL(p->given, expected[i].given);
	}
	script_free(s);

	/* Types follow the default: a string stays a string. */
	s = script_for_test(0, 0);
	CU_ASSERT_TRUE(script_param_override(s, "name=42", NULL));
	CU_ASSERT_TRUE(script_param_override(s, "rate=1.5", NULL));
	CU_ASSERT_TRUE(script_run_file(s, path, NULL));
	run_string_ok(s, "assert(result.name == '42' and result.rate == 1.5)");
	CU_ASSERT_STRING_EQUAL(script_param_nth(s, 0)->value, "1.5");
	script_free(s);
}

static void test_param_errors(void)
{
	struct script *s = script_for_test(0, 0);
	g_autofree char *path = data_path("scen/params.lua");
	g_autofree char *unknown = g_strdup_printf("%s: unknown parameter 'rtae' (did you mean "
						   "'rate'?)", path);
	g_autofree char *listed = g_strdup_printf("%s: unknown parameter 'zzz' (the scenario "
						  "declares rate, load, name, trace)", path);
	GError *error = NULL;
	gboolean ok;

	ok = script_param_override(s, "novalue", &error);
	expect_failure(ok, error, SCRIPT_ERROR_PARAM, "bad -D 'novalue': expected name=value", NULL);
	g_clear_error(&error);
	ok = script_param_override(s, "=1", &error);
	expect_failure(ok, error, SCRIPT_ERROR_PARAM, "bad -D '=1'", NULL);
	g_clear_error(&error);

	CU_ASSERT_TRUE(script_param_override(s, "rtae=5", NULL));
	ok = script_run_file(s, path, &error);
	expect_failure(ok, error, SCRIPT_ERROR_PARAM, unknown, NULL);
	CU_ASSERT_STRING_EQUAL(error->message, unknown);
	g_clear_error(&error);
	script_free(s);

	s = script_for_test(0, 0);
	CU_ASSERT_TRUE(script_param_override(s, "zzz=5", NULL));
	ok = script_run_file(s, path, &error);
	expect_failure(ok, error, SCRIPT_ERROR_PARAM, listed, NULL);
	g_clear_error(&error);
	script_free(s);

	s = script_for_test(0, 0);
	CU_ASSERT_TRUE(script_param_override(s, "zzz=5", NULL));
	run_file_fails(s, "scen/no_params.lua", SCRIPT_ERROR_PARAM, 0,
		       "unknown parameter 'zzz' (the scenario declares no parameters)");
	script_free(s);

	s = script_for_test(0, 0);
	CU_ASSERT_TRUE(script_param_override(s, "rate=fast", NULL));
	run_file_fails(s, "scen/params.lua", SCRIPT_ERROR_PARAM, 1,
		       "-D rate=fast: parameter 'rate' takes a number (its default is 50)");
	script_free(s);

	s = script_for_test(0, 0);
	CU_ASSERT_TRUE(script_param_override(s, "trace=yes", NULL));
	run_file_fails(s, "scen/params.lua", SCRIPT_ERROR_PARAM, 4,
		       "-D trace=yes: parameter 'trace' takes true or false");
	script_free(s);

	s = script_for_test(0, 0);
	run_file_fails(s, "scen/param_twice.lua", SCRIPT_ERROR_PARAM, 3,
		       "param 'rate' is declared twice (first at ");
	run_string_fails(s, "param('x')", SCRIPT_ERROR_PARAM, "t:1: ", "needs a default value");
	run_string_fails(s, "param('x', {})", SCRIPT_ERROR_PARAM, "t:1: ",
			 "the default must be a number, a string or a boolean, got table");
	run_string_fails(s, "param(1, 2)", SCRIPT_ERROR_PARAM, "t:1: ", "takes a name and a default");
	run_string_fails(s, "param('a=b', 2)", SCRIPT_ERROR_PARAM, "t:1: ", "bad name 'a=b'");
	script_free(s);
}

static const struct script_key device_keys[] = {
	{ "name", SCRIPT_KIND_STRING, TRUE, NULL },
	{ "block_size", SCRIPT_KIND_SIZE, FALSE, "2MiB" },
	{ "latency", SCRIPT_KIND_TIME, FALSE, "500ns" },
	{ "rate", SCRIPT_KIND_RATE, FALSE, NULL },
	{ "share", SCRIPT_KIND_NUMBER, FALSE, "0.5" },
	{ "extents", SCRIPT_KIND_INTEGER, FALSE, "512" },
	{ "shared", SCRIPT_KIND_BOOLEAN, FALSE, "true" },
	{ "regions", SCRIPT_KIND_TABLE, FALSE, NULL },
	{ "on_event", SCRIPT_KIND_FUNCTION, FALSE, NULL },
};

enum { K_NAME, K_BLOCK, K_LATENCY, K_RATE, K_SHARE, K_EXTENTS, K_SHARED, K_REGIONS, K_ON_EVENT };

static struct script_value device_values[G_N_ELEMENTS(device_keys)];
static char device_name[64];

/* A binding as src/script will write them, minus the model. */
static int test_device(struct lua_State *L)
{
	script_decl_check(L, 1, "device{}", device_keys, G_N_ELEMENTS(device_keys), device_values);
	g_strlcpy(device_name, device_values[K_NAME].string, sizeof(device_name));
	return 0;
}

static struct script *script_with_device(void)
{
	struct script *s = script_for_test(0, 0);

	script_function_register(s, "device", test_device);
	return s;
}

static void test_decl_values(void)
{
	struct script *s = script_with_device();

	run_string_ok(s, "device{ name = 'd0' }");
	CU_ASSERT_STRING_EQUAL(device_name, "d0");
	CU_ASSERT_TRUE(device_values[K_NAME].given);
	CU_ASSERT_FALSE(device_values[K_BLOCK].given);
	CU_ASSERT_TRUE(device_values[K_BLOCK].set);
	CU_ASSERT_EQUAL(device_values[K_BLOCK].size, 2 * MIB);
	CU_ASSERT_EQUAL(device_values[K_LATENCY].time, 500);
	CU_ASSERT_FALSE(device_values[K_RATE].set);
	CU_ASSERT_DOUBLE_EQUAL(device_values[K_SHARE].number, 0.5, 0);
	CU_ASSERT_EQUAL(device_values[K_EXTENTS].integer, 512);
	CU_ASSERT_TRUE(device_values[K_SHARED].boolean);
	CU_ASSERT_FALSE(device_values[K_REGIONS].set);

	run_string_ok(s, "device{ name = 'd1', block_size = '256MiB', latency = '1.5us',\n"
		      "  rate = '3/ms', share = 2, extents = 8.0, shared = false,\n"
		      "  regions = {}, on_event = print }");
	CU_ASSERT_STRING_EQUAL(device_name, "d1");
	CU_ASSERT_EQUAL(device_values[K_BLOCK].size, 256 * MIB);
	CU_ASSERT_EQUAL(device_values[K_LATENCY].time, 1500);
	CU_ASSERT_DOUBLE_EQUAL(device_values[K_RATE].rate, 3000.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(device_values[K_SHARE].number, 2.0, 0);
	CU_ASSERT_EQUAL(device_values[K_EXTENTS].integer, 8);
	CU_ASSERT_FALSE(device_values[K_SHARED].boolean);
	CU_ASSERT_TRUE(device_values[K_REGIONS].given && device_values[K_ON_EVENT].given);

	/* Bare numbers: bytes, nanoseconds, per second. */
	run_string_ok(s, "device{ name = 'd2', block_size = 4096, latency = 1e3, rate = 2.5 }");
	CU_ASSERT_EQUAL(device_values[K_BLOCK].size, 4 * KIB);
	CU_ASSERT_EQUAL(device_values[K_LATENCY].time, 1000);
	CU_ASSERT_DOUBLE_EQUAL(device_values[K_RATE].rate, 2.5, 0);
	script_free(s);
}

static void test_decl_errors(void)
{
	static const struct {
		const char *code;
		const char *message;
	} cases[] = {
		{ "device{ name = 'd', blok_size = '2MiB' }",
		  "t:1: unknown key 'blok_size' in device{} (did you mean 'block_size'?)" },
		{ "device{ name = 'd', zzz = 1, aaa = 2 }",
		  "t:1: unknown key 'aaa' in device{} (valid keys: name, block_size, latency, rate, "
		  "share, extents, shared, regions, on_event)" },
		{ "device{ 'd' }",
		  "t:1: device{} takes name = value entries only, got a key of type number "
		  "(a positional value?)" },
		{ "device('d')", "t:1: device{} takes a table of name = value entries, got string" },
		{ "device{ block_size = '2MiB' }",
		  "t:1: missing key 'name' in device{} (a string)" },
		{ "device{ name = 'd', block_size = true }",
		  "t:1: key 'block_size' in device{} must be a size such as \"2MiB\" or a number of "
		  "bytes, got boolean" },
		{ "device{ name = 'd', block_size = '12XB' }",
		  "t:1: key 'block_size' in device{}: bad size '12XB': unknown unit 'XB' (expected B, "
		  "KiB, MiB, GiB, TiB, PiB, EiB, or kB, MB, GB, TB, PB, EB)" },
		{ "device{ name = 'd', block_size = -4096 }",
		  "t:1: key 'block_size' in device{}: bad size '-4096': must not be negative" },
		{ "device{ name = 'd', block_size = 1.5 }",
		  "t:1: key 'block_size' in device{}: bad size '1.5': not a whole number of bytes" },
		{ "device{ name = 'd', latency = '10 sec' }",
		  "t:1: key 'latency' in device{}: bad time '10 sec': unknown unit 'sec' (expected ns, "
		  "us, ms, s, min, h)" },
		{ "device{ name = 'd', rate = '5s' }",
		  "t:1: key 'rate' in device{}: bad rate '5s': expected events per time unit, e.g. "
		  "'50/s'" },
		{ "device{ name = 'd', share = '0.5' }",
		  "t:1: key 'share' in device{} must be a number, got string" },
		{ "device{ name = 'd', extents = 2.5 }",
		  "t:1: key 'extents' in device{} must be an integer, got 2.5" },
		{ "device{ name = 7 }", "t:1: key 'name' in device{} must be a string, got number" },
		{ "device{ name = 'd', shared = 'yes' }",
		  "t:1: key 'shared' in device{} must be true or false, got string" },
		{ "device{ name = 'd', regions = 1 }",
		  "t:1: key 'regions' in device{} must be a table, got number" },
		{ "device{ name = 'd', on_event = {} }",
		  "t:1: key 'on_event' in device{} must be a function, got table" },
	};
	struct script *s = script_with_device();

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		GError *error = NULL;
		gboolean ok = script_run_string(s, "t", cases[i].code, &error);

		expect_failure(ok, error, SCRIPT_ERROR_DECL, cases[i].message, NULL);
		CU_ASSERT_TRUE(g_str_has_prefix(error->message, cases[i].message) &&
			       error->message[strlen(cases[i].message)] == '\n');
		g_clear_error(&error);
	}
	/* A caught declaration error does not colour a later plain one. */
	run_string_fails(s, "pcall(device, { name = 'd', blok = 1 })\nerror('later')",
			 SCRIPT_ERROR_RUNTIME, "t:2: later", NULL);
	/* Called from the library: the scenario line is blamed. */
	run_file_fails(s, "scen/library_decl.lua", SCRIPT_ERROR_DECL, 4,
		       "unknown key 'blok_size' in device{} (did you mean 'block_size'?)");
	script_free(s);
}

static void test_random_from_stream(void)
{
	struct script *s = script_for_test(0, 0);
	struct sim_rng lua_rng, c_rng;
	GString *expected = g_string_new(NULL);

	run_string_fails(s, "math.random()", SCRIPT_ERROR_RUNTIME, "t:1: ", "no random stream");
	sim_rng_init(&lua_rng, 42, "script");
	sim_rng_init(&c_rng, 42, "script");
	script_rng_set(s, &lua_rng);
	run_string_ok(s, "for i = 1, 3 do print(string.format('%.17g', math.random())) end\n"
		      "for i = 1, 3 do print(math.random(6)) end\n"
		      "for i = 1, 3 do print(math.random(-3, 3)) end\n"
		      "print(math.random(0))\n"
		      "print(math.random(5, 5))\n"
		      "print(math.random(math.mininteger, math.maxinteger))");
	for (int i = 0; i < 3; i++)
		g_string_append_printf(expected, "%.17g\n", sim_rng_uniform01(&c_rng));
	for (int i = 0; i < 3; i++)
		g_string_append_printf(expected, "%d\n", 1 + (int)sim_rng_below(&c_rng, 6));
	for (int i = 0; i < 3; i++)
		g_string_append_printf(expected, "%d\n", -3 + (int)sim_rng_below(&c_rng, 7));
	g_string_append_printf(expected, "%" G_GINT64_FORMAT "\n", (int64_t)sim_rng_next(&c_rng));
	g_string_append_printf(expected, "%d\n", 5 + (int)sim_rng_below(&c_rng, 1));
	g_string_append_printf(expected, "%" G_GINT64_FORMAT "\n",
			       (int64_t)(sim_rng_next(&c_rng) + (uint64_t)INT64_MIN));
	CU_ASSERT_STRING_EQUAL(printed->str, expected->str);
	if (strcmp(printed->str, expected->str))
		printf("\n  lua:\n%s  c:\n%s", printed->str, expected->str);
	run_string_fails(s, "math.random(0.5)", SCRIPT_ERROR_RUNTIME, "t:1: ",
			 "number has no integer representation");
	run_string_fails(s, "math.random(3, 1)", SCRIPT_ERROR_RUNTIME, "t:1: ", "interval is empty");
	run_string_fails(s, "math.random(-1)", SCRIPT_ERROR_RUNTIME, "t:1: ", "interval is empty");
	run_string_fails(s, "math.random(1, 2, 3)", SCRIPT_ERROR_RUNTIME, "t:1: ",
			 "wrong number of arguments");
	run_string_fails(s, "math.randomseed(7)", SCRIPT_ERROR_RUNTIME, "t:1: ",
			 "math.randomseed is disabled");
	g_string_free(expected, TRUE);
	script_free(s);
}

static void test_print(void)
{
	g_autoptr(script) s = script_for_test(0, 0);

	run_string_ok(s, "print('a', 1, nil, true, 2.5)\nprint()");
	CU_ASSERT_STRING_EQUAL(printed->str, "a\t1\tnil\ttrue\t2.5\n\n");
}

/* The C side of a later at(time, fn): call a Lua function with script_pcall. */
static void test_pcall_from_c(void)
{
	struct script *s = script_for_test(1000000, 0);
	lua_State *L = script_lua(s);
	GError *error = NULL;
	gboolean ok;

	CU_ASSERT_PTR_EQUAL(script_from_lua(L), s);
	run_string_ok(s, "function spin() while true do end end\n"
		      "function add(a, b) print('add') return a + b end");
	lua_getglobal(L, "add");
	lua_pushinteger(L, 2);
	lua_pushinteger(L, 3);
	CU_ASSERT_TRUE(script_pcall(s, 2, 1, &error));
	CU_ASSERT_EQUAL(lua_tointeger(L, -1), 5);
	lua_pop(L, 1);
	CU_ASSERT_STRING_EQUAL(printed->str, "add\n");
	lua_getglobal(L, "spin");
	ok = script_pcall(s, 0, 0, &error);
	expect_failure(ok, error, SCRIPT_ERROR_BUDGET, "t:1: ", "instruction budget");
	g_clear_error(&error);
	CU_ASSERT_EQUAL(lua_gettop(L), 0);
	script_free(s);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "sandbox: refused globals", test_refused_globals },
		{ "sandbox: binary chunks", test_binary_chunks },
		{ "require: refusals", test_require_refusals },
		{ "require: library and scenario folder", test_require_loads },
		{ "require: missing module lists places", test_require_missing_lists_places },
		{ "instruction budget", test_instruction_budget },
		{ "memory cap", test_memory_cap },
		{ "errors: file:line", test_error_locations },
		{ "errors: long paths", test_long_paths },
		{ "errors: unreadable file", test_unreadable_file },
		{ "param: overrides", test_params },
		{ "param: errors", test_param_errors },
		{ "decl: values", test_decl_values },
		{ "decl: errors", test_decl_errors },
		{ "math.random from the stream", test_random_from_stream },
		{ "print", test_print },
		{ "pcall from C", test_pcall_from_c },
		{ NULL, NULL },
	};
	int status;

	printed = g_string_new(NULL);
	status = unit_run("script", tests);
	g_string_free(printed, TRUE);
	return status;
}
