"""GP posterior and log marginal likelihood from scikit-learn, for tests/unit/test_gp.c.

Reads a problem from the file named by argv[1]:
    line 1: kernel (matern52 or se), dim, n training points, m test points
    line 2: dim + 2 log hyperparameters: log length-scales, log signal variance, log noise variance
    n lines: dim inputs then the output
    m lines: dim inputs
Prints "lml <value>" and then m lines "<mean> <std>" with 17 significant digits.

The model is ConstantKernel(sf2) * Matern(l, nu=2.5) (or RBF(l)) with alpha = sn2 on the
diagonal, normalize_y=True and no optimizer, so the hyperparameters stay as given and the
standard deviation is that of the latent function. Exit status 3 means scikit-learn is missing.
"""
import sys

try:
    import numpy as np
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, Matern
except ImportError as exc:  # reported to the C test, which then skips
    print(f"missing module: {exc}", file=sys.stderr)
    sys.exit(3)


def main(path):
    with open(path) as f:
        head = f.readline().split()
        kernel_name, dim, n, m = head[0], int(head[1]), int(head[2]), int(head[3])
        hyper = np.array([float(v) for v in f.readline().split()])
        train = np.array([[float(v) for v in f.readline().split()] for _ in range(n)])
        test = np.array([[float(v) for v in f.readline().split()] for _ in range(m)])
    lengthscales = np.exp(hyper[:dim])
    signal, noise = np.exp(hyper[dim]), np.exp(hyper[dim + 1])
    if kernel_name == "matern52":
        base = Matern(length_scale=lengthscales, length_scale_bounds="fixed", nu=2.5)
    else:
        base = RBF(length_scale=lengthscales, length_scale_bounds="fixed")
    kernel = ConstantKernel(signal, constant_value_bounds="fixed") * base
    gp = GaussianProcessRegressor(kernel=kernel, alpha=noise, optimizer=None, normalize_y=True)
    gp.fit(train[:, :dim], train[:, dim])
    print(f"lml {gp.log_marginal_likelihood_value_:.17g}")
    mean, std = gp.predict(test.reshape(m, dim), return_std=True)
    for mu, sd in zip(mean, std):
        print(f"{mu:.17g} {sd:.17g}")


if __name__ == "__main__":
    main(sys.argv[1])
