/* Growable plain arrays (src/sim/vec.h): pushes keep every element through
 * the growths, reserve grows to what is asked and never shrinks. */
#include "sim/vec.h"
#include "unit.h"

static void test_push_keeps_elements(void)
{
	SIM_VEC(uint64_t) v = { 0 };

	for (uint64_t i = 0; i < 1000; i++)
		sim_vec_push(&v) = i * 7;
	CU_ASSERT_EQUAL(v.len, 1000);
	CU_ASSERT_TRUE(v.cap >= 1000);
	for (uint32_t i = 0; i < v.len; i++)
		CU_ASSERT_EQUAL(v.v[i], (uint64_t)i * 7);
	g_free(v.v);
}

static void test_reserve(void)
{
	uint32_t cap = 0;
	int *v = sim_vec_reserve(NULL, &cap, 1, sizeof(*v));

	CU_ASSERT_EQUAL(cap, 16);
	v = sim_vec_reserve(v, &cap, 100, sizeof(*v));
	CU_ASSERT_EQUAL(cap, 100);
	v[99] = 5;
	v = sim_vec_reserve(v, &cap, 101, sizeof(*v));
	CU_ASSERT_EQUAL(cap, 200);
	CU_ASSERT_EQUAL(v[99], 5);
	CU_ASSERT_PTR_EQUAL(sim_vec_reserve(v, &cap, 10, sizeof(*v)), v);
	CU_ASSERT_EQUAL(cap, 200);
	g_free(v);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "pushes keep every element through growths", test_push_keeps_elements },
		{ "reserve grows to the size asked, at least doubling", test_reserve },
		{ NULL, NULL },
	};

	return unit_run("vec", tests);
}
