/* Private to src/script: the state a scenario's bindings share
 * (scenario.c: the lifecycle and the fabric declarations;
 * scenario_workload.c: generators, requests, distributions, CSV;
 * scenario_run.c: at(), every() and the scripted actions). */
#ifndef DCDSIM_SCRIPT_SCENARIO_PRIV_H
#define DCDSIM_SCRIPT_SCENARIO_PRIV_H

#include "script/policy.h"
#include "script/scenario.h"

#include <lua.h>

/* A declaration, remembered for duplicate names and for the errors found
 * after the file ran: they point at its line. */
struct scenario_decl {
	const char *kind;	/* "scenario", "device", "host", "fm", "workload" */
	char *name;		/* NULL for unnamed ones */
	char *where;		/* "file:line" */
	size_t index;		/* in the array of its kind */
};

/* The Lua policy a host{} names, loaded after the file ran (a policy
 * cannot load while the file runs: script_pcall() is not reentrant). */
struct scenario_host_policy {
	char *spec;		/* a file (its path from here) or a module; NULL: REF */
	int ref;		/* the table in the Lua registry, for a table */
	unsigned given;		/* host{} policy keys given: bits of HOST_* in scenario.c */
	struct script_policy *policy;	/* once loaded; owned by struct scenario */
};

/* A scripted callback of at() or every(). */
struct scenario_timer {
	struct scenario *sc;
	int ref;		/* the function, in the Lua registry */
	uint64_t at;		/* first call (absolute ns) */
	uint64_t period;	/* 0: once */
	char *where;
};

struct scenario {
	struct script *script;
	char *path;
	char *folder;			/* the scenario's own folder (trace files) */
	char *name;
	uint64_t seed;
	bool seed_fixed;		/* -s given: scenario{seed} does not apply */
	uint64_t duration;
	struct sim_rng load_rng;	/* math.random while the file runs */
	struct scenario_decl *main;	/* scenario{}; NULL until declared */
	struct scenario_decl *fm;	/* fm{}; NULL until declared */
	GPtrArray *decls;		/* struct scenario_decl *, owned */
	struct fabric_config cfg;	/* its arrays point into the GArrays below */
	GArray *devices;		/* struct fabric_device_config */
	GArray *hosts;			/* struct fabric_host_config */
	/* struct scenario_host_policy *, owned, by host: NULL for a built-in */
	GPtrArray *host_policies;
	GPtrArray *policies;		/* struct script_policy *, owned: freed before script */
	GArray *workloads;		/* struct fabric_workload_config */
	GArray *items;			/* struct fabric_item */
	GPtrArray *item_where;		/* "file:line" of each item, owned */
	GPtrArray *timers;		/* struct scenario_timer *, owned */
	struct fabric *fabric;		/* borrowed, from scenario_start() on */
	GError *error;			/* of the callback that failed the run */
};

/* The scenario whose file runs in L. */
struct scenario *scenario_from_lua(lua_State *L);

/* Records a declaration of KIND called NAME (NULL: unnamed) at the
 * caller's line; a name already declared for KIND raises. */
struct scenario_decl *scenario_decl_add(lua_State *L, struct scenario *sc, const char *kind,
					const char *name, size_t index);
/* The declaration of KIND called NAME, or NULL. */
struct scenario_decl *scenario_decl_find(const struct scenario *sc, const char *kind,
					 const char *name);

/* script_decl_check() for tables with keys a binding reads itself (a
 * distribution, a time or "never"): the names in CUSTOM, NULL-terminated,
 * are listed in KEYS as SCRIPT_KIND_TABLE and may hold any value; the
 * binding reads them from the table at INDEX. */
void scenario_check(lua_State *L, int index, const char *what, const struct script_key *keys,
		    size_t n, struct script_value *values, const char *const *custom);

/* Pops the value on top of the stack and checks it as KEY of KIND, as if
 * the scenario had written { KEY = value } in WHAT. */
void scenario_single(lua_State *L, const char *what, const char *key, enum script_kind kind,
		     struct script_value *out);

/* The position of VALUE in NAMES[0..N), or a raise at the caller's line:
 * "key 'KEY' in WHAT: unknown ... 'VALUE' (did you mean ...?)". */
size_t scenario_choose(lua_State *L, const char *what, const char *key, const char *value,
		       const char *const *names, size_t n);

/* Raises ERROR's message (freed) at the caller's line, with PREFIX. */
G_GNUC_NORETURN void scenario_raise(lua_State *L, const char *prefix, GError *error);

/* Sets ERROR to "WHERE: message" (SCRIPT_ERROR_DECL); returns false. */
bool scenario_fail_at(GError **error, const char *where, const char *format, ...)
	G_GNUC_PRINTF(3, 4);

/* A name fit for FABRIC_NAME_SIZE and the metrics: letters, digits, '_'
 * and '-'; raises otherwise. */
void scenario_name_check(lua_State *L, const char *what, const char *name);

/* Bindings by file: each registers its globals. */
void scenario_workload_register(struct script *s);
void scenario_run_register(struct script *s);

/* Reads the request table at INDEX (request{} when TIMED, with its
 * time; else add{}) into OUT, its host by name. */
void scenario_item_read(lua_State *L, int index, const char *what, bool timed,
			struct fabric_item *out);

/* The granule of HOST's requests in REGION, as the fabric rounds
 * generated sizes: a block on every device of its interleave set.  False
 * when the host, its devices or the region are unknown. */
bool scenario_size_unit(const struct scenario *sc, const char *host, unsigned region,
			uint64_t *out);

/* After the file ran: the workloads' and requests' hosts exist, the
 * requests' sizes are rounded to their hosts' granules. */
bool scenario_workload_resolve(struct scenario *sc, GError **error);

void scenario_timer_free(void *data);

#endif
