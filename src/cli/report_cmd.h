/* dcdsim report: the plotted report of a results file (src/report). */
#ifndef DCDSIM_CLI_REPORT_CMD_H
#define DCDSIM_CLI_REPORT_CMD_H

/* ARGV[0] is the command's name.  Returns the exit status: 0, 1 when
 * gnuplot or the report folder failed, 2 for a bad command line and for a
 * results file that is missing, foreign, of a newer schema or without a
 * complete run. */
int cli_report_main(int argc, char **argv);

#endif
