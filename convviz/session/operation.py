"""Which input channels feed one output channel, and the weight of the one output channel the session shows.

Convolution and transposed convolution with groups g split the C input and K output channels into
g groups; output channel k sums only the C/g input channels of its group. Pooling keeps the
channels: output channel k pools input channel k alone.
"""

from __future__ import annotations

from ..core import ConvSpec


def _per_group(spec: ConvSpec) -> tuple[int, int]:
    """(input channels, output channels) in one group; pooling: one each (a channel is its own group)."""
    if spec.is_pooling:
        return 1, 1
    return spec.in_channels // spec.groups, spec.out_channels // spec.groups


def _channels(group: int, per_group: int) -> range:
    return range(group * per_group, (group + 1) * per_group)


def group_of_output(spec: ConvSpec, out_channel: int) -> int:
    """The group output channel `out_channel` belongs to (pooling: its own channel)."""
    return out_channel // _per_group(spec)[1]


def group_of_input(spec: ConvSpec, in_channel: int) -> int:
    """The group input channel `in_channel` belongs to (pooling: its own channel)."""
    return in_channel // _per_group(spec)[0]


def feeding_channels(spec: ConvSpec, out_channel: int) -> range:
    """The input channels output channel `out_channel` reads: its group's (pooling: its own)."""
    return _channels(group_of_output(spec, out_channel), _per_group(spec)[0])


def fed_channels(spec: ConvSpec, in_channel: int) -> range:
    """The output channels input channel `in_channel` feeds: its group's (pooling: its own)."""
    return _channels(group_of_input(spec, in_channel), _per_group(spec)[1])


def group_ranges(spec: ConvSpec) -> tuple[tuple[range, range], ...]:
    """(input channels, output channels) of each group; empty without groups (or for pooling)."""
    if spec.is_pooling or spec.groups == 1:
        return ()
    per_in, per_out = _per_group(spec)
    return tuple((_channels(g, per_in), _channels(g, per_out)) for g in range(spec.groups))


def shown_weight(spec: ConvSpec, kernels):
    """PyTorch's weight for `plan(spec).summed_channels` from the (Cg, kh, kw) slices that feed the shown
    output channel: (1, Cg, kh, kw) for convolution, (Cg, 1, kh, kw) transposed, None for pooling."""
    if spec.is_pooling:
        return None
    if spec.operation == "conv_transpose":
        return kernels[:, None]
    return kernels[None]
