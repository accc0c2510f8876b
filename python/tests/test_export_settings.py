"""Domain shaping, pool files, option checks and metric handling, without Hugging Face."""

import os
import shutil
import tempfile
import unittest

from duet_llm import evaluate, export, settings, train

try:
    import h5py  # noqa: F401
    HAVE_H5PY = True
except ImportError:
    HAVE_H5PY = False


class ShapeTest(unittest.TestCase):
    def test_every_domain_has_a_shaper_and_source(self):
        self.assertEqual(sorted(export.SHAPERS), sorted(export.SOURCES))
        self.assertEqual(len(export.DOMAINS), 9)

    def test_shapes(self):
        cases = {
            "gsm8k": ({"question": "2+2?", "answer": "4"}, ("Question: 2+2?\nAnswer:", " 4")),
            "truthfulqa": ({"question": "Is it?", "best_answer": "No."}, ("Q: Is it?\nA:", " No.")),
            "triviaqa": ({"question": "Capital?", "answer": {"value": "Paris"}}, ("Question: Capital?\nAnswer:", " Paris")),
            "commonsense_qa": ({"question": "Q?", "choices": {"label": ["A", "B"], "text": ["x", "y"]}, "answerKey": "B"},
                               ("Question: Q?\nA. x\nB. y\nAnswer:", " B. y")),
            "hellaswag": ({"activity_label": "Cooking", "ctx": "He cuts", "endings": ["a", "b"], "label": "1"},
                          ("Cooking: He cuts", " b")),
            "headqa_en": ({"qtext": "Q?", "ra": 2, "answers": [{"aid": 2, "atext": "yes"}, {"aid": 1, "atext": "no"}]},
                          ("Question: Q?\n1. no\n2. yes\nAnswer:", " yes")),
        }
        for name, (record, expected) in cases.items():
            self.assertEqual(export.SHAPERS[name](record), expected, name)

    def test_unusable_records_are_skipped(self):
        records = [{"text": ""}, {"text": " = Heading = "}, {"text": "A sentence long enough to keep."}]
        ids, prompts, responses = export.shape_domain("wikitext", records, "wikitext/train")
        self.assertEqual(ids, ["wikitext/train/2"])
        self.assertEqual(prompts, [""])
        self.assertEqual(responses, ["A sentence long enough to keep."])
        self.assertIsNone(export.SHAPERS["hellaswag"]({"activity_label": "a", "ctx": "b", "endings": ["x"], "label": ""}))
        with self.assertRaises(ValueError):
            export.shape_domain("wikitext", [{"text": ""}], "w")
        with self.assertRaises(ValueError):
            export.shape_domain("nope", [], "w")

    def test_max_items(self):
        records = [{"question": str(i), "answer": str(i)} for i in range(10)]
        ids, _, _ = export.shape_domain("gsm8k", records, "gsm8k/main/train", max_items=3)
        self.assertEqual(ids, ["gsm8k/main/train/0", "gsm8k/main/train/1", "gsm8k/main/train/2"])


@unittest.skipUnless(HAVE_H5PY, "h5py is not installed")
class PoolFileTest(unittest.TestCase):
    def test_write_and_read(self):
        folder = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, folder)
        path = os.path.join(folder, "pool.h5")
        export.write_pool(path, [("sciq", ["s/0", "s/1"], ["p0", "p1"], ["r0", "r1"]),
                                 ("gsm8k", ["g/0"], ["q"], ["ä"])])
        self.assertEqual(export.read_pool_domains(path), (["sciq", "gsm8k"], [2, 1]))
        self.assertEqual(export.read_examples(path, {"gsm8k": [0], "sciq": [1, 0]}),
                         [("q", "ä"), ("p1", "r1"), ("p0", "r0")])
        with self.assertRaises(ValueError):
            export.write_pool(path, [("a", ["1"], ["p"], ["r"])])


class SettingsTest(unittest.TestCase):
    RAW = {"pool": "pool.h5", "scores": "", "model": "m", "lora_rank": "16", "lora_alpha": "16",
           "lora_dropout": "0.05", "lora_targets": "q_proj,v_proj", "learning_rate": "0.0003",
           "batch_size": "8", "warmup_steps": "10", "epochs": "1", "max_length": "256",
           "precision": "bf16", "temperature": "0.75", "eval_limit": "0"}

    def test_resolve_types(self):
        o = settings.resolve(self.RAW, settings.BACKEND_OPTIONS, "backend")
        self.assertEqual(o["lora_rank"], 16)
        self.assertEqual(o["lora_targets"], ["q_proj", "v_proj"])
        self.assertEqual(o["learning_rate"], 3e-4)
        self.assertEqual(o["precision"], "bf16")

    def test_resolve_rejects(self):
        for key, value, message in [("lora_rank", "0", "must be in 1..4096"), ("lora_rank", "x", "not an integer"),
                                    ("precision", "int8", "not one of"), ("lora_targets", "", "at least one"),
                                    ("temperature", "11", "must be in 0..10"), ("model", "", "must name")]:
            raw = dict(self.RAW, **{key: value})
            with self.assertRaises(settings.SettingsError) as caught:
                settings.resolve(raw, settings.BACKEND_OPTIONS, "backend")
            self.assertIn(message, str(caught.exception))
        with self.assertRaises(settings.SettingsError):
            settings.resolve(dict(self.RAW, extra="1"), settings.BACKEND_OPTIONS, "backend")
        raw = dict(self.RAW)
        del raw["model"]
        with self.assertRaises(settings.SettingsError):
            settings.resolve(raw, settings.BACKEND_OPTIONS, "backend")
        with self.assertRaises(settings.SettingsError):
            settings.check_benchmarks(["gsm8k", "mmlu"])

    def test_feedback_is_equal_weight_mean_of_signed_metrics(self):
        self.assertAlmostEqual(settings.feedback({"pubmedqa": 0.6, "headqa": 0.4}), 0.5)
        self.assertEqual(settings.feedback({"wikitext": 12.0}), -12.0)
        with self.assertRaises(ValueError):
            settings.feedback({})

    def test_metric_table_covers_the_paper(self):
        self.assertEqual(settings.BENCHMARKS["sciq"][1], "acc_norm,none")
        self.assertEqual(settings.BENCHMARKS["gsm8k"][1][0], "exact_match,strict-match")
        self.assertEqual(settings.BENCHMARKS["triviaqa"][1], "exact_match,remove_whitespace")
        self.assertEqual(settings.BENCHMARKS["truthfulqa"][:2], ("truthfulqa_gen", "bleu_acc,none"))


class FakeTokenizer:
    bos_token_id = 1
    eos_token_id = 2

    def encode(self, text, add_special_tokens=True):
        ids = [10 + len(word) for word in text.split()]
        return ([self.bos_token_id] if add_special_tokens else []) + ids


class TrainingDataTest(unittest.TestCase):
    def test_prompt_tokens_are_masked(self):
        ids, labels = train.tokenize_example(FakeTokenizer(), "a bb", " ccc dddd", 100)
        self.assertEqual(ids, [1, 11, 12, 13, 14, 2])
        self.assertEqual(labels, [-100, -100, -100, 13, 14, 2])

    def test_truncation_and_padding(self):
        ids, labels = train.tokenize_example(FakeTokenizer(), "a bb", " ccc dddd", 4)
        self.assertEqual(ids, [1, 11, 12, 13])
        self.assertEqual(labels, [-100, -100, -100, 13])
        batch, lab, mask = train.pad_batch([([1, 2, 3], [-100, 2, 3]), ([4], [4])], 0)
        self.assertEqual(batch, [[1, 2, 3], [4, 0, 0]])
        self.assertEqual(lab, [[-100, 2, 3], [4, -100, -100]])
        self.assertEqual(mask, [[1, 1, 1], [1, 0, 0]])

    def test_batches_cover_every_item_once(self):
        b = train.batches(21, 8, seed=5)
        self.assertEqual([len(x) for x in b], [8, 8, 5])
        self.assertEqual(sorted(i for x in b for i in x), list(range(21)))
        self.assertEqual(b, train.batches(21, 8, seed=5))
        self.assertNotEqual(b, train.batches(21, 8, seed=6))


class EvaluationTest(unittest.TestCase):
    def test_extract_metrics(self):
        results = {"results": {"pubmedqa": {"acc,none": 0.5}, "headqa_en": {"acc,none": 0.25, "acc_norm,none": 0.3}}}
        self.assertEqual(evaluate.extract_metrics(results, ["headqa", "pubmedqa"]), {"headqa": 0.25, "pubmedqa": 0.5})
        with self.assertRaises(KeyError):
            evaluate.extract_metrics(results, ["sciq"])
        older = {"results": {"gsm8k": {"exact_match,get-answer": 0.125}}}
        self.assertEqual(evaluate.extract_metrics(older, ["gsm8k"]), {"gsm8k": 0.125})

    def test_generation_arguments(self):
        self.assertEqual(evaluate.generation_arguments(0.75), "do_sample=True,temperature=0.75")
        self.assertEqual(evaluate.generation_arguments(0), "do_sample=False")


if __name__ == "__main__":
    unittest.main()
