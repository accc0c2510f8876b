"""Command line of duet_llm: `python3 -m duet_llm COMMAND ...` (see docs/llm.md)."""

import argparse
import sys

from . import __version__, export, protocol


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m duet_llm",
                                     description="The LLM worker of duet and its data tools.")
    parser.add_argument("--version", action="version", version="duet_llm " + __version__)
    commands = parser.add_subparsers(dest="command", required=True)

    w = commands.add_parser("worker", help="evaluate one job directory (started by duet's executors)")
    w.add_argument("job_dir")
    w.add_argument("--no-capture", action="store_true", help="keep stdout and stderr")
    w.add_argument("--fake", action="store_true",
                   help="replace training and evaluation by a deterministic stand-in (pipeline tests)")

    e = commands.add_parser("export-pool", help="export the nine training domains to a pool file")
    e.add_argument("--out", required=True, help="pool file to write (HDF5)")
    e.add_argument("--domains", nargs="+", choices=export.DOMAINS, help="domains (default: all nine)")
    e.add_argument("--max-items", type=int, default=0, help="items per domain at most (0: all)")
    e.add_argument("--cache-dir", help="Hugging Face datasets cache folder")

    s = commands.add_parser("influence", help="compute per-domain influence scores on LoRA gradients")
    s.add_argument("--pool", required=True, help="pool file")
    s.add_argument("--model", required=True, help="model id or folder")
    s.add_argument("--out", required=True, help="scores file to write (HDF5)")
    s.add_argument("--estimator", choices=("datainf", "lissa"), default="datainf")
    s.add_argument("--validation-share", type=float, default=0.1,
                   help="share of each domain held out to score against (default 0.1)")
    s.add_argument("--max-length", type=int, default=256)
    args = parser.parse_args(argv)

    if args.command == "worker":
        from . import worker

        return worker.run(args.job_dir, capture=not args.no_capture, fake=args.fake)
    if args.max_items < 0 if args.command == "export-pool" else False:
        parser.error("--max-items must be >= 0")
    if args.command == "export-pool":
        shaped = export.export(args.out, args.domains, args.max_items, args.cache_dir)
        for name, ids, _, _ in shaped:
            print("%s: %d items" % (name, len(ids)))
        return protocol.EXIT_OK
    if not 0 < args.validation_share < 1:
        parser.error("--validation-share must be between 0 and 1")
    from . import scores

    scores.compute(args.pool, args.model, args.out, args.estimator, args.validation_share, args.max_length)
    return protocol.EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
