"""The command line: one subcommand per action, argument types that check ranges before
anything runs (so no message ever names a Python parameter), `run`'s command cut off
before argparse sees it, and NAMEs that look like options refused. The option tables that
other code needs (which options take a value, for `run` and for completion) are read
from the parser itself."""

import argparse
import math
import re
from typing import Callable, Dict, List, NoReturn, Optional, Set, Tuple

from nob.ipc._cli import PROG, Exit, UsageError
from nob.ipc._cli.names import KIND_WORDS, refuse_option_like, safe_text

SEM_VALUE_MAX = 0x7FFFFFFF  # SEM_VALUE_MAX of Linux: nob.ipc.SEMAPHORE_VALUE_MAX
HOLD_MAX = 86400.0  # demo --hold: a day (time.sleep refuses what it cannot represent)

EXIT_CODES = (f"Exit codes: {Exit.OK} done, {Exit.TIMED_OUT} timed out / would block / busy, {Exit.USAGE} bad "
              f"usage, {Exit.NOT_FOUND} no such object, {Exit.EXISTS} already exists, {Exit.PERMISSION} permission "
              f"denied, {Exit.ERROR} other error, 128+N signal N; run: CMD's status.")


class _Parser(argparse.ArgumentParser):
    """argparse whose errors are one line, escaped, with nob-sem's one prefix, pointing at
    the --help of the subcommand that was given."""

    hint: Optional[str] = None  # the subcommand whose --help an error points at

    def error(self, message: str) -> NoReturn:
        # argparse quotes refused words as they are ("unrecognized arguments: ..."): escaped here
        where = self.hint or self.prog
        raise UsageError(f"{safe_text(message)} (see '{where} --help')")


# The spellings numbers may take: ASCII digits only. int() and float() would also take
# "1_000", " 7 ", fullwidth or Arabic-Indic digits, "nan" and "infinity".
_INTEGER = re.compile(r"[-+]?[0-9]+", re.ASCII)
_OCTAL = re.compile(r"(?:0[oO])?[0-7]+", re.ASCII)
_SECONDS = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|inf", re.ASCII)


def _count(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: an integer within low..high, in decimal digits."""

    def parse(text: str) -> int:
        if not _INTEGER.fullmatch(text):
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}")
        value = int(text, 10)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be within {low}..{high}: {text!r}")
        return value

    return parse


def _seconds(most: float = math.inf) -> Callable[[str], float]:
    """An argparse type: seconds, a decimal number within 0..most ('inf' waits forever,
    where `most` allows it)."""

    def parse(text: str) -> float:
        if not _SECONDS.fullmatch(text):
            raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}")
        value = float(text)
        if not 0 <= value <= most:
            within = ">= 0" if most == math.inf else f"within 0..{most:g}"
            raise argparse.ArgumentTypeError(f"must be a number {within}: {text!r}")
        return value

    return parse


def _mode(text: str) -> int:
    """An argparse type: permission bits in octal, '0600', '600' or '0o600'."""
    if not _OCTAL.fullmatch(text):
        raise argparse.ArgumentTypeError(f"not an octal mode: {text!r}")
    value = int(text[2:] if text[1:2] in ("o", "O") else text, 8)
    if not 0 <= value <= 0o777:
        raise argparse.ArgumentTypeError(f"must be within 0000..0777: {text!r}")
    return value


def _version() -> str:
    from nob import __version__

    return f"{PROG} (nob.py) {__version__}"


def _commands() -> Dict[str, Callable[[argparse.Namespace], int]]:
    """Each subcommand's function (imported when it runs)."""

    def lazy(module: str, name: str) -> Callable[[argparse.Namespace], int]:
        def call(args: argparse.Namespace) -> int:
            import importlib

            return int(getattr(importlib.import_module(f"nob.ipc._cli.{module}"), name)(args))

        return call

    return {"list": lazy("inspect", "cmd_list"), "info": lazy("inspect", "cmd_info"),
            "holders": lazy("inspect", "cmd_holders"), "create": lazy("changes", "cmd_create"),
            "post": lazy("changes", "cmd_post"), "wait": lazy("changes", "cmd_wait"),
            "unlink": lazy("changes", "cmd_unlink"), "run": lazy("run", "cmd_run"),
            "demo": lazy("run", "cmd_demo"), "completion": lazy("completion", "cmd_completion")}


def build_parser() -> argparse.ArgumentParser:
    """The nob-sem argument parser, one subcommand per action (`run`'s command is cut off by parse())."""
    from nob.ipc._cli_native import MAX_NAME_LENGTH

    p = _Parser(prog=PROG, allow_abbrev=False,
                description="List, inspect and clean up nob's named objects (semaphores, robust semaphores, "
                            "shared memory, message queues); create, post, wait on and run with semaphores.",
                epilog=f"Names: 1-{MAX_NAME_LENGTH} of [A-Za-z0-9._-], with or without the leading '/'; a name "
                       "that starts with '-' is written with its '/' (/-x) or after '--'. " + EXIT_CODES)
    p.add_argument("--version", action="version", version=_version())
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    functions = _commands()

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        c = sub.add_parser(name, help=help_text, description=help_text, allow_abbrev=False)
        c.set_defaults(func=functions[name])
        return c

    def raw_option(c: argparse.ArgumentParser) -> None:
        c.add_argument("--raw", action="store_true",
                       help="NAME is spelled as 'list' shows it (\\xNN escapes) and may hold any character "
                            "(names made by other libraries)")

    def kind_option(c: argparse.ArgumentParser, default: str) -> None:
        c.add_argument("--kind", action="append", choices=list(KIND_WORDS), metavar="KIND",
                       help=f"plain, robust, shm, mq, sem (plain and robust) or all; may be repeated "
                            f"(default: {default})")

    c = command("list", "List every named object: semaphores (plain /dev/shm/sem.*, robust /dev/shm/nob.*), "
                        "shared memory (/dev/shm/*) and message queues (/dev/mqueue/*).")
    c.add_argument("--json", action="store_true", help="print a JSON list of objects")
    kind_option(c, "all")

    c = command("info", "Show one object (the first kind that has one: robust, plain, shm, mq).")
    c.add_argument("name", metavar="NAME")
    c.add_argument("--json", action="store_true", help="print a JSON object")
    raw_option(c)
    g = c.add_mutually_exclusive_group()
    kind_option(g, "all")  # type: ignore[arg-type]
    g.add_argument("--plain", action="store_true", help="the plain semaphore (same as --kind plain)")
    g.add_argument("--robust", action="store_true", help="the robust semaphore (same as --kind robust)")

    c = command("holders", "List the live processes holding units of a robust semaphore.")
    c.add_argument("name", metavar="NAME")
    c.add_argument("--json", action="store_true", help="print a JSON list of {pid, units}")
    raw_option(c)

    c = command("create", "Create a plain semaphore that stays after the tool exits.")
    c.add_argument("name", metavar="NAME")
    c.add_argument("--value", type=_count(0, SEM_VALUE_MAX), default=1, metavar="N",
                   help=f"initial value, 0..{SEM_VALUE_MAX} (default 1)")
    c.add_argument("--mode", type=_mode, default=0o600, metavar="MODE", help="octal permissions (default 0600)")
    c.add_argument("--exist-ok", action="store_true", help="an existing semaphore is fine; leave it as it is")

    c = command("post", "Add N units to a plain semaphore, in one atomic add (waking up to N waiters).")
    c.add_argument("name", metavar="NAME")
    c.add_argument("-n", type=_count(1, SEM_VALUE_MAX), default=1, metavar="N", help="how many units (default 1)")

    c = command("wait", "Take one unit of a plain semaphore, waiting for it.")
    c.add_argument("name", metavar="NAME")
    c.add_argument("--timeout", type=_seconds(), default=None, metavar="SECONDS",
                   help="give up after this long, exit 1 (0 tries once; default: wait forever)")

    c = command("unlink", "Remove objects by NAME or by --prefix: semaphores of both kinds unless --kind says "
                          "otherwise, only your own unless --any-owner.")
    c.add_argument("names", metavar="NAME", nargs="*")
    c.add_argument("--prefix", metavar="PREFIX", help="every object whose name starts with PREFIX")
    kind_option(c, "sem")
    raw_option(c)
    c.add_argument("--any-owner", action="store_true", help="remove other users' objects too (as far as the "
                                                            "system lets you)")
    c.add_argument("--dry-run", action="store_true", help="print what would be removed; remove nothing")
    c.add_argument("-v", "--verbose", action="store_true", help="print each object removed")

    c = command("run", "Run CMD while holding one of K slots of NAME (like GNU parallel's sem) until CMD and "
                       "every process it started have ended; exit with CMD's status, 128+N if it died of signal N.")
    c.usage = (f"{PROG} run [-h] [--slots K] [--timeout SECONDS] [--mode MODE] [--plain | --robust] [--any-owner] "
               f"NAME -- CMD [ARG...]\n       {PROG} run NAME CMD [ARG...]")
    c.epilog = ("NAME must not start with '-' (write /-x). A robust NAME is created with K slots if it does not "
                "exist and goes away after the last run. The slot is held until CMD and every process it started "
                "have ended (run waits for them all, then exits with CMD's status); a robust slot outlives a "
                "SIGKILL of nob-sem while processes of the job that kept their descriptors live. Terminating "
                "signals sent to nob-sem reach each process of the job once.")
    c.add_argument("name", metavar="NAME")
    c.add_argument("--slots", type=_count(1, SEM_VALUE_MAX), default=1, metavar="K",
                   help="slots when this call creates NAME (default 1; robust: at most 65536); ignored if NAME "
                        "exists")
    c.add_argument("--timeout", type=_seconds(), default=None, metavar="SECONDS",
                   help="exit 1 without running CMD if no slot frees up in time")
    c.add_argument("--mode", type=_mode, default=0o600, metavar="MODE",
                   help="octal permissions when this call creates NAME (default 0600)")
    g = c.add_mutually_exclusive_group()
    g.add_argument("--plain", action="store_true",
                   help="use a plain POSIX semaphore (shared with sem_open users; a SIGKILL of nob-sem loses "
                        "its slot); default: robust, unless only a plain NAME exists")
    g.add_argument("--robust", action="store_true", help="use the robust semaphore even if a plain NAME exists")
    c.add_argument("--any-owner", action="store_true",
                   help="use NAME even when another user owns it (default: refuse, nothing runs)")

    c = command("demo", "Show several processes sharing one named semaphore as a pool of slots.")
    c.add_argument("--workers", type=_count(1, 1000), default=5, metavar="N", help="worker processes (default 5)")
    c.add_argument("--slots", type=_count(1, SEM_VALUE_MAX), default=2, metavar="K",
                   help="slots in the pool (default 2)")
    c.add_argument("--rounds", type=_count(1, 1000000), default=2, metavar="R",
                   help="turns each worker takes (default 2)")
    c.add_argument("--hold", type=_seconds(HOLD_MAX), default=0.25, metavar="SECONDS",
                   help=f"how long a slot is held (at most {HOLD_MAX:g} s)")
    c.add_argument("--name", default=None, metavar="NAME", help="semaphore name (default nob-demo-PID)")

    c = command("completion", "Print the bash completion script: source <(nob-sem completion bash).")
    c.add_argument("shell", nargs="?", choices=["bash"], default="bash", help="the shell (bash)")
    return p


def subcommands(parser: argparse.ArgumentParser) -> Dict[str, argparse.ArgumentParser]:
    """The parser of each subcommand."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def options(parser: argparse.ArgumentParser) -> Tuple[List[str], Set[str]]:
    """(every option string, those that take a value) of a parser."""
    every: List[str] = []
    valued: Set[str] = set()
    for action in parser._actions:
        every += action.option_strings
        if action.option_strings and action.nargs != 0:
            valued.update(action.option_strings)
    return every, valued


def _run_positionals(words: List[str], valued: Set[str]) -> List[int]:
    """Indices of the words of `run`'s own arguments that are not options or option values."""
    found, i = [], 0
    while i < len(words):
        if words[i] in valued:
            i += 2
            continue
        if not words[i].startswith("-"):
            found.append(i)
        i += 1
    return found


def split_run(rest: List[str], valued: Set[str]) -> Tuple[List[str], List[str]]:
    """(run's own arguments, the command) of the words after `run`.

    `run [OPTIONS] NAME [OPTIONS] -- CMD...`: NAME is the one word before the
    first '--' that is no option; a word where NAME belongs that starts with
    '-' is refused, so a NAME taken from untrusted input ('--help',
    '--mode=0666', '-x') is never read as an option. The short form `run NAME
    CMD...` takes no options: NAME is the first word and CMD the rest
    (a later '--' is CMD's).
    """
    missing = ("run: NAME is missing before '--'; a NAME that starts with '-' is written with "
               "its leading '/', e.g. /-x")
    if "--" in rest:
        cut = rest.index("--")
        names = _run_positionals(rest[:cut], valued)
        if not names:
            raise UsageError(missing)
        if len(names) == 1:
            return rest[:cut], rest[cut + 1:]
    elif not _run_positionals(rest, valued):
        return rest, []  # `run`, `run --help`: argparse answers
    if rest[0].startswith("-"):
        raise UsageError(f"run: with options, put '--' between NAME and the command "
                         f"(or drop the options: run NAME CMD); got {safe_text(rest[0])!r} first")
    if len(rest) > 1 and rest[1].startswith("-"):
        raise UsageError(f"run: put '--' before the command (options after NAME: {safe_text(rest[1])})")
    return rest[:1], rest[1:]


# Options that name objects by themselves: their value only as the next word, so that no
# single word where a NAME belongs ("$N" = "--prefix=j") can act on objects.
NAMING_OPTIONS = ("--prefix",)


def _refuse_glued(argv: List[str]) -> None:
    """UsageError for `--prefix=VALUE` (before any '--')."""
    for word in argv[:argv.index("--")] if "--" in argv else argv:
        for option in NAMING_OPTIONS:
            if word.startswith(option + "="):
                raise UsageError(f"{safe_text(word)!r}: write {option} PREFIX as two words (an option-looking NAME "
                                 f"is refused; a NAME that starts with '-' goes after '--' or with its '/')")


def parse(argv: List[str]) -> argparse.Namespace:
    """Parses argv, cutting `run`'s command off first; refuses names that look like options."""
    parser = build_parser()
    at = next((i for i, a in enumerate(argv) if not a.startswith("-")), None)
    if at is not None and argv[at] in subcommands(parser):
        parser.hint = f"{PROG} {argv[at]}"  # type: ignore[attr-defined]
    if at is None or argv[at] != "run":
        _refuse_glued(argv)
        args = parser.parse_args(argv)
        names = getattr(args, "names", None) or ([args.name] if getattr(args, "name", None) else [])
        if args.command not in ("demo", "completion"):
            refuse_option_like(names, argv)
        return args
    head, cmd = split_run(argv[at + 1:], options(subcommands(parser)["run"])[1])
    args = parser.parse_args(argv[:at + 1] + head)
    if args.name.startswith("-"):
        raise UsageError(f"run: NAME {safe_text(args.name)!r} looks like an option; write it as /{safe_text(args.name)}")
    args.cmd = cmd
    return args
