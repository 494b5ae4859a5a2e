"""Geometry by its definition, one multiplication at a time: the oracle of the plan's queries."""


def source_by_definition(index: int, size: int, mode: str) -> int:
    """The input index that logical index `index` (padded index − pad before) holds; −1 for zero.

    The padding modes written out by hand, as PyTorch pads: reflect mirrors without
    repeating the edge, replicate repeats it, circular wraps around.
    """
    if 0 <= index < size:
        return index
    if mode == "zeros":
        return -1
    if mode == "replicate":
        return min(max(index, 0), size - 1)
    if mode == "circular":
        return index % size
    while not 0 <= index < size:
        index = -index if index < 0 else 2 * (size - 1) - index
    return index


def all_reads(conv_plan) -> list[tuple[tuple[int, int], ...]]:
    """Every multiplication of one channel as (output, weight, padded, input) pairs, enumerated
    over (i, j, r, s) in that order; input is (−1, −1) where the padded cell is zero padding."""
    spec = conv_plan.spec
    (kh, kw), (sh, sw), (dh, dw) = spec.kernel_size, spec.stride, spec.dilation
    (height, width), (top, _, left, _) = spec.input_size, conv_plan.pads
    mode = spec.padding_mode
    ho, wo = conv_plan.output_size
    found = []
    for i in range(ho):
        for j in range(wo):
            for r in range(kh):
                for s in range(kw):
                    padded = (i * sh + r * dh, j * sw + s * dw)
                    source = (source_by_definition(padded[0] - top, height, mode),
                              source_by_definition(padded[1] - left, width, mode))
                    if -1 in source:
                        source = (-1, -1)
                    found.append(((i, j), (r, s), padded, source))
    return found


def rows_of(reads) -> list[tuple[tuple[int, int], ...]]:
    """A Reads' rows as (output, weight, padded, input) pairs, in its order."""
    columns = [getattr(reads, name).tolist() for name in ("output", "weight", "padded", "input")]
    for column in columns:
        assert len(column) == len(reads)
    return [tuple(tuple(cell) for cell in row) for row in zip(*columns)]
