/* The dcdsim program: dispatches to its subcommands. */
#include <glib.h>
#include <stdio.h>
#include <string.h>

struct command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

static const struct command commands[] = {
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
	if (!commands[0].name)
		fprintf(out, "  (none yet: the kernel benchmark is bench/hold, see bench/README.md)\n");
	fprintf(out, "\n'dcdsim COMMAND --help' describes a command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("dcdsim %s\n", PACKAGE_VERSION);
		return 0;
	}
	for (const struct command *c = commands; c->name; c++)
		if (!strcmp(argv[1], c->name))
			return c->run(argc - 1, argv + 1);
	fprintf(stderr, "dcdsim: unknown command '%s' (see 'dcdsim --help')\n", argv[1]);
	return 2;
}
