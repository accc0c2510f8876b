/* Methods defined in core/methods/ (DUET and its ablations); baselines live in baselines/. */
#ifndef DUET_METHODS_H
#define DUET_METHODS_H

#include "run/method.h"

extern const duet_method_type duet_method_duet;
extern const duet_method_type duet_method_duet_if;
extern const duet_method_type duet_method_duet_ur;
extern const duet_method_type duet_method_duet_rh;
extern const duet_method_type duet_method_duet_less;
extern const duet_method_type duet_method_duet_logdet;

#endif
