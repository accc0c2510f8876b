/* The llm backend: LoRA fine-tuning and benchmark evaluation through the Python worker. */
#ifndef DUET_BACKEND_LLM_H
#define DUET_BACKEND_LLM_H

#include "run/backend.h"

extern const duet_backend_type duet_backend_llm;

#endif
