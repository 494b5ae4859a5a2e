"""Compile a kernel variant with NVRTC through the NVIDIA Python bindings: no GPU, no driver.

CuPy cannot do this (its compile path asks the device for its architecture), so the compile
test uses `cuda.bindings.nvrtc` directly and reads ptxas's resource report from the log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

_FUNCTION = re.compile(r"Function properties for (\w+)")
_SPILLS = re.compile(r"(\d+) bytes spill stores, (\d+) bytes spill loads")
_STACK = re.compile(r"(\d+) bytes stack frame")
_REGISTERS = re.compile(r"Used (\d+) registers")
_SHARED = re.compile(r"(\d+) bytes smem")
_CONSTANT = re.compile(r"(\d+) bytes cmem\[3\]")


@cache
def nvrtc_module():
    """`cuda.bindings.nvrtc`, or None with the reason it cannot be used."""
    try:
        from cuda.bindings import nvrtc
    except ImportError as error:
        return None, f"cuda-bindings is not installed ({error})"
    try:
        result, *_ = nvrtc.nvrtcVersion()
    except Exception as error:
        return None, f"libnvrtc could not be loaded ({error})"
    if result != nvrtc.nvrtcResult.NVRTC_SUCCESS:
        return None, f"libnvrtc could not be loaded ({result})"
    return nvrtc, ""


@dataclass(frozen=True)
class Resources:
    """What ptxas reported for one kernel."""

    registers: int
    shared_bytes: int
    constant_bytes: int
    stack_bytes: int
    spill_stores: int
    spill_loads: int


class CompileError(RuntimeError):
    pass


def _check(nvrtc, result, what: str, program=None):
    if result != nvrtc.nvrtcResult.NVRTC_SUCCESS:
        log = _log(nvrtc, program) if program is not None else ""
        raise CompileError(f"{what} failed: {result}\n{log}")


def _log(nvrtc, program) -> str:
    result, size = nvrtc.nvrtcGetProgramLogSize(program)
    buffer = b" " * size
    nvrtc.nvrtcGetProgramLog(program, buffer)
    return buffer.decode(errors="replace").rstrip("\x00 \n")


@dataclass(frozen=True)
class Build:
    """One NVRTC build for a real architecture: ptxas's log, and the PTX NVVM handed to ptxas."""

    log: str
    ptx: str


def compile_variant(nvrtc, source: str, options: tuple[str, ...], arch: str, name: str = "kernel.cu") -> Build:
    """Compile to a cubin for `arch` (e.g. "sm_90") with ptxas verbose; return the log and the PTX.

    The PTX is the same text `compile_ptx` makes for the matching compute_ architecture, so one
    build serves both the resource checks and the PTX checks.
    """
    result, program = nvrtc.nvrtcCreateProgram(source.encode(), name.encode(), 0, [], [])
    _check(nvrtc, result, "nvrtcCreateProgram")
    try:
        flags = [f"-arch={arch}", "--ptxas-options=-v", "-std=c++17", *options]
        encoded = [flag.encode() for flag in flags]
        (result,) = nvrtc.nvrtcCompileProgram(program, len(encoded), encoded)
        _check(nvrtc, result, f"compiling {name} for {arch}", program)
        return Build(_log(nvrtc, program), _ptx(nvrtc, program))
    finally:
        nvrtc.nvrtcDestroyProgram(program)


def _ptx(nvrtc, program) -> str:
    result, size = nvrtc.nvrtcGetPTXSize(program)
    _check(nvrtc, result, "nvrtcGetPTXSize")
    buffer = b" " * size
    (result,) = nvrtc.nvrtcGetPTX(program, buffer)
    _check(nvrtc, result, "nvrtcGetPTX")
    return buffer.decode(errors="replace").rstrip("\x00")


def compile_ptx(nvrtc, source: str, options: tuple[str, ...], arch: str = "compute_90", name: str = "kernel.cu") -> str:
    """The PTX NVRTC makes of `source`: what NVVM did to the code, before ptxas."""
    result, program = nvrtc.nvrtcCreateProgram(source.encode(), name.encode(), 0, [], [])
    _check(nvrtc, result, "nvrtcCreateProgram")
    try:
        encoded = [flag.encode() for flag in (f"-arch={arch}", "-std=c++17", *options)]
        (result,) = nvrtc.nvrtcCompileProgram(program, len(encoded), encoded)
        _check(nvrtc, result, f"compiling {name} to PTX", program)
        return _ptx(nvrtc, program)
    finally:
        nvrtc.nvrtcDestroyProgram(program)


def parse_resources(log: str) -> dict[str, Resources]:
    """ptxas's report per kernel function."""
    found: dict[str, Resources] = {}
    sections = _FUNCTION.split(log)
    for name, text in zip(sections[1::2], sections[2::2]):
        spills = _SPILLS.search(text)
        registers = _REGISTERS.search(text)
        shared = _SHARED.search(text)
        constant = _CONSTANT.search(log)
        stack = _STACK.search(text)
        found[name] = Resources(
            registers=int(registers.group(1)) if registers else 0,
            shared_bytes=int(shared.group(1)) if shared else 0,
            constant_bytes=int(constant.group(1)) if constant else 0,
            stack_bytes=int(stack.group(1)) if stack else 0,
            spill_stores=int(spills.group(1)) if spills else -1,
            spill_loads=int(spills.group(2)) if spills else -1,
        )
    return found
