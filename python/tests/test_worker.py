"""The LLM worker on a job directory, with training and evaluation replaced by the --fake
stand-in: manifests it must accept or reject, and the result files it writes."""

import os
import shutil
import tempfile
import unittest

from duet_llm import export, protocol, worker

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "worker")

try:
    import h5py  # noqa: F401
    HAVE_H5PY = True
except ImportError:
    HAVE_H5PY = False


@unittest.skipUnless(HAVE_H5PY, "h5py is not installed")
class WorkerTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)
        self.data = os.path.join(self.dir, "data%dir")
        os.mkdir(self.data)
        export.write_pool(os.path.join(self.data, "pool.h5"), [
            ("wikitext", ["w/%d" % i for i in range(4)], [""] * 4, ["text %d" % i for i in range(4)]),
            ("sciq", ["s/%d" % i for i in range(3)], ["q"] * 3, ["a"] * 3)])
        self.job = os.path.join(self.dir, "job")
        os.mkdir(self.job)
        with open(os.path.join(FIXTURES, "manifest-llm")) as f:
            self.text = f.read().replace("data_dir = /tmp/data%25dir", "data_dir = " + protocol.encode(self.data))

    def run_worker(self, text):
        with open(os.path.join(self.job, "manifest"), "w") as f:
            f.write(text)
        code = worker.run(self.job, capture=False, fake=True)
        with open(os.path.join(self.job, "result")) as f:
            return code, protocol.parse(f.read(), "result")

    def test_fake_evaluation_writes_ok_result(self):
        code, result = self.run_worker(self.text)
        self.assertEqual(code, protocol.EXIT_OK)
        self.assertEqual(result["status"], "ok")
        self.assertEqual(result["metrics"], "1")
        self.assertEqual(result["metric.1.name"], "gsm8k")
        self.assertEqual(float(result["feedback"]), float(result["metric.1.value"]))
        self.assertEqual(result["value"], "nan")
        again = self.run_worker(self.text)[1]
        self.assertEqual(again["feedback"], result["feedback"])

    def test_invalid_manifests_are_reported(self):
        cases = [
            (self.text.replace("backend = llm", "backend = synthetic"), "is not llm"),
            (self.text.replace("domain.2.name = sciq", "domain.2.name = gsm8k"), "has no domain 'gsm8k'"),
            (self.text.replace("domain.2.size = 3", "domain.2.size = 4"), "the manifest says 4"),
            (self.text.replace("task.evaluate = gsm8k", "task.evaluate = mmlu"), "unknown benchmark"),
            (self.text.replace("backend.lora_rank = 16", "backend.lora_rank = 0"), "must be in 1..4096"),
            (self.text.replace("backend.pool = pool.h5", "backend.pool = missing.h5"), "missing.h5"),
            (self.text.replace("protocol = 1", "protocol = 9"), "protocol 9"),
        ]
        for text, message in cases:
            code, result = self.run_worker(text)
            self.assertEqual(code, protocol.EXIT_MANIFEST, message)
            self.assertEqual(result["status"], "invalid")
            self.assertIn(message, protocol.decode(result["error"]))

    def test_missing_job_directory_is_a_usage_error(self):
        self.assertEqual(worker.run(os.path.join(self.dir, "nope"), capture=False), protocol.EXIT_USAGE)


if __name__ == "__main__":
    unittest.main()
