"""Export targets and writers, Qt-free: GIF (Pillow), MP4 (imageio-ffmpeg's ffmpeg), PNG, scene JSON.

Everything that can be refused is refused before any frame is rendered (`ExportTarget.check`):
a name of the wrong kind, a folder, a missing or unwritable folder, a missing encoder, too many
frames. Files are written to a temporary file in the target folder and renamed into place only
when complete, so a failed or cancelled export leaves no half-written file (and any earlier file
of that name whole). Encoding follows napari-animation: imageio writers, one frame at a time.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .safe_io import FileRefused, check_output_path, write_atomic

KINDS = {"gif": ".gif", "mp4": ".mp4", "png": ".png", "scene": ".json"}
MAX_FPS = {"gif": 50, "mp4": 60}
"""GIF delays are whole hundredths of a second and players slow anything under 20 ms down."""
MAX_FRAMES = 5000
MAX_GIF_BYTES = 1 << 30
"""Pillow holds every GIF frame in memory until it writes the file."""
MIN_SIDE, MAX_SIDE = 64, 4096
DEFAULT_SIZE = (960, 540)


class ExportError(ValueError):
    """An export that cannot be done, said in words (the CLI prints it as one line, exit 2)."""


class ExportCancelled(Exception):
    """The user cancelled; nothing was written."""


def encoder_problem(kind: str) -> str | None:
    """Why `kind` cannot be encoded here, or None."""
    if kind == "gif":
        try:
            import PIL  # noqa: F401
        except ImportError:
            return "GIF export needs Pillow (pip install pillow)"
    if kind in ("gif", "mp4"):
        try:
            import imageio  # noqa: F401
        except ImportError:
            return f"{kind.upper()} export needs imageio (pip install imageio)"
    if kind == "mp4":
        try:
            import imageio_ffmpeg
        except ImportError:
            return "MP4 export needs imageio-ffmpeg (pip install imageio-ffmpeg), which carries ffmpeg"
        try:
            executable = imageio_ffmpeg.get_ffmpeg_exe()
        except RuntimeError as error:
            return f"MP4 export needs ffmpeg, and imageio-ffmpeg found none: {error}"
        if not os.access(executable, os.X_OK):
            return f"MP4 export needs ffmpeg, and {executable} cannot be run"
    return None


def parse_size(text: str) -> tuple[int, int]:
    """'960x540' → (960, 540): width × height, each within MIN_SIDE…MAX_SIDE."""
    match = re.fullmatch(r"\s*(\d+)\s*[x×,]\s*(\d+)\s*", str(text))
    if not match:
        raise ExportError(f"--size must be WIDTHxHEIGHT in pixels, like 960x540 (got {text!r})")
    width, height = int(match.group(1)), int(match.group(2))
    for name, value in (("width", width), ("height", height)):
        if not MIN_SIDE <= value <= MAX_SIDE:
            raise ExportError(f"--size {name} {value} is outside {MIN_SIDE}…{MAX_SIDE} pixels")
    return width, height


def parse_steps(text: str | None, steps: int) -> range:
    """'A:B' → the steps A to B, both included, counted from 1 as the window and --step count
    them ('5:' from 5 to the last, ':10' the first ten, '7' only step 7); None: every step.
    Returned as 0-based indices (Session.step)."""
    if text is None:
        return range(steps)
    match = re.fullmatch(r"\s*(\d*)\s*(:?)\s*(\d*)\s*", str(text))
    if not match or not (match.group(1) or match.group(3)) or (not match.group(2) and match.group(3)):
        raise ExportError(f"--steps must be A:B (first and last step, counted from 1), like 1:10, 5: or :8 "
                          f"(got {text!r})")
    first = int(match.group(1)) if match.group(1) else 1
    last = int(match.group(3)) if match.group(3) else (steps if match.group(2) else first)
    if not 1 <= first <= last <= steps:
        raise ExportError(f"--steps {text.strip()} is not a range of this spec's steps 1–{steps} "
                          "(first at most last)")
    return range(first - 1, last)


@dataclass(frozen=True)
class ExportTarget:
    """Where an export goes and in what form; `check()` refuses, in words, what cannot be written."""

    path: Path
    kind: str

    @classmethod
    def of(cls, path, kind: str) -> ExportTarget:
        if kind not in KINDS:
            raise ExportError(f"cannot export as {kind!r}; choose one of {', '.join(KINDS)}")
        if path is None or not str(path).strip():
            raise ExportError(f"the {kind.upper()} export needs a file name")
        if "\0" in str(path):
            raise ExportError(f"cannot write {path!r}: a file name cannot hold a NUL character")
        return cls(Path(os.path.expanduser(str(path))), kind)

    def check(self, frames: int = 1, size: tuple[int, int] = DEFAULT_SIZE) -> None:
        """Everything that can be known before rendering; raises ExportError with the reason."""
        path, kind = self.path, self.kind
        suffix = KINDS[kind]
        try:
            check_output_path(path, f"{kind.upper()} export")
        except FileRefused as error:
            raise ExportError(str(error)) from None
        if path.suffix.lower() != suffix:
            raise ExportError(f"a {kind.upper()} export is written to a {suffix} file (got {path})")
        problem = encoder_problem(kind)
        if problem:
            raise ExportError(problem)
        if frames > MAX_FRAMES:
            raise ExportError(f"{frames} frames are too many for one export (at most {MAX_FRAMES}); "
                              "choose fewer with --steps A:B")
        if kind == "gif" and frames * size[0] * size[1] * 3 > MAX_GIF_BYTES:
            raise ExportError(f"{frames} frames of {size[0]}×{size[1]} are too much for a GIF "
                              f"(at most {MAX_GIF_BYTES >> 20} MiB of frames); choose fewer with --steps "
                              "or a smaller --size")

    @property
    def real_path(self) -> Path:
        """Where the file lands: a symlink is followed, so it stays a link to the new file."""
        return Path(os.path.realpath(self.path))

    def temporary_path(self) -> Path:
        """A hidden name in the target's folder, with the real suffix (ffmpeg picks the container by it)."""
        real = self.real_path
        return real.with_name(f".{real.stem}.{os.getpid()}.part{KINDS[self.kind]}")


class AtomicFile:
    """A temporary file beside `target.path`, renamed into place by `commit()`; `discard()` (or
    leaving a `with` block by an exception) removes it."""

    def __init__(self, target: ExportTarget):
        self.target = target
        self.temporary = target.temporary_path()
        try:
            self.temporary.touch()  # the real check that the folder takes a new file
        except OSError as error:
            raise ExportError(f"cannot write {target.path}: {error.strerror or error}") from None
        self.done = False

    def commit(self) -> Path:
        try:
            os.replace(self.temporary, self.target.real_path)
        except OSError as error:
            self.discard()
            raise ExportError(f"cannot write {self.target.path}: {error.strerror or error}") from None
        self.done = True
        return self.target.path

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            os.remove(self.temporary)

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        if not self.done:
            self.discard()
        return False


def write_bytes(target: ExportTarget, data: bytes) -> Path:
    """A whole file (PNG, scene JSON) written to `target`, atomically (safe_io.write_atomic)."""
    try:
        write_atomic(target.path, data, f"{target.kind.upper()} export")
    except FileRefused as error:
        raise ExportError(str(error)) from None
    return target.path


class AnimationWriter:
    """Frames (H, W, 3 uint8) appended one at a time to a GIF or MP4, renamed into place by
    `commit()`; `discard()` (or an exception in a `with` block) leaves no file behind."""

    def __init__(self, target: ExportTarget, fps: float):
        import imageio.v2 as imageio

        if target.kind not in MAX_FPS:
            raise ExportError(f"{target.kind.upper()} is not an animation format")
        self.target, self.fps = target, float(fps)
        self.frames = 0
        self._atomic = AtomicFile(target)
        path = str(self._atomic.temporary)
        try:
            if target.kind == "gif":
                self._writer = imageio.get_writer(path, format="GIF", mode="I", loop=0,
                                                  duration=round(1000.0 / self.fps))
            else:
                self._writer = imageio.get_writer(path, format="FFMPEG", mode="I", fps=self.fps, codec="libx264",
                                                  pixelformat="yuv420p", quality=8, macro_block_size=1)
        except Exception as error:
            self._atomic.discard()
            raise ExportError(f"cannot start the {target.kind.upper()} encoder: {error}") from None

    def append(self, frame: np.ndarray) -> None:
        frame = np.asarray(frame, dtype=np.uint8)
        if self.target.kind == "mp4":
            frame = even_sized(frame)
        self._writer.append_data(frame)
        self.frames += 1

    def commit(self) -> Path:
        try:
            self._writer.close()
        except Exception as error:
            self._atomic.discard()
            raise ExportError(f"the {self.target.kind.upper()} encoder failed: {error}") from None
        return self._atomic.commit()

    def discard(self) -> None:
        with contextlib.suppress(Exception):
            self._writer.close()
        self._atomic.discard()

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        if not self._atomic.done:
            self.discard()
        return False


def even_sized(frame: np.ndarray) -> np.ndarray:
    """H.264 in yuv420p needs even sides: drop a last odd row or column."""
    height, width = frame.shape[:2]
    return frame[: height - height % 2, : width - width % 2]
