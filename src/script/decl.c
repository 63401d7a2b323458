/* The declaration-table checker bindings use for device{}, host{} etc. */
#include "script/script.h"

#include "sim/text.h"
#include "sim/units.h"

#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <string.h>

static const char *const kind_expected[] = {
	[SCRIPT_KIND_SIZE] = "a size such as \"2MiB\" or a number of bytes",
	[SCRIPT_KIND_TIME] = "a time such as \"10us\" or a number of nanoseconds",
	[SCRIPT_KIND_RATE] = "a rate such as \"50/s\" or a number per second",
	[SCRIPT_KIND_NUMBER] = "a number",
	[SCRIPT_KIND_INTEGER] = "an integer",
	[SCRIPT_KIND_STRING] = "a string",
	[SCRIPT_KIND_BOOLEAN] = "true or false",
	[SCRIPT_KIND_TABLE] = "a table",
	[SCRIPT_KIND_FUNCTION] = "a function",
};

/* Converts TEXT, as a scenario would write it, for a key of KIND. */
static gboolean value_parse(enum script_kind kind, const char *text, struct script_value *v,
			    GError **error)
{
	char *end = NULL;

	switch (kind) {
	case SCRIPT_KIND_SIZE:
		return units_size_parse(text, &v->size, error);
	case SCRIPT_KIND_TIME:
		return units_time_parse(text, &v->time, error);
	case SCRIPT_KIND_RATE:
		return units_rate_parse(text, &v->rate, error);
	case SCRIPT_KIND_STRING:
		v->string = text;
		return TRUE;
	case SCRIPT_KIND_NUMBER:
		v->number = g_ascii_strtod(text, &end);
		break;
	case SCRIPT_KIND_INTEGER:
		v->integer = g_ascii_strtoll(text, &end, 10);
		break;
	case SCRIPT_KIND_BOOLEAN:
		if (!strcmp(text, "true") || !strcmp(text, "false")) {
			v->boolean = text[0] == 't';
			return TRUE;
		}
		break;
	case SCRIPT_KIND_TABLE:
	case SCRIPT_KIND_FUNCTION:
		break;
	}
	if (end && end != text && !*end)
		return TRUE;
	g_set_error(error, SCRIPT_ERROR, SCRIPT_ERROR_DECL, "'%s' is not %s", text,
		    kind_expected[kind]);
	return FALSE;
}

/* The number at the top of the stack as a scenario would write it, so
 * that numbers and unit strings share one parser and one set of messages. */
static const char *number_text(lua_State *L, char buf[TEXT_NUMBER_LEN])
{
	if (lua_isinteger(L, -1)) {
		snprintf(buf, TEXT_NUMBER_LEN, LUA_INTEGER_FMT, (LUAI_UACINT)lua_tointeger(L, -1));
		return buf;
	}
	return text_number_format(lua_tonumber(L, -1), buf);
}

static void wrong_type(lua_State *L, const char *what, const struct script_key *key)
{
	script_error_at_caller(L, SCRIPT_ERROR_DECL, "key '%s' in %s must be %s, got %s",
			       key->name, what, kind_expected[key->kind], luaL_typename(L, -1));
}

/* Reads the value on top of the stack for KEY into V. */
static void value_read(lua_State *L, const char *what, const struct script_key *key,
		       struct script_value *v)
{
	char buf[TEXT_NUMBER_LEN];
	GError *error = NULL;
	int type = lua_type(L, -1);

	switch (key->kind) {
	case SCRIPT_KIND_SIZE:
	case SCRIPT_KIND_TIME:
	case SCRIPT_KIND_RATE:
		if (type != LUA_TSTRING && type != LUA_TNUMBER)
			wrong_type(L, what, key);
		if (!value_parse(key->kind, type == LUA_TNUMBER ? number_text(L, buf) :
				 lua_tostring(L, -1), v, &error)) {
			char message[512];

			/* The GError must go before lua_error() jumps. */
			g_strlcpy(message, error->message, sizeof(message));
			g_error_free(error);
			script_error_at_caller(L, SCRIPT_ERROR_DECL, "key '%s' in %s: %s",
					       key->name, what, message);
		}
		break;
	case SCRIPT_KIND_NUMBER:
		if (type != LUA_TNUMBER)
			wrong_type(L, what, key);
		v->number = lua_tonumber(L, -1);
		break;
	case SCRIPT_KIND_INTEGER: {
		int whole;

		if (type != LUA_TNUMBER)
			wrong_type(L, what, key);
		v->integer = lua_tointegerx(L, -1, &whole);
		if (!whole)
			script_error_at_caller(L, SCRIPT_ERROR_DECL,
					       "key '%s' in %s must be an integer, got %s", key->name,
					       what, number_text(L, buf));
		break;
	}
	case SCRIPT_KIND_STRING:
		if (type != LUA_TSTRING)
			wrong_type(L, what, key);
		v->string = lua_tostring(L, -1);
		break;
	case SCRIPT_KIND_BOOLEAN:
		if (type != LUA_TBOOLEAN)
			wrong_type(L, what, key);
		v->boolean = lua_toboolean(L, -1);
		break;
	case SCRIPT_KIND_TABLE:
		if (type != LUA_TTABLE)
			wrong_type(L, what, key);
		break;
	case SCRIPT_KIND_FUNCTION:
		if (type != LUA_TFUNCTION)
			wrong_type(L, what, key);
		break;
	}
}

static gboolean key_known(const char *name, const struct script_key *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(keys[i].name, name))
			return TRUE;
	return FALSE;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Raises for the first (by name) key of the table at INDEX that KEYS does
 * not list, or for a positional entry.  Table order is random, hence the
 * sorting: the same mistake always gives the same message. */
static void unknown_keys_check(lua_State *L, int index, const char *what,
			       const struct script_key *keys, size_t n)
{
	GPtrArray *unknown = g_ptr_array_new();
	const char **names;
	const char *first, *guess;
	int other_type = LUA_TNONE;

	lua_pushnil(L);
	while (lua_next(L, index)) {
		lua_pop(L, 1);
		if (lua_type(L, -1) != LUA_TSTRING) {
			/* Prefer numbers, the likely positional values. */
			if (other_type != LUA_TNUMBER)
				other_type = lua_type(L, -1);
		}
		else if (!key_known(lua_tostring(L, -1), keys, n))
			/* The table keeps the key's string alive. */
			g_ptr_array_add(unknown, (char *)lua_tostring(L, -1));
	}
	if (other_type == LUA_TNONE && unknown->len == 0) {
		g_ptr_array_free(unknown, TRUE);
		return;
	}
	g_ptr_array_sort(unknown, compare_strings);
	first = unknown->len ? g_ptr_array_index(unknown, 0) : NULL;
	g_ptr_array_free(unknown, TRUE);
	if (other_type != LUA_TNONE)
		script_error_at_caller(L, SCRIPT_ERROR_DECL,
				       "%s takes name = value entries only, got a key of type %s%s",
				       what, lua_typename(L, other_type),
				       other_type == LUA_TNUMBER ? " (a positional value?)" : "");
	names = g_new(const char *, n);
	for (size_t i = 0; i < n; i++)
		names[i] = keys[i].name;
	guess = text_closest(first, names, n);
	g_free(names);
	if (guess)
		script_error_at_caller(L, SCRIPT_ERROR_DECL,
				       "unknown key '%s' in %s (did you mean '%s'?)", first, what, guess);
	if (n == 0)
		script_error_at_caller(L, SCRIPT_ERROR_DECL, "unknown key '%s' in %s (it takes no "
				       "keys)", first, what);
	/* No close key: list them all, built in Lua's memory so nothing leaks. */
	for (size_t i = 0; i < n; i++) {
		if (i)
			lua_pushliteral(L, ", ");
		lua_pushstring(L, keys[i].name);
	}
	lua_concat(L, 2 * (int)n - 1);
	script_error_at_caller(L, SCRIPT_ERROR_DECL, "unknown key '%s' in %s (valid keys: %s)",
			       first, what, lua_tostring(L, -1));
}

void script_decl_check(lua_State *L, int index, const char *what,
		       const struct script_key *keys, size_t n, struct script_value *values)
{
	g_return_if_fail(L != NULL && what != NULL && (keys != NULL || n == 0));
	index = lua_absindex(L, index);
	if (lua_type(L, index) != LUA_TTABLE)
		script_error_at_caller(L, SCRIPT_ERROR_DECL,
				       "%s takes a table of name = value entries, got %s", what,
				       luaL_typename(L, index));
	unknown_keys_check(L, index, what, keys, n);
	for (size_t i = 0; i < n; i++) {
		struct script_value *v = &values[i];

		memset(v, 0, sizeof(*v));
		lua_pushstring(L, keys[i].name);
		if (lua_rawget(L, index) != LUA_TNIL) {
			value_read(L, what, &keys[i], v);
			v->given = v->set = TRUE;
		} else if (keys[i].required) {
			script_error_at_caller(L, SCRIPT_ERROR_DECL, "missing key '%s' in %s (%s)",
					       keys[i].name, what, kind_expected[keys[i].kind]);
		} else if (keys[i].fallback) {
			GError *error = NULL;

			if (!value_parse(keys[i].kind, keys[i].fallback, v, &error))
				g_error("script_decl_check: %s: bad fallback for key '%s': %s", what,
					keys[i].name, error->message);
			v->set = TRUE;
		}
		lua_pop(L, 1);
	}
}
