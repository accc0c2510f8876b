/*
 * The registry of every backend, method and selector. Adding one is a single line in the
 * matching array below; Lua, `duet help` and the results file all use these names.
 */
#include "run/registry.h"

#include <string.h>

#include "backends/llm.h"
#include "backends/synthetic.h"
#include "baselines.h"
#include "selectors/uniform.h"

const duet_backend_type *const duet_backends[] = {
    &duet_backend_synthetic,
    &duet_backend_llm,
    NULL,
};

const duet_method_type *const duet_methods[] = {
    &duet_method_uniform,
    &duet_method_random_search,
    NULL,
};

const duet_selector_type *const duet_selectors[] = {
    &duet_selector_uniform,
    NULL,
};

const duet_backend_type *duet_backend_find(const char *name)
{
    for (size_t i = 0; duet_backends[i]; i++)
        if (strcmp(duet_backends[i]->name, name) == 0)
            return duet_backends[i];
    return NULL;
}

const duet_method_type *duet_method_find(const char *name)
{
    for (size_t i = 0; duet_methods[i]; i++)
        if (strcmp(duet_methods[i]->name, name) == 0)
            return duet_methods[i];
    return NULL;
}

const duet_selector_type *duet_selector_find(const char *name)
{
    for (size_t i = 0; duet_selectors[i]; i++)
        if (strcmp(duet_selectors[i]->name, name) == 0)
            return duet_selectors[i];
    return NULL;
}
