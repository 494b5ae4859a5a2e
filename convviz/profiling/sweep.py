"""Sweeps: one parameter varied over values, records for each, and the GPU/CPU crossover."""

from __future__ import annotations

from ..core import ConvSpecError
from .events import Progress, Skipped, SweptValue, check_cancel, drive
from .records import Measurement
from .runner import profile_events

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


def sweep_events(spec, parameter, values, backends=None, dtype="float32", cancel=None, **profile_kwargs):
    """Profile `spec` with `parameter` set to each of `values`: a generator of profile_events'
    events, progress scaled to the whole sweep and prefixed with the value, records carrying
    sweep_parameter/value, and a SweptValue when each value is done; returns all the records.

    A value that makes the spec impossible (e.g. a kernel larger than the
    padded input) is passed over with a Progress message and a Skipped event. A backend
    skipped for the same reason at several values is reported once.
    """
    if parameter not in PARAMETERS:
        raise ConvSpecError(f"cannot sweep {parameter!r}; choose one of {', '.join(PARAMETERS)}")
    values = list(values)
    reported: set = set()
    records = []
    for index, value in enumerate(values):
        check_cancel(cancel, "sweep cancelled")
        try:
            varied = vary(spec, parameter, value)
        except ConvSpecError as error:
            yield Progress(index, len(values), f"{parameter} {value}: skipped ({error})")
            yield Skipped(f"{parameter}={value}", str(error))
            yield SweptValue(parameter, int(value))
            continue
        events = profile_events(varied, backends=backends, dtype=dtype, cancel=cancel, **profile_kwargs)
        try:
            while True:
                try:
                    event = next(events)
                except StopIteration as end:
                    found = end.value
                    break
                except ConvSpecError as refusal:
                    # refused before it allocates (e.g. the memory guard): the values already timed
                    # stay, and this one is said, with why
                    found = []
                    yield Progress(index + 1, len(values), f"{parameter} {value}: refused ({refusal})")
                    yield Skipped(f"{parameter}={value}", f"refused: {refusal}")
                    break
                if isinstance(event, Progress):
                    fraction = event.done / event.total if event.total else 1.0
                    yield Progress(int(round((index + fraction) * 1000)), len(values) * 1000,
                                   f"{parameter} {value}: {event.message}")
                elif isinstance(event, Skipped):
                    key = (event.backend, event.algorithm, event.reason)
                    if key not in reported:
                        reported.add(key)
                        yield event
                else:
                    if isinstance(event, Measurement):
                        event.sweep_parameter, event.sweep_value = parameter, int(value)
                    yield event
        finally:
            events.close()
        records.extend(found)  # each was yielded, labelled with the value, as it was timed
        yield SweptValue(parameter, int(value), list(found))
    return records


def sweep(spec, parameter, values, backends=None, dtype="float32", progress=None, cancel=None,
          skipped=None, on_record=None, **profile_kwargs):
    """Profile `spec` with `parameter` set to each of `values`; records carry sweep_parameter/value.

    `sweep_events` with callbacks, as in `profile`: progress(done, total, message), a list
    `skipped` for the Skipped entries, on_record(measurement) for each record as it is timed.
    """
    events = sweep_events(spec, parameter, values, backends=backends, dtype=dtype, cancel=cancel, **profile_kwargs)
    return drive(events, progress=progress, skipped=skipped, on_record=on_record)


def crossover(records, gpu: str, cpu: str, kind: str = "end-to-end"):
    """The smallest swept value at which `gpu`'s fastest median beats `cpu`'s, for `kind`; None if never.

    Only records from a sweep (sweep_value set) that are correct and stable count
    (Measurement.trusted): a value where either side was unstable is not judged. Where a backend
    ran several algorithms, its fastest at each value stands for it.
    """
    best: dict[tuple[str, int], float] = {}
    for record in records:
        if record.sweep_value is None or record.kind != kind or not record.trusted:
            continue
        if record.backend not in (gpu, cpu):
            continue
        key = (record.backend, record.sweep_value)
        best[key] = min(best.get(key, float("inf")), record.median_ms)
    for value in sorted({value for _, value in best}):
        if (gpu, value) in best and (cpu, value) in best and best[(gpu, value)] < best[(cpu, value)]:
            return value
    return None
