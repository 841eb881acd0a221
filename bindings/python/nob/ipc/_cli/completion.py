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
    # The names of existing objects: only names nob accepts (at most {longest} bytes). The
    # globs expand in the pipeline's subshell, whatever the user's failglob and nullglob.
    local f
    {{
        shopt -u failglob; shopt -s nullglob
        for f in {shm}/* {mq}/*; do
            f=${{f##*/}}
            case $f in {prefixes}) f=${{f#*.}} ;; esac
            [[ $f =~ ^[A-Za-z0-9._-]+$ && ! $f =~ ^\.+$ ]] && (( ${{#f}} <= {longest} )) || continue
            printf '%s\n' "$f"
        done
    }} | LC_ALL=C sort -u
}}

_nob_sem() {{
    local cur=${{COMP_WORDS[COMP_CWORD]}} prev=${{COMP_WORDS[COMP_CWORD-1]}}
    local i at=0 cmd="" dashes=0 positionals=0
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${{COMP_WORDS[i]}} in -*) ;; *) cmd=${{COMP_WORDS[i]}}; at=$i; break ;; esac
    done
    COMPREPLY=()
    if [[ -z $cmd ]]; then
        COMPREPLY=($(compgen -W "{commands} --help --version" -- "$cur"))
        return 0
    fi
    local opts="" valued="" named=0
    case $cmd in
{cases}
    esac
    for ((i = at + 1; i < COMP_CWORD; i++)); do  # after a '--', or NAME then CMD (run's short form)
        if [[ ${{COMP_WORDS[i]}} == -- ]]; then
            dashes=1
        elif [[ " $valued " == *" ${{COMP_WORDS[i]}} "* ]]; then
            i=$((i + 1))
        elif [[ ${{COMP_WORDS[i]}} != -* ]]; then
            positionals=$((positionals + 1))
        fi
    done
    if [[ $cmd == run && ( $dashes == 1 || ( $positionals -ge 1 && $cur != -* ) ) ]]; then  # CMD, its arguments
        COMPREPLY=($(compgen -c -- "$cur"))
        return 0
    fi
    case " $valued " in
        *" $prev "*)
            [[ $prev == --kind ]] && COMPREPLY=($(compgen -W "{kinds}" -- "$cur"))
            [[ $prev == --prefix ]] && _nob_sem_offer_names "$cur"
            return 0 ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    elif [[ $named == 1 ]]; then
        _nob_sem_offer_names "$cur"
    fi
    return 0
}}

_nob_sem_offer_names() {{
    # Existing names that complete $1 (its leading '/' kept); one that starts with '-' is
    # offered with its '/', as {prog} takes it (a word that starts with '-' is an option).
    local slash="" i
    [[ $1 == /* ]] && slash=/
    COMPREPLY=($(compgen -P "$slash" -W "$(_nob_sem_names)" -- "${{1#/}}"))
    for i in "${{!COMPREPLY[@]}}"; do
        [[ ${{COMPREPLY[i]}} == -* ]] && COMPREPLY[i]=/${{COMPREPLY[i]}}
    done
}}
complete -F _nob_sem {prog}
"""


def script() -> str:
    """The bash completion script."""
    from nob import __version__
    from nob.ipc._cli.parser import build_parser, options, subcommands
    from nob.ipc._cli_native import MAX_NAME_LENGTH

    cases: List[str] = []
    parsers = subcommands(build_parser())
    for name, sub in parsers.items():
        every, valued = options(sub)
        cases.append(f"        {name}) opts=\"{' '.join(every)}\" valued=\"{' '.join(sorted(valued))}\""
                     f" named={1 if name in NAMED else 0} ;;")
    prefixes = "|".join(f"{KINDS[k].prefix.decode()}*" for k in ("plain", "robust"))
    return TEMPLATE.format(prog=PROG, version=__version__, shm=SHM_DIR, mq=MQ_DIR, prefixes=prefixes,
                           longest=MAX_NAME_LENGTH, commands=" ".join(parsers), cases="\n".join(cases),
                           kinds=" ".join(KIND_WORDS))


def cmd_completion(args: argparse.Namespace) -> int:
    """nob-sem completion [bash]: prints the script."""
    print(script(), end="")
    return Exit.OK
