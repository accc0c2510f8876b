/*
 * Declarative option tables. Every pluggable part (backend, task, method, selector, influence
 * estimator) describes its settings as a const array of duet_option, terminated by an entry
 * whose name is NULL. One table serves four purposes: parsing a Lua table into a C struct with
 * type and range checks, filling defaults, printing help (`duet help methods`), and writing the
 * resolved configuration into the results file.
 *
 * Storage in the destination struct, by type:
 *   DUET_OPT_INT      int64_t           DUET_OPT_DOUBLE   double
 *   DUET_OPT_BOOL     int (0 or 1)      DUET_OPT_STRING   char * (owned, freed by
 * duet_options_free) DUET_OPT_ENUM     int (index into the '|'-separated choices) DUET_OPT_DOUBLES
 * duet_doubles      DUET_OPT_STRINGS  duet_strings
 */
#ifndef DUET_OPTIONS_H
#define DUET_OPTIONS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/error.h"

struct lua_State;

typedef enum duet_option_type {
    DUET_OPT_INT,
    DUET_OPT_DOUBLE,
    DUET_OPT_BOOL,
    DUET_OPT_STRING,
    DUET_OPT_ENUM,
    DUET_OPT_DOUBLES,
    DUET_OPT_STRINGS,
} duet_option_type;

typedef struct duet_doubles {
    size_t n;
    double *v;
} duet_doubles;

typedef struct duet_strings {
    size_t n;
    char **v;
} duet_strings;

typedef struct duet_option {
    const char *name; /* Lua key; NULL ends the table */
    duet_option_type type;
    size_t offset; /* offsetof(struct, field) */
    const char
        *default_value;  /* textual default ("0.5", "true", "matern52", "1,2"); NULL: required */
    double min, max;     /* inclusive range for numbers; entry count range for lists */
    const char *choices; /* DUET_OPT_ENUM: "a|b|c" */
    const char *help;    /* one line: what it sets, with its unit */
} duet_option;

/* Upper bound on the count of list entries any option accepts. */
#define DUET_OPTION_LIST_MAX 4096

/* Applies every default of spec to dest; returns DUET_EINVAL if a default does not parse. */
duet_status duet_options_defaults(const duet_option *spec, void *dest, duet_error *err);

/*
 * Reads the Lua table at stack index idx into dest according to spec. Keys not in spec,
 * except those listed in `ignore` (a NULL-terminated list, may be NULL), are rejected with a
 * suggestion of the nearest known key. `where` ("script.lua:12") and `context` ("method duet")
 * start every message. Missing keys take their default; a missing key without a default is an
 * error. On failure dest may hold partially parsed values: call duet_options_free.
 */
duet_status duet_options_from_lua(struct lua_State *L, int idx, const duet_option *spec, void *dest,
                                  const char *const *ignore, const char *where, const char *context,
                                  duet_error *err);

/* Frees the strings and lists that spec's fields own in dest, and zeroes those fields. */
void duet_options_free(const duet_option *spec, void *dest);

/*
 * Appends the values of dest as Lua table fields ("name = value, ") to out, a growing buffer
 * (see duet_buf). Doubles are written with 17 significant digits so they read back exactly.
 */
struct duet_buf;
duet_status duet_options_format(const duet_option *spec, const void *dest, struct duet_buf *out);

/* Prints one line per option: name, type, default and help, indented by `indent` spaces. */
void duet_options_help(const duet_option *spec, FILE *out, int indent);

/* The name of the choice stored in an enum field, or "?" if out of range. */
const char *duet_option_choice_name(const duet_option *option, int index);

/* Looks up an option by name; NULL if absent. */
const duet_option *duet_option_find(const duet_option *spec, const char *name);

#endif
