/* dcdsim merge: results files (the parts of a sweep run elsewhere) into one. */
#include "cli/sweep_cmd.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "store/store.h"

#define MERGE_DESCRIPTION \
	"Copies into OUT (created when missing) every complete run of each PART\n" \
	"that OUT lacks, with all its rows, one PART at a time, each in one\n" \
	"transaction.  Runs are matched by run key, so merging a PART again adds\n" \
	"nothing, and runs that are not complete are left out.\n" \
	"\n" \
	"Exit status:\n" \
	"  0    every PART is merged\n" \
	"  1    writing OUT failed (the PARTs merged before stay merged)\n" \
	"  2    bad command line, or a PART missing, not a dcdsim results file or\n" \
	"       of another schema\n" \
	"\n" \
	"See docs/sweep.md."

/* The outside world's fault, fixed by naming other files. */
static int exit_status(const GError *error)
{
	if (error->domain == STORE_ERROR && error->code != STORE_ERROR_SQL)
		return CLI_EXIT_USAGE;
	return cli_exit_status(error);
}

int cli_merge_main(int argc, char **argv)
{
	gboolean help = FALSE, quiet = FALSE;
	g_auto(GStrv) rest = NULL;
	GOptionEntry entries[] = {
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print nothing but errors", NULL },
		{ "help", 'h', 0, G_OPTION_ARG_NONE, &help, "Show this help", NULL },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL,
		  "OUT PART..." },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	g_autoptr(store) out = NULL;
	GError *error = NULL;
	unsigned total = 0;
	int status = CLI_EXIT_OK;

	g_set_prgname("dcdsim merge");
	if (!cli_options_parse(&argc, &argv, entries, "Merges results files into one.",
			       MERGE_DESCRIPTION, &help, &error)) {
		fprintf(stderr, "dcdsim merge: %s (see 'dcdsim merge --help')\n", error->message);
		g_error_free(error);
		return CLI_EXIT_USAGE;
	}
	if (help)
		return CLI_EXIT_OK;
	if (!rest || !rest[0] || !rest[1]) {
		fprintf(stderr, "dcdsim merge: expected OUT and at least one PART "
			"(see 'dcdsim merge --help')\n");
		return CLI_EXIT_USAGE;
	}
	out = store_open(rest[0], &error);
	if (!out)
		goto failed;
	for (char **part = rest + 1; *part; part++) {
		unsigned added;

		if (!store_merge(out, *part, &added, &error))
			goto failed;
		total += added;
		if (!quiet)
			printf("%s: %u runs added\n", *part, added);
	}
	if (!quiet)
		printf("%u runs added to '%s' from %u files\n", total, rest[0],
		       g_strv_length(rest) - 1);
	return CLI_EXIT_OK;
failed:
	fprintf(stderr, "dcdsim merge: %s\n", error->message);
	status = exit_status(error);
	g_error_free(error);
	return status;
}
