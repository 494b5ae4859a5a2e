"""Checks of the arrays handed to a convolution against its plan."""

from __future__ import annotations

import numpy as np

from .errors import ConvSpecError
from .plan import ConvPlan

SUPPORTED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _shape_text(shape) -> str:
    return "×".join(str(size) for size in shape)


def _dtype_of(array, name: str) -> np.dtype:
    dtype = getattr(array, "dtype", None)
    if dtype is None:
        raise ConvSpecError(f"{name} must be an array (got {type(array).__name__})")
    dtype = np.dtype(dtype)
    if dtype not in SUPPORTED_DTYPES:
        raise ConvSpecError(f"{name} has dtype {dtype}; convviz convolves float32 or float64")
    return dtype


def check_arrays(x, w, conv_plan: ConvPlan, bias=None) -> np.dtype:
    """Refuse arrays that disagree with the plan; return the dtype of the result.

    Mixed float32/float64 inputs compute and return float64, as NumPy would.
    """
    spec = conv_plan.spec
    dtypes = [_dtype_of(x, "input x")]
    if spec.weight_shape is None:
        if w is not None:
            raise ConvSpecError(f"{spec.operation} has no weights; pass None for them")
    else:
        dtypes.append(_dtype_of(w, "weights w"))
    if tuple(x.shape) != spec.input_shape:
        raise ConvSpecError(
            f"input x is {_shape_text(x.shape)} but the spec says {_shape_text(spec.input_shape)} "
            "(batch×channels×height×width)"
        )
    if w is not None and tuple(w.shape) != spec.weight_shape:
        layout = ("in channels×out channels/groups" if spec.operation == "conv_transpose"
                  else "out channels×in channels/groups" if spec.groups > 1 else "out channels×in channels")
        raise ConvSpecError(
            f"weights w are {_shape_text(w.shape)} but the spec needs {_shape_text(spec.weight_shape)} "
            f"({layout}×kernel height×kernel width)"
        )
    if bias is not None and spec.weight_shape is None:
        raise ConvSpecError(f"{spec.operation} has no bias; pass None for it")
    if bias is not None:
        dtypes.append(_dtype_of(bias, "bias"))
        if tuple(bias.shape) != (spec.out_channels,):
            raise ConvSpecError(
                f"bias has shape {_shape_text(bias.shape)} but the spec has {spec.out_channels} output channels"
            )
    return np.result_type(*dtypes)
