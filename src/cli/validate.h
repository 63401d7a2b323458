/* `dcdsim validate POLICY`: a host policy through the conformance suite
 * (the scenarios in scenarios/validate, docs/host-policy-api.md).
 *
 * Each suite scenario runs with every host on POLICY (a built-in name, a
 * Lua file or a module).  The harness taps the protocol messages between
 * each host and its devices (it re-wires their ports after the fabric is
 * built, so nothing watches when validate does not run), wraps the policy
 * to see its release answers, keeps a bounded ring of recent messages for
 * counterexamples, and checks after every event. */
#ifndef DCDSIM_CLI_VALIDATE_H
#define DCDSIM_CLI_VALIDATE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

enum validate_check {
	VALIDATE_CALLBACKS,		/* the policy runs and answers in shape */
	VALIDATE_RESPONSE_SUBSET,	/* every Add DC Response within its offers */
	VALIDATE_DECODER,		/* nothing accepted outside a committed decoder */
	VALIDATE_CHAIN_DEADLINE,	/* every chain answered within the deadline */
	VALIDATE_RELEASE_ANSWER,	/* releases answered, or deferred and answered */
	VALIDATE_RELEASE_OWNED,		/* Release DC only for what the host holds */
	VALIDATE_NO_LOSS,		/* no access after release or forced release */
	VALIDATE_CAPACITY,		/* FM, devices and hosts agree */
	VALIDATE_CHECK_COUNT
};

enum validate_status { VALIDATE_PASS, VALIDATE_WARN, VALIDATE_FAIL };

/* "callbacks", "response-subset", ...; "pass", "warn", "fail". */
const char *validate_check_name(enum validate_check check);
/* What the check asks, one line. */
const char *validate_check_about(enum validate_check check);
const char *validate_status_name(enum validate_status status);

/* The first counterexample of a status. */
struct validate_finding {
	char *scenario;
	uint64_t at;			/* simulated ns */
	char *message;
	char *trace;			/* recent protocol messages, one a line */
};

struct validate_row {
	enum validate_status status;
	uint64_t fails, warns;
	struct validate_finding fail, warn;	/* the first of each */
};

struct validate_report {
	char *policy;
	uint64_t seed;			/* 0: each scenario's own */
	struct validate_row rows[VALIDATE_CHECK_COUNT];
	GPtrArray *ran;			/* char *: the scenarios run */
	GPtrArray *skipped;		/* char *: "name: why" */
};

/* Frees what REPORT holds and zeroes it. */
void validate_report_clear(struct validate_report *report);
/* The worst status of any row. */
enum validate_status validate_report_status(const struct validate_report *report);

struct validate_options {
	const char *policy;
	const char *suite;		/* one scenario by name; NULL: all */
	const char *suite_dir;		/* NULL: the shipped scenarios/validate */
	const char *lib_dir;		/* NULL: the shipped lua/ */
	bool has_seed;
	uint64_t seed;
};

/* Runs the suite into OUT (the caller clears it).  False with ERROR when
 * the policy cannot load, a suite scenario has a mistake, or no scenario
 * is called OPTIONS->suite: usage and script errors, exit status 2. */
bool validate_run(const struct validate_options *options, struct validate_report *out,
		  GError **error);

/* The command: dcdsim validate POLICY [--suite NAME] [--json] [-s SEED]. */
int cli_validate_main(int argc, char **argv);

#endif
