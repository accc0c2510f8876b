/* Name lookup of every registered backend, method and selector. */
#ifndef DUET_REGISTRY_H
#define DUET_REGISTRY_H

#include <stddef.h>

#include "run/backend.h"
#include "run/method.h"
#include "run/selector.h"

/* NULL-terminated arrays of every registered type, in registration order. */
extern const duet_backend_type *const duet_backends[];
extern const duet_method_type *const duet_methods[];
extern const duet_selector_type *const duet_selectors[];

/* Lookup by name; NULL when none has that name. */
const duet_backend_type *duet_backend_find(const char *name);
const duet_method_type *duet_method_find(const char *name);
const duet_selector_type *duet_selector_find(const char *name);

#endif
