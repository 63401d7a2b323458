/* The dcdsim program: dispatches to its subcommands. */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/report_cmd.h"
#include "cli/sweep_cmd.h"
#include "cli/validate.h"

struct command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

static const struct command commands[] = {
	{ "run", "run one scenario and write its results file", cli_cmd_run },
	{ "sweep", "run a scenario over a grid of parameter values", cli_sweep_main },
	{ "merge", "merge results files into one", cli_merge_main },
	{ "report", "plot a results file: figures and index.html", cli_report_main },
	{ "validate", "check a host policy against the conformance suite", cli_validate_main },
	{ NULL, NULL, NULL },
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: dcdsim [--help] [--version] COMMAND [ARGS]\n"
		"\n"
		"A discrete-event simulator of CXL Dynamic Capacity Device fabrics.\n"
		"\n"
		"Commands:\n");
	for (const struct command *c = commands; c->name; c++)
		fprintf(out, "  %-10s %s\n", c->name, c->summary);
	fprintf(out, "\n'dcdsim COMMAND --help' describes a command; docs/cli.md has more.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("dcdsim %s\n", PACKAGE_VERSION);
		return CLI_EXIT_OK;
	}
	for (const struct command *c = commands; c->name; c++)
		if (!strcmp(argv[1], c->name))
			return c->run(argc - 1, argv + 1);
	fprintf(stderr, "dcdsim: unknown command '%s' (see 'dcdsim --help')\n", argv[1]);
	return CLI_EXIT_USAGE;
}
