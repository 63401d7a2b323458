/* Interleave sets: configuration checks, HPA <-> (position, DPA) on
 * hand-worked examples for every way count, round trips, range splitting
 * and region extent assembly. */
#include "unit.h"

#include "models/interleave.h"
#include "sim/rng.h"

#include <string.h>

static const unsigned all_ways[] = { 1, 2, 3, 4, 6, 8, 12, 16 };
static const uint64_t all_grans[] = { 256, 512, 1024, 2048, 4096, 8192, 16384 };

/* Devices 10, 11, ... at positions 0, 1, ... */
static struct interleave_set *make_set(unsigned ways, uint64_t gran)
{
	unsigned devices[INTERLEAVE_MAX_WAYS];
	GError *error = NULL;
	struct interleave_set *set;

	for (unsigned p = 0; p < ways; p++)
		devices[p] = 10 + p;
	set = interleave_set_new(ways, gran, devices, ways, &error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	CU_ASSERT_PTR_NULL(error);
	return set;
}

struct point {
	uint64_t hpa;
	unsigned position;
	uint64_t dpa;
};

/* Checks each point both ways. */
static void check_points(unsigned ways, uint64_t gran, const struct point *points, size_t n)
{
	struct interleave_set *set = make_set(ways, gran);

	for (size_t i = 0; i < n; i++) {
		unsigned position = 99;
		uint64_t dpa = 0, hpa = 0;

		interleave_set_hpa_to_dpa(set, points[i].hpa, &position, &dpa);
		CU_ASSERT_EQUAL(position, points[i].position);
		CU_ASSERT_EQUAL(dpa, points[i].dpa);
		CU_ASSERT_TRUE(interleave_set_dpa_to_hpa(set, points[i].position, points[i].dpa,
							 &hpa));
		CU_ASSERT_EQUAL(hpa, points[i].hpa);
	}
	interleave_set_free(set);
}

/* One way: position 0 and DPA = HPA, whatever the granularity. */
static void test_one_way_identity(void)
{
	static const struct point points[] = {
		{ 0x0, 0, 0x0 },
		{ 0xfff, 0, 0xfff },
		{ 0x1000, 0, 0x1000 },
		{ 0x123456789, 0, 0x123456789 },
	};

	check_points(1, 4096, points, G_N_ELEMENTS(points));
	check_points(1, 256, points, G_N_ELEMENTS(points));
}

/* 2 ways, 256 B granules: the stripe is 0x200; granule g = hpa / 0x100
 * goes to position g mod 2, at DPA (hpa / 0x200) * 0x100 + hpa mod 0x100.
 *   0x000: g 0 -> p 0, DPA 0 * 0x100 + 0x00 = 0x000
 *   0x100: g 1 -> p 1, DPA 0 * 0x100 + 0x00 = 0x000
 *   0x200: g 2 -> p 0, DPA 1 * 0x100 + 0x00 = 0x100
 *   0x2ff: g 2 -> p 0, DPA 1 * 0x100 + 0xff = 0x1ff
 *   0x3ff: g 3 -> p 1, DPA 1 * 0x100 + 0xff = 0x1ff
 *  0x1234: g 0x12 = 18 -> p 0, DPA (0x1234 / 0x200 = 9) * 0x100 + 0x34 = 0x934 */
static void test_two_way_256(void)
{
	static const struct point points[] = {
		{ 0x000, 0, 0x000 }, { 0x100, 1, 0x000 }, { 0x200, 0, 0x100 },
		{ 0x2ff, 0, 0x1ff }, { 0x3ff, 1, 0x1ff }, { 0x1234, 0, 0x934 },
	};

	check_points(2, 256, points, G_N_ELEMENTS(points));
}

/* 4 ways, 4 KiB granules: stripe 0x4000.
 *   0x1000: g 1 -> p 1, DPA 0
 *   0x2fff: g 2 -> p 2, DPA 0xfff
 *   0x3000: g 3 -> p 3, DPA 0
 *   0x4000: g 4 -> p 0, DPA 1 * 0x1000 = 0x1000
 *   0x5abc: g 5 -> p 1, DPA (0x5abc / 0x4000 = 1) * 0x1000 + 0xabc = 0x1abc
 *   0x12345678: g 0x12345 -> p 0x12345 mod 4 = 1,
 *               DPA (0x12345678 >> 14 = 0x48d1) * 0x1000 + 0x678 = 0x48d1678 */
static void test_four_way_4k(void)
{
	static const struct point points[] = {
		{ 0x0000, 0, 0x0000 }, { 0x1000, 1, 0x0000 }, { 0x2fff, 2, 0x0fff },
		{ 0x3000, 3, 0x0000 }, { 0x4000, 0, 0x1000 }, { 0x5abc, 1, 0x1abc },
		{ 0x12345678, 1, 0x48d1678 },
	};

	check_points(4, 4096, points, G_N_ELEMENTS(points));
}

/* 3 ways, 256 B: stripe 0x300, position g mod 3, DPA (hpa / 0x300) * 0x100.
 *   0x200: g 2 -> p 2, DPA 0
 *   0x300: g 3 -> p 0, DPA 1 * 0x100 = 0x100
 *   0x400: g 4 -> p 1, DPA 0x100
 *   0x500: g 5 -> p 2, DPA 0x100
 *   0x5ff: g 5 -> p 2, DPA 0x100 + 0xff = 0x1ff
 *   0x600: g 6 -> p 0, DPA 2 * 0x100 = 0x200 */
static void test_three_way_256(void)
{
	static const struct point points[] = {
		{ 0x000, 0, 0x000 }, { 0x100, 1, 0x000 }, { 0x200, 2, 0x000 },
		{ 0x300, 0, 0x100 }, { 0x400, 1, 0x100 }, { 0x500, 2, 0x100 },
		{ 0x5ff, 2, 0x1ff }, { 0x600, 0, 0x200 },
	};

	check_points(3, 256, points, G_N_ELEMENTS(points));
}

/* 6 ways, 1 KiB: stripe 6 KiB = 0x1800.
 *   0x1c00 = 7168: g 7 -> p 1, DPA (7168 / 6144 = 1) * 0x400 = 0x400
 *   0x2fff = 12287: g 11 -> p 5, DPA 1 * 0x400 + 0x3ff = 0x7ff
 *   0x3000 = 12288: g 12 -> p 0, DPA 2 * 0x400 = 0x800 */
static void test_six_way_1k(void)
{
	static const struct point points[] = {
		{ 0x0400, 1, 0x000 }, { 0x1400, 5, 0x000 }, { 0x1c00, 1, 0x400 },
		{ 0x2fff, 5, 0x7ff }, { 0x3000, 0, 0x800 },
	};

	check_points(6, 1024, points, G_N_ELEMENTS(points));
}

/* 12 ways, 2 KiB: stripe 24 KiB = 0x6000.
 *   0x5800: g 11 -> p 11, DPA 0
 *   0x6000: g 12 -> p 0, DPA 0x800
 *   0x100000 (1 MiB): g 512 -> p 512 - 42 * 12 = 8,
 *                     DPA (1048576 / 24576 = 42) * 0x800 = 0x15000 */
static void test_twelve_way_2k(void)
{
	static const struct point points[] = {
		{ 0x5800, 11, 0x0000 }, { 0x6000, 0, 0x0800 }, { 0x100000, 8, 0x15000 },
		{ 0x100123, 8, 0x15123 },
	};

	check_points(12, 2048, points, G_N_ELEMENTS(points));
}

/* 16 ways, 16 KiB: stripe 256 KiB = 0x40000.
 *   0x3c000: g 15 -> p 15, DPA 0
 *   0x44010: g 17 -> p 1, DPA 1 * 0x4000 + 0x10 = 0x4010 */
static void test_sixteen_way_16k(void)
{
	static const struct point points[] = {
		{ 0x3c000, 15, 0x0000 }, { 0x44010, 1, 0x4010 }, { 0x7ffff, 15, 0x7fff },
	};

	check_points(16, 16384, points, G_N_ELEMENTS(points));
}

/* Every allowed (ways, granularity): HPA -> DPA -> HPA and DPA -> HPA ->
 * DPA on random offsets below 2^56. */
static void test_round_trip(void)
{
	struct sim_rng rng;

	sim_rng_init(&rng, 1, "interleave");
	for (size_t w = 0; w < G_N_ELEMENTS(all_ways); w++)
		for (size_t g = 0; g < G_N_ELEMENTS(all_grans); g++) {
			struct interleave_set *set = make_set(all_ways[w], all_grans[g]);

			for (int i = 0; i < 2000; i++) {
				uint64_t hpa = sim_rng_next(&rng) >> 8, back = 0, dpa;
				unsigned position = (unsigned)sim_rng_below(&rng, all_ways[w]), p2;

				interleave_set_hpa_to_dpa(set, hpa, &p2, &dpa);
				CU_ASSERT_TRUE(interleave_set_dpa_to_hpa(set, p2, dpa, &back));
				CU_ASSERT_EQUAL(back, hpa);

				dpa = sim_rng_next(&rng) >> 12;
				CU_ASSERT_TRUE(interleave_set_dpa_to_hpa(set, position, dpa, &hpa));
				interleave_set_hpa_to_dpa(set, hpa, &p2, &back);
				CU_ASSERT_EQUAL(p2, position);
				CU_ASSERT_EQUAL(back, dpa);
			}
			interleave_set_free(set);
		}
}

/* 2 ways, 256 B: position 1, DPA 2^63 - 1 is granule 2^55 - 1 plus 0xff,
 * HPA ((2^55 - 1) * 2 + 1) * 256 + 0xff = 2^64 - 1, the last that fits;
 * DPA 2^63 at position 1 would be 2^64 + 0x100. */
static void test_dpa_to_hpa_overflow(void)
{
	struct interleave_set *set = make_set(2, 256);
	uint64_t hpa = 0;

	CU_ASSERT_TRUE(interleave_set_dpa_to_hpa(set, 1, (UINT64_C(1) << 63) - 1, &hpa));
	CU_ASSERT_EQUAL(hpa, UINT64_MAX);
	CU_ASSERT_FALSE(interleave_set_dpa_to_hpa(set, 1, UINT64_C(1) << 63, &hpa));
	CU_ASSERT_FALSE(interleave_set_dpa_to_hpa(set, 0, UINT64_MAX, &hpa));
	interleave_set_free(set);
}

static void check_new_fails(unsigned ways, uint64_t gran, const unsigned *devices, size_t n,
			    int code, const char *message)
{
	GError *error = NULL;

	CU_ASSERT_PTR_NULL(interleave_set_new(ways, gran, devices, n, &error));
	CU_ASSERT_PTR_NOT_NULL_FATAL(error);
	CU_ASSERT_TRUE(g_error_matches(error, INTERLEAVE_ERROR, code));
	if (message)
		CU_ASSERT_STRING_EQUAL(error->message, message);
	g_error_free(error);
}

static void test_bad_configuration(void)
{
	static const unsigned devices[32] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
					      15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
					      26, 27, 28, 29, 30, 31 };
	static const unsigned twice[] = { 4, 7, 4 };
	static const unsigned bad_ways[] = { 0, 5, 7, 9, 10, 24, 32 };
	static const uint64_t bad_grans[] = { 0, 64, 128, 300, 768, 32768, 65536 };

	check_new_fails(5, 256, devices, 5, INTERLEAVE_ERROR_WAYS,
			"interleave ways 5 not allowed (expected 1, 2, 3, 4, 6, 8, 12 or 16)");
	for (size_t i = 0; i < G_N_ELEMENTS(bad_ways); i++)
		check_new_fails(bad_ways[i], 256, devices, bad_ways[i], INTERLEAVE_ERROR_WAYS,
				NULL);
	check_new_fails(2, 300, devices, 2, INTERLEAVE_ERROR_GRANULARITY,
			"interleave granularity 300 not allowed (expected 256, 512, 1024, 2048, 4096, 8192 or 16384 bytes)");
	for (size_t i = 0; i < G_N_ELEMENTS(bad_grans); i++)
		check_new_fails(2, bad_grans[i], devices, 2, INTERLEAVE_ERROR_GRANULARITY, NULL);
	check_new_fails(4, 256, devices, 3, INTERLEAVE_ERROR_DEVICES,
			"interleave set of 4 ways lists 3 devices");
	check_new_fails(3, 256, twice, 3, INTERLEAVE_ERROR_DEVICES,
			"device 4 appears twice in the interleave set (positions 0 and 2)");

	for (size_t i = 0; i < G_N_ELEMENTS(all_ways); i++)
		CU_ASSERT_TRUE(interleave_ways_valid(all_ways[i]));
	for (size_t i = 0; i < G_N_ELEMENTS(all_grans); i++)
		CU_ASSERT_TRUE(interleave_granularity_valid(all_grans[i]));
}

static void test_devices(void)
{
	static const unsigned devices[] = { 7, 3, 5 };
	struct interleave_set *set = interleave_set_new(3, 512, devices, 3, NULL);
	unsigned position = 99;

	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	CU_ASSERT_EQUAL(interleave_set_get_ways(set), 3);
	CU_ASSERT_EQUAL(interleave_set_get_granularity(set), 512);
	CU_ASSERT_EQUAL(interleave_set_get_device(set, 0), 7);
	CU_ASSERT_EQUAL(interleave_set_get_device(set, 2), 5);
	CU_ASSERT_TRUE(interleave_set_find_device(set, 3, &position));
	CU_ASSERT_EQUAL(position, 1);
	CU_ASSERT_FALSE(interleave_set_find_device(set, 4, &position));
	interleave_set_free(set);
}

static void check_shares(const struct interleave_set *set, uint64_t hpa, uint64_t len,
			 const struct extent_range *expected)
{
	struct extent_range out[INTERLEAVE_MAX_WAYS];

	interleave_set_map_range(set, hpa, len, out);
	for (unsigned p = 0; p < interleave_set_get_ways(set); p++) {
		CU_ASSERT_EQUAL(out[p].start, expected[p].start);
		CU_ASSERT_EQUAL(out[p].len, expected[p].len);
	}
}

static void test_map_range_examples(void)
{
	struct interleave_set *set = make_set(4, 4096);
	/* 4 ways, 4 KiB, stripe 0x4000: [0x8000, 0x18000) is stripes 2..5,
	 * so every position holds DPA [2 * 0x1000, 6 * 0x1000). */
	static const struct extent_range aligned[] = {
		{ 0x2000, 0x4000 }, { 0x2000, 0x4000 }, { 0x2000, 0x4000 }, { 0x2000, 0x4000 },
	};
	/* 2 ways, 256 B, [0x80, 0x380): granule 0 from 0x80 -> p 0 DPA
	 * [0x80, 0x100); granule 1 -> p 1 [0, 0x100); granule 2 -> p 0
	 * [0x100, 0x200); half of granule 3 -> p 1 [0x100, 0x180). */
	static const struct extent_range unaligned[] = { { 0x80, 0x180 }, { 0x0, 0x180 } };
	/* 3 ways, 256 B, [0x410, 0x420) lies in granule 4 (p 1, DPA 0x110);
	 * the empty shares of p 0 and p 2 sit at their next DPA above 0x410:
	 * 0x200 (granule 6) and 0x100 (granule 5). */
	static const struct extent_range inside[] = {
		{ 0x200, 0 }, { 0x110, 0x10 }, { 0x100, 0 },
	};

	check_shares(set, 0x8000, 0x10000, aligned);
	interleave_set_free(set);
	set = make_set(2, 256);
	check_shares(set, 0x80, 0x300, unaligned);
	interleave_set_free(set);
	set = make_set(3, 256);
	check_shares(set, 0x410, 0x10, inside);
	interleave_set_free(set);
}

/* Byte by byte: every byte of a random small range lands inside its
 * position's share, and the shares' lengths count exactly those bytes. */
static void test_map_range_bytes(void)
{
	struct sim_rng rng;

	sim_rng_init(&rng, 2, "interleave-ranges");
	for (size_t w = 0; w < G_N_ELEMENTS(all_ways); w++) {
		struct interleave_set *set = make_set(all_ways[w], 256);
		uint64_t stripe = 256 * all_ways[w];

		for (int i = 0; i < 50; i++) {
			struct extent_range out[INTERLEAVE_MAX_WAYS];
			uint64_t seen[INTERLEAVE_MAX_WAYS] = { 0 };
			uint64_t hpa = sim_rng_below(&rng, 8 * stripe);
			uint64_t len = sim_rng_below(&rng, 3 * stripe);

			interleave_set_map_range(set, hpa, len, out);
			for (uint64_t h = hpa; h < hpa + len; h++) {
				unsigned p;
				uint64_t dpa;

				interleave_set_hpa_to_dpa(set, h, &p, &dpa);
				CU_ASSERT_TRUE(dpa >= out[p].start && dpa < out[p].start + out[p].len);
				seen[p]++;
			}
			for (unsigned p = 0; p < all_ways[w]; p++)
				CU_ASSERT_EQUAL(seen[p], out[p].len);
		}
		interleave_set_free(set);
	}
}

static void fill_pieces(struct extent_range *pieces, unsigned ways, uint64_t start, uint64_t len)
{
	for (unsigned p = 0; p < ways; p++)
		pieces[p] = (struct extent_range){ start, len };
}

static void test_assemble(void)
{
	struct interleave_set *set = make_set(2, 256);
	struct extent_range pieces[INTERLEAVE_MAX_WAYS], hpa = { 1, 1 };
	struct extent_range shares[INTERLEAVE_MAX_WAYS];

	/* 2 MiB at DPA 2 MiB on both devices: HPA [4 MiB, 8 MiB). */
	fill_pieces(pieces, 2, 0x200000, 0x200000);
	CU_ASSERT_EQUAL(interleave_set_assemble(set, pieces, &hpa),
			INTERLEAVE_ASSEMBLY_COMPLETE);
	CU_ASSERT_EQUAL(hpa.start, 0x400000);
	CU_ASSERT_EQUAL(hpa.len, 0x400000);
	/* And the region extent splits back into the pieces. */
	interleave_set_map_range(set, hpa.start, hpa.len, shares);
	for (unsigned p = 0; p < 2; p++) {
		CU_ASSERT_EQUAL(shares[p].start, pieces[p].start);
		CU_ASSERT_EQUAL(shares[p].len, pieces[p].len);
	}

	hpa = (struct extent_range){ 1, 1 };
	pieces[1].len = 0;
	CU_ASSERT_EQUAL(interleave_set_assemble(set, pieces, &hpa), INTERLEAVE_ASSEMBLY_MISSING);
	pieces[1] = (struct extent_range){ 0x400000, 0x200000 };
	CU_ASSERT_EQUAL(interleave_set_assemble(set, pieces, &hpa), INTERLEAVE_ASSEMBLY_MISMATCH);
	pieces[1] = (struct extent_range){ 0x200000, 0x100000 };
	CU_ASSERT_EQUAL(interleave_set_assemble(set, pieces, &hpa), INTERLEAVE_ASSEMBLY_MISMATCH);
	fill_pieces(pieces, 2, 0x80, 0x200);
	CU_ASSERT_EQUAL(interleave_set_assemble(set, pieces, &hpa),
			INTERLEAVE_ASSEMBLY_UNALIGNED);
	fill_pieces(pieces, 2, UINT64_C(1) << 63, 0x100);
	CU_ASSERT_EQUAL(interleave_set_assemble(set, pieces, &hpa), INTERLEAVE_ASSEMBLY_OVERFLOW);
	CU_ASSERT_EQUAL(hpa.start, 1);
	CU_ASSERT_EQUAL(hpa.len, 1);
	CU_ASSERT_STRING_EQUAL(interleave_assembly_name(INTERLEAVE_ASSEMBLY_MISMATCH), "mismatch");
	interleave_set_free(set);

	/* 3 ways, 1 KiB: 3 KiB at DPA 1 KiB each: HPA [3 KiB, 12 KiB). */
	set = make_set(3, 1024);
	fill_pieces(pieces, 3, 0x400, 0xc00);
	CU_ASSERT_EQUAL(interleave_set_assemble(set, pieces, &hpa),
			INTERLEAVE_ASSEMBLY_COMPLETE);
	CU_ASSERT_EQUAL(hpa.start, 0xc00);
	CU_ASSERT_EQUAL(hpa.len, 0x2400);
	interleave_set_free(set);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "one way is the identity", test_one_way_identity },
		{ "two ways, 256 B granules", test_two_way_256 },
		{ "four ways, 4 KiB granules", test_four_way_4k },
		{ "three ways, 256 B granules", test_three_way_256 },
		{ "six ways, 1 KiB granules", test_six_way_1k },
		{ "twelve ways, 2 KiB granules", test_twelve_way_2k },
		{ "sixteen ways, 16 KiB granules", test_sixteen_way_16k },
		{ "round trip for every ways and granularity", test_round_trip },
		{ "DPA to HPA overflow", test_dpa_to_hpa_overflow },
		{ "bad configuration", test_bad_configuration },
		{ "device positions", test_devices },
		{ "range splitting examples", test_map_range_examples },
		{ "range splitting byte by byte", test_map_range_bytes },
		{ "region extent assembly", test_assemble },
		{ NULL, NULL },
	};

	return unit_run("interleave", tests);
}
