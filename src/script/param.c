/* param(name, default) and the -D overrides it consumes. */
#include "script/param.h"

#include "sim/text.h"

#include <lauxlib.h>
#include <lua.h>
#include <string.h>

struct override {
	char *name;
	char *value;
	gboolean used;
};

struct declared {
	struct script_param pub;	/* its strings are owned */
	char *where;			/* "file:line" of the param() call */
};

struct script_params {
	GPtrArray *overrides;	/* struct override, in order of first mention */
	GPtrArray *declared;	/* struct declared, in declaration order */
};

static void override_free(void *data)
{
	struct override *o = data;

	g_free(o->name);
	g_free(o->value);
	g_free(o);
}

static void declared_free(void *data)
{
	struct declared *d = data;

	g_free((char *)d->pub.name);
	g_free((char *)d->pub.value);
	g_free(d->where);
	g_free(d);
}

struct script_params *script_params_new(void)
{
	struct script_params *p = g_new(struct script_params, 1);

	p->overrides = g_ptr_array_new_with_free_func(override_free);
	p->declared = g_ptr_array_new_with_free_func(declared_free);
	return p;
}

void script_params_free(struct script_params *p)
{
	if (!p)
		return;
	g_ptr_array_free(p->overrides, TRUE);
	g_ptr_array_free(p->declared, TRUE);
	g_free(p);
}

static struct override *override_find(const struct script_params *p, const char *name)
{
	for (unsigned i = 0; i < p->overrides->len; i++) {
		struct override *o = g_ptr_array_index(p->overrides, i);

		if (!strcmp(o->name, name))
			return o;
	}
	return NULL;
}

static struct declared *declared_find(const struct script_params *p, const char *name)
{
	for (unsigned i = 0; i < p->declared->len; i++) {
		struct declared *d = g_ptr_array_index(p->declared, i);

		if (!strcmp(d->pub.name, name))
			return d;
	}
	return NULL;
}

gboolean script_params_override(struct script_params *p, const char *assignment,
				GError **error)
{
	const char *eq = strchr(assignment, '=');
	g_autofree char *name = NULL;
	struct override *o;

	if (!eq || eq == assignment) {
		g_set_error(error, SCRIPT_ERROR, SCRIPT_ERROR_PARAM,
			    "bad -D '%s': expected name=value", assignment);
		return FALSE;
	}
	name = g_strndup(assignment, (size_t)(eq - assignment));
	o = override_find(p, name);
	if (!o) {
		o = g_new0(struct override, 1);
		o->name = g_steal_pointer(&name);
		g_ptr_array_add(p->overrides, o);
	}
	g_free(o->value);
	o->value = g_strdup(eq + 1);
	return TRUE;
}

static gboolean param_name_valid(const char *name, size_t len)
{
	if (len == 0 || strlen(name) != len || !(g_ascii_isalpha(name[0]) || name[0] == '_'))
		return FALSE;
	return name[strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				 "0123456789_.-")] == '\0';
}

/* The value on top of the stack as param text. */
static char *param_text(lua_State *L)
{
	char buf[TEXT_NUMBER_LEN];

	switch (lua_type(L, -1)) {
	case LUA_TNUMBER:
		if (lua_isinteger(L, -1))
			return g_strdup_printf(LUA_INTEGER_FMT, (LUAI_UACINT)lua_tointeger(L, -1));
		return g_strdup(text_number_format(lua_tonumber(L, -1), buf));
	case LUA_TBOOLEAN:
		return g_strdup(lua_toboolean(L, -1) ? "true" : "false");
	default:
		return g_strdup(lua_tostring(L, -1));
	}
}

/* Pushes OVERRIDE's value converted to the type of the default at 2. */
static void override_push(lua_State *L, const char *name, const struct override *o)
{
	switch (lua_type(L, 2)) {
	case LUA_TNUMBER:
		if (!lua_stringtonumber(L, o->value))
			script_error_at_caller(L, SCRIPT_ERROR_PARAM,
					       "-D %s=%s: parameter '%s' takes a number (its default is %s)",
					       name, o->value, name, luaL_tolstring(L, 2, NULL));
		break;
	case LUA_TBOOLEAN:
		if (strcmp(o->value, "true") && strcmp(o->value, "false"))
			script_error_at_caller(L, SCRIPT_ERROR_PARAM,
					       "-D %s=%s: parameter '%s' takes true or false", name,
					       o->value, name);
		lua_pushboolean(L, !strcmp(o->value, "true"));
		break;
	default:
		lua_pushstring(L, o->value);
		break;
	}
}

/* param(name, default) -> the default, or the -D value in its type. */
static int lua_param(lua_State *L)
{
	struct script_params *p = lua_touserdata(L, lua_upvalueindex(1));
	const struct declared *twice;
	struct override *o;
	struct declared *d;
	const char *name;
	size_t len;
	lua_Debug ar;
	int type;

	if (lua_type(L, 1) != LUA_TSTRING)
		script_error_at_caller(L, SCRIPT_ERROR_PARAM,
				       "param() takes a name and a default, e.g. param(\"rate\", 50); "
				       "got %s for the name", luaL_typename(L, 1));
	name = lua_tolstring(L, 1, &len);
	if (!param_name_valid(name, len))
		script_error_at_caller(L, SCRIPT_ERROR_PARAM,
				       "param: bad name '%s' (use a letter or '_', then letters, "
				       "digits, '_', '.' or '-')", name);
	type = lua_type(L, 2);
	if (type == LUA_TNONE || type == LUA_TNIL)
		script_error_at_caller(L, SCRIPT_ERROR_PARAM,
				       "param '%s' needs a default value, e.g. param(\"%s\", 1): "
				       "its type is the type -D values take", name, name);
	if (type != LUA_TNUMBER && type != LUA_TSTRING && type != LUA_TBOOLEAN)
		script_error_at_caller(L, SCRIPT_ERROR_PARAM,
				       "param '%s': the default must be a number, a string or a "
				       "boolean, got %s", name, lua_typename(L, type));
	twice = declared_find(p, name);
	if (twice)
		script_error_at_caller(L, SCRIPT_ERROR_PARAM,
				       "param '%s' is declared twice (first at %s)", name, twice->where);
	lua_settop(L, 2);
	o = override_find(p, name);
	if (o)
		override_push(L, name, o);
	else
		lua_pushvalue(L, 2);
	d = g_new0(struct declared, 1);
	d->pub.name = g_strdup(name);
	d->pub.value = param_text(L);
	d->pub.given = o != NULL;
	if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar))
		d->where = g_strdup_printf("%s:%d", ar.source[0] == '@' || ar.source[0] == '=' ?
					   ar.source + 1 : ar.short_src, ar.currentline);
	else
		d->where = g_strdup("?");
	g_ptr_array_add(p->declared, d);
	if (o)
		o->used = TRUE;
	return 1;
}

void script_params_install(struct script_params *p, lua_State *L)
{
	lua_pushlightuserdata(L, p);
	lua_pushcclosure(L, lua_param, 1);
	lua_setglobal(L, "param");
}

gboolean script_params_check(const struct script_params *p, const char *chunk, GError **error)
{
	for (unsigned i = 0; i < p->overrides->len; i++) {
		const struct override *o = g_ptr_array_index(p->overrides, i);
		g_autofree const char **names = NULL;
		g_autofree char *hint = NULL;
		const char *guess;

		if (o->used)
			continue;
		names = g_new(const char *, p->declared->len + 1);
		for (unsigned j = 0; j < p->declared->len; j++)
			names[j] = ((const struct declared *)g_ptr_array_index(p->declared, j))->pub.name;
		names[p->declared->len] = NULL;
		guess = text_closest(o->name, names, p->declared->len);
		if (guess)
			hint = g_strdup_printf("did you mean '%s'?", guess);
		else if (p->declared->len) {
			g_autofree char *list = g_strjoinv(", ", (char **)names);

			hint = g_strconcat("the scenario declares ", list, NULL);
		} else
			hint = g_strdup("the scenario declares no parameters");
		g_set_error(error, SCRIPT_ERROR, SCRIPT_ERROR_PARAM,
			    "%s: unknown parameter '%s' (%s)", chunk, o->name, hint);
		return FALSE;
	}
	return TRUE;
}

size_t script_params_count(const struct script_params *p)
{
	return p->declared->len;
}

const struct script_param *script_params_nth(const struct script_params *p, size_t i)
{
	g_return_val_if_fail(i < p->declared->len, NULL);
	return &((const struct declared *)g_ptr_array_index(p->declared, (unsigned)i))->pub;
}
