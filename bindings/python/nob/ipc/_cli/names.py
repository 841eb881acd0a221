"""Names and files: the four kinds and where their objects live, the spelling of file names
that any local user can choose (escaped for a terminal), and the checks of a NAME."""

import os
from typing import Dict, List, NamedTuple, Optional, Tuple

from nob.ipc._cli import UsageError

SHM_DIR = "/dev/shm"
MQ_DIR = "/dev/mqueue"


class Kind(NamedTuple):
    """One kind of object: where its file is, and what its file name adds to the NAME."""

    name: str  # as --kind and --json spell it
    what: str  # in messages: "a plain semaphore", ...
    directory: str
    prefix: bytes


KINDS: Dict[str, Kind] = {
    "plain": Kind("plain", "plain semaphore", SHM_DIR, b"sem."),  # glibc's sem_open: /dev/shm/sem.NAME
    "robust": Kind("robust", "robust semaphore", SHM_DIR, b"nob."),  # nob's RobustSemaphore: /dev/shm/nob.NAME
    "shm": Kind("shm", "shared memory object", SHM_DIR, b""),  # shm_open: /dev/shm/NAME
    "mq": Kind("mq", "message queue", MQ_DIR, b""),  # mq_open: /dev/mqueue/NAME (Linux's mqueue file system)
}
SEMAPHORES = ["robust", "plain"]  # the kinds of semaphore, in the order `info` shows them
KIND_WORDS = {"all": list(KINDS), "sem": SEMAPHORES, **{k: [k] for k in KINDS}}  # what --kind accepts


def classify(directory: str, file: bytes) -> Optional[Tuple[str, bytes]]:
    """(kind, the NAME's bytes) of a file in /dev/shm or /dev/mqueue. In /dev/shm, sem.* and
    nob.* are semaphores, nob~* their lock files (None: not an object of its own); every
    other file is a shared memory object (one made by shm_open
    with a name that starts with "sem." or "nob." looks like a semaphore: --kind shm
    reaches it by its full name). None for "." and "..", which name the directory itself
    and its parent, never an object."""
    if file in (b".", b".."):
        return None
    if directory == MQ_DIR:
        return "mq", file
    if file.startswith(b"nob~") and len(file) > 4:  # a robust semaphore's lock file, no object
        return None
    for kind in ("plain", "robust"):
        prefix = KINDS[kind].prefix
        if file.startswith(prefix) and len(file) > len(prefix):
            return kind, file[len(prefix):]
    return "shm", file


def file_of(kind: str, raw: bytes) -> bytes:
    """The file name (in its kind's directory) of the NAME's bytes."""
    return KINDS[kind].prefix + raw


def is_kind_of(kind: str, raw: bytes) -> bool:
    """True when the file of that kind and NAME is an object of that kind: a file is of one
    kind only, so /dev/shm/sem.x is the plain semaphore /x, never the shared memory /sem.x."""
    return classify(KINDS[kind].directory, file_of(kind, raw)) == (kind, raw)


def kinds_of(words: Optional[List[str]], default: List[str]) -> List[str]:
    """The kinds that --kind words name (in KINDS order), or `default`."""
    if not words:
        return list(default)
    chosen = {k for w in words for k in KIND_WORDS[w]}
    return [k for k in KINDS if k in chosen]


def escape(raw: bytes) -> str:
    """The printable spelling of a file name's bytes: every byte outside '!'..'~',
    and the backslash, becomes \\xNN. Names nob accepts are spelled as they are;
    no spelling holds a space, a control character or a non-ASCII character."""
    return "".join(chr(b) if 0x21 <= b <= 0x7E and b != 0x5C else f"\\x{b:02x}" for b in raw)


def safe_text(text: str) -> str:
    """Text for a terminal: every character outside printable ASCII becomes \\xNN (its bytes)."""
    return "".join(c if " " <= c <= "~" else escape(os.fsencode(c)) for c in text)


def unescape(spelling: str) -> bytes:
    """The bytes of a name spelled as `list` shows it (one leading '/' optional):
    the reverse of escape(). UsageError for a spelling no file name can have."""
    text = spelling[1:] if spelling.startswith("/") else spelling
    out = bytearray()
    i = 0
    while i < len(text):
        if text[i] == "\\":
            digits = text[i + 2:i + 4]
            if text[i + 1:i + 2] != "x" or len(digits) != 2 or not all(c in "0123456789abcdefABCDEF" for c in digits):
                raise UsageError(f"--raw name {safe_text(spelling)!r}: a backslash must start \\xNN")
            out.append(int(digits, 16))
            i += 4
        else:
            out += os.fsencode(text[i])
            i += 1
    raw = bytes(out)
    if not raw or b"/" in raw or b"\0" in raw or len(raw) > 255 - len(KINDS["plain"].prefix):
        raise UsageError(f"--raw name {safe_text(spelling)!r}: not a file name in {SHM_DIR}"
                         " (empty, too long, or holds '/' or NUL)")
    return raw


def library_text(text: str) -> str:
    """The library's text of an error for nob-sem's one prefix ("nob: " dropped), escaped."""
    return safe_text(text[len("nob: "):] if text.startswith("nob: ") else text)


def library_message(e: ValueError) -> str:
    """The text of the library's ValueError, as library_text."""
    return library_text(str(e))


def normalize(name: str) -> str:
    """The name with one leading '/', or UsageError when nob refuses it."""
    from nob.ipc import normalize_name

    try:
        return str(normalize_name(name))
    except ValueError as e:
        raise UsageError(library_message(e)) from None


def valid_name(raw: bytes) -> Optional[str]:
    """'/' + the name when nob accepts it, else None."""
    try:
        return normalize(raw.decode("ascii"))
    except (UnicodeDecodeError, UsageError):
        return None


def name_bytes(name: str, raw: bool) -> bytes:
    """The bytes of NAME: as `list` spells it with --raw, else a name nob accepts."""
    return unescape(name) if raw else normalize(name)[1:].encode("ascii")


def shown(raw: bytes) -> str:
    """How messages and tables show the NAME's bytes."""
    return "/" + escape(raw)


def refuse_option_like(names: List[str], argv: List[str]) -> None:
    """UsageError for a NAME that starts with '-' unless it came after '--'."""
    after = set(argv[argv.index("--") + 1:]) if "--" in argv else set()
    for name in names:
        if name.startswith("-") and name not in after:
            spelled = escape(os.fsencode(name))
            raise UsageError(f"{spelled} looks like an option; write a NAME that starts with '-' with its "
                             f"leading '/' (/{spelled}) or after '--'")


def owner(uid: int) -> str:
    """The user name of uid (escaped), or the number when it has none."""
    import pwd

    try:
        return escape(os.fsencode(pwd.getpwuid(uid).pw_name))
    except KeyError:
        return str(uid)


def directory_here(kind: str) -> bool:
    """True when the kind's directory exists: /dev/shm (Linux), /dev/mqueue (when mounted)."""
    return os.path.isdir(KINDS[kind].directory)


class Directory:
    """A descriptor of a kind's directory, so every file is reached by its name in it only."""

    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)

    def __enter__(self) -> int:
        return self.fd

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)
