"""The one error a user sees when a configuration cannot run."""


class ConvSpecError(ValueError):
    """A convolution spec (or the arrays given with it) cannot run.

    The message is written for the person who typed the values: it names the
    field and the problem in their terms, e.g. "stride must be at least 1 (got 0)".
    """
