"""ConvSpec: what the user asked for, frozen and validated on construction."""

from __future__ import annotations

import numbers
from dataclasses import dataclass, fields

from .axis import OPERATIONS, POOLING, Axis
from .errors import ConvSpecError

PADDING_WORDS = ("valid", "same", "full")
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
AXIS_NAMES = ("height", "width")
MAX_EXTENT = 2**20
"""Largest size, channel count, kernel, stride, dilation or pad convviz accepts: far past any
real layer, small enough that every derived per-axis array fits in memory."""


def _whole(value, field: str) -> int:
    """An integer from user input; bools, floats with fractions and strings are refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            try:
                as_float = float(value)
            except (OverflowError, ValueError):
                as_float = float("nan")
            if as_float.is_integer():
                return _within_limit(int(as_float), field)
        raise ConvSpecError(f"{field} must be a whole number (got {value!r})")
    return _within_limit(int(value), field)


def _within_limit(value: int, field: str) -> int:
    if value > MAX_EXTENT:
        raise ConvSpecError(f"{field} {value} is larger than convviz's limit of {MAX_EXTENT:,}")
    return value


def _pair(value, field: str) -> tuple[int, int]:
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise ConvSpecError(
                f"{field} takes one number or two (height, width); got {len(value)} values"
            )
        return (_whole(value[0], field), _whole(value[1], field))
    number = _whole(value, field)
    return (number, number)


def _normalise_padding(padding):
    if isinstance(padding, str):
        word = padding.strip().lower()
        if word not in PADDING_WORDS:
            raise ConvSpecError(
                f"padding {padding!r} is not one of {', '.join(PADDING_WORDS)}, "
                "a number, (height, width) or (top, bottom, left, right)"
            )
        return word
    if isinstance(padding, (list, tuple)):
        if len(padding) not in (2, 4):
            raise ConvSpecError(
                "padding takes one number, two (height, width) or four "
                f"(top, bottom, left, right); got {len(padding)} values"
            )
        values = tuple(_whole(value, "padding") for value in padding)
    else:
        values = (_whole(padding, "padding"),)
    for value in values:
        if value < 0:
            raise ConvSpecError(f"padding must not be negative (got {value})")
    if len(values) == 1:
        return (values[0], values[0])
    return values


def _axis_paddings(padding) -> tuple[object, object]:
    """The normalised padding split into (height, width) forms `Axis.padded_by` takes."""
    if isinstance(padding, str):
        return padding, padding
    if len(padding) == 2:
        return (padding[0], padding[0]), (padding[1], padding[1])
    return tuple(padding[:2]), tuple(padding[2:])


OPERATION_DEFAULTS = {"operation": "conv", "groups": 1, "output_padding": (0, 0), "ceil_mode": False,
                      "count_include_pad": True}
OPERATION_NAMES = {"conv": "convolution", "conv_transpose": "transposed convolution",
                   "max_pool": "max pooling", "avg_pool": "average pooling"}


def _operation(value) -> str:
    word = value.strip().lower() if isinstance(value, str) else value
    if word not in OPERATIONS:
        raise ConvSpecError(f"operation {value!r} is not one of {', '.join(OPERATIONS)}")
    return word


def _flag(value, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral) and value in (0, 1):
        return bool(value)
    raise ConvSpecError(f"{field} must be true or false (got {value!r})")


def _symmetric_pads(operation: str, padding) -> tuple[int, int]:
    """(height, width) padding of a transposed convolution or pooling: a number per axis, the same
    on both sides, as PyTorch takes it."""
    name = OPERATION_NAMES[operation]
    if padding == "valid":
        return 0, 0
    if isinstance(padding, str):
        raise ConvSpecError(f"{name} takes padding as numbers, not {padding!r} (as PyTorch)")
    if len(padding) == 4:
        top, bottom, left, right = padding
        if top != bottom or left != right:
            raise ConvSpecError(f"{name} pads both sides of an axis alike (as PyTorch); "
                                f"got top {top}, bottom {bottom}, left {left}, right {right}")
        return top, left
    return padding


def _operation_axes(spec: ConvSpec, kernel, stride, dilation) -> tuple[Axis, Axis]:
    """The (height, width) axes of a transposed convolution or pooling, from the user's numbers."""
    pads = _symmetric_pads(spec.operation, spec.padding)
    sizes = spec.input_shape[2:]
    if spec.operation == "conv_transpose":
        for name, extra, s, d in zip(AXIS_NAMES, spec.output_padding, stride, dilation):
            if extra >= s and extra >= d:
                raise ConvSpecError(f"output padding ({name}) {extra} must be smaller than the stride {s} "
                                    f"or the dilation {d} (as PyTorch)")
        return tuple(Axis.transposed(n, k, s, d, p, extra, name) for n, k, s, d, p, extra, name in zip(
            sizes, kernel, stride, dilation, pads, spec.output_padding, AXIS_NAMES))
    return tuple(Axis.pooling(spec.operation, n, k, s, d, p, spec.ceil_mode, name) for n, k, s, d, p, name in zip(
        sizes, kernel, stride, dilation, pads, AXIS_NAMES))


def _operation_problem(spec: ConvSpec) -> str | None:
    """Why the fields cannot go with the operation (PyTorch's refusals), or None."""
    name = OPERATION_NAMES[spec.operation]
    c, k, groups = spec.in_channels, spec.out_channels, spec.groups
    if spec.output_padding != (0, 0) and spec.operation != "conv_transpose":
        return f"output padding applies to transposed convolution only, not {name}"
    if spec.ceil_mode and spec.operation not in POOLING:
        return f"ceil mode applies to pooling only, not {name}"
    if not spec.count_include_pad and spec.operation != "avg_pool":
        return f"count_include_pad applies to average pooling only, not {name}"
    if spec.operation in POOLING:
        if groups != 1:
            return f"{name} has no groups (got {groups}); it pools each channel on its own"
        if k != c:
            return f"{name} keeps the channels: output channels must equal input channels {c} (got {k})"
        if spec.operation == "avg_pool" and spec.dilation != (1, 1):
            return "average pooling has no dilation (as PyTorch)"
    elif c % groups or k % groups:
        return (f"input channels {c} and output channels {k} must both be divisible by groups {groups}")
    if spec.operation != "conv" and spec.padding_mode != "zeros":
        return f"{name} pads with zeros only (as PyTorch); padding mode {spec.padding_mode!r} is not available"
    return None


def _empty_output(spec: ConvSpec, axes) -> str | None:
    empty = [axis for axis in axes if axis.output_size < 1]
    if not empty:
        return None
    axis = empty[0]
    return f"{OPERATION_NAMES[spec.operation]} output {axis.name} would be {axis.formula().rsplit('=', 1)[0].strip()} " \
           f"= {_signed_output(axis)}, less than 1"


def _signed_output(axis: Axis) -> int:
    """The output size the formula gives, negative included (Axis.output_size stops at 0)."""
    if axis.operation == "conv_transpose":
        return (axis.size - 1) * axis.upsample - 2 * axis.padding + axis.dilation * (axis.kernel - 1) \
            + axis.output_padding + 1
    return axis.output_size


def _geometry_problem(axes: tuple[Axis, Axis]) -> str | None:
    """Why padding or kernel cannot fit, in the user's terms, or None."""
    for axis in axes:
        problem = axis.padding_problem()
        if problem:
            return problem
    if all(axis.window_fits for axis in axes):
        return None
    padded = "×".join(str(axis.padded_size) for axis in axes)
    kernel_text = "×".join(str(axis.kernel) for axis in axes)
    dilations = [axis.dilation for axis in axes]
    dilated = dilations != [1, 1]
    if dilated:
        dilation_text = "dilation " + (str(dilations[0]) if len(set(dilations)) == 1 else "×".join(map(str, dilations)))
        reach_text = "×".join(str(axis.reach) for axis in axes)
        kernel_text = f"{reach_text} ({kernel_text}, {dilation_text})"
    return f"padded input {padded} is smaller than the {'dilated ' if dilated else ''}kernel {kernel_text}"



def _check_least(labelled_values, least: int = 1) -> None:
    """Refuse the first (label, value) under `least`, in the words the user typed it with."""
    for label, value in labelled_values:
        if value < least:
            rule = f"be at least {least}" if least else "not be negative"
            raise ConvSpecError(f"{label} must {rule} (got {value})")

@dataclass(frozen=True)
class ConvSpec:
    """A 2-D convolution as the user describes it (cross-correlation, NCHW).

    Sizes, strides and dilations are normalised to (height, width) pairs;
    `padding` to a word, (ph, pw) or (top, bottom, left, right). The per-axis
    geometry is resolved once, on construction, into `axes`; everything
    derived from it lives in `ConvPlan`.
    """

    input_shape: tuple[int, int, int, int]
    out_channels: int | None = None
    kernel_size: tuple[int, int] = (3, 3)
    stride: tuple[int, int] | None = None
    padding: object = "valid"
    dilation: tuple[int, int] = (1, 1)
    padding_mode: str = "zeros"
    operation: str = "conv"
    groups: int = 1
    output_padding: tuple[int, int] = (0, 0)
    ceil_mode: bool = False
    count_include_pad: bool = True

    def __post_init__(self):
        shape = self.input_shape
        if isinstance(shape, (str, bytes)) or not isinstance(shape, (list, tuple)):
            raise ConvSpecError(
                f"input_shape must be (batch, channels, height, width) (got {shape!r})"
            )
        if len(shape) != 4:
            raise ConvSpecError(
                f"input_shape must have 4 numbers (batch, channels, height, width); got {len(shape)}"
            )
        names = ("batch", "input channels", "input height", "input width")
        shape = tuple(_whole(value, name) for value, name in zip(shape, names))
        _check_least(zip(names, shape))
        operation = _operation(self.operation)
        pooling = operation in POOLING
        if self.out_channels is None:
            out_channels = shape[1] if pooling else 1
        else:
            out_channels = _whole(self.out_channels, "output channels")
        _check_least([("output channels", out_channels)])
        kernel = _pair(self.kernel_size, "kernel size")
        _check_least((f"kernel {axis}", value) for axis, value in zip(AXIS_NAMES, kernel))
        stride = _pair(self.stride, "stride") if self.stride is not None else (kernel if pooling else (1, 1))
        _check_least((f"stride ({axis})", value) for axis, value in zip(AXIS_NAMES, stride))
        dilation = _pair(self.dilation, "dilation")
        _check_least((f"dilation ({axis})", value) for axis, value in zip(AXIS_NAMES, dilation))
        mode = self.padding_mode
        if not isinstance(mode, str) or mode.strip().lower() not in PADDING_MODES:
            raise ConvSpecError(
                f"padding mode {mode!r} is not one of {', '.join(PADDING_MODES)}"
            )
        groups = _whole(self.groups, "groups")
        _check_least([("groups", groups)])
        output_padding = _pair(self.output_padding, "output padding")
        _check_least(((f"output padding ({axis})", value) for axis, value in zip(AXIS_NAMES, output_padding)), 0)
        object.__setattr__(self, "operation", operation)
        object.__setattr__(self, "groups", groups)
        object.__setattr__(self, "output_padding", output_padding)
        object.__setattr__(self, "ceil_mode", _flag(self.ceil_mode, "ceil mode"))
        object.__setattr__(self, "count_include_pad", _flag(self.count_include_pad, "count_include_pad"))
        object.__setattr__(self, "input_shape", shape)
        object.__setattr__(self, "out_channels", out_channels)
        object.__setattr__(self, "kernel_size", kernel)
        object.__setattr__(self, "stride", stride)
        object.__setattr__(self, "dilation", dilation)
        object.__setattr__(self, "padding", _normalise_padding(self.padding))
        object.__setattr__(self, "padding_mode", mode.strip().lower())
        problem = _operation_problem(self)
        if problem:
            raise ConvSpecError(problem)
        if operation == "conv":
            axes = tuple(
                Axis.padded_by(padding, size, k, s, d, self.padding_mode, name)
                for padding, size, k, s, d, name in zip(
                    _axis_paddings(self.padding), shape[2:], kernel, stride, dilation, AXIS_NAMES
                )
            )
            problem = _geometry_problem(axes)
        else:
            axes = _operation_axes(self, kernel, stride, dilation)
            problem = next(filter(None, (axis.padding_problem() for axis in axes)), None)
            problem = problem or _empty_output(self, axes)
        if problem:
            raise ConvSpecError(problem)
        object.__setattr__(self, "_axes", axes)

    @property
    def axes(self) -> tuple[Axis, Axis]:
        """The (height, width) axes: pads resolved, validated. Not a field: no part of equality or to_dict."""
        return self._axes

    @property
    def batch(self) -> int:
        return self.input_shape[0]

    @property
    def in_channels(self) -> int:
        return self.input_shape[1]

    @property
    def input_size(self) -> tuple[int, int]:
        return self.input_shape[2], self.input_shape[3]

    @property
    def is_pooling(self) -> bool:
        return self.operation in POOLING

    @property
    def weight_shape(self) -> tuple[int, int, int, int] | None:
        """PyTorch's: (K, C/groups, kh, kw) for convolution, (C, K/groups, kh, kw) for transposed
        convolution, None for pooling (it has no weights)."""
        if self.is_pooling:
            return None
        if self.operation == "conv_transpose":
            return (self.in_channels, self.out_channels // self.groups, *self.kernel_size)
        return (self.out_channels, self.in_channels // self.groups, *self.kernel_size)

    def replace(self, **changes) -> ConvSpec:
        """A new, validated spec with some fields changed."""
        values = self.to_dict()
        values.update(changes)
        return ConvSpec(**values)

    def to_dict(self) -> dict:
        """Plain JSON-ready values, the same field names the constructor takes. The operation's
        fields are left out while they are at their defaults, so a convolution's spec file reads
        as it always has."""
        values = {}
        for spec_field in fields(self):
            value = getattr(self, spec_field.name)
            if spec_field.name in OPERATION_DEFAULTS and value == OPERATION_DEFAULTS[spec_field.name]:
                continue
            values[spec_field.name] = list(value) if isinstance(value, tuple) else value
        return values

    @classmethod
    def from_dict(cls, values: dict) -> ConvSpec:
        if not isinstance(values, dict):
            raise ConvSpecError(f"a spec must be a JSON object of fields (got {type(values).__name__})")
        known = {spec_field.name for spec_field in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConvSpecError(
                f"unknown spec field {unknown[0]!r}; known fields are {', '.join(sorted(known))}"
            )
        if "input_shape" not in values:
            raise ConvSpecError("a spec needs input_shape (batch, channels, height, width)")
        return cls(**values)

    def describe(self) -> str:
        n, c, h, w = self.input_shape
        kh, kw = self.kernel_size
        padding = self.padding if isinstance(self.padding, str) else "p" + ",".join(map(str, self.padding))
        text = f"{n}×{c}×{h}×{w} → {self.out_channels} k{kh}×{kw} s{self.stride[0]},{self.stride[1]} {padding}"
        if self.dilation != (1, 1):
            text += f" d{self.dilation[0]},{self.dilation[1]}"
        if self.padding_mode != "zeros":
            text += f" {self.padding_mode}"
        if self.groups != 1:
            text += f" g{self.groups}"
        if self.output_padding != (0, 0):
            text += f" op{self.output_padding[0]},{self.output_padding[1]}"
        if self.ceil_mode:
            text += " ceil"
        if not self.count_include_pad:
            text += " pad-uncounted"
        if self.operation != "conv":
            text = f"{self.operation} {text}"
        return text
