/* dcdsim sweep and dcdsim merge: parameter sweeps here or spread over
 * machines, and the merge of their results files (docs/sweep.md). */
#ifndef DCDSIM_CLI_SWEEP_CMD_H
#define DCDSIM_CLI_SWEEP_CMD_H

/* ARGV[0] is the command's name.  Return the exit status: 0; 1 when a run
 * or the results file failed; 2 for a bad command line, scenario or
 * parameter; 130 or 143 when SIGINT or SIGTERM stopped the sweep. */
int cli_sweep_main(int argc, char **argv);
/* 0; 1 when writing OUT failed; 2 for a bad command line or a part that
 * is missing, foreign or of another schema. */
int cli_merge_main(int argc, char **argv);

#endif
