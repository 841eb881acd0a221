"""nob-sem completion bash: a bash completion script, generated from the parser (its
subcommands, their options, which options take a value, the --kind words), that
completes existing names from /dev/shm and /dev/mqueue itself, without starting Python.

    source <(nob-sem completion bash)      # or save it in /etc/bash_completion.d/nob-sem
"""

import argparse
from typing import List

from nob.ipc._cli import PROG, Exit
from nob.ipc._cli.names import KIND_WORDS, KINDS, MQ_DIR, SHM_DIR

# Subcommands whose positional words are names of existing objects (`create` makes new ones).
NAMED = ("info", "holders", "post", "wait", "unlink", "run")

TEMPLATE = r"""# bash completion for {prog} (made by `{prog} completion bash`, nob.py {version})
_nob_sem_names() {{
    # The names of existing objects, as {prog} takes them: only names nob accepts.
    local f
    for f in {shm}/* {mq}/*; do
        [[ -e $f || -L $f ]] || continue
        f=${{f##*/}}
        case $f in {prefixes}) f=${{f#*.}} ;; esac
        [[ $f =~ ^[A-Za-z0-9._-]+$ && ! $f =~ ^\.+$ ]] && printf '%s\n' "$f"
    done | LC_ALL=C sort -u
}}

_nob_sem() {{
    local cur=${{COMP_WORDS[COMP_CWORD]}} prev=${{COMP_WORDS[COMP_CWORD-1]}}
    local i cmd="" dashes=0
    for ((i = 1; i < COMP_CWORD; i++)); do
        if [[ -z $cmd ]]; then
            case ${{COMP_WORDS[i]}} in -*) ;; *) cmd=${{COMP_WORDS[i]}} ;; esac
        elif [[ ${{COMP_WORDS[i]}} == -- ]]; then
            dashes=1
        fi
    done
    COMPREPLY=()
    if [[ -z $cmd ]]; then
        COMPREPLY=($(compgen -W "{commands} --help --version" -- "$cur"))
        return 0
    fi
    if [[ $cmd == run && $dashes == 1 ]]; then  # CMD and its arguments
        COMPREPLY=($(compgen -c -- "$cur"))
        return 0
    fi
    local opts="" valued="" named=0
    case $cmd in
{cases}
    esac
    case " $valued " in
        *" $prev "*)
            [[ $prev == --kind ]] && COMPREPLY=($(compgen -W "{kinds}" -- "$cur"))
            [[ $prev == --prefix ]] && COMPREPLY=($(compgen -W "$(_nob_sem_names)" -- "$cur"))
            return 0 ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    elif [[ $named == 1 ]]; then
        local slash=""
        [[ $cur == /* ]] && slash=/
        COMPREPLY=($(compgen -P "$slash" -W "$(_nob_sem_names)" -- "${{cur#/}}"))
    fi
    return 0
}}
complete -F _nob_sem {prog}
"""


def script() -> str:
    """The bash completion script."""
    from nob import __version__
    from nob.ipc._cli.parser import build_parser, options, subcommands

    cases: List[str] = []
    parsers = subcommands(build_parser())
    for name, sub in parsers.items():
        every, valued = options(sub)
        cases.append(f"        {name}) opts=\"{' '.join(every)}\" valued=\"{' '.join(sorted(valued))}\""
                     f" named={1 if name in NAMED else 0} ;;")
    prefixes = "|".join(f"{KINDS[k].prefix.decode()}*" for k in ("plain", "robust"))
    return TEMPLATE.format(prog=PROG, version=__version__, shm=SHM_DIR, mq=MQ_DIR, prefixes=prefixes,
                           commands=" ".join(parsers), cases="\n".join(cases), kinds=" ".join(KIND_WORDS))


def cmd_completion(args: argparse.Namespace) -> int:
    """nob-sem completion [bash]: prints the script."""
    print(script(), end="")
    return Exit.OK
