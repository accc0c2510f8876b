"""One BO step with scikit-learn and SciPy, timed for core/bench/bench_bo.c.

Usage: bench_bo_sklearn.py RESTARTS ITERATIONS CANDIDATES REFINE CASE...
where each CASE is "step:N:D" (fit the hyperparameters, then propose) or "kept:N:D" (propose
with the hyperparameters of an earlier fit, already conditioned on the data). Prints one line "case n d seconds" per case.

The work mirrors duet's default BO step: ConstantKernel * Matern(nu=2.5, ARD) + WhiteKernel on
standardized utilities (normalize_y=True), maximum likelihood with L-BFGS-B from RESTARTS
starts of at most ITERATIONS iterations, UCB scores of CANDIDATES Dirichlet points plus the
vertices and the uniform mixture, then SLSQP on the simplex (sum-to-one equality, [0, 1]
bounds, 25 iterations, finite-difference gradients because scikit-learn has no input
gradient of the predictive distribution) from the REFINE best candidates and the best
observation. scikit-learn fits without hyperparameter priors, so its objective is slightly
cheaper than duet's MAP objective. Exit status 3 means a module is missing.
"""
import sys
import time
import warnings

try:
    import numpy as np
    from scipy.optimize import minimize
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel
except ImportError as exc:
    print(f"missing module: {exc}", file=sys.stderr)
    sys.exit(3)


def bump(r, target):
    return np.exp(-np.sum((r - target) ** 2, axis=-1) / (2 * 0.25**2))


def make_data(n, d, rng):
    target = rng.dirichlet(np.ones(d))
    x = rng.dirichlet(np.ones(d), size=n)
    y = bump(x, target) + 0.02 * rng.standard_normal(n)
    return x, y


def lbfgsb(iterations):
    def optimizer(objective, theta0, bounds):
        res = minimize(objective, theta0, jac=True, method="L-BFGS-B", bounds=bounds,
                       options={"maxiter": iterations})
        return res.x, res.fun

    return optimizer


def propose(gp, x, y, candidates, refine, rng):
    d = x.shape[1]
    screen = np.vstack([rng.dirichlet(np.ones(d), size=candidates), np.eye(d),
                        np.full((1, d), 1.0 / d)])
    beta = 2.0 * np.log(np.pi**2 / 0.3)
    mean, sd = gp.predict(screen, return_std=True)
    ucb = mean + np.sqrt(beta) * sd
    starts = list(screen[np.argsort(-ucb)[:refine]]) + [x[np.argmax(y)]]

    def negative_ucb(r):
        m, s = gp.predict(r.reshape(1, -1), return_std=True)
        return -(m[0] + np.sqrt(beta) * s[0])

    best = None
    for start in starts:
        res = minimize(negative_ucb, start, method="SLSQP", bounds=[(0.0, 1.0)] * d,
                       constraints=[{"type": "eq", "fun": lambda r: np.sum(r) - 1.0}],
                       options={"maxiter": 25})
        if best is None or res.fun < best.fun:
            best = res
    return best.x


def make_gp(d, restarts, iterations):
    kernel = ConstantKernel(1.0, (1e-2, 1e2)) * Matern(
        length_scale=np.full(d, 0.3), length_scale_bounds=(1e-3, 1e3), nu=2.5
    ) + WhiteKernel(1e-2, (1e-4, 10.0))
    return GaussianProcessRegressor(kernel=kernel, normalize_y=True,
                                    n_restarts_optimizer=restarts - 1,
                                    optimizer=lbfgsb(iterations), random_state=0)


def main(argv):
    # Hyperparameters at a bound are expected with these small synthetic data sets.
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    restarts, iterations, candidates, refine = (int(v) for v in argv[1:5])
    for spec in argv[5:]:
        case, n, d = spec.split(":")
        n, d = int(n), int(d)
        rng = np.random.default_rng(n * 100 + d)
        x, y = make_data(n, d, rng)
        gp = make_gp(d, restarts, iterations)
        if case == "kept":
            gp.fit(x, y)
            kept = GaussianProcessRegressor(kernel=gp.kernel_, normalize_y=True, optimizer=None)
            kept.fit(x, y)
            reps = 20
            start = time.perf_counter()
            for _ in range(reps):
                propose(kept, x, y, candidates, refine, rng)
            seconds = (time.perf_counter() - start) / reps
        else:
            start = time.perf_counter()
            gp.fit(x, y)
            propose(gp, x, y, candidates, refine, rng)
            seconds = time.perf_counter() - start
        print(f"{case} {n} {d} {seconds:.6f}", flush=True)


if __name__ == "__main__":
    main(sys.argv)
