"""Independent checks of a duet results file, read with h5py as a user would.

Usage: check_results.py FILE.h5 SCRIPT.lua [key=value ...]
The key=value pairs state facts of the experiment the test knows (points, iterations, trials,
optimum as comma-separated shares, width, height, quality) so the file is checked against them
rather than against itself. Prints one line per failed check and exits 1 if any failed.
"""
import math
import sys

import h5py
import numpy as np

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


def largest_remainder(shares, total):
    exact = [total * s for s in shares]
    counts = [math.floor(x) for x in exact]
    order = sorted(range(len(shares)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def attr_text(obj, name):
    value = obj.attrs[name]
    return value.decode() if isinstance(value, bytes) else str(value)


def main():
    path, script = sys.argv[1], sys.argv[2]
    facts = dict(arg.split("=", 1) for arg in sys.argv[3:])
    with h5py.File(path, "r") as f:
        check(attr_text(f, "format") == "duet-results", "format tag")
        with open(script) as s:
            check(attr_text(f, "script") == s.read(), "script text stored verbatim")
        for name in ("git_commit", "compiler", "blas", "host", "started", "finished", "config",
                     "command_line", "duet_version"):
            check(len(attr_text(f, name)) > 0, "provenance attribute %s is empty" % name)
        M = int(f.attrs["points"])
        T = int(f.attrs["iterations"])
        trials = int(f.attrs["trials"])
        check(M == int(facts.get("points", M)), "points attribute")
        check(T == int(facts.get("iterations", T)), "iterations attribute")
        check(trials == int(facts.get("trials", trials)), "trials attribute")
        check(int(f.attrs["complete"]) == 1, "root complete flag")
        for task_name, task in f["tasks"].items():
            domains = [d.decode() if isinstance(d, bytes) else d for d in task["domains"][()]]
            n = len(domains)
            goal = attr_text(task, "goal")
            sign = 1.0 if goal == "maximize" else -1.0
            known = int(task.attrs["optimum_known"]) == 1
            optimum = float(task.attrs["optimum"])
            if "optimum" in facts and known:
                r_star = [float(x) for x in facts["optimum"].split(",")]
                width, height = float(facts["width"]), float(facts["height"])
                quality = float(facts["quality"])
                counts = largest_remainder(r_star, M)
                d2 = sum((c / M - r) ** 2 for c, r in zip(counts, r_star))
                expected = height * math.exp(-d2 / (2 * width * width)) + quality
                check(abs(optimum - expected) < 1e-12,
                      "%s: optimum %.17g, independently %.17g" % (task_name, optimum, expected))
            for label, method in task["methods"].items():
                k = int(method.attrs["samples"])
                for trial_name, tr in method["trials"].items():
                    where = "%s/%s/%s" % (task_name, label, trial_name)
                    check(int(tr.attrs["complete"]) == 1, where + ": complete")
                    check(int(tr.attrs["iterations_done"]) == T, where + ": iterations_done")
                    ratios, counts = tr["ratios"][()], tr["counts"][()]
                    proposed = tr["proposed"][()]
                    check(ratios.shape == (T, n) and counts.shape == (T, n), where + ": shapes")
                    check(np.all(counts.sum(axis=1) == M), where + ": counts sum to M")
                    check(np.array_equal(ratios, counts / M), where + ": ratios are counts / M")
                    check(np.all(np.abs(proposed.sum(axis=1) - 1) < 1e-12) and np.all(proposed >= 0),
                          where + ": proposals on the simplex")
                    samples, values = tr["samples"][()], tr["sample_values"][()]
                    check(samples.shape == (T, k), where + ": samples shape")
                    feedback, value = tr["feedback"][()], tr["value"][()]
                    best = tr["best_sample"][()]
                    for t in range(T):
                        j = int(np.argmax(sign * samples[t]))
                        check(best[t] == j and feedback[t] == samples[t, j],
                              where + ": iteration %d feedback is the best sample" % t)
                        check(value[t] == values[t, best[t]], where + ": value of the best sample")
                    running = np.maximum.accumulate(sign * feedback) * sign
                    check(np.array_equal(tr["best_so_far"][()], running), where + ": best_so_far")
                    if known:
                        regret = sign * (optimum - np.maximum.accumulate(sign * value) * sign)
                        check(np.allclose(tr["regret"][()], regret, rtol=0, atol=1e-15),
                              where + ": regret")
                        check(np.all(tr["regret"][()] >= -1e-15), where + ": regret non-negative")
                    if "optimum" in facts:
                        r_star = [float(x) for x in facts["optimum"].split(",")]
                        width, height = float(facts["width"]), float(facts["height"])
                        quality = float(facts["quality"])
                        for t in range(T):
                            d2 = float(np.sum((ratios[t] - r_star) ** 2))
                            bump = height * math.exp(-d2 / (2 * width * width))
                            part = value[t] - bump
                            check(-1e-12 <= part <= quality + 1e-12,
                                  where + ": quality part of iteration %d is %.3g" % (t, part))
                    check(np.all(tr["ess"][()] > 0), where + ": effective sample sizes")
                    inner = tr["inner_optimum"][()]
                    if known:
                        check(np.all(sign * (inner - value) >= -1e-12),
                              where + ": no sample beats the inner optimum of its counts")
                        check(np.all(sign * (optimum - inner) >= -1e-12),
                              where + ": no inner optimum beats the task optimum")
                    answer = tr["answer"]
                    acounts = answer["counts"][()]
                    items = answer["items"][()]
                    check(acounts.sum() == M and len(items) == M, where + ": answer has M items")
                    offset = 0
                    for i in range(n):
                        chunk = items[offset: offset + acounts[i]]
                        check(len(set(chunk.tolist())) == len(chunk),
                              where + ": answer items of a domain are distinct")
                        offset += acounts[i]
                    best_t = int(answer.attrs["iteration"])
                    check(answer.attrs["feedback"] == running[-1], where + ": answer feedback")
                    check(np.array_equal(acounts, counts[best_t]), where + ": answer counts")
                    if method.attrs["type"] in (b"uniform", "uniform"):
                        check(np.all(proposed == 1.0 / n), where + ": uniform proposes 1/n")
    for message in failures:
        print("FAIL:", message)
    print("%d checks failed" % len(failures) if failures else "results file checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
