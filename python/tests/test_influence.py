"""DataInf and LiSSA against direct dense computations on small problems."""

import unittest

try:
    import numpy as np
    from duet_llm import influence, scores
    HAVE_NUMPY = True
except ImportError:
    HAVE_NUMPY = False


@unittest.skipUnless(HAVE_NUMPY, "numpy is not installed")
class InfluenceTest(unittest.TestCase):
    def setUp(self):
        rng = np.random.default_rng(3)
        self.grads = [rng.normal(size=(30, 5)), rng.normal(size=(30, 3))]
        self.val = [rng.normal(size=5), rng.normal(size=3)]

    def test_datainf_equals_mean_of_explicit_inverses(self):
        expected = np.zeros(30)
        for g, v in zip(self.grads, self.val):
            lam = 0.1 * np.mean(np.sum(g * g, axis=1))
            d = g.shape[1]
            hinv_v = np.mean([np.linalg.solve(lam * np.eye(d) + np.outer(gi, gi), v) for gi in g], axis=0)
            expected += g @ hinv_v
        np.testing.assert_allclose(influence.datainf(self.grads, self.val), expected, rtol=1e-10)

    def exact(self, damping, scale):
        expected = np.zeros(30)
        for g, v in zip(self.grads, self.val):
            fisher = g.T @ g / g.shape[0]
            expected += g @ np.linalg.solve(fisher + damping * scale * np.eye(g.shape[1]), v)
        return expected

    def test_lissa_full_batch_converges_to_damped_inverse(self):
        # With every item in each step the recursion is deterministic and contracts to the fixed point.
        got = influence.lissa(self.grads, self.val, damping=0.05, scale=10.0, depth=2000, batch=30)
        np.testing.assert_allclose(got, self.exact(0.05, 10.0), rtol=1e-8, atol=1e-10)

    def test_lissa_sampled_tracks_damped_inverse(self):
        got = influence.lissa(self.grads, self.val, damping=0.005, scale=100.0, depth=3000,
                              repeats=4, rng=np.random.default_rng(1))
        correlation = np.corrcoef(got, self.exact(0.005, 100.0))[0, 1]
        self.assertGreater(correlation, 0.95)

    def test_shapes_are_checked(self):
        with self.assertRaises(ValueError):
            influence.datainf(self.grads, self.val[:1])
        with self.assertRaises(ValueError):
            influence.datainf([self.grads[0]], [self.val[1]])

    def test_validation_split(self):
        train, val = scores.split_validation(20, 0.1, seed=4)
        self.assertEqual(len(val), 2)
        self.assertEqual(sorted(train + val), list(range(20)))
        self.assertEqual((train, val), scores.split_validation(20, 0.1, seed=4))
        self.assertEqual(len(scores.split_validation(3, 0.01, seed=0)[1]), 1)
        with self.assertRaises(ValueError):
            scores.split_validation(1, 0.5, seed=0)


if __name__ == "__main__":
    unittest.main()
