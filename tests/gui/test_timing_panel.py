"""The timing panel: results tied to the spec they were timed for (greyed, "timed for …", once the
spec changes; current again when it changes back), the threads control reaching the profiler,
unstable timings said beside their bars, and sweep axes at the swept sizes."""

import math
from dataclasses import replace

import pytest

from convviz.backends import get_backend
from convviz.core import ConvSpec, plan
from convviz.gui.timing_panel import STALE_COLOUR, log_ticks
from convviz.profiling.peers import get_peer

FAST = {"min_time_s": 0.001, "roofline_peaks": False, "settle_s": 0, "repeats": 3}


def _time(timing, qtbot, **start):
    with qtbot.waitSignal(timing.finished, timeout=60000):
        assert timing.start_profile(backends=["numpy"], **start)


def _bar_colours(timing) -> set:
    return {item.opts["brush"].color().name() for item in timing.bar_items}


def _table_colours(timing) -> set:
    return {timing.table.item(row, col).foreground().color().name()
            for row in range(timing.table.rowCount()) for col in range(timing.table.columnCount())}


def test_results_for_another_spec_are_greyed_and_named(window, qtbot):
    timing = window.timing
    timing.profile_options = dict(FAST)
    first = window.session.spec
    _time(timing, qtbot)
    assert timing.records_current() and first.describe() in timing.status.text()
    assert STALE_COLOUR not in _bar_colours(timing)
    assert timing.bar_plot.getPlotItem().titleLabel.text == first.describe()

    window.session.set_spec(ConvSpec((1, 1, 9, 9), 1, 3))
    assert not timing.records_current()
    assert timing.status.text().startswith(f"timed for {first.describe()}") and "not the current spec" in \
        timing.status.text()
    assert _bar_colours(timing) == {STALE_COLOUR}
    assert _table_colours(timing) == {STALE_COLOUR}
    assert f"timed for {first.describe()}" in timing.bar_plot.getPlotItem().titleLabel.text
    assert "not the current spec" in timing.ratio_label.text()

    window.session.set_spec(first)  # back to the spec they were timed for: current again
    assert timing.records_current() and timing.status.text().startswith("done")
    assert STALE_COLOUR not in _bar_colours(timing) and STALE_COLOUR not in _table_colours(timing)


def test_a_sweep_is_current_whatever_the_input_size_and_stale_for_another_kernel(window, qtbot):
    timing = window.timing
    timing.profile_options = dict(FAST)
    with qtbot.waitSignal(timing.finished, timeout=60000):
        assert timing.start_sweep(sizes=[8, 16], backends=["numpy"])
    assert timing.sweep_current()
    window.session.update_spec(input_shape=(1, 1, 12, 12))
    assert timing.sweep_current()  # the sweep varies the input size: still this spec's sweep
    window.session.update_spec(kernel_size=(5, 5))
    assert not timing.sweep_current()
    assert "not the current spec" in timing.sweep_plot.getPlotItem().titleLabel.text
    pens = {item.opts["pen"].color().name() for item in timing.sweep_plot.getPlotItem().listDataItems()}
    assert pens == {STALE_COLOUR}


def test_the_threads_control_reaches_the_records(window, qtbot):
    timing = window.timing
    timing.profile_options = dict(FAST)
    timing.threads.setValue(1)
    _time(timing, qtbot)
    assert {record.thread_count for record in timing.records} == {1}
    assert {record.threads["blas_threads"] for record in timing.records} == {1}
    assert "1 thread" in timing.stability_label.text()


def test_unstable_timings_say_so_beside_their_bars(window, qtbot):
    timing = window.timing
    timing.profile_options = dict(FAST)
    _time(timing, qtbot)
    unstable = [replace(record, stable=False, stability="busy (load 9.0)") for record in timing.records]
    timing.records = unstable
    timing.show_records(unstable)
    assert timing.bar_texts and all("⚠ unstable: busy (load 9.0)" in text.textItem.toPlainText()
                                    for text in timing.bar_texts)
    assert timing.stability_label.text().startswith("⚠ ")
    stability = [timing.table.item(row, 5).text() for row in range(timing.table.rowCount())]
    assert set(stability) == {"UNSTABLE: busy (load 9.0)"}


@pytest.mark.parametrize(("low", "high", "expected"), [
    (0.03, 0.4, ["0.01", "0.05", "0.1", "0.2", "1"]),
    (0.05, 700.0, ["0.01", "0.1", "1", "10", "100", "1000"]),
])
def test_log_ticks_are_round_numbers_that_do_not_crowd(low, high, expected):
    ticks = log_ticks(low, high)
    assert [label for _, label in ticks] == expected
    assert all(math.isclose(position, math.log10(float(label))) for position, label in ticks)


def test_sweep_ticks_at_the_swept_sizes(window, qtbot):
    timing = window.timing
    timing.profile_options = dict(FAST)
    with qtbot.waitSignal(timing.finished, timeout=60000):
        assert timing.start_sweep(sizes=[8, 16, 32], backends=["numpy"])
    ticks = timing.sweep_plot.getAxis("bottom")._tickLevels[0]
    assert [label for _, label in ticks] == ["8", "16", "32"]
    assert [round(10**position) for position, _ in ticks] == [8, 16, 32]
    assert timing.sweep_legend.items and timing.sweep_legend.parentItem() is not timing.sweep_plot.getPlotItem().vb


OPERATIONS = [
    ConvSpec((1, 2, 9, 9), 4, 3, stride=2, padding=1, operation="conv_transpose", output_padding=1, groups=2),
    ConvSpec((1, 3, 9, 9), kernel_size=3, stride=2, padding=1, ceil_mode=True, operation="max_pool"),
    ConvSpec((1, 3, 9, 9), kernel_size=2, stride=2, count_include_pad=False, operation="avg_pool"),
    ConvSpec((1, 4, 9, 9), 8, 3, padding=1, groups=4),
]


@pytest.mark.parametrize("spec", OPERATIONS, ids=lambda spec: spec.describe())
def test_every_operation_is_timed_on_numpy_and_the_pytorch_peer(window, qtbot, spec):
    """The panel times whatever operation the session holds, with the strategy the NumPy backend
    chooses for it; records, the bars' title and the status name the operation."""
    timing = window.timing
    timing.profile_options = dict(FAST)
    window.session.set_spec(spec)
    names = ["numpy"] + (["torch-cpu"] if get_peer("torch-cpu").available() else [])
    with qtbot.waitSignal(timing.finished, timeout=60000):
        assert timing.start_profile(backends=names)
    assert {record.backend for record in timing.records} == set(names)
    assert all(record.correct for record in timing.records), [record.max_error for record in timing.records]
    assert {record.shape for record in timing.records} == {spec.describe()}
    assert spec.operation == "conv" or spec.describe().startswith(spec.operation)
    assert spec.describe() in timing.status.text() and timing.records_current()
    assert timing.bar_plot.getPlotItem().titleLabel.text == spec.describe()
    chosen = get_backend("numpy").choose_algorithm(plan(spec), "float32")
    assert {record.algorithm for record in timing.records if record.backend == "numpy"} == {chosen}


def test_a_run_reopens_the_timing_dock_a_short_window_hid(qtbot, qsettings):
    from convviz.gui.app import make_window
    from convviz.gui.window import TALL_ENOUGH_FOR_TIMING

    window = make_window(ConvSpec((1, 1, 7, 7), 1, 3), settings=qsettings, restore=False)
    qtbot.addWidget(window)
    window.resize(1024, TALL_ENOUGH_FOR_TIMING - 132)
    with qtbot.waitExposed(window):
        window.show()
    assert window.timing_dock.isHidden()
    window.timing.profile_options = dict(FAST)
    with qtbot.waitSignal(window.timing.finished, timeout=60000):
        assert window.timing.start_profile(backends=["numpy"])  # not through the menu: the panel's own start
    assert not window.timing_dock.isHidden()
