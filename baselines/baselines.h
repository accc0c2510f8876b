/* Every baseline method, each defined in its own file of this folder. */
#ifndef DUET_BASELINES_H
#define DUET_BASELINES_H

#include "run/method.h"

extern const duet_method_type duet_method_uniform;
extern const duet_method_type duet_method_random_search;

#endif
