"""Framework code: the PyTorch or TensorFlow that computes exactly what a spec computes.

The pads come from the plan (the one geometry); each framework's own padding words are used
only where they give those same pads, and a comment says why explicit padding is used where
they cannot.
"""

from __future__ import annotations

import textwrap
from typing import NamedTuple

from ..core import ConvSpec, plan

FRAMEWORKS = ("pytorch", "tensorflow")
TORCH_PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}
"""F.pad's name for each convviz padding mode (Conv2d's padding_mode names are convviz's own)."""
TF_PAD_MODES = {"zeros": "CONSTANT", "reflect": "REFLECT"}
"""tf.pad modes that are convviz modes exactly; replicate by at most one equals SYMMETRIC."""


class FrameworkCode(NamedTuple):
    """`code` to paste; `problem` says (one line) why the framework cannot compute the spec, and
    then `code` is only comments saying so."""

    framework: str
    code: str
    problem: str | None = None


def framework_code(spec: ConvSpec, framework: str) -> FrameworkCode:
    if framework == "pytorch":
        return pytorch_code(spec)
    if framework == "tensorflow":
        return tensorflow_code(spec)
    raise ValueError(f"framework {framework!r} is not one of {', '.join(FRAMEWORKS)}")


def _tuple(values) -> str:
    return "(" + ", ".join(str(value) for value in values) + ")"


def _sides(pads) -> str:
    top, bottom, left, right = pads
    return f"top {top}, bottom {bottom}, left {left}, right {right}"


def _comment(text: str, indent: str = "") -> list[str]:
    """`text` as comment lines of at most 88 characters."""
    return textwrap.wrap(text, 88, initial_indent=indent + "# ", subsequent_indent=indent + "# ",
                         break_on_hyphens=False)


def _header(spec: ConvSpec, framework: str) -> list[str]:
    conv_plan = plan(spec)
    n, k, ho, wo = conv_plan.output_shape
    if spec.operation == "conv":
        mode = " (zeros padding)" if spec.padding_mode == "zeros" else " padding"
        pads = f"pads {_sides(conv_plan.pads)}"
    else:
        mode = ""
        height, width = (axis.padding for axis in spec.axes)
        pads = f"padding {height} top and bottom, {width} left and right"
    return [f"# {framework} for convviz's {spec.describe()}{mode}", f"# {pads}; output {n}×{k}×{ho}×{wo}"]


# PyTorch ----------------------------------------------------------------------------------------
def _torch_padding(spec: ConvSpec) -> tuple[str, str | None, list[str]]:
    """(Conv2d's padding argument, F.pad call or None, comment lines) for the spec's pads."""
    pads = plan(spec).pads
    top, bottom, left, right = pads
    word = spec.padding if isinstance(spec.padding, str) else None
    mode = spec.padding_mode
    strided = spec.stride != (1, 1)
    if not any(pads):
        notes = [f"no padding here, so the padding mode ({mode}) changes nothing"] if mode != "zeros" else []
        return ("'valid'" if word == "valid" else "0"), None, notes
    if word == "same" and not strided:
        notes = ["'same' at stride 1: PyTorch puts the odd padding pixel after, as TensorFlow does"
                 ] if (top != bottom or left != right) else []
        return "'same'", None, notes
    if top == bottom and left == right:
        notes = []
        if word == "same":
            notes = [f"PyTorch refuses padding='same' with stride > 1; TensorFlow's SAME pads are even "
                     f"here ({_sides(pads)}), so Conv2d takes them as numbers"]
        elif word == "full":
            notes = ["full padding: dilation·(kernel−1) on every side, so every overlap is a window"]
        return _tuple((top, left)), None, notes
    if word == "same":
        why = (f"PyTorch refuses padding='same' with stride > 1, and TensorFlow's SAME pads are uneven here "
               f"({_sides(pads)}: the odd pixel after), so F.pad pads first")
    else:
        why = (f"Conv2d pads both sides of an axis alike; these pads are uneven ({_sides(pads)}), "
               f"so F.pad pads first")
    pad_mode = TORCH_PAD_MODES[mode]
    mode_argument = "" if pad_mode == "constant" else f", mode={pad_mode!r}"
    call = f"F.pad(x, {_tuple((left, right, top, bottom))}{mode_argument})  # (left, right, top, bottom)"
    return "0", call, [why]


def torch_explicit_padding(spec: ConvSpec) -> str:
    """The spec's pads as PyTorch takes them: Conv2d's numbers, or F.pad first (the same choice the
    generated code makes)."""
    padding, call, _ = _torch_padding(spec)
    if call is None:
        mode = spec.padding_mode
        return f"padding={padding}" + ("" if mode == "zeros" else f", padding_mode='{mode}'")
    return call.split("  #")[0] + " then padding=0"


OPERATION_LAYERS = {"conv": "Conv2d", "conv_transpose": "ConvTranspose2d", "max_pool": "MaxPool2d",
                    "avg_pool": "AvgPool2d"}
WEIGHT_AXES = {"conv": "(out_channels, in_channels/groups, kernel height, kernel width)",
               "conv_transpose": "(in_channels, out_channels/groups, kernel height, kernel width)"}


def _layer_arguments(spec: ConvSpec, padding: str, pad_call: str | None) -> list[str]:
    """The keyword arguments of the spec's torch.nn layer."""
    operation = spec.operation
    kernel = [f"kernel_size={_tuple(spec.kernel_size)}", f"stride={_tuple(spec.stride)}"]
    if operation in ("max_pool", "avg_pool"):
        arguments = [*kernel, f"padding={padding}"]
        if operation == "max_pool":
            arguments.append(f"dilation={_tuple(spec.dilation)}")
        arguments.append(f"ceil_mode={spec.ceil_mode}")
        if operation == "avg_pool":
            arguments.append(f"count_include_pad={spec.count_include_pad}")
        return arguments
    arguments = [f"in_channels={spec.in_channels}", f"out_channels={spec.out_channels}", *kernel,
                 f"padding={padding}"]
    if operation == "conv_transpose":
        arguments.append(f"output_padding={_tuple(spec.output_padding)}")
    arguments.append(f"dilation={_tuple(spec.dilation)}")
    groups = spec.groups
    if groups != 1:
        arguments.append(f"groups={groups}")
    arguments.append("bias=False")
    if pad_call is None and padding not in ("0", "'valid'") and spec.padding_mode != "zeros":
        arguments.append(f"padding_mode={spec.padding_mode!r}")
    return arguments


def _operation_notes(spec: ConvSpec) -> list[str]:
    operation = spec.operation
    if operation == "conv_transpose":
        return ["transposed convolution as PyTorch defines it: output (n−1)·stride − 2·padding + "
                "dilation·(kernel−1) + output_padding + 1 per axis"]
    if operation == "max_pool":
        return ["max pooling: the padding never wins (PyTorch pads with −∞); no weights"]
    if operation == "avg_pool":
        counted = "counts the padding" if spec.count_include_pad else "counts only the input cells"
        return [f"average pooling: the mean {counted} of each window; no weights"]
    return []


def pytorch_code(spec: ConvSpec) -> FrameworkCode:
    """Self-contained Python defining `layer` (the torch.nn layer of the spec's operation, without
    bias: for convolution `layer.weight` is convviz's weight) and `forward(x)` (NCHW in, the
    spec's output out)."""
    conv_plan = plan(spec)
    operation = spec.operation
    if operation == "conv":
        padding, pad_call, notes = _torch_padding(spec)
    else:  # PyTorch's own padding numbers: the same on both sides of an axis, zeros
        padding, pad_call, notes = _tuple(axis.padding for axis in spec.axes), None, _operation_notes(spec)
    arguments = _layer_arguments(spec, padding, pad_call)
    split = len(arguments) // 2
    weight = ([f"# layer.weight: {_tuple(spec.weight_shape)} {WEIGHT_AXES[operation]}"]
              if operation in WEIGHT_AXES else [])
    lines = [
        *_header(spec, "PyTorch"),
        "import torch",
        *(["import torch.nn.functional as F"] if pad_call else []),
        "",
        *(line for note in notes for line in _comment(note)),
        f"layer = torch.nn.{OPERATION_LAYERS[operation]}(",
        "    " + ", ".join(arguments[:split]) + ",",
        "    " + ", ".join(arguments[split:]) + ",",
        ")",
        *weight,
        "",
        "",
        "def forward(x):",
        f'    """x: (N, C, H, W) {_tuple(spec.input_shape)} → {_tuple(conv_plan.output_shape)}."""',
        *([f"    x = {pad_call}"] if pad_call else []),
        "    return layer(x)",
    ]
    return FrameworkCode("pytorch", "\n".join(lines) + "\n")


# TensorFlow -------------------------------------------------------------------------------------
TF_OPERATION_GAPS = {
    "conv_transpose": "transposed convolution (tf.nn.conv2d_transpose takes an output shape and SAME or "
                      "VALID, not PyTorch's padding and output_padding)",
    "max_pool": "max pooling (tf.nn.max_pool2d pads SAME or VALID only: no explicit padding, ceil mode "
                "or dilation)",
    "avg_pool": "average pooling (tf.nn.avg_pool2d pads SAME or VALID only, and SAME never counts the "
                "padding: no explicit padding, ceil mode or count_include_pad)",
}


def _tf_refusal(spec: ConvSpec) -> str | None:
    operation = spec.operation
    if operation != "conv":
        return f"convviz writes TensorFlow code for convolution only, not {TF_OPERATION_GAPS[operation]}"
    pads = plan(spec).pads
    mode = spec.padding_mode
    if not any(pads) or mode in TF_PAD_MODES:
        return None
    if mode == "replicate" and max(pads) <= 1:
        return None
    if mode == "replicate":
        return (f"TensorFlow's tf.pad has no replicate mode (only CONSTANT, REFLECT, SYMMETRIC; SYMMETRIC "
                f"equals replicate only for pads of at most 1, and these are {_sides(pads)})")
    return f"TensorFlow's tf.pad has no {mode} mode (only CONSTANT, REFLECT, SYMMETRIC)"


def tensorflow_code(spec: ConvSpec) -> FrameworkCode:
    """Python defining `forward(x, kernel)`: x NHWC, kernel HWIO (convviz's weight transposed
    (2, 3, 1, 0)), with tf.pad and tf.nn.conv2d; or, when TensorFlow cannot pad that way,
    comments saying why and a `problem`."""
    conv_plan = plan(spec)
    problem = _tf_refusal(spec)
    if problem:
        lines = [*_header(spec, "TensorFlow"),
                 *_comment(f"Not expressible: {problem}. Use the PyTorch code"
                           + ("." if spec.operation != "conv" else ", or zeros or reflect padding."))]
        return FrameworkCode("tensorflow", "\n".join(lines) + "\n", problem)
    top, bottom, left, right = conv_plan.pads
    word = spec.padding if isinstance(spec.padding, str) else None
    mode = spec.padding_mode
    notes, pad_call = [], None
    if not any(conv_plan.pads):
        padding = '"VALID"'
        if mode != "zeros":
            notes.append(f"no padding here, so the padding mode ({mode}) changes nothing")
    elif word == "same" and mode == "zeros":
        padding = '"SAME"'
        notes.append("convviz's 'same' is TensorFlow's SAME rule: output ⌈input/stride⌉, odd pixel after")
    else:
        padding = '"VALID"'
        tf_mode = TF_PAD_MODES.get(mode, "SYMMETRIC")
        if mode == "replicate":
            notes.append("replicate padding by at most 1 equals SYMMETRIC (which mirrors the edge itself)")
        pad_call = f"tf.pad(x, [[0, 0], [{top}, {bottom}], [{left}, {right}], [0, 0]], mode={tf_mode!r})"
    n, k, ho, wo = conv_plan.output_shape
    kh, kw = spec.kernel_size
    sh, sw = spec.stride
    dh, dw = spec.dilation
    groups = spec.groups
    conv = (f"tf.nn.conv2d({{}}, {{}}, strides=[1, {sh}, {sw}, 1], padding={padding}, "
            f"dilations=[1, {dh}, {dw}, 1])")
    if groups == 1:
        body = [f"    return {conv.format('x', 'kernel')}"]
    else:
        body = [*_comment(f"groups={groups}: one conv2d per group of input channels and its share of the "
                          "kernel's output channels, joined along the channels", "    "),
                f"    parts = zip(tf.split(x, {groups}, axis=3), tf.split(kernel, {groups}, axis=3))",
                "    outputs = [",
                f"        {conv.format('part', 'weights')}",
                "        for part, weights in parts",
                "    ]",
                "    return tf.concat(outputs, axis=3)"]
    lines = [
        *_header(spec, "TensorFlow"),
        "import tensorflow as tf",
        "",
        "",
        "def forward(x, kernel):",
        f'    """x: (N, H, W, C) {_tuple((spec.batch, *spec.input_size, spec.in_channels))}; kernel: '
        f"(KH, KW, {'C/groups' if groups != 1 else 'C'}, K) "
        f"{_tuple((kh, kw, spec.in_channels // groups, spec.out_channels))}",
        f"    (convviz's or PyTorch's weight transposed (2, 3, 1, 0)) → {_tuple((n, ho, wo, k))}.\"\"\"",
        *(line for note in notes for line in _comment(note, "    ")),
        *([f"    x = {pad_call}"] if pad_call else []),
        *body,
    ]
    return FrameworkCode("tensorflow", "\n".join(lines) + "\n")
