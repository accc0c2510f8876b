/* The synthetic backend with a known optimum (see synthetic.c for its formula). */
#ifndef DUET_BACKEND_SYNTHETIC_H
#define DUET_BACKEND_SYNTHETIC_H

#include "run/backend.h"

extern const duet_backend_type duet_backend_synthetic;

#endif
