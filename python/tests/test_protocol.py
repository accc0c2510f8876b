"""Manifests and results of the worker protocol, read and written by the Python worker."""

import math
import os
import shutil
import tempfile
import unittest

from duet_llm import protocol

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "worker")


class ManifestTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)

    def write(self, text):
        with open(os.path.join(self.dir, "manifest"), "w") as f:
            f.write(text)

    def fixture(self):
        with open(os.path.join(FIXTURES, "manifest-llm")) as f:
            return f.read()

    def test_fixture_fields(self):
        self.write(self.fixture())
        m = protocol.read_manifest(self.dir)
        self.assertEqual(m.backend, "llm")
        self.assertEqual(m.task, "gsm8k")
        self.assertEqual(m.seed, 2 ** 64 - 1)
        self.assertEqual(m.data_dir, "/tmp/data%dir")
        self.assertEqual(m.domains, ["wikitext", "sciq"])
        self.assertEqual(m.items, {"wikitext": [0, 2, 3], "sciq": [2, 0]})
        self.assertEqual(m.total, 5)
        self.assertEqual(m.backend_options["lora_targets"], "q_proj,v_proj")
        self.assertEqual(m.backend_options["scores"], "")

    def test_rejects_bad_manifests(self):
        text = self.fixture()
        cases = [
            (text.replace("protocol = 1", "protocol = 2"), "protocol 2"),
            (text.replace("seed = 18446744073709551615", "seed = 18446744073709551616"), "seed"),
            (text.replace("domain.1.items = 0,2,3", "domain.1.items = 0,2"), "lists 2 ids"),
            (text.replace("domain.1.items = 0,2,3", "domain.1.items = 0,2,4"), "outside 0..3"),
            (text.replace("task = gsm8k\n", "task = gsm8k\ntask = x\n"), "appears twice"),
            (text.replace("job = ", "job = %zz"), "two hex digits"),
            (text.replace("timeout = 0", "timeout = -1"), "negative"),
            (text.replace("domains = 2", "domains = 0"), "outside 1..65536"),
            (text.replace("backend = llm\n", ""), "'backend' is missing"),
            (text.rstrip("\n"), "newline"),
            (text + "Bad Key = 1\n", "expected 'key = value'"),
        ]
        for bad, message in cases:
            self.write(bad)
            with self.assertRaises(protocol.ProtocolError) as caught:
                protocol.read_manifest(self.dir)
            self.assertIn(message, str(caught.exception))


class EncodingTest(unittest.TestCase):
    def test_round_trip(self):
        for text in ["plain", " lead", "trail ", "a%b", "new\nline", "tab\tand\rcr", "comma,here", "é ü"]:
            self.assertEqual(protocol.decode(protocol.encode(text)), text)
            self.assertEqual(protocol.split_list(protocol.encode(text, escape_comma=True), "x"), [text])

    def test_list_split_respects_escaped_commas(self):
        value = ",".join(protocol.encode(t, escape_comma=True) for t in ["a,b", "c", ""])
        self.assertEqual(protocol.split_list(value, "x"), ["a,b", "c", ""])
        self.assertEqual(protocol.split_list("", "x"), [])


class ResultTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)

    def test_ok_result_round_trip(self):
        text = protocol.format_result("ok", feedback=0.1 + 0.2, value=None, seconds=12.5,
                                      metrics=[("gsm8k", 0.25), ("weird, name%", float("nan"))], host="h")
        protocol.write_result(self.dir, text)
        with open(os.path.join(self.dir, "result")) as f:
            values = protocol.parse(f.read(), "result")
        self.assertEqual(float(values["feedback"]), 0.1 + 0.2)
        self.assertEqual(values["value"], "nan")
        self.assertEqual(values["metrics"], "2")
        self.assertEqual(protocol.decode(values["metric.2.name"]), "weird, name%")
        self.assertTrue(math.isnan(float(values["metric.2.value"])))
        self.assertEqual(sorted(os.listdir(self.dir)), ["result"])

    def test_failed_result_carries_error(self):
        text = protocol.format_result("failed", error="CUDA out of memory\nat step 3", host="h")
        values = protocol.parse(text, "result")
        self.assertEqual(values["status"], "failed")
        self.assertEqual(protocol.decode(values["error"]), "CUDA out of memory\nat step 3")
        self.assertNotIn("feedback", values)

    def test_ok_result_needs_finite_feedback(self):
        for bad in (None, float("nan"), float("inf")):
            with self.assertRaises(ValueError):
                protocol.format_result("ok", feedback=bad)
        with self.assertRaises(ValueError):
            protocol.format_result("ok", feedback=1.0, metrics=[("m", 1.0)] * 9)
        with self.assertRaises(ValueError):
            protocol.format_result("done")


if __name__ == "__main__":
    unittest.main()
