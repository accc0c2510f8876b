/* The uniform selector (see uniform.c). */
#ifndef DUET_SELECTOR_UNIFORM_H
#define DUET_SELECTOR_UNIFORM_H

#include "run/selector.h"

extern const duet_selector_type duet_selector_uniform;

#endif
