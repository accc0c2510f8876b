/*
 * Fuzz harness of the worker result parser (duet_job_result_parse), which reads what a worker
 * process, possibly on another host, wrote back. It must accept the text or fail with a message;
 * an accepted result must keep its documented bounds and read back the same after
 * duet_job_result_format writes it again.
 */
#include <math.h>
#include <string.h>

#include "exec/jobfile.h"
#include "fuzz.h"

static int same_double(double a, double b)
{
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    duet_job_result r;
    duet_error err = {0};
    duet_status st = duet_job_result_parse((const char *)data, size, "fuzz-result", &r, &err);
    fuzz_check_error("worker_result", st, &err);
    if (st != DUET_OK)
        return 0;
    if (r.status == DUET_JOB_OK && !isfinite(r.eval.feedback))
        fuzz_violation("worker_result", "an ok result with a non-finite feedback");
    if (r.eval.n_metrics > DUET_TASK_METRICS_MAX)
        fuzz_violation("worker_result", "more metrics than the limit");

    duet_buf b = {0};
    duet_job_result_format(&b, &r);
    duet_job_result back;
    if (duet_buf_status(&b, &err) != DUET_OK ||
        duet_job_result_parse(b.data, b.len, "fuzz-result-again", &back, &err) != DUET_OK)
        fuzz_violation("worker_result", "a formatted result does not parse again");
    duet_buf_free(&b);
    if (back.status != r.status || !same_double(back.eval.feedback, r.eval.feedback) ||
        back.eval.n_metrics != r.eval.n_metrics || strcmp(back.error, r.error) != 0 ||
        strcmp(back.host, r.host) != 0 || strcmp(back.worker, r.worker) != 0)
        fuzz_violation("worker_result", "a result changed when written and read again");
    return 0;
}
