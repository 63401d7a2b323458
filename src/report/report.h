/* Plotted reports of a results file: gnuplot figures and an index.html
 * (with a report.md twin) that shows them beside the run or sweep summary.
 * This module is the only code that runs gnuplot; docs/report.md describes
 * every figure. */
#ifndef DCDSIM_REPORT_REPORT_H
#define DCDSIM_REPORT_REPORT_H

#include <glib.h>

#define REPORT_ERROR (report_error_quark())
GQuark report_error_quark(void);

enum report_error {
	REPORT_ERROR_EMPTY,	/* the results file holds no complete run */
	REPORT_ERROR_OUTPUT,	/* the report folder or a file in it cannot be written */
	REPORT_ERROR_GNUPLOT,	/* gnuplot is missing or failed */
};

enum report_format {
	REPORT_FORMAT_PNG,
	REPORT_FORMAT_SVG,
};

/* "png" or "svg"; FALSE for any other text. */
gboolean report_format_parse(const char *text, enum report_format *format);

/* What report_write() did. */
struct report_summary {
	unsigned runs;		/* complete runs reported */
	unsigned skipped;	/* runs not complete (running or failed), left out */
	unsigned figures;	/* plots written */
	gboolean sweep;		/* plotted against swept parameters */
};

/* The report folder of DB_PATH when none is given: beside it, named after
 * it ("x/run.db" -> "x/run-report").  g_free the result. */
char *report_dir_default(const char *db_path);

/* Writes the report of the results file DB_PATH into DIR (created when
 * missing; files of an earlier report are overwritten): the figures, their
 * data and gnuplot script under DIR/data/, index.html and report.md.
 * gnuplot is $DCDSIM_GNUPLOT when set, else the one configure found, else
 * the first on PATH.  Errors: the store's (STORE_ERROR) for a missing,
 * foreign or newer-schema file, REPORT_ERROR otherwise.  SUMMARY may be
 * NULL. */
gboolean report_write(const char *db_path, const char *dir, enum report_format format,
		      struct report_summary *summary, GError **error);

#endif
