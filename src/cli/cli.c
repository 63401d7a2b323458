#include "cli/cli.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script/script.h"
#include "store/store.h"

G_DEFINE_QUARK(dcdsim-cli-error-quark, cli_error)

int cli_exit_status(const GError *error)
{
	g_return_val_if_fail(error != NULL, CLI_EXIT_FAILURE);
	if (error->domain == SCRIPT_ERROR)
		return CLI_EXIT_USAGE;
	/* A results file of the wrong kind: the user names another one. */
	if (g_error_matches(error, STORE_ERROR, STORE_ERROR_NOT_SQLITE) ||
	    g_error_matches(error, STORE_ERROR, STORE_ERROR_FOREIGN) ||
	    g_error_matches(error, STORE_ERROR, STORE_ERROR_VERSION))
		return CLI_EXIT_USAGE;
	if (error->domain != CLI_ERROR)
		return CLI_EXIT_FAILURE;
	switch ((enum cli_error)error->code) {
	case CLI_ERROR_USAGE:
	case CLI_ERROR_SCENARIO:
		return CLI_EXIT_USAGE;
	case CLI_ERROR_INTERRUPTED:
		return CLI_EXIT_SIGNAL + (cli_interrupt_signal() ? cli_interrupt_signal() : SIGINT);
	case CLI_ERROR_FAILED:
		break;
	}
	return CLI_EXIT_FAILURE;
}

const char *cli_data_dir(void)
{
	static const char *dir;
	const char *env;

	if (dir)
		return dir;
	env = getenv("DCDSIM_DATADIR");
	if (env && *env)
		dir = env;
	else if (g_file_test(DCDSIM_PKGDATADIR "/scenarios", G_FILE_TEST_IS_DIR))
		dir = DCDSIM_PKGDATADIR;
	else
		dir = DCDSIM_SRCDIR;
	return dir;
}

char *cli_data_path(const char *relative)
{
	return g_build_filename(cli_data_dir(), relative, NULL);
}

static volatile sig_atomic_t interrupt_signal;

static void interrupt_handler(int signo)
{
	interrupt_signal = signo;
}

void cli_interrupt_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = interrupt_handler;
	sigemptyset(&sa.sa_mask);
	/* The handler runs once: a second Ctrl-C kills a stuck process. */
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int cli_interrupt_signal(void)
{
	return interrupt_signal;
}

bool cli_options_parse(int *argc, char ***argv, const GOptionEntry *entries,
		       const char *summary, const char *description, const gboolean *help,
		       GError **error)
{
	g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);
	GError *local = NULL;

	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_summary(ctx, summary);
	g_option_context_set_description(ctx, description);
	g_option_context_set_help_enabled(ctx, FALSE);
	if (!g_option_context_parse(ctx, argc, argv, &local)) {
		/* GLib's messages start with a capital ("Unknown option"). */
		local->message[0] = g_ascii_tolower(local->message[0]);
		local->domain = CLI_ERROR;
		local->code = CLI_ERROR_USAGE;
		g_propagate_error(error, local);
		return false;
	}
	if (*help) {
		g_autofree char *text = g_option_context_get_help(ctx, TRUE, NULL);

		fputs(text, stdout);
	}
	return true;
}
