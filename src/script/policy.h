/* Host policies written in Lua (docs/host-policy-api.md): a Lua table of
 * callbacks that the host model consults through struct host_policy_ops,
 * the way it consults a built-in policy.
 *
 * A policy is a module returning a table: on_chain (required), on_release,
 * on_forced, on_region_update, on_timer, and optionally name, max_ways and
 * defaults (host parameters the policy wants).  The callbacks see the host
 * through read-only proxies (metatables dcdsim.host, dcdsim.chain,
 * dcdsim.offer, dcdsim.extent, dcdsim.release) that hold ids, valid only
 * during the callback that got them.
 *
 * Every call into Lua goes through script_pcall(): a fresh instruction
 * budget per callback, a traceback on error.  A failing callback (a Lua
 * error, an answer of the wrong shape, an offer accepted that was not
 * offered) fails the run with sim_fail(): the message starts with the
 * policy's "file:line: " and names the host and the simulated time.  The
 * policy then answers every later decision with nothing (accept none,
 * ignore) until the run stops.
 *
 * One struct script_policy may serve several hosts: the callbacks get the
 * host, and state a policy keeps must be per host if it matters. */
#ifndef DCDSIM_SCRIPT_POLICY_H
#define DCDSIM_SCRIPT_POLICY_H

#include <glib.h>
#include <stdbool.h>

#include "models/host.h"
#include "script/script.h"

struct script_policy;

/* Loads SPEC into S: a Lua file when SPEC ends in ".lua" or holds a '/'
 * (read as text, relative to the current folder), else a module name found
 * as require() finds it ("dcdsim.policies.quota"; a name without a dot is
 * a shipped policy: "quota" is "dcdsim.policies.quota").  A module is loaded once
 * per script and its table shared; a file is run at each load.  NULL with
 * a SCRIPT_ERROR (file:line first where known) when the file cannot be
 * read or run, or the table is not a policy.  Free with
 * script_policy_free() before S. */
struct script_policy *script_policy_load(struct script *s, const char *spec, GError **error);

/* A policy from the table on top of S's stack (popped), for a scenario
 * that writes host{ policy = require(...).with{...} }.  NAME is used when
 * the table has none; WHERE ("file:line") prefixes the table's errors. */
struct script_policy *script_policy_from_table(struct script *s, const char *name,
					       const char *where, GError **error);

void script_policy_free(struct script_policy *p);

/* The table's name, else the file's base name without ".lua", else the
 * module's last part; at most HOST_NAME_SIZE - 1 bytes. */
const char *script_policy_name(const struct script_policy *p);

/* Makes CFG use P (name, policy_ops, policy_data) and sets the host
 * parameters the policy's defaults table declares; the rest of CFG is
 * kept.  P must outlive every host built from CFG. */
void script_policy_configure(struct script_policy *p, struct host_config *cfg);

/* Why a policy failed the run. */
enum script_policy_fault {
	SCRIPT_POLICY_OK,
	SCRIPT_POLICY_LUA,	/* a Lua error, the budget or the memory cap */
	SCRIPT_POLICY_SHAPE,	/* an answer of the wrong shape */
	SCRIPT_POLICY_OUTSIDE,	/* on_chain accepted what was not offered */
};

enum script_policy_fault script_policy_fault(const struct script_policy *p);
/* The failure given to sim_fail(), a SCRIPT_ERROR; NULL while none. */
const GError *script_policy_error(const struct script_policy *p);

typedef struct script_policy script_policy;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(script_policy, script_policy_free)

#endif
