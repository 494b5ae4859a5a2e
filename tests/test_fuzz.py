"""Fuzzing: absurd spec fields, CLI argument lists and spec JSON documents.

The only outcomes allowed are ConvSpecError (exit status 2 on the command line)
or a correct result; never another exception.
"""

import json

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convviz import ConvSpec, ConvSpecError, convolve, plan
from convviz.cli import main
from convviz.core import reference_conv2d

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))

absurd_scalars = st.one_of(
    st.integers(-3, 12),
    st.sampled_from([0, -1, 10**9, -(10**9), 2**63, 10**30]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.booleans(),
    st.none(),
)
absurd_values = st.one_of(
    absurd_scalars,
    st.lists(absurd_scalars, max_size=5),
    st.tuples(absurd_scalars, absurd_scalars),
    st.dictionaries(st.text(max_size=3), absurd_scalars, max_size=2),
)
spec_fields = st.sampled_from(
    ["input_shape", "out_channels", "kernel_size", "stride", "padding", "dilation", "padding_mode"]
)


def small_enough(spec):
    n, c, h, w = spec.input_shape
    return n * c * h * w <= 400 and spec.out_channels <= 4 and np.prod(spec.kernel_size) <= 16


def check_result_is_correct(spec):
    conv_plan = plan(spec)
    if not small_enough(spec) or conv_plan.steps > 400:
        return
    rng = np.random.default_rng(0)
    x = rng.standard_normal(spec.input_shape)
    w = rng.standard_normal(spec.weight_shape)
    np.testing.assert_allclose(convolve(x, w, conv_plan), reference_conv2d(x, w, conv_plan), rtol=1e-10, atol=1e-10)


@FUZZ
@given(
    base=st.fixed_dictionaries(
        {
            "input_shape": st.tuples(*[st.integers(1, 6)] * 4),
            "out_channels": st.integers(1, 3),
            "kernel_size": st.integers(1, 4),
        }
    ),
    changes=st.dictionaries(spec_fields, absurd_values, max_size=3),
)
def test_spec_fields_fuzz(base, changes):
    values = {**base, **changes}
    try:
        spec = ConvSpec(**values)
    except ConvSpecError as error:
        assert str(error)
        return
    check_result_is_correct(spec)


flag_values = st.one_of(
    st.sampled_from(["3", "7x9", "0", "-1", "1,2", "1,2,3,4", "same", "valid", "full", "x", "", "1e9",
                     "999999999999", "3×3", "zeros", "reflect", "nan", "--json"]),
    st.text(max_size=8),
)
flags = st.sampled_from(
    ["--input", "--kernel", "--stride", "--padding", "--dilation", "--padding-mode", "--channels",
     "--out-channels", "--batch", "--json", "--spec", "--bogus"]
)


@FUZZ
@given(arguments=st.lists(st.one_of(flags, flag_values), max_size=8))
def test_cli_argument_fuzz(arguments, capsys):
    try:
        status = main(["plan", *arguments])
    except SystemExit as exit_:
        status = exit_.code
    assert status in (0, 2)
    captured = capsys.readouterr()
    if status == 2:
        assert captured.err.count("\n") == 1, captured.err
        assert "Traceback" not in captured.err


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 10**10), st.floats(allow_nan=False), st.text(max_size=6)),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=8,
)


@FUZZ
@given(
    document=st.one_of(
        json_values,
        st.dictionaries(spec_fields, json_values, max_size=7),
        st.fixed_dictionaries(
            {"input_shape": st.lists(st.integers(-1, 8), min_size=3, max_size=5)},
            optional={"kernel_size": json_values, "padding": json_values, "stride": json_values},
        ),
    )
)
def test_spec_json_fuzz(document, tmp_path_factory, capsys):
    path = tmp_path_factory.mktemp("spec") / "spec.json"
    path.write_text(json.dumps(document))
    status = main(["plan", "--spec", str(path), "--json"])
    captured = capsys.readouterr()
    assert status in (0, 2)
    if status == 0:
        record = json.loads(captured.out)
        spec = ConvSpec.from_dict(document)
        assert record["output_shape"] == list(plan(spec).output_shape)
        check_result_is_correct(spec)
    else:
        assert captured.err.startswith("convviz: ") and captured.err.count("\n") == 1
