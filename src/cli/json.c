#include "cli/json.h"

#include <math.h>

#include "sim/text.h"

struct json {
	GString *out;
	/* Objects open, and whether the innermost has a member yet. */
	unsigned depth;
	gboolean has_member;
};

struct json *json_new(void)
{
	struct json *j = g_new0(struct json, 1);

	j->out = g_string_new(NULL);
	return j;
}

void json_free(struct json *j)
{
	if (!j)
		return;
	g_string_free(j->out, TRUE);
	g_free(j);
}

static void write_string(GString *out, const char *s)
{
	g_autofree char *valid = g_utf8_validate(s, -1, NULL) ? NULL : g_utf8_make_valid(s, -1);

	g_string_append_c(out, '"');
	for (const unsigned char *p = (const unsigned char *)(valid ? valid : s); *p; p++) {
		switch (*p) {
		case '"':
			g_string_append(out, "\\\"");
			break;
		case '\\':
			g_string_append(out, "\\\\");
			break;
		case '\n':
			g_string_append(out, "\\n");
			break;
		case '\t':
			g_string_append(out, "\\t");
			break;
		default:
			if (*p < 0x20)
				g_string_append_printf(out, "\\u%04x", *p);
			else
				g_string_append_c(out, (char)*p);
		}
	}
	g_string_append_c(out, '"');
}

/* The separator and the key that come before any value. */
static void value_begin(struct json *j, const char *key)
{
	g_return_if_fail((key != NULL) == (j->depth > 0));
	if (j->has_member)
		g_string_append_c(j->out, ',');
	j->has_member = TRUE;
	if (key) {
		write_string(j->out, key);
		g_string_append_c(j->out, ':');
	}
}

void json_object_begin(struct json *j, const char *key)
{
	value_begin(j, key);
	g_string_append_c(j->out, '{');
	j->depth++;
	j->has_member = FALSE;
}

void json_object_end(struct json *j)
{
	g_return_if_fail(j->depth > 0);
	g_string_append_c(j->out, '}');
	j->depth--;
	j->has_member = TRUE;
}

void json_string(struct json *j, const char *key, const char *value)
{
	value_begin(j, key);
	if (value)
		write_string(j->out, value);
	else
		g_string_append(j->out, "null");
}

void json_uint(struct json *j, const char *key, uint64_t value)
{
	value_begin(j, key);
	g_string_append_printf(j->out, "%" G_GUINT64_FORMAT, (guint64)value);
}

void json_number(struct json *j, const char *key, double value)
{
	char buf[TEXT_NUMBER_LEN];

	value_begin(j, key);
	g_string_append(j->out, isfinite(value) ? text_number_format(value, buf) : "null");
}

const char *json_text(const struct json *j)
{
	return j->out->str;
}
