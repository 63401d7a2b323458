/* Quantities as people write them in scenarios and on the command line:
 * sizes ("2MiB"), times ("1.5ms") and rates ("50/s").  No CXL knowledge.
 *
 * Syntax: a non-negative decimal number (digits, an optional fraction, an
 * optional exponent: "2", "1.5", "2.5e3"), optional spaces, then a unit.
 * Unit letters are matched exactly ("mib" is refused, with "did you mean
 * 'MiB'?").  Spaces around the whole text are ignored.
 *
 *   sizes  bare number = bytes; B; KiB MiB GiB TiB PiB EiB (powers of 1024);
 *          kB MB GB TB PB EB (powers of 1000).  The value must be a whole
 *          number of bytes below 2^64: "1.5KiB" is 1536, "1.3B" an error.
 *   times  bare number = nanoseconds; ns, us (or µs), ms, s, min, h.  A whole
 *          number of nanoseconds below 2^64 (about 584 years).
 *   rates  "N/unit" with a time unit: events per second as a double
 *          ("3/ms" is 3000); a bare number is already per second.
 *
 * Errors are UNITS_ERROR GErrors whose message names the text and what was
 * expected: "bad size '12XB': unknown unit 'XB' (expected B, KiB, ...)". */
#ifndef DCDSIM_SIM_UNITS_H
#define DCDSIM_SIM_UNITS_H

#include <glib.h>
#include <stdint.h>

#define UNITS_ERROR (units_error_quark())
GQuark units_error_quark(void);

enum units_error {
	UNITS_ERROR_SYNTAX,	/* empty, or not a number followed by a unit */
	UNITS_ERROR_UNIT,	/* unknown unit */
	UNITS_ERROR_NEGATIVE,	/* a minus sign */
	UNITS_ERROR_FRACTION,	/* not a whole number of bytes or nanoseconds */
	UNITS_ERROR_RANGE,	/* too large, or too many digits */
};

gboolean units_size_parse(const char *text, uint64_t *bytes, GError **error);
gboolean units_time_parse(const char *text, uint64_t *ns, GError **error);
gboolean units_rate_parse(const char *text, double *per_second, GError **error);

/* Room for any text the formatters below write. */
#define UNITS_FORMAT_LEN 32

/* BYTES in the largest binary unit that keeps the number >= 1: "512 B",
 * "2 MiB" when exact, else two decimals: "1.50 GiB".  Returns BUF. */
const char *units_size_format(uint64_t bytes, char buf[UNITS_FORMAT_LEN]);
/* NS in the largest of ns, us, ms, s, min, h that keeps the number >= 1,
 * with at most two decimals and no trailing zeros: "500 ns", "1.5 ms",
 * "2.25 h".  Returns BUF. */
const char *units_time_format(uint64_t ns, char buf[UNITS_FORMAT_LEN]);

#endif
