/* A scenario: a Lua file, run in the sandbox (script.h), that declares a
 * fabric (scenario{}, device{}, host{}, fm{}, workload generators) and may
 * script events with at(time, fn) and every(period, fn).  Loading runs the
 * file and collects the declarations into a fabric configuration; starting
 * builds nothing itself but schedules the scripted events on a kernel that
 * already carries the fabric.  The Lua state lives as long as the scenario,
 * so scripted callbacks can run during the simulation (docs/scenario-api.md).
 *
 * Errors are SCRIPT_ERROR GErrors whose message starts with "file:line: ". */
#ifndef DCDSIM_SCRIPT_SCENARIO_H
#define DCDSIM_SCRIPT_SCENARIO_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/fabric.h"
#include "script/script.h"
#include "sim/sim.h"

struct scenario_options {
	struct script_options script;	/* library folder, caps, print */
	/* "name=value" strings from -D, in command-line order (last wins). */
	const char *const *overrides;
	size_t n_overrides;
	/* The seed from -s, or has_seed false to take scenario{seed = …}
	 * (default 1). */
	bool has_seed;
	uint64_t seed;
};

void scenario_options_init(struct scenario_options *options);

struct scenario;

/* Runs the file at PATH and collects its declarations, then loads the Lua
 * host policies the hosts name (host{ policy = file, module or table }:
 * the scenario owns them; hosts naming the same one share it).  NULL with
 * ERROR (file:line first) on any mistake: Lua errors, unknown keys (with
 * the closest valid key), bad units, impossible topologies, a policy that
 * cannot load (at the line of its host{}). */
struct scenario *scenario_load(const char *path, const struct scenario_options *options,
			       GError **error);
void scenario_free(struct scenario *sc);

const char *scenario_name(const struct scenario *sc);
const char *scenario_path(const struct scenario *sc);
/* The effective seed (-s, else the scenario's, else 1). */
uint64_t scenario_seed(const struct scenario *sc);
/* Simulated time to run (scenario{duration = …}). */
uint64_t scenario_duration(const struct scenario *sc);
/* The fabric the file declared; valid while SC lives. */
const struct fabric_config *scenario_fabric_config(const struct scenario *sc);
/* The scenario's parameters, in declaration order (script_param_nth()). */
struct script *scenario_script(struct scenario *sc);

/* Schedules the scripted events (at, every) on F's kernel; Lua's
 * math.random draws from the kernel stream "script" from here on.  A Lua
 * error inside a callback fails the run (sim_fail) with file:line. */
bool scenario_start(struct scenario *sc, struct fabric *f, GError **error);

/* After a run that failed: the error of the scenario's own code that
 * failed it, or NULL when none did: a scripted callback's (at(), every())
 * or, else, a Lua host policy's (script_policy_error()).  The message
 * starts with file:line, gives the simulated time on its first line and
 * ends with the traceback; the run's own error carries the same message
 * after "at <time> ns: ".  Such an error is a scenario error (exit status
 * 2), not a model's.  Valid while SC lives. */
const GError *scenario_error(const struct scenario *sc);

typedef struct scenario scenario;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(scenario, scenario_free)

#endif
