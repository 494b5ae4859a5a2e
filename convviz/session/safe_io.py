"""Reads and writes that a hostile path cannot hang, exhaust or half-finish.

- `read_bytes_file` / `read_text_file` read only regular files (a FIFO, a device such as
  /dev/zero, a folder are refused by what they are, without waiting on them) and at most
  `limit` bytes.
- `write_atomic` writes beside the target and renames over it, following a symlink to the
  file it names, so a failure leaves the old file whole and a link stays a link.
- `check_output_path` says, before a long run, why a result could not be written there.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile

from ..core import ConvSpecError

MAX_SPEC_BYTES = 1 * 2**20
"""Largest spec or scene file read: a spec is a few hundred bytes."""


class FileRefused(ConvSpecError):
    """A file that cannot be read or written, with the reason in words."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


def read_bytes_file(path, what: str = "file", limit: int = MAX_SPEC_BYTES) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; anything else is refused in words."""
    try:
        name = os.fspath(path)
        if "\0" in str(name):
            raise ValueError
    except (TypeError, ValueError):
        raise FileRefused(f"cannot read {what} {path!r}: a file name cannot hold a NUL character") from None
    try:
        # O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever
        handle = os.open(name, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise FileRefused(f"cannot read {what} {name}: {_reason(error)}") from None
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused(f"cannot read {what} {name}: it is {_kind(info.st_mode)}, not a file")
        if info.st_size > limit:
            raise FileRefused(f"{what} {name} is {info.st_size:,} bytes; convviz reads at most {limit:,}")
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(handle, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:  # it grew while being read
            raise FileRefused(f"{what} {name} is over {limit:,} bytes; convviz reads at most {limit:,}")
        return b"".join(chunks)
    except OSError as error:
        raise FileRefused(f"cannot read {what} {name}: {_reason(error)}") from None
    finally:
        os.close(handle)


def read_text_file(path, what: str = "file", limit: int = MAX_SPEC_BYTES) -> str:
    """`read_bytes_file` as UTF-8 text."""
    data = read_bytes_file(path, what, limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise FileRefused(f"{what} {os.fspath(path)} is not UTF-8 text") from None


def check_output_path(path, what: str = "file") -> str:
    """The real path a result for `path` will be written to; refuses, in words, a path that
    cannot be written (missing or unwritable folder, a folder, a pipe or device) before any
    work is done."""
    try:
        name = os.fspath(path)
        if not name.strip() or "\0" in name:
            raise ValueError
    except (TypeError, ValueError):
        raise FileRefused(f"the {what} needs a file name (got {path!r})") from None
    real = os.path.realpath(name)
    folder = os.path.dirname(real) or "."
    if not os.path.isdir(folder):
        raise FileRefused(f"cannot write the {what} to {name}: the folder {folder} does not exist")
    with contextlib.suppress(FileNotFoundError):
        mode = os.stat(real).st_mode
        if not stat.S_ISREG(mode):
            raise FileRefused(f"cannot write the {what} to {name}: it is {_kind(mode)}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise FileRefused(f"cannot write the {what} to {name}: the folder {folder} is not writable")
    return real


def write_atomic(path, data: bytes | str, what: str = "file") -> str:
    """Write `data` to `path` whole or not at all: into a temporary file in the same folder as
    the real target (a symlink is followed, not replaced), synced, then renamed over it. Keeps
    an existing file's permissions. Returns the real path; raises FileRefused in words."""
    real = check_output_path(path, what)
    if isinstance(data, str):
        data = data.encode("utf-8")
    folder, base = os.path.split(real)
    try:
        mode = stat.S_IMODE(os.stat(real).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{base}.", suffix=".part", dir=folder)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, real)
        temporary = None
    except OSError as error:
        raise FileRefused(f"could not write the {what} to {os.fspath(path)}: {_reason(error)}") from None
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.remove(temporary)
    return real
