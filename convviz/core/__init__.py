"""Pure geometry and arithmetic of 2-D convolution: no Qt, no CuPy."""

from .arrays import check_arrays
from .axis import Axis
from .errors import ConvSpecError
from .plan import ConvPlan, plan
from .reads import Reads
from .reference import reference_conv2d
from .spec import PADDING_MODES, PADDING_WORDS, ConvSpec

__all__ = [
    "Axis", "ConvPlan", "ConvSpec", "ConvSpecError", "PADDING_MODES", "PADDING_WORDS", "Reads",
    "check_arrays", "plan", "reference_conv2d",
]
