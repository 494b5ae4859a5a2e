"""Fuzzing the command line: absurd argument lists and spec JSON documents.

The only outcomes allowed are exit status 2 with one line, or a correct result; never a traceback.
"""

import json

from helpers.fuzz import FUZZ, check_result_is_correct, spec_fields
from hypothesis import given
from hypothesis import strategies as st

from convviz import ConvSpec, plan
from convviz.cli import main

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
