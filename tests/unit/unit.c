#include "unit.h"

#include <CUnit/Basic.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int skip_requested(const char *suite)
{
	char var[128] = "DCDSIM_SKIP_";
	size_t n = strlen(var);

	for (const char *p = suite; *p && n + 1 < sizeof(var); p++)
		var[n++] = (char)toupper((unsigned char)*p);
	var[n] = '\0';
	return getenv(var) != NULL;
}

int unit_run(const char *suite, const struct unit_test *tests)
{
	CU_pSuite s;
	int failures;

	if (skip_requested(suite)) {
		printf("suite '%s' skipped on request\n", suite);
		return 77;
	}
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite(suite, NULL, NULL);
	if (!s)
		goto fail;
	for (const struct unit_test *t = tests; t->name; t++)
		if (!CU_add_test(s, t->name, t->fn))
			goto fail;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	if (CU_basic_run_tests() != CUE_SUCCESS)
		goto fail;
	failures = (int)CU_get_number_of_failures();
	CU_cleanup_registry();
	return failures ? 1 : 0;
fail:
	fprintf(stderr, "cunit: %s\n", CU_get_error_msg());
	CU_cleanup_registry();
	return 1;
}
