"""tf.pad and tf.nn.conv2d as TensorFlow documents them, translated into NumPy, so the generated
TensorFlow code can be run here, where TensorFlow is not installed. This is no stand-in for
TensorFlow: it implements only the calls the snippet makes, with TensorFlow's argument checks and
its documented SAME rule, and `run_tensorflow_code` names it `tf` only inside the exec.

- tf.pad(tensor, paddings, mode): CONSTANT pads zeros, REFLECT mirrors without the edge
  (pad ≤ size − 1), SYMMETRIC mirrors with it (pad ≤ size); these are NumPy's constant, reflect
  and symmetric.
- tf.nn.conv2d(input NHWC, filters HWIO, strides, padding, dilations): VALID pads nothing; SAME
  makes ⌈in/stride⌉ outputs and pads max((out−1)·stride + (k−1)·d + 1 − in, 0), half before, the
  rest after; explicit padding is [[0, 0], [top, bottom], [left, right], [0, 0]].
- tf.split(value, n, axis) and tf.concat(values, axis): NumPy's split into n equal parts and
  concatenate (the snippet's channel groups).
"""

from __future__ import annotations

import ast
import types

import numpy as np

NUMPY_MODES = {"CONSTANT": "constant", "REFLECT": "reflect", "SYMMETRIC": "symmetric"}


def pad(tensor, paddings, mode="CONSTANT"):
    tensor = np.asarray(tensor)
    paddings = [tuple(int(v) for v in pair) for pair in paddings]
    mode = mode.upper()
    if mode not in NUMPY_MODES:
        raise ValueError(f"tf.pad: unknown mode {mode}")
    if len(paddings) != tensor.ndim:
        raise ValueError("tf.pad: paddings must have one pair per dimension")
    for size, (before, after) in zip(tensor.shape, paddings):
        if min(before, after) < 0:
            raise ValueError("tf.pad: paddings must be non-negative")
        limit = size - 1 if mode == "REFLECT" else size
        if mode != "CONSTANT" and max(before, after) > limit:
            raise ValueError(f"tf.pad: {mode} paddings must be no greater than {limit}")
    return np.pad(tensor, paddings, mode=NUMPY_MODES[mode])


def _four(values, name):
    values = [values] if np.isscalar(values) else list(values)
    if len(values) == 1:
        return [1, values[0], values[0], 1]
    if len(values) == 2:
        return [1, *values, 1]
    if len(values) == 4:
        if values[0] != 1 or values[3] != 1:
            raise ValueError(f"tf.nn.conv2d: {name} in the batch and depth dimensions must be 1")
        return list(values)
    raise ValueError(f"tf.nn.conv2d: {name} takes 1, 2 or 4 values")


def conv2d(input, filters, strides, padding, data_format="NHWC", dilations=None):
    if data_format != "NHWC":
        raise ValueError("only NHWC is translated")
    x = np.asarray(input, dtype=np.float64)
    f = np.asarray(filters, dtype=np.float64)
    _, sh, sw, _ = _four(strides, "strides")
    _, dh, dw, _ = _four(1 if dilations is None else dilations, "dilations")
    n, height, width, channels = x.shape
    kh, kw, in_depth, out_depth = f.shape
    if in_depth != channels:
        raise ValueError("tf.nn.conv2d: filter in_depth must equal the input depth")
    reach = ((kh - 1) * dh + 1, (kw - 1) * dw + 1)
    if isinstance(padding, str):
        if padding == "VALID":
            pads = [(0, 0), (0, 0)]
        elif padding == "SAME":
            pads = []
            for size, stride, extent in zip((height, width), (sh, sw), reach):
                out = -(-size // stride)
                total = max((out - 1) * stride + extent - size, 0)
                pads.append((total // 2, total - total // 2))
        else:
            raise ValueError(f"tf.nn.conv2d: unknown padding {padding!r}")
    else:
        if [tuple(p) for p in padding[0::3]] != [(0, 0), (0, 0)]:
            raise ValueError("tf.nn.conv2d: no padding in the batch and depth dimensions")
        pads = [tuple(p) for p in padding[1:3]]
    x = np.pad(x, [(0, 0), *pads, (0, 0)])
    ho = (x.shape[1] - reach[0]) // sh + 1
    wo = (x.shape[2] - reach[1]) // sw + 1
    y = np.zeros((n, ho, wo, out_depth))
    for r in range(kh):
        for s in range(kw):
            patch = x[:, r * dh: r * dh + (ho - 1) * sh + 1: sh, s * dw: s * dw + (wo - 1) * sw + 1: sw, :]
            y += np.einsum("nijc,ck->nijk", patch, f[r, s])
    return y


def split(value, num_or_size_splits, axis=0):
    """tf.split with a number: that many equal parts along `axis` (it must divide evenly)."""
    value = np.asarray(value)
    if value.shape[axis] % num_or_size_splits:
        raise ValueError("tf.split: the dimension must divide evenly")
    return np.split(value, num_or_size_splits, axis=axis)


def concat(values, axis):
    return np.concatenate(list(values), axis=axis)


TF_SEMANTICS = types.SimpleNamespace(pad=pad, split=split, concat=concat, nn=types.SimpleNamespace(conv2d=conv2d))


def run_tensorflow_code(code: str) -> dict:
    """Exec the snippet with its `import tensorflow as tf` taken out and `tf` bound to these
    translations; returns its namespace."""
    tree = ast.parse(code)
    imports = [node for node in tree.body if isinstance(node, ast.Import)
               and [(alias.name, alias.asname) for alias in node.names] == [("tensorflow", "tf")]]
    assert len(imports) == 1, "the snippet must import tensorflow as tf, once"
    tree.body.remove(imports[0])
    namespace = {"tf": TF_SEMANTICS}
    exec(compile(tree, "<tensorflow snippet>", "exec"), namespace)
    return namespace
