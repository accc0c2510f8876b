"""The LLM worker: evaluates one job directory of duet's worker protocol for the llm backend.

Exit statuses: 0 ok, 2 usage, 3 manifest missing or invalid, 4 evaluation failed, 5 timeout,
6 result not written. Every path that gets as far as the job directory leaves a result file.
"""

import hashlib
import math
import os
import random
import signal
import socket
import sys
import time
import traceback

from . import __version__, export, protocol, settings


class Timeout(Exception):
    """The evaluation exceeded the manifest's timeout."""


def _identity():
    return "duet_llm %s (Python %s)" % (__version__, sys.version.split()[0])


def _finish(job_dir, status, code, log, **fields):
    try:
        protocol.write_result(job_dir, protocol.format_result(status, worker=_identity(), **fields))
    except OSError as e:
        log("cannot write the result: %s" % e)
        return protocol.EXIT_RESULT
    return code


def check_pool(pool_path, manifest):
    """Check that the pool file has every manifest domain with the manifest's size."""
    names, sizes = export.read_pool_domains(pool_path)
    known = dict(zip(names, sizes))
    for name in manifest.domains:
        if name not in known:
            raise settings.SettingsError("the pool file %s has no domain %r" % (pool_path, name))
        if known[name] != manifest.sizes[name]:
            raise settings.SettingsError("domain %r has %d items in %s, the manifest says %d"
                                         % (name, known[name], pool_path, manifest.sizes[name]))


def fake_metrics(manifest, benchmarks):
    """Compute deterministic stand-in metrics for pipeline tests without a GPU: each benchmark
    scores the share of training items from its own domain plus noise from the evaluation seed."""
    rng = random.Random(manifest.seed)
    total = max(1, manifest.total)
    out = {}
    for name in benchmarks:
        domain = "headqa_en" if name == "headqa" else name
        share = len(manifest.items.get(domain, [])) / total
        out[name] = share + 0.01 * rng.gauss(0.0, 1.0)
    return out


def resolve_path(path, manifest):
    return path if os.path.isabs(path) else os.path.join(manifest.data_dir, path)


def run(job_dir, capture=True, fake=False):
    """Run the job in job_dir; returns the exit status."""
    if not os.path.isdir(job_dir):
        print("duet_llm worker: %s is not a job directory" % job_dir, file=sys.stderr)
        return protocol.EXIT_USAGE
    if capture:
        protocol.capture_output(job_dir)

    def log(message):
        print("duet_llm: %s" % message, file=sys.stderr, flush=True)

    log("worker pid %d on %s starts job directory %s" % (os.getpid(), socket.gethostname(), job_dir))
    try:
        manifest = protocol.read_manifest(job_dir)
        if manifest.backend != "llm":
            raise settings.SettingsError("backend %r is not llm; run it with `duet worker`" % manifest.backend)
        options = settings.resolve(manifest.backend_options, settings.BACKEND_OPTIONS, "backend")
        task = settings.resolve(manifest.task_options, settings.TASK_OPTIONS, "task")
        settings.check_benchmarks(task["evaluate"])
        pool = resolve_path(options["pool"], manifest)
        check_pool(pool, manifest)
    except (protocol.ProtocolError, settings.SettingsError, OSError, KeyError) as e:
        log("invalid manifest: %s" % e)
        return _finish(job_dir, "invalid", protocol.EXIT_MANIFEST, log, error=str(e))

    log("job %s, attempt %d: model %s, task %s, %d items"
        % (manifest.job, manifest.attempt, options["model"], manifest.task, manifest.total))

    def on_alarm(signum, frame):
        raise Timeout()

    if manifest.timeout > 0:
        signal.signal(signal.SIGALRM, on_alarm)
        signal.alarm(max(1, math.ceil(manifest.timeout)))
    started = time.monotonic()
    try:
        benchmarks = task["evaluate"]
        if fake:
            metrics = fake_metrics(manifest, benchmarks)
        else:
            from . import evaluate, train  # deferred: they import torch

            examples = export.read_examples(pool, manifest.items)
            seed = int(hashlib.sha256(str(manifest.seed).encode()).hexdigest()[:15], 16)
            model, tokenizer = train.train_lora(options["model"], examples, options, seed, log=log)
            metrics = evaluate.evaluate(model, tokenizer, benchmarks, options, seed)
        feedback = settings.feedback(metrics)
        if not math.isfinite(feedback):
            raise ValueError("the feedback %r is not finite (metrics %s)" % (feedback, metrics))
    except Timeout:
        message = "job %s exceeded its timeout of %g seconds" % (manifest.job, manifest.timeout)
        log(message)
        return _finish(job_dir, "timeout", protocol.EXIT_TIMEOUT, log, error=message)
    except Exception as e:  # any failure of training or evaluation is reported, not raised
        traceback.print_exc()
        return _finish(job_dir, "failed", protocol.EXIT_EVALUATION, log, error="%s: %s" % (type(e).__name__, e))
    finally:
        signal.alarm(0)
    seconds = time.monotonic() - started
    log("feedback %.6g from %s in %.1f s" % (feedback, metrics, seconds))
    return _finish(job_dir, "ok", protocol.EXIT_OK, log, feedback=feedback, value=float("nan"),
                   seconds=seconds, metrics=[(name, metrics[name]) for name in benchmarks])
