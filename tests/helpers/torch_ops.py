"""Each operation as PyTorch computes it, called with the spec's own words (the peer of the
tests: semantics are PyTorch's, exactly)."""

from __future__ import annotations

import numpy as np


def torch_forward(x, w, values: dict):
    """PyTorch's result for spec fields `values` (numbers-only padding, symmetric per axis), as a
    NumPy array; raises what PyTorch raises for a spec it refuses."""
    import torch
    import torch.nn.functional as F

    operation = values.get("operation", "conv")
    x = torch.from_numpy(np.ascontiguousarray(x))
    kernel = values.get("kernel_size", 3)
    padding = values.get("padding", 0)
    dilation = values.get("dilation", 1)
    if operation == "max_pool":
        y = F.max_pool2d(x, kernel, values.get("stride", kernel), padding, dilation,
                         ceil_mode=values.get("ceil_mode", False))
    elif operation == "avg_pool":
        y = F.avg_pool2d(x, kernel, values.get("stride", kernel), padding,
                         ceil_mode=values.get("ceil_mode", False),
                         count_include_pad=values.get("count_include_pad", True))
    else:
        w = torch.from_numpy(np.ascontiguousarray(w))
        stride, groups = values.get("stride", 1), values.get("groups", 1)
        if operation == "conv_transpose":
            y = F.conv_transpose2d(x, w, None, stride, padding, values.get("output_padding", 0), groups, dilation)
        else:
            y = F.conv2d(x, w, None, stride, padding, dilation, groups)
    return y.numpy()


def torch_weight_shape(values: dict) -> tuple[int, ...] | None:
    """The weight shape PyTorch's module for these fields holds (None for pooling)."""
    operation = values.get("operation", "conv")
    if operation.endswith("_pool"):
        return None
    _, c, _, _ = values["input_shape"]
    k = values["out_channels"]
    groups = values.get("groups", 1)
    kernel = values.get("kernel_size", 3)
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    if operation == "conv_transpose":
        return (c, k // groups, kh, kw)
    return (k, c // groups, kh, kw)
