/* Helpers shared by the dcdsim subcommands: exit statuses, where the
 * shipped scenarios and Lua library live, and the interrupt flag that
 * SIGINT and SIGTERM raise. */
#ifndef DCDSIM_CLI_CLI_H
#define DCDSIM_CLI_CLI_H

#include <glib.h>
#include <stdbool.h>

/* Exit statuses of every subcommand (docs/cli.md). */
enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAILURE = 1,	/* the run failed: a model, the results file */
	CLI_EXIT_USAGE = 2,	/* bad command line or scenario */
	CLI_EXIT_SIGNAL = 128,	/* plus the signal: 130 for SIGINT, 143 for SIGTERM */
};

#define CLI_ERROR (cli_error_quark())
GQuark cli_error_quark(void);

enum cli_error {
	CLI_ERROR_USAGE,	/* a bad option or argument */
	CLI_ERROR_SCENARIO,	/* the scenario declared an impossible fabric */
	CLI_ERROR_INTERRUPTED,	/* SIGINT or SIGTERM */
	CLI_ERROR_FAILED,	/* the run failed: e.g. its results file cannot be replaced */
};

/* The exit status for a command that failed with ERROR: CLI_EXIT_USAGE
 * for usage and scenario errors (CLI_ERROR_USAGE, CLI_ERROR_SCENARIO,
 * SCRIPT_ERROR) and for a results file that is not SQLite, not dcdsim's
 * or of a newer schema; CLI_EXIT_SIGNAL + the signal when interrupted,
 * else CLI_EXIT_FAILURE. */
int cli_exit_status(const GError *error);

/* Parses a command's ARGC/ARGV with ENTRIES, SUMMARY and DESCRIPTION.  The
 * entries include "help", which sets *HELP: then the help goes to stdout
 * (ours: GLib's own would recode its UTF-8 for the locale).  A parse
 * error is a CLI_ERROR_USAGE with GLib's message in lower case. */
bool cli_options_parse(int *argc, char ***argv, const GOptionEntry *entries,
		       const char *summary, const char *description, const gboolean *help,
		       GError **error);

/* The folder holding the shipped lua/ and scenarios/: $DCDSIM_DATADIR
 * when set, else the installed one when it exists, else the source tree
 * the program was built from (for the uninstalled binary). */
const char *cli_data_dir(void);
/* A file or folder under cli_data_dir() (g_free). */
char *cli_data_path(const char *relative);

/* SIGINT and SIGTERM set the interrupt flag instead of killing the
 * process; a second one kills it as usual.  Long loops poll the flag. */
void cli_interrupt_install(void);
/* The signal that interrupted, 0 when none has. */
int cli_interrupt_signal(void);

/* The subcommands: ARGV[0] is the command's name. */
int cli_cmd_run(int argc, char **argv);

#endif
