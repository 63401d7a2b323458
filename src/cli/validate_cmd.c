/* dcdsim validate: a host policy through the conformance suite, one row
 * per check (validate.h, docs/host-policy-api.md). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/json.h"
#include "cli/validate.h"
#include "sim/units.h"

#define VALIDATE_DESCRIPTION \
	"Runs POLICY (a built-in name: linux, linux-tags, interleave; a Lua policy\n" \
	"file; or a module such as dcdsim.policies.greedy) on every host of each\n" \
	"scenario of the conformance suite (scenarios/validate/) and checks the\n" \
	"protocol rules and liveness after every event.  One row per check: pass,\n" \
	"warn (a known, documented deviation of a faithful model) or fail with the\n" \
	"first counterexample and the protocol messages that led to it.\n" \
	"\n" \
	"Exit status:\n" \
	"  0    every check passed (warnings allowed)\n" \
	"  1    a check failed\n" \
	"  2    bad command line, a policy that cannot load, a broken suite\n" \
	"\n" \
	"See docs/host-policy-api.md."

struct validate_args {
	char *suite;
	char *seed;
	gboolean json;
	gboolean help;
	char **rest;
};

static void validate_args_clear(struct validate_args *a)
{
	g_free(a->suite);
	g_free(a->seed);
	g_strfreev(a->rest);
}

static bool validate_args_parse(int argc, char **argv, struct validate_args *a,
				struct validate_options *o, GError **error)
{
	GOptionEntry entries[] = {
		{ "suite", 0, 0, G_OPTION_ARG_STRING, &a->suite,
		  "Run only the suite scenario NAME (scenarios/validate/NAME.lua)", "NAME" },
		{ "seed", 's', 0, G_OPTION_ARG_STRING, &a->seed,
		  "Seed of every scenario (default: each scenario's own)", "SEED" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &a->json, "Print the report as one JSON object",
		  NULL },
		{ "help", 'h', 0, G_OPTION_ARG_NONE, &a->help, "Show this help", NULL },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &a->rest, NULL, "POLICY" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	guint64 seed;

	if (!cli_options_parse(&argc, &argv, entries,
			       "dcdsim validate POLICY [--suite NAME] [--json] [-s SEED]",
			       VALIDATE_DESCRIPTION, &a->help, error))
		return false;
	if (a->help)
		return true;
	if (!a->rest || !a->rest[0] || a->rest[1]) {
		g_set_error(error, CLI_ERROR, CLI_ERROR_USAGE, "validate takes one POLICY, got %u "
			    "(see 'dcdsim validate --help')", a->rest ? g_strv_length(a->rest) : 0);
		return false;
	}
	if (a->seed && !g_ascii_string_to_unsigned(a->seed, 10, 0, G_MAXUINT64, &seed, NULL)) {
		g_set_error(error, CLI_ERROR, CLI_ERROR_USAGE, "-s: the seed must be a whole "
			    "number, got '%s'", a->seed);
		return false;
	}
	o->policy = a->rest[0];
	o->suite = a->suite;
	o->has_seed = a->seed != NULL;
	o->seed = a->seed ? seed : 0;
	return true;
}

static void finding_print(const char *what, const struct validate_finding *f, uint64_t more)
{
	char at[UNITS_FORMAT_LEN];

	printf("    %s: scenario '%s' at %s: %s\n", what, f->scenario,
	       units_time_format(f->at, at), f->message);
	if (f->trace && *f->trace)
		printf("    messages before it:\n%s", f->trace);
	if (more)
		printf("    (%" G_GUINT64_FORMAT " more)\n", more);
}

static void report_print(const struct validate_report *r)
{
	enum validate_status worst = validate_report_status(r);

	printf("policy '%s' on %u suite scenarios", r->policy, r->ran->len);
	if (r->skipped->len)
		printf(" (%u skipped)", r->skipped->len);
	printf("\n\n");
	for (size_t i = 0; i < VALIDATE_CHECK_COUNT; i++) {
		const struct validate_row *row = &r->rows[i];

		printf("%-16s %-5s %s\n", validate_check_name((enum validate_check)i),
		       validate_status_name(row->status),
		       validate_check_about((enum validate_check)i));
		if (row->fails)
			finding_print("counterexample", &row->fail, row->fails - 1);
		if (row->warns)
			finding_print("warning", &row->warn, row->warns - 1);
	}
	for (guint i = 0; i < r->skipped->len; i++)
		printf("\nskipped %s", (const char *)g_ptr_array_index(r->skipped, i));
	printf("%sresult: %s\n", r->skipped->len ? "\n\n" : "\n", validate_status_name(worst));
}

static void finding_json(struct json *j, const char *key, const struct validate_finding *f)
{
	json_object_begin(j, key);
	json_string(j, "scenario", f->scenario);
	json_uint(j, "at_ns", f->at);
	json_string(j, "message", f->message);
	json_string(j, "trace", f->trace);
	json_object_end(j);
}

static void report_json(const struct validate_report *r)
{
	g_autoptr(json) j = json_new();

	json_object_begin(j, NULL);
	json_string(j, "policy", r->policy);
	json_string(j, "status", validate_status_name(validate_report_status(r)));
	if (r->seed)
		json_uint(j, "seed", r->seed);
	json_uint(j, "scenarios", r->ran->len);
	json_object_begin(j, "skipped");
	for (guint i = 0; i < r->skipped->len; i++) {
		const char *s = g_ptr_array_index(r->skipped, i);
		const char *colon = strchr(s, ':');
		g_autofree char *name = g_strndup(s, colon ? (gsize)(colon - s) : strlen(s));

		json_string(j, name, colon ? colon + 2 : "");
	}
	json_object_end(j);
	json_object_begin(j, "checks");
	for (size_t i = 0; i < VALIDATE_CHECK_COUNT; i++) {
		const struct validate_row *row = &r->rows[i];

		json_object_begin(j, validate_check_name((enum validate_check)i));
		json_string(j, "status", validate_status_name(row->status));
		json_string(j, "about", validate_check_about((enum validate_check)i));
		json_uint(j, "fails", row->fails);
		json_uint(j, "warns", row->warns);
		if (row->fails)
			finding_json(j, "fail", &row->fail);
		if (row->warns)
			finding_json(j, "warn", &row->warn);
		json_object_end(j);
	}
	json_object_end(j);
	json_object_end(j);
	printf("%s\n", json_text(j));
}

int cli_validate_main(int argc, char **argv)
{
	struct validate_args a = { 0 };
	struct validate_options o = { 0 };
	struct validate_report r = { 0 };
	GError *error = NULL;
	int status;

	g_set_prgname("dcdsim validate");
	if (!validate_args_parse(argc, argv, &a, &o, &error) || a.help)
		goto done;
	if (!validate_run(&o, &r, &error))
		goto done;
	if (a.json)
		report_json(&r);
	else
		report_print(&r);
done:
	if (error) {
		fprintf(stderr, "dcdsim validate: %s\n", error->message);
		status = CLI_EXIT_USAGE;
	} else {
		status = validate_report_status(&r) == VALIDATE_FAIL ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
	}
	g_clear_error(&error);
	validate_report_clear(&r);
	validate_args_clear(&a);
	return status;
}
