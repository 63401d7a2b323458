/* The only code that runs gnuplot: one script draws every figure of a
 * report from data files beside it, so that a reader can edit and rerun it
 * (cd DIR && gnuplot data/report.gp). */
#include "report/internal.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>

#define DATA_DIR "data"
#define SCRIPT DATA_DIR "/report.gp"
/* Enough of gnuplot's complaints to see the first error. */
#define STDERR_KEPT 2000

struct report_plot {
	char *dir;
	enum report_format format;
	GString *script;
	GPtrArray *figures;	/* struct report_figure */
};

G_DEFINE_QUARK(dcdsim-report-error-quark, report_error)

gboolean report_format_parse(const char *text, enum report_format *format)
{
	if (!strcmp(text, "png"))
		*format = REPORT_FORMAT_PNG;
	else if (!strcmp(text, "svg"))
		*format = REPORT_FORMAT_SVG;
	else
		return FALSE;
	return TRUE;
}

static void figure_free(void *data)
{
	struct report_figure *f = data;

	g_free(f->file);
	g_free(f->title);
	g_free(f->caption);
	g_free(f);
}

struct report_plot *report_plot_new(const char *dir, enum report_format format)
{
	struct report_plot *plot = g_new0(struct report_plot, 1);

	plot->dir = g_strdup(dir);
	plot->format = format;
	plot->script = g_string_new("# Written by dcdsim report; run it in the report folder:\n"
				    "#   gnuplot " SCRIPT "\n");
	/* noenhanced: names such as "no_capacity" are text, not markup. */
	g_string_append(plot->script, format == REPORT_FORMAT_PNG ?
			"set terminal pngcairo size 960,560 noenhanced font 'Sans,11' "
			"linewidth 1.5\n" :
			"set terminal svg size 960,560 dynamic noenhanced font 'Sans,11' "
			"linewidth 1.5 background '#ffffff'\n");
	/* Okabe and Ito's colours, told apart with any colour vision; set
	 * linetype survives each figure's reset. */
	g_string_append(plot->script,
			"set linetype 1 lc rgb '#0072b2'\nset linetype 2 lc rgb '#d55e00'\n"
			"set linetype 3 lc rgb '#009e73'\nset linetype 4 lc rgb '#cc79a7'\n"
			"set linetype 5 lc rgb '#e69f00'\nset linetype 6 lc rgb '#56b4e9'\n"
			"set linetype 7 lc rgb '#8c8c8c'\nset linetype 8 lc rgb '#f0e442'\n"
			"set linetype cycle 8\n");
	plot->figures = g_ptr_array_new_with_free_func(figure_free);
	return plot;
}

void report_plot_free(struct report_plot *plot)
{
	if (!plot)
		return;
	g_free(plot->dir);
	g_string_free(plot->script, TRUE);
	g_ptr_array_unref(plot->figures);
	g_free(plot);
}

void report_plot_printf(struct report_plot *plot, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	g_string_append_vprintf(plot->script, format, ap);
	va_end(ap);
}

char *report_plot_quote(const char *text)
{
	GString *s = g_string_new("'");

	for (const char *p = text; *p; p++) {
		if (*p == '\'')
			g_string_append_c(s, '\'');
		/* A newline would end the command. */
		g_string_append_c(s, *p == '\n' ? ' ' : *p);
	}
	g_string_append_c(s, '\'');
	return g_string_free(s, FALSE);
}

const struct report_figure *report_plot_figure(struct report_plot *plot, const char *id,
					       const char *title, const char *caption)
{
	struct report_figure *f = g_new(struct report_figure, 1);
	g_autofree char *quoted_title = report_plot_quote(title);

	f->file = g_strconcat(id, plot->format == REPORT_FORMAT_PNG ? ".png" : ".svg", NULL);
	f->title = g_strdup(title);
	f->caption = g_strdup(caption);
	g_ptr_array_add(plot->figures, f);
	report_plot_printf(plot,
			   "\n# --- %s\n"
			   "reset\n"
			   "set encoding utf8\n"
			   "set output '%s'\n"
			   "set title %s font ',13'\n"
			   "set grid lc rgb '#d8d8d8'\n"
			   "set border 3\n"
			   "set tics nomirror\n"
			   "set key outside right top vertical Left reverse noautotitle\n"
			   "set datafile missing 'NaN'\n",
			   id, f->file, quoted_title);
	return f;
}

gboolean report_plot_data(struct report_plot *plot, const char *id, const GString *data,
			  GError **error)
{
	g_autofree char *name = g_strconcat(id, ".dat", NULL);
	g_autofree char *path = g_build_filename(plot->dir, DATA_DIR, name, NULL);

	return report_file_write(path, data->str, (gssize)data->len, error);
}

void report_plot_point(GString *data, double x, double y)
{
	char xs[G_ASCII_DTOSTR_BUF_SIZE], ys[G_ASCII_DTOSTR_BUF_SIZE];

	g_string_append_printf(data, "%s %s\n", g_ascii_formatd(xs, sizeof(xs), "%.10g", x),
			       isnan(y) ? "NaN" : g_ascii_formatd(ys, sizeof(ys), "%.10g", y));
}

unsigned report_plot_figure_count(const struct report_plot *plot)
{
	return plot->figures->len;
}

/* $DCDSIM_GNUPLOT, else the one configure found, else PATH's. */
static char *gnuplot_find(GError **error)
{
	const char *env = g_getenv("DCDSIM_GNUPLOT");
	char *path;

	if (env && *env) {
		path = g_find_program_in_path(env);
		if (!path)
			g_set_error(error, REPORT_ERROR, REPORT_ERROR_GNUPLOT,
				    "gnuplot '%s' (from DCDSIM_GNUPLOT) not found or not executable",
				    env);
		return path;
	}
#ifdef DCDSIM_GNUPLOT
	if (g_path_is_absolute(DCDSIM_GNUPLOT) &&
	    g_file_test(DCDSIM_GNUPLOT, G_FILE_TEST_IS_EXECUTABLE))
		return g_strdup(DCDSIM_GNUPLOT);
#endif
	path = g_find_program_in_path("gnuplot");
	if (!path)
		g_set_error_literal(error, REPORT_ERROR, REPORT_ERROR_GNUPLOT,
				    "'gnuplot' not found: install it (Debian: gnuplot-nox) or "
				    "set DCDSIM_GNUPLOT to its path");
	return path;
}

/* The tail of gnuplot's stderr, where its first error usually is. */
static const char *stderr_tail(const char *text)
{
	size_t len = strlen(text);

	return len > STDERR_KEPT ? text + len - STDERR_KEPT : text;
}

static gboolean figures_check(const struct report_plot *plot, GError **error)
{
	for (guint i = 0; i < plot->figures->len; i++) {
		const struct report_figure *f = g_ptr_array_index(plot->figures, i);
		g_autofree char *path = g_build_filename(plot->dir, f->file, NULL);
		GStatBuf sb;

		if (g_stat(path, &sb) < 0 || sb.st_size == 0) {
			g_set_error(error, REPORT_ERROR, REPORT_ERROR_GNUPLOT,
				    "gnuplot wrote no figure '%s'", path);
			return FALSE;
		}
	}
	return TRUE;
}

gboolean report_plot_run(struct report_plot *plot, GError **error)
{
	g_autofree char *gnuplot = NULL;
	g_autofree char *script = g_build_filename(plot->dir, SCRIPT, NULL);
	g_autofree char *out = NULL, *err = NULL;
	char *argv[] = { NULL, (char *)SCRIPT, NULL };
	GError *local = NULL;
	int status;

	report_plot_printf(plot, "\nunset output\n");
	if (!report_file_write(script, plot->script->str, (gssize)plot->script->len, error))
		return FALSE;
	gnuplot = gnuplot_find(error);
	if (!gnuplot)
		return FALSE;
	/* A figure left by an earlier report must not pass for a new one. */
	for (guint i = 0; i < plot->figures->len; i++) {
		const struct report_figure *f = g_ptr_array_index(plot->figures, i);
		g_autofree char *path = g_build_filename(plot->dir, f->file, NULL);

		g_unlink(path);
	}
	argv[0] = gnuplot;
	if (!g_spawn_sync(plot->dir, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status,
			  &local)) {
		g_set_error(error, REPORT_ERROR, REPORT_ERROR_GNUPLOT, "cannot run gnuplot '%s': %s",
			    gnuplot, local->message);
		g_error_free(local);
		return FALSE;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		g_strstrip(err);
		g_set_error(error, REPORT_ERROR, REPORT_ERROR_GNUPLOT,
			    "gnuplot '%s' failed on '%s' (%s %d)%s%s", gnuplot, script,
			    WIFEXITED(status) ? "exit status" : "signal",
			    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
			    *err ? ":\n" : "", stderr_tail(err));
		return FALSE;
	}
	return figures_check(plot, error);
}
