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

/*
 * Adds a method type at run time, for programs that embed libduet with methods of their own; the
 * type must stay valid for the process's lifetime. Call it before loading experiment scripts.
 * DUET_EINVAL for an incomplete type or a name already in use.
 */
duet_status duet_method_register(const duet_method_type *type, duet_error *err);

/* The index-th method, built-in ones first, then those registered at run time; NULL past the end.
 */
const duet_method_type *duet_method_at(size_t index);

/* Lookup by name; NULL when none has that name. */
const duet_backend_type *duet_backend_find(const char *name);
const duet_method_type *duet_method_find(const char *name);
const duet_selector_type *duet_selector_find(const char *name);

#endif
