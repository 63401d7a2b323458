#include "sim/units.h"

#include "sim/text.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

G_DEFINE_QUARK(dcdsim-units-error-quark, units_error)

struct unit {
	const char *name;
	uint64_t factor;	/* bytes, or nanoseconds */
};

static const struct unit size_units[] = {
	{ "B", 1 },
	{ "KiB", UINT64_C(1) << 10 },
	{ "MiB", UINT64_C(1) << 20 },
	{ "GiB", UINT64_C(1) << 30 },
	{ "TiB", UINT64_C(1) << 40 },
	{ "PiB", UINT64_C(1) << 50 },
	{ "EiB", UINT64_C(1) << 60 },
	{ "kB", UINT64_C(1000) },
	{ "MB", UINT64_C(1000000) },
	{ "GB", UINT64_C(1000000000) },
	{ "TB", UINT64_C(1000000000000) },
	{ "PB", UINT64_C(1000000000000000) },
	{ "EB", UINT64_C(1000000000000000000) },
};

static const struct unit time_units[] = {
	{ "ns", 1 },
	{ "us", UINT64_C(1000) },
	{ "\xc2\xb5s", UINT64_C(1000) },	/* micro sign */
	{ "\xce\xbcs", UINT64_C(1000) },	/* Greek small mu, which looks the same */
	{ "ms", UINT64_C(1000000) },
	{ "s", UINT64_C(1000000000) },
	{ "min", UINT64_C(60000000000) },
	{ "h", UINT64_C(3600000000000) },
};

/* What one kind of quantity says in its messages. */
struct quantity {
	const char *what;
	const struct unit *units;
	size_t n_units;
	const char *expected;
	const char *example;
	const char *whole;	/* the integer the value must be a whole number of */
	const char *largest;
};

static const struct quantity size_quantity = {
	"size", size_units, G_N_ELEMENTS(size_units),
	"B, KiB, MiB, GiB, TiB, PiB, EiB, or kB, MB, GB, TB, PB, EB",
	"'2MiB'", "bytes", "18446744073709551615 bytes, just under 16 EiB",
};

static const struct quantity time_quantity = {
	"time", time_units, G_N_ELEMENTS(time_units),
	"ns, us, ms, s, min, h",
	"'10us'", "nanoseconds", "18446744073709551615 ns, about 584 years",
};

static const struct quantity rate_quantity = {
	"rate", time_units, G_N_ELEMENTS(time_units),
	"a time unit after '/': ns, us, ms, s, min, h",
	"'50/s'", NULL, NULL,
};

/* A decimal number as written: mantissa * 10^exponent, kept exact. */
struct decimal {
	uint64_t mantissa;
	int exponent;
	gboolean too_many_digits;	/* the mantissa does not fit 64 bits */
	const char *start, *end;
};

static void decimal_push_digit(struct decimal *d, unsigned *zeros, int digit)
{
	/* Zeros wait until a non-zero digit follows, so that trailing zeros
	 * ("1.000000000000000000000") move the exponent instead of
	 * overflowing the mantissa. */
	if (digit == 0) {
		(*zeros)++;
		return;
	}
	for (; *zeros; (*zeros)--)
		if (!g_uint64_checked_mul(&d->mantissa, d->mantissa, 10))
			d->too_many_digits = TRUE;
	if (!g_uint64_checked_mul(&d->mantissa, d->mantissa, 10) ||
	    !g_uint64_checked_add(&d->mantissa, d->mantissa, (uint64_t)digit))
		d->too_many_digits = TRUE;
}

/* Reads digits, an optional fraction and an optional exponent at P.
 * Returns FALSE when there is no digit at all. */
static gboolean decimal_scan(const char *p, struct decimal *d)
{
	unsigned zeros = 0, digits = 0;

	memset(d, 0, sizeof(*d));
	d->start = p;
	for (; g_ascii_isdigit(*p); p++, digits++)
		decimal_push_digit(d, &zeros, *p - '0');
	if (*p == '.') {
		for (p++; g_ascii_isdigit(*p); p++, digits++) {
			decimal_push_digit(d, &zeros, *p - '0');
			d->exponent--;
		}
	}
	if (!digits)
		return FALSE;
	d->exponent += (int)zeros;
	if ((*p == 'e' || *p == 'E') &&
	    (g_ascii_isdigit(p[1]) || ((p[1] == '-' || p[1] == '+') && g_ascii_isdigit(p[2])))) {
		int sign = p[1] == '-' ? -1 : 1;
		int e = 0;

		p += g_ascii_isdigit(p[1]) ? 1 : 2;
		for (; g_ascii_isdigit(*p); p++)
			e = MIN(e * 10 + (*p - '0'), 100000);
		d->exponent += sign * e;
	}
	d->end = p;
	return TRUE;
}

/* Removes up to *NEED factors P from *X. */
static void strip_factor(uint64_t *x, uint64_t p, int *need)
{
	while (*need > 0 && *x % p == 0) {
		*x /= p;
		(*need)--;
	}
}

/* D * FACTOR as an exact integer. */
static gboolean decimal_scale(const struct decimal *d, uint64_t factor, uint64_t *out,
			      enum units_error *why)
{
	uint64_t m = d->mantissa;
	uint64_t product;

	if (d->too_many_digits) {
		*why = UNITS_ERROR_RANGE;
		return FALSE;
	}
	if (m == 0) {
		*out = 0;
		return TRUE;
	}
	if (d->exponent >= 0) {
		for (int i = 0; i < d->exponent; i++)
			if (!g_uint64_checked_mul(&m, m, 10)) {
				*why = UNITS_ERROR_RANGE;
				return FALSE;
			}
	} else {
		/* Whole only when 2^k and 5^k both divide m * factor. */
		int twos = -d->exponent, fives = -d->exponent;

		strip_factor(&m, 2, &twos);
		strip_factor(&m, 5, &fives);
		strip_factor(&factor, 2, &twos);
		strip_factor(&factor, 5, &fives);
		if (twos || fives) {
			*why = UNITS_ERROR_FRACTION;
			return FALSE;
		}
	}
	if (!g_uint64_checked_mul(&product, m, factor)) {
		*why = UNITS_ERROR_RANGE;
		return FALSE;
	}
	*out = product;
	return TRUE;
}

static const struct unit *unit_find(const struct quantity *q, const char *name)
{
	for (size_t i = 0; i < q->n_units; i++)
		if (!strcmp(q->units[i].name, name))
			return &q->units[i];
	return NULL;
}

static void set_unknown_unit(const struct quantity *q, const char *text, const char *unit,
			     GError **error)
{
	const char *names[G_N_ELEMENTS(size_units)];
	const char *guess;

	G_STATIC_ASSERT(G_N_ELEMENTS(size_units) >= G_N_ELEMENTS(time_units));
	for (size_t i = 0; i < q->n_units; i++)
		names[i] = q->units[i].name;
	/* Only a case slip earns a guess: "XB" is not a likely "kB". */
	guess = text_closest(unit, names, q->n_units);
	if (guess && !g_ascii_strcasecmp(guess, unit))
		g_set_error(error, UNITS_ERROR, UNITS_ERROR_UNIT,
			    "bad %s '%s': unknown unit '%s' (did you mean '%s'?)", q->what, text,
			    unit, guess);
	else
		g_set_error(error, UNITS_ERROR, UNITS_ERROR_UNIT,
			    "bad %s '%s': unknown unit '%s' (expected %s)", q->what, text, unit,
			    q->expected);
}

/* Splits TEXT into a number and a unit name; *UNIT is NULL for a bare
 * number.  For rates the unit must follow a '/'. */
static gboolean quantity_split(const struct quantity *q, const char *text, struct decimal *d,
			       const struct unit **unit, GError **error)
{
	const char *p = text;
	g_autofree char *name = NULL;

	while (g_ascii_isspace(*p))
		p++;
	if (*p == '-' && (g_ascii_isdigit(p[1]) || p[1] == '.')) {
		g_set_error(error, UNITS_ERROR, UNITS_ERROR_NEGATIVE,
			    "bad %s '%s': must not be negative", q->what, text);
		return FALSE;
	}
	if (!decimal_scan(p, d)) {
		g_set_error(error, UNITS_ERROR, UNITS_ERROR_SYNTAX,
			    "bad %s '%s': expected a number and a unit, e.g. %s", q->what, text,
			    q->example);
		return FALSE;
	}
	for (p = d->end; g_ascii_isspace(*p); p++)
		;
	*unit = NULL;
	if (!*p)
		return TRUE;
	if (q == &rate_quantity) {
		if (*p != '/') {
			g_set_error(error, UNITS_ERROR, UNITS_ERROR_SYNTAX,
				    "bad rate '%s': expected events per time unit, e.g. '50/s'", text);
			return FALSE;
		}
		for (p++; g_ascii_isspace(*p); p++)
			;
	}
	name = g_strchomp(g_strdup(p));
	*unit = unit_find(q, name);
	if (!*unit) {
		set_unknown_unit(q, text, name, error);
		return FALSE;
	}
	return TRUE;
}

static gboolean quantity_parse_whole(const struct quantity *q, const char *text, uint64_t *out,
				     GError **error)
{
	struct decimal d;
	const struct unit *unit;
	enum units_error why;

	g_return_val_if_fail(text != NULL && out != NULL, FALSE);
	if (!quantity_split(q, text, &d, &unit, error))
		return FALSE;
	if (decimal_scale(&d, unit ? unit->factor : 1, out, &why))
		return TRUE;
	if (why == UNITS_ERROR_FRACTION)
		g_set_error(error, UNITS_ERROR, why, "bad %s '%s': not a whole number of %s",
			    q->what, text, q->whole);
	else if (d.too_many_digits && d.exponent < 0)
		g_set_error(error, UNITS_ERROR, why, "bad %s '%s': too many digits", q->what, text);
	else
		g_set_error(error, UNITS_ERROR, why, "bad %s '%s': too large (the largest is %s)",
			    q->what, text, q->largest);
	return FALSE;
}

gboolean units_size_parse(const char *text, uint64_t *bytes, GError **error)
{
	return quantity_parse_whole(&size_quantity, text, bytes, error);
}

gboolean units_time_parse(const char *text, uint64_t *ns, GError **error)
{
	return quantity_parse_whole(&time_quantity, text, ns, error);
}

gboolean units_rate_parse(const char *text, double *per_second, GError **error)
{
	struct decimal d;
	const struct unit *unit;
	g_autofree char *number = NULL;
	double v;

	g_return_val_if_fail(text != NULL && per_second != NULL, FALSE);
	if (!quantity_split(&rate_quantity, text, &d, &unit, error))
		return FALSE;
	number = g_strndup(d.start, (size_t)(d.end - d.start));
	v = g_ascii_strtod(number, NULL);
	if (unit)
		v *= 1e9 / (double)unit->factor;
	if (!isfinite(v)) {
		g_set_error(error, UNITS_ERROR, UNITS_ERROR_RANGE, "bad rate '%s': too large", text);
		return FALSE;
	}
	*per_second = v;
	return TRUE;
}

/* Writes V with two decimals, trailing zeros dropped when TRIM, then NAME. */
static const char *format_scaled(double v, gboolean trim, const char *name,
				 char buf[UNITS_FORMAT_LEN])
{
	size_t n;

	g_ascii_formatd(buf, UNITS_FORMAT_LEN, "%.2f", v);
	n = strlen(buf);
	if (trim) {
		while (buf[n - 1] == '0')
			n--;
		if (buf[n - 1] == '.')
			n--;
	}
	snprintf(buf + n, UNITS_FORMAT_LEN - n, " %s", name);
	return buf;
}

/* Two decimals of V would print as LIMIT or more. */
static gboolean rounds_up_to(double v, double limit)
{
	return round(v * 100.0) / 100.0 >= limit;
}

const char *units_size_format(uint64_t bytes, char buf[UNITS_FORMAT_LEN])
{
	static const char *const names[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned u = 0;

	while (u + 1 < G_N_ELEMENTS(names) && bytes >> (10 * (u + 1)))
		u++;
	if (u + 1 < G_N_ELEMENTS(names) &&
	    rounds_up_to((double)bytes / (double)(UINT64_C(1) << (10 * u)), 1024.0))
		u++;
	if (bytes % (UINT64_C(1) << (10 * u)) == 0) {
		snprintf(buf, UNITS_FORMAT_LEN, "%" PRIu64 " %s", bytes >> (10 * u), names[u]);
		return buf;
	}
	return format_scaled((double)bytes / (double)(UINT64_C(1) << (10 * u)), FALSE, names[u],
			     buf);
}

const char *units_time_format(uint64_t ns, char buf[UNITS_FORMAT_LEN])
{
	static const struct unit scale[] = {
		{ "ns", 1 },
		{ "us", UINT64_C(1000) },
		{ "ms", UINT64_C(1000000) },
		{ "s", UINT64_C(1000000000) },
		{ "min", UINT64_C(60000000000) },
		{ "h", UINT64_C(3600000000000) },
	};
	size_t i = 0;

	while (i + 1 < G_N_ELEMENTS(scale) && ns >= scale[i + 1].factor)
		i++;
	if (i + 1 < G_N_ELEMENTS(scale) &&
	    rounds_up_to((double)ns / (double)scale[i].factor,
			 (double)scale[i + 1].factor / (double)scale[i].factor))
		i++;
	return format_scaled((double)ns / (double)scale[i].factor, TRUE, scale[i].name, buf);
}
