/* Shared CUnit runner for the unit test programs: one program per module,
 * each listing its cases in a NULL-terminated table. */
#ifndef DCDSIM_TESTS_UNIT_H
#define DCDSIM_TESTS_UNIT_H

#include <CUnit/CUnit.h>

struct unit_test {
	const char *name;
	void (*fn)(void);
};

/* Runs every case of TESTS as suite SUITE with CUnit's basic runner (its
 * summary lines go to stdout for the test log).  Returns the process exit
 * status: 0 when all pass, 1 on any failure, 77 (automake's skip) when
 * the environment variable DCDSIM_SKIP_<SUITE> is set. */
int unit_run(const char *suite, const struct unit_test *tests);

#endif
