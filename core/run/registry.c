/*
 * The registry of every backend, method and selector. Adding one is a single line in the
 * matching array below; Lua, `duet help` and the results file all use these names.
 */
#include "run/registry.h"

#include <string.h>

#include "backends/embedded.h"
#include "backends/llm.h"
#include "backends/synthetic.h"
#include "baselines.h"
#include "methods/methods.h"
#include "selectors/selectors.h"
#include "selectors/uniform.h"

/* One entry per line, so that adding a component is one added line. */
/* clang-format off */
const duet_backend_type *const duet_backends[] = {
    &duet_backend_synthetic,
    &duet_backend_embedded,
    &duet_backend_llm,
    NULL,
};

const duet_method_type *const duet_methods[] = {
    &duet_method_duet,
    &duet_method_duet_if,
    &duet_method_duet_ur,
    &duet_method_duet_rh,
    &duet_method_duet_less,
    &duet_method_duet_logdet,
    &duet_method_uniform,
    &duet_method_random_search,
    &duet_method_fixed,
    &duet_method_select_influence,
    &duet_method_select_less,
    &duet_method_doremi,
    &duet_method_online_mixing,
    &duet_method_aioli,
    &duet_method_regmix,
    NULL,
};

const duet_selector_type *const duet_selectors[] = {
    &duet_selector_uniform,
    &duet_selector_influence,
    &duet_selector_remove_harmful,
    &duet_selector_less,
    &duet_selector_logdet,
    NULL,
};
/* clang-format on */

/* Methods registered at run time by programs that embed the library (see registry.h). */
#define EXTRA_METHODS_MAX 64
static const duet_method_type *extra_methods[EXTRA_METHODS_MAX + 1];
static size_t n_extra_methods;

duet_status duet_method_register(const duet_method_type *type, duet_error *err)
{
    if (type == NULL || type->name == NULL || type->propose == NULL || type->observe == NULL ||
        type->create == NULL || type->destroy == NULL || type->default_selector == NULL)
        return duet_error_set(err, DUET_EINVAL,
                              "a method needs a name, a default selector and create, destroy, "
                              "propose and observe functions");
    if (duet_method_find(type->name) != NULL || strcmp(type->name, "lua") == 0)
        return duet_error_set(err, DUET_EINVAL, "a method named '%s' is already registered",
                              type->name);
    if (n_extra_methods == EXTRA_METHODS_MAX)
        return duet_error_set(err, DUET_ELIMIT, "at most %d methods can be registered at run time",
                              EXTRA_METHODS_MAX);
    extra_methods[n_extra_methods++] = type;
    return DUET_OK;
}

const duet_method_type *duet_method_at(size_t index)
{
    size_t builtin = 0;
    while (duet_methods[builtin])
        builtin++;
    if (index < builtin)
        return duet_methods[index];
    index -= builtin;
    return index < n_extra_methods ? extra_methods[index] : NULL;
}

const duet_backend_type *duet_backend_find(const char *name)
{
    for (size_t i = 0; duet_backends[i]; i++)
        if (strcmp(duet_backends[i]->name, name) == 0)
            return duet_backends[i];
    return NULL;
}

const duet_method_type *duet_method_find(const char *name)
{
    const duet_method_type *m;
    for (size_t i = 0; (m = duet_method_at(i)) != NULL; i++)
        if (strcmp(m->name, name) == 0)
            return m;
    return NULL;
}

const duet_selector_type *duet_selector_find(const char *name)
{
    for (size_t i = 0; duet_selectors[i]; i++)
        if (strcmp(duet_selectors[i]->name, name) == 0)
            return duet_selectors[i];
    return NULL;
}
