/* Private to src/script: the parameters behind param() and -D. */
#ifndef DCDSIM_SCRIPT_PARAM_H
#define DCDSIM_SCRIPT_PARAM_H

#include "script/script.h"

struct script_params;

struct script_params *script_params_new(void);
void script_params_free(struct script_params *p);

gboolean script_params_override(struct script_params *p, const char *assignment,
				GError **error);
/* Makes param() a global of L that declares into P. */
void script_params_install(struct script_params *p, struct lua_State *L);
/* Fails for the first override no param() used; CHUNK names the scenario
 * in the message. */
gboolean script_params_check(const struct script_params *p, const char *chunk, GError **error);

size_t script_params_count(const struct script_params *p);
const struct script_param *script_params_nth(const struct script_params *p, size_t i);

#endif
