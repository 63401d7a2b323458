/* dcdsim report: figures and an index.html for a results file. */
#include "cli/report_cmd.h"

#include "cli/cli.h"
#include "report/report.h"
#include "store/store.h"

#include <stdio.h>

#define REPORT_DESCRIPTION \
	"Plots the complete runs of the results file FILE with gnuplot and writes\n" \
	"DIR/index.html (and report.md) showing them beside the run or sweep summary.\n" \
	"One run: latency CDFs, series over simulated time, blocking by cause.  A\n" \
	"sweep (runs whose parameters differ): each main metric against each swept\n" \
	"parameter, with 95% confidence intervals over the repetitions.\n" \
	"\n" \
	"Default DIR: beside FILE, named after it (results/x.db -> results/x-report).\n" \
	"\n" \
	"Exit status:\n" \
	"  0    the report is written\n" \
	"  1    gnuplot or the report folder failed\n" \
	"  2    bad command line; FILE missing, not a dcdsim results file, of a newer\n" \
	"       schema, or without a complete run\n" \
	"\n" \
	"Environment: DCDSIM_GNUPLOT, the gnuplot to run (default: the one found at\n" \
	"build time, else gnuplot on PATH).  See docs/report.md."

/* Everything the report's reader can fix by giving another file. */
static int exit_status(const GError *error)
{
	if (error->domain == STORE_ERROR && error->code != STORE_ERROR_SQL)
		return CLI_EXIT_USAGE;
	if (g_error_matches(error, REPORT_ERROR, REPORT_ERROR_EMPTY))
		return CLI_EXIT_USAGE;
	return CLI_EXIT_FAILURE;
}

int cli_report_main(int argc, char **argv)
{
	g_autofree char *dir = NULL, *format_text = NULL;
	g_auto(GStrv) rest = NULL;
	gboolean help = FALSE;
	GOptionEntry entries[] = {
		{ "output", 'o', 0, G_OPTION_ARG_FILENAME, &dir,
		  "Write the report into DIR (default: FILE without .db, plus -report)", "DIR" },
		{ "format", 'f', 0, G_OPTION_ARG_STRING, &format_text,
		  "Figures as png (default) or svg", "FORMAT" },
		{ "help", 'h', 0, G_OPTION_ARG_NONE, &help, "Show this help", NULL },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL, "FILE" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	enum report_format format = REPORT_FORMAT_PNG;
	struct report_summary summary;
	GError *error = NULL;
	int status;

	g_set_prgname("dcdsim report");
	if (!cli_options_parse(&argc, &argv, entries, "Plots the runs of a results file.",
			       REPORT_DESCRIPTION, &help, &error))
		goto fail_usage;
	if (help)
		return CLI_EXIT_OK;
	if (!rest || !rest[0] || rest[1]) {
		g_set_error(&error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s",
			    rest && rest[0] ? "one results file at a time" : "no results file given");
		goto fail_usage;
	}
	if (format_text && !report_format_parse(format_text, &format)) {
		g_set_error(&error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "bad format '%s': expected png or svg", format_text);
		goto fail_usage;
	}
	if (!dir)
		dir = report_dir_default(rest[0]);
	if (!report_write(rest[0], dir, format, &summary, &error)) {
		fprintf(stderr, "dcdsim report: %s\n", error->message);
		status = exit_status(error);
		g_error_free(error);
		return status;
	}
	printf("%u figure%s of %u %s", summary.figures, summary.figures == 1 ? "" : "s",
	       summary.runs, summary.sweep ? "runs of a sweep" : summary.runs == 1 ? "run" : "runs");
	if (summary.skipped)
		printf(" (%u incomplete run%s skipped)", summary.skipped,
		       summary.skipped == 1 ? "" : "s");
	printf("\nopen %s/index.html\n", dir);
	return CLI_EXIT_OK;
fail_usage:
	fprintf(stderr, "dcdsim report: %s (see 'dcdsim report --help')\n", error->message);
	g_error_free(error);
	return CLI_EXIT_USAGE;
}
