"""Keep the code Jinja compiles from templates between runs, in a private cache.

cookiecutter compiles every file of a template, and every file name, on each
run; most of ``flaskproto new``'s own time went there. While ``compiled_cache()``
is active, the environments cookiecutter makes (``StrictEnvironment``, as its
``create_env_with_context`` makes them) keep what they compile in Jinja's
bytecode cache, file contents and names alike. The rendering is cookiecutter's
and Jinja's own: only the compiling is skipped when the same source was
compiled before in the same setting.

An entry is keyed by the source itself and by everything that shapes what it
compiles to (Jinja's version, the environment's settings, its extensions and
their code, its filters and tests), so an edited template, an edited local
extension or an upgraded Jinja never gets stale code. Compiled code is run
when it is loaded, so the cache is used only from a directory that this user
owns and nobody else can enter (mode 0700), opened once and checked; a cache
that cannot be made, read or written is left alone and rendering goes on
without it.

The directory is ``$FLASKPROTO_CACHE_DIR`` when set, else ``flaskproto`` in
``$XDG_CACHE_HOME``, or in ``~/.cache`` when that is unset or not absolute.
``FLASKPROTO_NO_CACHE=1`` turns the cache off.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import secrets
import stat
import sys
import weakref
from collections.abc import Iterator
from pathlib import Path
from types import CodeType
from typing import Any

import jinja2
from cookiecutter import utils as cookiecutter_utils
from cookiecutter.environment import StrictEnvironment
from jinja2.bccache import Bucket, BytecodeCache

CACHE_ENV = "FLASKPROTO_CACHE_DIR"
NO_CACHE_ENV = "FLASKPROTO_NO_CACHE"
#: How the file of an entry ends; its name is the entry's key.
SUFFIX = ".jinja"
#: What an environment's settings mean for the code it compiles; each is
#: part of an entry's key.
_SETTINGS = (
    "block_start_string",
    "block_end_string",
    "variable_start_string",
    "variable_end_string",
    "comment_start_string",
    "comment_end_string",
    "line_statement_prefix",
    "line_comment_prefix",
    "trim_blocks",
    "lstrip_blocks",
    "newline_sequence",
    "keep_trailing_newline",
    "optimized",
    "is_async",
)


def cache_dir() -> Path | None:
    """Return the cache directory flaskproto uses, or None when it is turned off."""
    if os.environ.get(NO_CACHE_ENV, "") not in ("", "0"):
        return None
    pointed = os.environ.get(CACHE_ENV)
    if pointed:
        return Path(os.path.abspath(os.path.expanduser(pointed)))
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "flaskproto"


class CompiledCache(BytecodeCache):
    """Jinja's bytecode cache in one private directory, opened once and checked.

    Every file is opened relative to the directory's descriptor, so a
    directory swapped in after the check is never read. Failing to read or to
    write an entry is not an error: the template is compiled as without a
    cache. What was loaded or compiled is also kept in memory for the process.
    """

    def __init__(self, directory_fd: int) -> None:
        self._fd = directory_fd
        self._memory: dict[str, CodeType] = {}
        self._fingerprints: weakref.WeakKeyDictionary[jinja2.Environment, str | None]
        self._fingerprints = weakref.WeakKeyDictionary()

    @classmethod
    def open(cls, directory: Path) -> CompiledCache | None:
        """Return the cache in ``directory``, made if missing, or None if unsafe.

        None when it cannot be made or opened, is not a directory of this
        user's, or others may read or write it.
        """
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
            fd = os.open(directory, flags)
        except OSError:
            return None
        try:
            info = os.fstat(fd)
        except OSError:
            info = None
        if info is None or not _private(info):
            os.close(fd)
            return None
        return cls(fd)

    def close(self) -> None:
        """Close the directory; the cache is not used afterwards."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def get_bucket(
        self,
        environment: jinja2.Environment,
        name: str,
        filename: str | None,
        source: str,
    ) -> Bucket:
        """Return the bucket of ``source`` compiled by ``environment``, loaded."""
        fingerprint = self._fingerprint(environment)
        key = ""
        if fingerprint is not None:
            digest = hashlib.sha256(fingerprint.encode())
            for part in (name, filename or "", source):
                digest.update(b"\0" + part.encode("utf-8", "surrogatepass"))
            key = digest.hexdigest()
        bucket = Bucket(environment, key, self.get_source_checksum(source))
        if key:
            self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: Bucket) -> None:
        """Fill ``bucket`` from memory or from its file, if either has it."""
        code = self._memory.get(bucket.key)
        if code is not None:
            bucket.code = code
            return
        try:
            fd = os.open(
                bucket.key + SUFFIX,
                os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC,
                dir_fd=self._fd,
            )
        except OSError:
            return
        try:
            with open(fd, "rb") as file:
                bucket.load_bytecode(file)
        except Exception:  # a damaged entry: compiled again and replaced
            bucket.reset()
        if bucket.code is not None:
            self._memory[bucket.key] = bucket.code

    def dump_bytecode(self, bucket: Bucket) -> None:
        """Write ``bucket`` to its file, whole or not at all; never raise OSError."""
        if not bucket.key or bucket.code is None:
            return
        self._memory[bucket.key] = bucket.code
        final = bucket.key + SUFFIX
        partial = f".{final}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(
                partial,
                os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                0o600,
                dir_fd=self._fd,
            )
        except OSError:
            return  # a read-only or full disk: no cache this time
        try:
            with open(fd, "wb") as file:
                bucket.write_bytecode(file)
            os.replace(partial, final, src_dir_fd=self._fd, dst_dir_fd=self._fd)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(partial, dir_fd=self._fd)

    def clear(self) -> None:
        """Remove every entry of the cache."""
        self._memory.clear()
        with contextlib.suppress(OSError):
            for entry in os.listdir(self._fd):
                if entry.endswith((SUFFIX, ".tmp")):
                    with contextlib.suppress(OSError):
                        os.unlink(entry, dir_fd=self._fd)

    def _fingerprint(self, environment: jinja2.Environment) -> str | None:
        if environment not in self._fingerprints:
            self._fingerprints[environment] = fingerprint(environment)
        return self._fingerprints[environment]


def fingerprint(environment: jinja2.Environment) -> str | None:
    """Return what shapes the code ``environment`` compiles, or None if unknown.

    Jinja's and Python's versions, the lexer and compiler settings, each
    extension with the source of its module, and the filters and tests with
    what they are passed. An autoescape or finalize function is code the
    fingerprint cannot see into: such an environment is not cached.
    """
    if not isinstance(environment.autoescape, bool) or environment.finalize:
        return None
    parts = [
        jinja2.__version__,
        sys.implementation.cache_tag or "",
        str(marshal.version),
    ]
    parts += [f"{name}={getattr(environment, name)!r}" for name in _SETTINGS]
    for extension in sorted(environment.extensions):
        module = sys.modules.get(type(environment.extensions[extension]).__module__)
        path = getattr(module, "__file__", None)
        if not path:
            return None
        try:
            code = Path(path).read_bytes()
        except OSError:
            return None
        parts.append(f"{extension}:{hashlib.sha256(code).hexdigest()}")
    for kind, functions in (
        ("filter", environment.filters),
        ("test", environment.tests),
    ):
        for name in sorted(functions):
            passed = getattr(functions[name], "jinja_pass_arg", None)
            parts.append(f"{kind}:{name}:{passed}")
    return "\n".join(parts)


def _private(info: os.stat_result) -> bool:
    """Whether a directory is this user's alone: owned by them, mode 0700 or less."""
    return (
        stat.S_ISDIR(info.st_mode)
        and info.st_uid == os.geteuid()
        and info.st_mode & 0o077 == 0
    )


class CachingEnvironment(StrictEnvironment):
    """cookiecutter's StrictEnvironment that keeps file names compiled too.

    Jinja consults ``bytecode_cache`` for the templates its loader loads;
    ``from_string``, which cookiecutter renders every file and directory name
    and every default with, is given the same cache the same way, but for
    absolute paths.
    """

    def from_string(
        self,
        source: str | jinja2.nodes.Template,
        globals: dict[str, Any] | None = None,
        template_class: type[jinja2.Template] | None = None,
    ) -> jinja2.Template:
        cache = self.bytecode_cache
        # cookiecutter renders directory names joined to the output directory,
        # a new one each run: kept, they would only fill the cache.
        if cache is None or not isinstance(source, str) or os.path.isabs(source):
            return super().from_string(source, globals, template_class)
        bucket = cache.get_bucket(self, "<string>", None, source)
        if bucket.code is None:
            bucket.code = self.compile(source)
            cache.set_bucket(bucket)
        cls = template_class or self.template_class
        return cls.from_code(self, bucket.code, self.make_globals(globals), None)


_active: list[CompiledCache] = []


@contextlib.contextmanager
def compiled_cache() -> Iterator[CompiledCache | None]:
    """Keep what cookiecutter's environments compile in the cache meanwhile.

    Yields the cache, or None when it is turned off or cannot be used. Nested
    uses share the outer one. cookiecutter makes its environments with
    ``cookiecutter.utils.StrictEnvironment``; meanwhile that name is the
    caching subclass, so two renders must not overlap in threads.
    """
    if _active:
        yield _active[-1]
        return
    directory = cache_dir()
    cache = None if directory is None else CompiledCache.open(directory)
    if cache is None:
        yield None
        return

    def caching(**kwargs: Any) -> CachingEnvironment:
        return CachingEnvironment(bytecode_cache=cache, **kwargs)

    saved = cookiecutter_utils.StrictEnvironment
    cookiecutter_utils.StrictEnvironment = caching
    _active.append(cache)
    try:
        yield cache
    finally:
        _active.pop()
        cookiecutter_utils.StrictEnvironment = saved
        cache.close()
