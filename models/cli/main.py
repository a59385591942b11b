"""``cropstudio`` entry point: sub-command dispatch and the error policy.

Exit codes: 0 success; 2 a problem with the input (bad file, bad argument, constraints that
cannot be met), printed as one ``error:`` line; 1 an internal error (a bug), printed as one
line, with the traceback only under ``--debug``; 141 (as a shell reports SIGPIPE) when the
reader of the output left early (``| head``), silently.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import sys
from collections.abc import Sequence

from models import __version__
from models.cli import attention as attention_cmd
from models.cli import batch as batch_cmd
from models.cli import build_dataset as build_dataset_cmd
from models.cli import eval as eval_cmd
from models.cli import index as index_cmd
from models.cli import crop as crop_cmd
from models.cli import suggest as suggest_cmd
from models.cli import train as train_cmd
from models.cli import tune as tune_cmd
from models.errors import CropStudioError

log = logging.getLogger("cropstudio")

EXIT_INPUT = 2
EXIT_INTERNAL = 1
EXIT_PIPE = 141  # 128 + SIGPIPE, as a shell reports a writer whose reader left


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own usage errors: same format, exit 2
        self.print_usage(sys.stderr)
        self.exit(EXIT_INPUT, f"error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cropstudio", description="Aesthetic image cropping from the command line.")
    parser.add_argument("--version", action="version", version=f"cropstudio {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    parser.add_argument("--debug", action="store_true", help="log everything; show tracebacks of internal errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    attention_cmd.register(commands)
    eval_cmd.register(commands)
    tune_cmd.register(commands)
    crop_cmd.register(commands)
    train_cmd.register(commands)
    suggest_cmd.register(commands)
    batch_cmd.register(commands)
    index_cmd.register(commands)
    build_dataset_cmd.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(argv) if argv is not None else sys.argv[1:]  # recorded by commands that log their call
    level = logging.DEBUG if args.debug else logging.INFO if args.verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("optuna").setLevel(max(level, logging.WARNING))  # no line per trial
    if args.command is None:
        parser.print_help()
        return EXIT_INPUT
    try:
        code = int(args.run(args) or 0)
        sys.stdout.flush()  # a reader that left is found here, not in the interpreter's last flush
        return code
    except CropStudioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader left (``cropstudio ... | head``): not an error of ours
        _silence_stdout()
        return EXIT_PIPE
    except Exception as exc:  # a bug: one line for users, the traceback for --debug
        log.debug("internal error", exc_info=True)
        print(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)", file=sys.stderr)
        return EXIT_INTERNAL


def _silence_stdout() -> None:
    """Point stdout at the null device, so the interpreter's last flush of the output the
    reader left behind raises nothing (the recipe of Python's signal documentation)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):  # stdout is not a file (captured)
        pass


if __name__ == "__main__":
    sys.exit(main())
