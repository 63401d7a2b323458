/* A tiny JSON writer for machine-readable output (--json): objects,
 * strings, integers and numbers, written compactly on one line.  Strings
 * are escaped and made valid UTF-8; numbers that are not finite become
 * null, since JSON has no NaN or infinity. */
#ifndef DCDSIM_CLI_JSON_H
#define DCDSIM_CLI_JSON_H

#include <glib.h>
#include <stdint.h>

struct json;

struct json *json_new(void);
void json_free(struct json *j);

/* KEY names the member inside an object and must be NULL elsewhere (the
 * top-level value). */
void json_object_begin(struct json *j, const char *key);
void json_object_end(struct json *j);
/* VALUE NULL writes null. */
void json_string(struct json *j, const char *key, const char *value);
void json_uint(struct json *j, const char *key, uint64_t value);
void json_number(struct json *j, const char *key, double value);

/* The text written so far: a complete value once every object has ended. */
const char *json_text(const struct json *j);

typedef struct json json;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(json, json_free)

#endif
