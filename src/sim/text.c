#include "sim/text.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

size_t text_edit_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	/* Three rows of the dynamic programme: the swap rule looks two back. */
	size_t *prev2 = g_new(size_t, m + 1);
	size_t *prev = g_new(size_t, m + 1);
	size_t *cur = g_new(size_t, m + 1);
	size_t result;

	for (size_t j = 0; j <= m; j++)
		prev[j] = j;
	for (size_t i = 1; i <= n; i++) {
		size_t *t;

		cur[0] = i;
		for (size_t j = 1; j <= m; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t best = prev[j - 1] + cost;

			best = MIN(best, prev[j] + 1);
			best = MIN(best, cur[j - 1] + 1);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
				best = MIN(best, prev2[j - 2] + 1);
			cur[j] = best;
		}
		t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	result = prev[m];
	g_free(prev2);
	g_free(prev);
	g_free(cur);
	return result;
}

const char *text_closest(const char *word, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	size_t best_distance = 0;

	for (size_t i = 0; i < n; i++)
		if (!g_ascii_strcasecmp(word, candidates[i]))
			return candidates[i];
	for (size_t i = 0; i < n; i++) {
		size_t d = text_edit_distance(word, candidates[i]);
		size_t longer = MAX(strlen(word), strlen(candidates[i]));

		if (3 * d <= longer && (!best || d < best_distance)) {
			best = candidates[i];
			best_distance = d;
		}
	}
	return best;
}

const char *text_number_format(double v, char buf[TEXT_NUMBER_LEN])
{
	/* GLib's ASCII variants: the decimal point must not follow the locale. */
	for (unsigned digits = 1; digits <= 17; digits++) {
		char format[16];

		snprintf(format, sizeof(format), "%%.%ug", digits);
		g_ascii_formatd(buf, TEXT_NUMBER_LEN, format, v);
		if (g_ascii_strtod(buf, NULL) == v)
			break;
	}
	/* Whole numbers read better without an exponent: 1e9 as 1000000000. */
	if (strchr(buf, 'e') && v == floor(v) && fabs(v) < 1e17)
		g_ascii_formatd(buf, TEXT_NUMBER_LEN, "%.0f", v);
	return buf;
}
