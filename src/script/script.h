/* The sandboxed Lua 5.4 host that runs scenarios.  This module is the only
 * code that includes lua.h; the rest of dcdsim sees struct script and, for
 * binding code in src/script, an opaque struct lua_State.
 *
 * The sandbox:
 *   - libraries: base, table, string, math, utf8 only.  io, os, package,
 *     debug, coroutine, dofile and loadfile are absent (reading one of
 *     those globals raises "'io' is not available in scenarios ...").
 *   - chunks load as text only, everywhere: a chunk starting with "\27Lua"
 *     is refused with "binary chunks are not allowed ...".  load() is
 *     Lua's own with mode "t" forced.
 *   - require(name) loads "<dir>/<name with . as />.lua" from the shipped
 *     library folder, then from the scenario's own folder; names with
 *     "..", absolute paths or characters other than letters, digits, '_'
 *     and '-' between dots are refused.  Results are cached (as
 *     package.loaded would).
 *   - math.random draws from the stream given by script_rng_set() with
 *     Lua's semantics; math.randomseed raises an error: a run's numbers
 *     come from its seed alone.
 *   - print() hands each line to the print callback (stdout by default).
 *   - collectgarbage() accepts only "collect" and "count": switching the
 *     collector's mode would make memory-cap hits depend on the script.
 *   - setmetatable() refuses metatables with __gc: finalizers run with
 *     hooks off, so the instruction budget could not stop them.
 *   - pcall()/xpcall() cannot catch "instruction budget ... exceeded" or
 *     "memory cap ... exceeded": those always end the call into Lua.
 *   - known hole: Lua's pattern matching runs in C outside the budget, so
 *     a pathological pattern can take long; the scenario's author is the
 *     only one who can write it.
 *
 * Errors are SCRIPT_ERROR GErrors whose message starts with "file:line: "
 * for the innermost scenario line involved (frames in the shipped library
 * are skipped: an error inside it is prefixed with the scenario line that
 * called it), then the message, then Lua's stack traceback. */
#ifndef DCDSIM_SCRIPT_SCRIPT_H
#define DCDSIM_SCRIPT_SCRIPT_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#define SCRIPT_ERROR (script_error_quark())
GQuark script_error_quark(void);

enum script_error {
	SCRIPT_ERROR_LOAD,	/* unreadable file, binary chunk, missing module */
	SCRIPT_ERROR_SYNTAX,	/* Lua syntax error */
	SCRIPT_ERROR_RUNTIME,	/* an error raised while running */
	SCRIPT_ERROR_BUDGET,	/* the instruction budget ran out */
	SCRIPT_ERROR_MEMORY,	/* the memory cap was reached */
	SCRIPT_ERROR_PARAM,	/* param() misuse, bad or unknown -D */
	SCRIPT_ERROR_DECL,	/* a binding refused a declaration (unknown key, bad unit...) */
};

#define SCRIPT_MEMORY_CAP_DEFAULT ((size_t)256 << 20)
#define SCRIPT_INSTRUCTION_BUDGET_DEFAULT UINT64_C(1000000000)
/* Smallest memory cap: the libraries themselves need some room. */
#define SCRIPT_MEMORY_CAP_MIN ((size_t)1 << 20)

/* Receives one line printed by the scenario, without its newline. */
typedef void (*script_print_fn)(const char *line, void *user_data);

struct script_options {
	/* The shipped Lua library folder, or NULL for none.  Default: the
	 * installed one (DCDSIM_PKGDATADIR "/lua") when the build defines
	 * DCDSIM_PKGDATADIR.  Copied by script_new(). */
	const char *lib_dir;
	/* Bytes the Lua state may hold, 0 for no cap (else at least
	 * SCRIPT_MEMORY_CAP_MIN). */
	size_t memory_cap;
	/* VM instructions allowed per call into Lua (script_run_file(),
	 * script_pcall()), 0 for no limit.  Counted in steps of up to 65536. */
	uint64_t instruction_budget;
	/* NULL: lines go to stdout. */
	script_print_fn print;
	void *print_data;
};

/* Fills OPTIONS with the defaults above. */
void script_options_init(struct script_options *options);

struct script;
struct sim_rng;

/* Only so that g_autoptr(script) can name the type. */
typedef struct script script;

/* OPTIONS may be NULL for the defaults.  Free with script_free(). */
struct script *script_new(const struct script_options *options);
void script_free(struct script *s);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(script, script_free)

/* The stream math.random draws from (the kernel's "script" stream),
 * borrowed; NULL detaches it (math.random then raises an error). */
void script_rng_set(struct script *s, struct sim_rng *rng);

/* Records a command-line override "name=value" for param(); the last one
 * of a name wins.  Fails (SCRIPT_ERROR_PARAM) when ASSIGNMENT has no '='
 * or an empty name. */
gboolean script_param_override(struct script *s, const char *assignment, GError **error);

/* Loads PATH as a text chunk named as given (messages say "PATH:line:")
 * and runs it; require() then also searches PATH's folder.  Afterwards an
 * override for a parameter the scenario never declared fails
 * (SCRIPT_ERROR_PARAM, "unknown parameter 'x' (did you mean 'y'?)"). */
gboolean script_run_file(struct script *s, const char *path, GError **error);
/* Runs CODE as a chunk called NAME (messages say "NAME:line:"); no
 * scenario folder and no override check.  For tests and one-liners. */
gboolean script_run_string(struct script *s, const char *name, const char *code,
			   GError **error);

/* A parameter declared by param(name, default), with its effective value
 * as text: numbers in their shortest exact form ("0.1", "42"), booleans
 * as "true"/"false", strings as they are. */
struct script_param {
	const char *name;
	const char *value;
	gboolean given;		/* set with an override, not the default */
};

/* Declared parameters in declaration order; the pointers stay valid until
 * script_free(). */
size_t script_param_count(const struct script *s);
const struct script_param *script_param_nth(const struct script *s, size_t i);

/* --- For binding code in src/script (the C side of device{} etc.) --- */

struct lua_State;
/* Same type as lua_CFunction. */
typedef int (*script_lua_fn)(struct lua_State *L);

struct lua_State *script_lua(struct script *s);
struct script *script_from_lua(struct lua_State *L);
/* The shipped library folder (script_options.lib_dir without a trailing
 * '/'), or NULL for none. */
const char *script_lib_dir(const struct script *s);

/* Makes FN the global NAME. */
void script_function_register(struct script *s, const char *name, script_lua_fn fn);

/* Calls the function below NARGS arguments on the stack, like lua_pcall
 * with a traceback handler and a fresh instruction budget; on failure the
 * stack loses the function and arguments and ERROR is set.  Not for use
 * from inside a call into Lua. */
gboolean script_pcall(struct script *s, int nargs, int nresults, GError **error);

/* Raises a Lua error whose message starts with the location of the
 * scenario line that called the running binding (skipping frames of the
 * shipped library), classified as CODE in the final GError.  Never
 * returns; "return script_error_at_caller(...)" reads well in bindings. */
G_GNUC_NORETURN G_GNUC_PRINTF(3, 4)
int script_error_at_caller(struct lua_State *L, enum script_error code, const char *format, ...);

/* The chunk name (a path for files) and line of the scenario code that
 * called the running binding: the frame script_error_at_caller() names.
 * NULL when no Lua frame has a line.  The name stays valid while the
 * calling function lives: copy it to keep it.  For bindings that check a
 * declaration later and must point at its line. */
const char *script_caller_line(struct lua_State *L, int *line);

/* --- The declaration-table checker for bindings --- */

enum script_kind {
	SCRIPT_KIND_SIZE,	/* "2MiB" or a number of bytes -> .size */
	SCRIPT_KIND_TIME,	/* "10us" or a number of nanoseconds -> .time */
	SCRIPT_KIND_RATE,	/* "50/s" or a number per second -> .rate */
	SCRIPT_KIND_NUMBER,	/* a Lua number -> .number */
	SCRIPT_KIND_INTEGER,	/* a whole Lua number -> .integer */
	SCRIPT_KIND_STRING,	/* -> .string */
	SCRIPT_KIND_BOOLEAN,	/* -> .boolean */
	SCRIPT_KIND_TABLE,	/* left in the table: lua_getfield() it */
	SCRIPT_KIND_FUNCTION,	/* left in the table: lua_getfield() it */
};

/* One allowed key of a declaration table. */
struct script_key {
	const char *name;
	enum script_kind kind;
	gboolean required;
	/* The value when the key is absent, written as in a scenario ("2MiB",
	 * "10us", "0.5", "true"); NULL for none.  Not for tables and
	 * functions. */
	const char *fallback;
};

struct script_value {
	gboolean given;		/* the table has the key */
	gboolean set;		/* given or filled from the fallback */
	union {
		uint64_t size;
		uint64_t time;
		double rate;
		double number;
		int64_t integer;
		const char *string;	/* Lua's or the fallback: valid while the table lives */
		gboolean boolean;
	};
};

/* Checks the table at stack index INDEX, the argument of the binding WHAT
 * ("device{}"), against KEYS[0..N) and fills VALUES[0..N) in the same
 * order.  Raises (SCRIPT_ERROR_DECL, at the caller's line) for a value
 * that is not a table, positional entries, unknown keys (with the closest
 * valid key suggested), missing required keys, wrong types and bad units.
 * Reports the first problem in a fixed order, so messages are repeatable. */
void script_decl_check(struct lua_State *L, int index, const char *what,
		       const struct script_key *keys, size_t n, struct script_value *values);

#endif
