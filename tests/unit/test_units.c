#include "unit.h"

#include "sim/text.h"
#include "sim/units.h"

#include <math.h>
#include <string.h>

struct size_case {
	const char *text;
	uint64_t bytes;
};

static void test_size_every_unit(void)
{
	static const struct size_case cases[] = {
		{ "0", 0 },
		{ "512", 512 },
		{ "512B", 512 },
		{ "4KiB", UINT64_C(4) << 10 },
		{ "2MiB", UINT64_C(2) << 20 },
		{ "64GiB", UINT64_C(64) << 30 },
		{ "3TiB", UINT64_C(3) << 40 },
		{ "5PiB", UINT64_C(5) << 50 },
		{ "15EiB", UINT64_C(15) << 60 },
		{ "1kB", 1000 },
		{ "7MB", 7000000 },
		{ "2GB", UINT64_C(2000000000) },
		{ "3TB", UINT64_C(3000000000000) },
		{ "4PB", UINT64_C(4000000000000000) },
		{ "18EB", UINT64_C(18000000000000000000) },
		{ " 2 MiB ", UINT64_C(2) << 20 },
		{ "1.5GiB", UINT64_C(3) << 29 },
		{ "0.5KiB", 512 },
		{ "1.25kB", 1250 },
		{ "2.5e3B", 2500 },
		{ "1e3", 1000 },
		{ "1E2KiB", UINT64_C(100) << 10 },
		{ "4096e-3kB", 4096 },
		{ ".5KiB", 512 },
		{ "1.000000000000000000000000000MiB", UINT64_C(1) << 20 },
		{ "0.0000000000000000000000001e25B", 1 },
		{ "18446744073709551615", UINT64_MAX },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		GError *error = NULL;
		uint64_t bytes = 42;

		CU_ASSERT_TRUE(units_size_parse(cases[i].text, &bytes, &error));
		CU_ASSERT_PTR_NULL(error);
		CU_ASSERT_EQUAL(bytes, cases[i].bytes);
		if (bytes != cases[i].bytes)
			printf("\n  size '%s' gave %" G_GUINT64_FORMAT "\n", cases[i].text, bytes);
		g_clear_error(&error);
	}
}

struct time_case {
	const char *text;
	uint64_t ns;
};

static void test_time_every_unit(void)
{
	static const struct time_case cases[] = {
		{ "0", 0 },
		{ "750", 750 },
		{ "500ns", 500 },
		{ "10us", 10000 },
		{ "10\xc2\xb5s", 10000 },
		{ "10\xce\xbcs", 10000 },
		{ "1.5ms", 1500000 },
		{ "2s", UINT64_C(2000000000) },
		{ "5min", UINT64_C(300000000000) },
		{ "1h", UINT64_C(3600000000000) },
		{ "0.5h", UINT64_C(1800000000000) },
		{ "1.5us", 1500 },
		{ "0.001us", 1 },
		{ "2.5 s", UINT64_C(2500000000) },
		{ "1e-9s", 1 },
		{ "5124095h", UINT64_C(5124095) * UINT64_C(3600000000000) },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		GError *error = NULL;
		uint64_t ns = 42;

		CU_ASSERT_TRUE(units_time_parse(cases[i].text, &ns, &error));
		CU_ASSERT_PTR_NULL(error);
		CU_ASSERT_EQUAL(ns, cases[i].ns);
		g_clear_error(&error);
	}
}

struct rate_case {
	const char *text;
	double per_second;
};

static void test_rate_every_unit(void)
{
	static const struct rate_case cases[] = {
		{ "50/s", 50.0 },
		{ "3/ms", 3000.0 },
		{ "1/min", 1.0 / 60.0 },
		{ "2/h", 2.0 / 3600.0 },
		{ "50/us", 5e7 },
		{ "50/\xc2\xb5s", 5e7 },
		{ "1/ns", 1e9 },
		{ "0.5/s", 0.5 },
		{ "25", 25.0 },
		{ "0/s", 0.0 },
		{ "1.5 / ms", 1500.0 },
		{ "1e3/s", 1000.0 },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		GError *error = NULL;
		double r = -1.0;

		CU_ASSERT_TRUE(units_rate_parse(cases[i].text, &r, &error));
		CU_ASSERT_PTR_NULL(error);
		CU_ASSERT_DOUBLE_EQUAL(r, cases[i].per_second, cases[i].per_second * 1e-12);
		g_clear_error(&error);
	}
}

struct bad_case {
	const char *text;
	int code;
	const char *message;
};

static void check_bad(gboolean (*parse)(const char *, uint64_t *, GError **),
		      const struct bad_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		GError *error = NULL;
		uint64_t v = 42;

		CU_ASSERT_FALSE(parse(cases[i].text, &v, &error));
		CU_ASSERT_EQUAL(v, 42);
		CU_ASSERT_PTR_NOT_NULL_FATAL(error);
		CU_ASSERT_TRUE(g_error_matches(error, UNITS_ERROR, cases[i].code));
		CU_ASSERT_STRING_EQUAL(error->message, cases[i].message);
		if (strcmp(error->message, cases[i].message))
			printf("\n  got '%s'\n", error->message);
		g_error_free(error);
	}
}

static void test_size_errors(void)
{
	static const struct bad_case cases[] = {
		{ "12XB", UNITS_ERROR_UNIT,
		  "bad size '12XB': unknown unit 'XB' (expected B, KiB, MiB, GiB, TiB, PiB, EiB, "
		  "or kB, MB, GB, TB, PB, EB)" },
		{ "2mib", UNITS_ERROR_UNIT, "bad size '2mib': unknown unit 'mib' (did you mean 'MiB'?)" },
		{ "2KB", UNITS_ERROR_UNIT, "bad size '2KB': unknown unit 'KB' (did you mean 'kB'?)" },
		{ "", UNITS_ERROR_SYNTAX, "bad size '': expected a number and a unit, e.g. '2MiB'" },
		{ "   ", UNITS_ERROR_SYNTAX, "bad size '   ': expected a number and a unit, e.g. '2MiB'" },
		{ "MiB", UNITS_ERROR_SYNTAX, "bad size 'MiB': expected a number and a unit, e.g. '2MiB'" },
		{ "abc", UNITS_ERROR_SYNTAX, "bad size 'abc': expected a number and a unit, e.g. '2MiB'" },
		{ ".", UNITS_ERROR_SYNTAX, "bad size '.': expected a number and a unit, e.g. '2MiB'" },
		{ "+2MiB", UNITS_ERROR_SYNTAX, "bad size '+2MiB': expected a number and a unit, e.g. '2MiB'" },
		{ "-1MiB", UNITS_ERROR_NEGATIVE, "bad size '-1MiB': must not be negative" },
		{ "-0.5", UNITS_ERROR_NEGATIVE, "bad size '-0.5': must not be negative" },
		{ "1.3B", UNITS_ERROR_FRACTION, "bad size '1.3B': not a whole number of bytes" },
		{ "0.3B", UNITS_ERROR_FRACTION,
		  "bad size '0.3B': not a whole number of bytes" },
		{ "1.0000001KiB", UNITS_ERROR_FRACTION, "bad size '1.0000001KiB': not a whole number of bytes" },
		{ "16EiB", UNITS_ERROR_RANGE,
		  "bad size '16EiB': too large (the largest is 18446744073709551615 bytes, just under 16 EiB)" },
		{ "18446744073709551616", UNITS_ERROR_RANGE,
		  "bad size '18446744073709551616': too large (the largest is 18446744073709551615 bytes, "
		  "just under 16 EiB)" },
		{ "1e30", UNITS_ERROR_RANGE,
		  "bad size '1e30': too large (the largest is 18446744073709551615 bytes, just under 16 EiB)" },
		{ "123456789012345678901234567", UNITS_ERROR_RANGE,
		  "bad size '123456789012345678901234567': too large (the largest is "
		  "18446744073709551615 bytes, just under 16 EiB)" },
		{ "1.23456789012345678901234567MiB", UNITS_ERROR_RANGE,
		  "bad size '1.23456789012345678901234567MiB': too many digits" },
		{ "1.2.3MiB", UNITS_ERROR_UNIT,
		  "bad size '1.2.3MiB': unknown unit '.3MiB' (expected B, KiB, MiB, GiB, TiB, PiB, EiB, "
		  "or kB, MB, GB, TB, PB, EB)" },
		{ "2 M iB", UNITS_ERROR_UNIT,
		  "bad size '2 M iB': unknown unit 'M iB' (expected B, KiB, MiB, GiB, TiB, PiB, EiB, "
		  "or kB, MB, GB, TB, PB, EB)" },
		{ "1e", UNITS_ERROR_UNIT,
		  "bad size '1e': unknown unit 'e' (expected B, KiB, MiB, GiB, TiB, PiB, EiB, "
		  "or kB, MB, GB, TB, PB, EB)" },
	};

	check_bad(units_size_parse, cases, G_N_ELEMENTS(cases));
}

static void test_time_errors(void)
{
	static const struct bad_case cases[] = {
		{ "10sec", UNITS_ERROR_UNIT,
		  "bad time '10sec': unknown unit 'sec' (expected ns, us, ms, s, min, h)" },
		{ "10MS", UNITS_ERROR_UNIT, "bad time '10MS': unknown unit 'MS' (did you mean 'ms'?)" },
		{ "", UNITS_ERROR_SYNTAX, "bad time '': expected a number and a unit, e.g. '10us'" },
		{ "-5ns", UNITS_ERROR_NEGATIVE, "bad time '-5ns': must not be negative" },
		{ "1.5ns", UNITS_ERROR_FRACTION, "bad time '1.5ns': not a whole number of nanoseconds" },
		{ "1e-10s", UNITS_ERROR_FRACTION, "bad time '1e-10s': not a whole number of nanoseconds" },
		{ "5124096h", UNITS_ERROR_RANGE,
		  "bad time '5124096h': too large (the largest is 18446744073709551615 ns, about 584 years)" },
		{ "1e20ns", UNITS_ERROR_RANGE,
		  "bad time '1e20ns': too large (the largest is 18446744073709551615 ns, about 584 years)" },
	};

	check_bad(units_time_parse, cases, G_N_ELEMENTS(cases));
}

static void test_rate_errors(void)
{
	static const struct {
		const char *text;
		int code;
		const char *message;
	} cases[] = {
		{ "50s", UNITS_ERROR_SYNTAX, "bad rate '50s': expected events per time unit, e.g. '50/s'" },
		{ "50/sec", UNITS_ERROR_UNIT,
		  "bad rate '50/sec': unknown unit 'sec' (expected a time unit after '/': ns, us, ms, s, "
		  "min, h)" },
		{ "50/", UNITS_ERROR_UNIT,
		  "bad rate '50/': unknown unit '' (expected a time unit after '/': ns, us, ms, s, min, h)" },
		{ "/s", UNITS_ERROR_SYNTAX, "bad rate '/s': expected a number and a unit, e.g. '50/s'" },
		{ "", UNITS_ERROR_SYNTAX, "bad rate '': expected a number and a unit, e.g. '50/s'" },
		{ "-3/s", UNITS_ERROR_NEGATIVE, "bad rate '-3/s': must not be negative" },
		{ "1e400/s", UNITS_ERROR_RANGE, "bad rate '1e400/s': too large" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		GError *error = NULL;
		double r = -1.0;

		CU_ASSERT_FALSE(units_rate_parse(cases[i].text, &r, &error));
		CU_ASSERT_EQUAL(r, -1.0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(error);
		CU_ASSERT_TRUE(g_error_matches(error, UNITS_ERROR, cases[i].code));
		CU_ASSERT_STRING_EQUAL(error->message, cases[i].message);
		if (strcmp(error->message, cases[i].message))
			printf("\n  got '%s'\n", error->message);
		g_error_free(error);
	}
}

static void test_size_format(void)
{
	static const struct size_case cases[] = {
		{ "0 B", 0 },
		{ "512 B", 512 },
		{ "1023 B", 1023 },
		{ "1 KiB", 1024 },
		{ "1.50 KiB", 1536 },
		{ "2 MiB", UINT64_C(2) << 20 },
		{ "1.50 GiB", UINT64_C(3) << 29 },
		{ "1.00 MiB", (UINT64_C(1) << 20) - 1 },	/* not "1024.00 KiB" */
		{ "64 GiB", UINT64_C(64) << 30 },
		{ "16.00 EiB", UINT64_MAX },
	};
	char buf[UNITS_FORMAT_LEN];

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		units_size_format(cases[i].bytes, buf);
		CU_ASSERT_STRING_EQUAL(buf, cases[i].text);
		if (strcmp(buf, cases[i].text))
			printf("\n  %" G_GUINT64_FORMAT " gave '%s'\n", cases[i].bytes, buf);
	}
}

static void test_time_format(void)
{
	static const struct time_case cases[] = {
		{ "0 ns", 0 },
		{ "500 ns", 500 },
		{ "1 us", 1000 },
		{ "10 us", 10000 },
		{ "1.5 ms", 1500000 },
		{ "1.23 s", UINT64_C(1234000000) },
		{ "1 ms", 999999 },
		{ "59 s", UINT64_C(59000000000) },
		{ "1.5 min", UINT64_C(90000000000) },
		{ "2.25 h", UINT64_C(8100000000000) },
		{ "5124095.58 h", UINT64_MAX },
	};
	char buf[UNITS_FORMAT_LEN];

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		units_time_format(cases[i].ns, buf);
		CU_ASSERT_STRING_EQUAL(buf, cases[i].text);
		if (strcmp(buf, cases[i].text))
			printf("\n  %" G_GUINT64_FORMAT " gave '%s'\n", cases[i].ns, buf);
	}
}

/* What the formatters write, the parsers read back (exact sizes only). */
static void test_format_parses_back(void)
{
	char buf[UNITS_FORMAT_LEN];
	uint64_t v;

	for (unsigned k = 0; k < 63; k++) {
		CU_ASSERT_TRUE(units_size_parse(units_size_format(UINT64_C(1) << k, buf), &v, NULL));
		CU_ASSERT_EQUAL(v, UINT64_C(1) << k);
	}
	CU_ASSERT_TRUE(units_time_parse(units_time_format(1500000, buf), &v, NULL));
	CU_ASSERT_EQUAL(v, 1500000);
}

static void test_edit_distance(void)
{
	static const char *const keys[] = { "block_size", "regions", "log_capacity", "profile" };

	CU_ASSERT_EQUAL(text_edit_distance("", ""), 0);
	CU_ASSERT_EQUAL(text_edit_distance("abc", ""), 3);
	CU_ASSERT_EQUAL(text_edit_distance("", "abcd"), 4);
	CU_ASSERT_EQUAL(text_edit_distance("kitten", "sitting"), 3);
	CU_ASSERT_EQUAL(text_edit_distance("blok_size", "block_size"), 1);
	CU_ASSERT_EQUAL(text_edit_distance("tiem", "time"), 1);
	CU_ASSERT_EQUAL(text_edit_distance("ca", "abc"), 3);
	CU_ASSERT_STRING_EQUAL(text_closest("blok_size", keys, 4), "block_size");
	CU_ASSERT_STRING_EQUAL(text_closest("Profile", keys, 4), "profile");
	CU_ASSERT_STRING_EQUAL(text_closest("regoins", keys, 4), "regions");
	CU_ASSERT_PTR_NULL(text_closest("zzz", keys, 4));
	CU_ASSERT_PTR_NULL(text_closest("size", keys, 4));
	CU_ASSERT_PTR_NULL(text_closest("x", keys, 0));
}

static void test_number_format(void)
{
	char buf[TEXT_NUMBER_LEN];

	CU_ASSERT_STRING_EQUAL(text_number_format(0.1, buf), "0.1");
	CU_ASSERT_STRING_EQUAL(text_number_format(1e9, buf), "1000000000");
	CU_ASSERT_STRING_EQUAL(text_number_format(2.5, buf), "2.5");
	CU_ASSERT_STRING_EQUAL(text_number_format(-3.0, buf), "-3");
	CU_ASSERT_STRING_EQUAL(text_number_format(1.0 / 3.0, buf), "0.3333333333333333");
	CU_ASSERT_STRING_EQUAL(text_number_format(1e300, buf), "1e+300");
	CU_ASSERT_EQUAL(g_ascii_strtod(text_number_format(M_PI, buf), NULL), M_PI);
}

int main(void)
{
	static const struct unit_test tests[] = {
		{ "size: every unit", test_size_every_unit },
		{ "time: every unit", test_time_every_unit },
		{ "rate: every unit", test_rate_every_unit },
		{ "size: errors", test_size_errors },
		{ "time: errors", test_time_errors },
		{ "rate: errors", test_rate_errors },
		{ "size: format", test_size_format },
		{ "time: format", test_time_format },
		{ "format parses back", test_format_parses_back },
		{ "text: edit distance", test_edit_distance },
		{ "text: number format", test_number_format },
		{ NULL, NULL },
	};

	return unit_run("units", tests);
}
