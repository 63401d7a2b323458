/* Small text helpers for messages to people: edit distance behind "did you
 * mean" suggestions, and numbers written so they read back exactly. */
#ifndef DCDSIM_SIM_TEXT_H
#define DCDSIM_SIM_TEXT_H

#include <glib.h>
#include <stddef.h>

/* Optimal string alignment distance between A and B, byte-wise: the number
 * of insertions, deletions, substitutions and swaps of two adjacent bytes
 * that turn A into B ("blok_size" -> "block_size" is 1, "tiem" -> "time"
 * is 1). */
size_t text_edit_distance(const char *a, const char *b);

/* The candidate among CANDIDATES[0..N) that WORD most likely misspells, or
 * NULL when none is close.  A candidate equal to WORD but for ASCII case
 * wins outright; otherwise the nearest by text_edit_distance() provided
 * the distance is at most a third of the longer string's length.  Ties go
 * to the earlier candidate.  Returns one of CANDIDATES, not a copy. */
const char *text_closest(const char *word, const char *const *candidates, size_t n);

/* Room for any double written by text_number_format(). */
#define TEXT_NUMBER_LEN 32

/* Writes V into BUF as the shortest "%.Ng" form (N <= 17) that reads back
 * as the same double, whole numbers below 1e17 without an exponent, and
 * '.' as the decimal point whatever the locale: 0.1 -> "0.1", 1e9 ->
 * "1000000000", 1.0/3 -> "0.3333333333333333", 1e300 -> "1e+300".
 * Returns BUF. */
const char *text_number_format(double v, char buf[TEXT_NUMBER_LEN]);

#endif
