/* The inline executor: evaluations run one after another in the calling process. */
#include <stdio.h>

#include "run/executor.h"

static duet_status inline_run(void *state, const duet_exec_context *ctx, duet_eval_job *jobs,
                              size_t n, duet_error *err)
{
    for (size_t i = 0; i < n; i++) {
        duet_eval_job *job = &jobs[i];
        duet_error job_err;
        duet_error_clear(&job_err);
        job->status = ctx->backend_type->evaluate(ctx->backend, ctx->tasks[job->task], job->subset,
                                                  job->seed, &job->result, &job_err);
        snprintf(job->error, sizeof job->error, "%s", job_err.msg);
    }
    return DUET_OK;
}

void duet_executor_inline(duet_executor *out)
{
    out->name = "inline";
    out->parallelism = 1;
    out->state = NULL;
    out->run = inline_run;
    out->destroy = NULL;
}
