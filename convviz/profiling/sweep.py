"""Sweeps: one parameter varied over values, records for each, and the GPU/CPU crossover."""

from __future__ import annotations

from ..core import ConvSpecError
from .runner import Cancelled, profile

PARAMETERS = ("input-size", "channels", "kernel-size", "stride", "batch")


def vary(spec, parameter: str, value: int):
    """`spec` with one parameter set to `value`.

    input-size: height and width; channels: input and output channels both;
    kernel-size, stride: both axes; batch: the batch size.
    """
    value = int(value)
    n, c, h, w = spec.input_shape
    if parameter == "input-size":
        return spec.replace(input_shape=[n, c, value, value])
    if parameter == "channels":
        return spec.replace(input_shape=[n, value, h, w], out_channels=value)
    if parameter == "kernel-size":
        return spec.replace(kernel_size=[value, value])
    if parameter == "stride":
        return spec.replace(stride=[value, value])
    if parameter == "batch":
        return spec.replace(input_shape=[value, c, h, w])
    raise ConvSpecError(f"cannot sweep {parameter!r}; choose one of {', '.join(PARAMETERS)}")


def sweep_values(parameter: str, first: int, last: int) -> list[int]:
    """Default values from `first` to `last`: doubling for sizes, channels and batch; +1 for kernel and stride."""
    if first < 1 or last < first:
        raise ConvSpecError(f"a sweep needs 1 ≤ from ≤ to (got {first} to {last})")
    values, value = [], first
    while value <= last:
        values.append(value)
        value = value + 1 if parameter in ("kernel-size", "stride") else value * 2
    if values[-1] != last:
        values.append(last)
    return values


def sweep(spec, parameter, values, backends=None, dtype="float32", progress=None, cancel=None,
          skipped=None, **profile_kwargs):
    """Profile `spec` with `parameter` set to each of `values`; records carry sweep_parameter/value.

    A value that makes the spec impossible (e.g. a kernel larger than the
    padded input) is passed over with a progress message and a Skipped entry.
    """
    if parameter not in PARAMETERS:
        raise ConvSpecError(f"cannot sweep {parameter!r}; choose one of {', '.join(PARAMETERS)}")
    values = list(values)
    skipped = [] if skipped is None else skipped
    records = []
    for index, value in enumerate(values):
        if cancel is not None and cancel.is_set():
            raise Cancelled("sweep cancelled")
        try:
            varied = vary(spec, parameter, value)
        except ConvSpecError as error:
            if progress is not None:
                progress(index, len(values), f"{parameter} {value}: skipped ({error})")
            from .runner import Skipped

            skipped.append(Skipped(f"{parameter}={value}", str(error)))
            continue

        def inner(done, total, message, index=index, value=value):
            if progress is not None:
                fraction = done / total if total else 1.0
                scaled = int(round((index + fraction) * 1000))
                progress(scaled, len(values) * 1000, f"{parameter} {value}: {message}")

        found = profile(varied, backends=backends, dtype=dtype, progress=inner, cancel=cancel,
                        skipped=skipped if index == 0 else [], **profile_kwargs)
        for record in found:
            record.sweep_parameter, record.sweep_value = parameter, int(value)
        records.extend(found)
    return records


def crossover(records, gpu: str = "cupy", cpu: str = "numpy", kind: str = "end-to-end"):
    """The smallest swept value at which `gpu`'s fastest median beats `cpu`'s, for `kind`; None if never.

    Only records from a sweep (sweep_value set) count; where a backend ran
    several algorithms, its fastest at each value stands for it.
    """
    best: dict[tuple[str, int], float] = {}
    for record in records:
        if record.sweep_value is None or record.kind != kind or not record.correct:
            continue
        if record.backend not in (gpu, cpu):
            continue
        key = (record.backend, record.sweep_value)
        best[key] = min(best.get(key, float("inf")), record.median_ms)
    for value in sorted({value for _, value in best}):
        if (gpu, value) in best and (cpu, value) in best and best[(gpu, value)] < best[(cpu, value)]:
            return value
    return None
