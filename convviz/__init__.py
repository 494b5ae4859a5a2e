"""convviz: see, and time, what a 2-D convolution does."""

from .backends import convolve, forward
from .core import ConvPlan, ConvSpec, ConvSpecError, plan

__version__ = "0.1.0"
__all__ = ["ConvPlan", "ConvSpec", "ConvSpecError", "__version__", "convolve", "forward", "plan"]
