"""The Qt-free controller behind a view: one convolution being explored.

A `Session` owns the current spec and its plan, the 2-D input and kernel the animation shows,
the output they make, the animation step and playback, the picked input cell and the last error.
Views observe it (`subscribe`), draw its `frame()` and call its methods; they never compute
geometry. Nothing here imports Qt, so a session can be tested headless and two sessions can
drive two views side by side.

The animation shows one input channel convolved with one kernel: the spec's height, width,
kernel, stride, padding, dilation and mode; channels and batch only matter to the profiler.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import numpy as np

from ..core import ConvSpec, ConvSpecError, plan
from . import frame as frames
from .operation import fed_channels, feeding_channels, group_ranges, shown_weight
from .patterns import INPUT_PATTERNS, KERNEL_PRESETS, input_channels, kernel_slices
from .scatter import scatter_plan
from .scatter_frame import ScatterGrids, scatter_frame, scatter_grids, scatter_shape_text
from .selection import SelectionTarget, parse_selection

DEFAULT_SPEC = ConvSpec((1, 1, 7, 7), 1, (3, 3), padding="valid")
MAX_ANIMATION_SIDE = 1280
"""Largest padded grid (per side) a session takes: the animation draws every cell of it (a
1024×1024 input with up to 128 cells of padding a side)."""
MAX_ANIMATION_VALUES = 2**24
"""Most input values (input channels × padded cells) a session lays out: every channel's padded
grid is kept for the step's arithmetic."""
SPEEDS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0)
"""Playback speeds offered, in steps per second."""
BACKGROUND_WORK = 2 * 10**6
"""Multiply-adds of the shown convolution from which a session with an `output_runner` computes
it off the caller's thread (below: a few milliseconds of NumPy, done at once; 2·10⁷, a 64×64
input with a 61×61 kernel, took 50–100 ms of the GUI thread on a loaded machine)."""
MIN_SPEED = 0.01
"""Slowest playback a session takes (one step in 100 s)."""

# what changed, as passed to observers
SPEC, DATA, STEP, PLAYING, SPEED, ERROR = "spec", "data", "step", "playing", "speed", "error"
SELECTION = "selection"
COVERAGE = "coverage"
COVERAGE_VIEWS = ("reads", "wins")
"""What the coverage panel counts: reads (windows, for pooling) per input cell, or, for max pooling,
the windows each cell wins on the current input."""
TRANSPOSED_VIEW = "transposed_view"
TRANSPOSED_VIEWS = ("direct", "scatter")
"""How a transposed convolution is drawn: the direct convolution over the zero-inserted input, or
each input cell scattering its weighted kernel into the output."""


def _shown_output(x, w, shown, backend: str, bias) -> np.ndarray:
    """(Ho, Wo) the shown output channel, by `backend` (NumPy when that one cannot run here)."""
    from ..backends import forward

    try:
        result = forward(x, w, shown, backend=backend, bias=bias)
    except RuntimeError:
        result = forward(x, w, shown, backend="numpy", bias=bias)
    return np.asarray(result, dtype=np.float64)[0, 0]


def animation_steps(spec: ConvSpec, transposed_view: str = "direct") -> tuple[int, str]:
    """How many steps the animation of `spec` has, and what each is: an output cell (a window),
    or an input cell scattering (a transposed convolution drawn as a scatter)."""
    if spec.operation == "conv_transpose" and transposed_view == "scatter":
        height, width = spec.input_size
        return height * width, f"one per input cell, {height}×{width}"
    conv_plan = plan(spec)
    return conv_plan.steps, f"one per output cell, {conv_plan.output_size[0]}×{conv_plan.output_size[1]}"


def check_drawable(spec: ConvSpec) -> None:
    """Refuse, in words, a spec whose padded grid is too big to animate cell by cell."""
    padded = plan(spec).padded_shape
    if max(padded) > MAX_ANIMATION_SIDE:
        raise ConvSpecError(
            f"the padded input {padded[0]}×{padded[1]} is too big to animate "
            f"(at most {MAX_ANIMATION_SIDE} per side); time larger inputs with “Sweep input size” "
            "or `python main.py bench`"
        )
    values = spec.in_channels * padded[0] * padded[1]
    if values > MAX_ANIMATION_VALUES:
        raise ConvSpecError(
            f"{spec.in_channels:,} input channels of {padded[0]}×{padded[1]} padded cells are too many to "
            f"animate ({values:,} values; at most {MAX_ANIMATION_VALUES:,}); time it with `python main.py bench`"
        )


def _static_grids(conv_plan, padded, pictorial: bool, in_channel: int, output, output_pending: bool,
                  out_channel: int, weights, bias, wins_of=None, kept: tuple | None = None) -> tuple:
    """The grids of a frame that do not change with the step: input, output, coverage (reads, or
    with `wins_of`, max pooling's wins on that input channel), kernel; with `kept` grids, theirs
    but for the output."""
    output_grid = frames.output_grid(conv_plan, output, out_channel)
    if output_pending:
        output_grid = replace(output_grid, title=output_grid.title + "  ·  computing the output…")
    if kept is not None:
        return kept[0], output_grid, kept[2], kept[3]
    coverage = frames.coverage_grid(conv_plan) if wins_of is None else frames.coverage_grid(conv_plan, wins_of,
                                                                                         out_channel)
    return (frames.input_grid(conv_plan, padded, pictorial, in_channel), output_grid, coverage,
            frames.kernel_grid(conv_plan, weights, out_channel, in_channel, bias))


def _scatter_grids(conv_plan, inputs, kernels, channels, in_channel: int, out_channel: int, bias, output,
                   step: int) -> ScatterGrids:
    """The scatter view's grids (`scatter_grids`), with what the frame at `step` reads from them
    made too: the output so far, and the colour scale every step shares."""
    grids = scatter_grids(conv_plan, inputs, kernels, channels, in_channel, out_channel, bias, output)
    grids.final_range  # noqa: B018 (a cached property, made here)
    grids.shown_output(step + 1)
    return grids


def advance_playback(player) -> None:
    """One playback tick of `player` (a Session, or a Comparison driving two): the next step
    while playing, pausing at the last."""
    if not player.playing:
        return
    if player.at_end:
        player.pause()
        return
    player.step_forward()
    if player.at_end:
        player.pause()


class Session:
    """Current spec, plan, arrays, animation step and playback; observers hear of every change."""

    def __init__(self, spec: ConvSpec | None = None, pattern: str = "random integers",
                 preset: str = "sobel x", backend: str = "numpy", seed: int = 0, output_runner=None):
        self._observers: list = []
        self.output_runner = output_runner
        """None: the shown output is computed at once. Else `runner(job, deliver)`, which runs
        `job()` elsewhere and calls `deliver(result)` back on this session's thread; used for
        convolutions of at least BACKGROUND_WORK multiply-adds (the GUI runs them on a worker).
        Given to the constructor, it computes the first output too."""
        self.output_pending = False
        """True while the shown output is being computed elsewhere (its cells are NaN)."""
        self._data_generation = 0
        self.spec = DEFAULT_SPEC if spec is None else spec
        check_drawable(self.spec)
        self.plan = plan(self.spec)
        self.pattern = pattern
        self.preset = preset
        self.backend = backend
        self.seed = seed
        self.source_image: np.ndarray | None = None
        self.step = 0
        self.playing = False
        self.speed = 4.0
        self.error = ""
        self.selection_target: SelectionTarget | None = None
        """The cell the user pinned (an output, input or weight cell), or None."""
        self.hover_target: SelectionTarget | None = None
        """The cell under the pointer, shown instead of the pinned one while it lasts, or None."""
        self.in_channel = 0
        """The input channel shown on the input grid (and whose kernel slice the kernel panel shows)."""
        self.out_channel = 0
        """The output channel shown: its output map and its weights w[k]."""
        self.transposed_view = "direct"
        """How a transposed convolution is drawn: one of TRANSPOSED_VIEWS."""
        self.coverage_view = "reads"
        """What the coverage panel counts: one of COVERAGE_VIEWS ("wins" applies to max pooling)."""
        self._biases: dict[int, float] = {}
        self._custom_weights: dict[tuple[int, int], np.ndarray] = {}
        """Kernel slices the user typed, by (output channel, input channel)."""
        self._named_preset = preset if preset in KERNEL_PRESETS else "box blur"
        self._grids: tuple | None = None
        self._grids_token = 0
        self._grids_kept: tuple | None = None
        """Counts the times the grids were dropped: `grids_job` hands it out, `adopt_grids` checks it."""
        self._selection: frames.Selection | None = None
        self._hover: frames.Selection | None = None
        self._refresh_data()

    def twin(self, output_runner=None) -> Session:
        """A second session showing what this one shows (spec, input, an opened image included,
        weights, biases, channels, views, step), with observers, grids, selection and playback of
        its own: compare mode's "a copy to edit". Its arrays are shared, not recomputed (every
        array here is replaced on a change, never written in place): a fresh session drew its
        input again and convolved it again, 7.8 GFLOP on both cores at 1024² with 61×61 while
        compare mode was being put together. An output still being computed here is computed
        there too (through `output_runner`)."""
        twin = object.__new__(Session)
        twin.__dict__.update(self.__dict__)
        twin._observers = []
        twin.output_runner = output_runner
        twin._custom_weights = dict(self._custom_weights)
        twin._biases = dict(self._biases)
        twin.playing = False
        twin.selection_target = twin.hover_target = None
        twin._selection = twin._hover = None
        twin._forget_grids()
        if twin.output_pending:
            twin._refresh_data()
        return twin

    # observers -----------------------------------------------------------------------------
    def subscribe(self, callback) -> None:
        """`callback(changes: set[str])` after every change ("spec", "data", "step", ...)."""
        self._observers.append(callback)

    def unsubscribe(self, callback) -> None:
        if callback in self._observers:
            self._observers.remove(callback)

    def _notify(self, *changes: str) -> None:
        changed = set(changes)
        for callback in list(self._observers):
            callback(changed)

    # the spec --------------------------------------------------------------------------------
    def set_spec(self, spec: ConvSpec) -> bool:
        """Switch to `spec`; on a ConvSpecError keep everything as it was, remember the message."""
        try:
            if not isinstance(spec, ConvSpec):
                raise ConvSpecError(f"expected a ConvSpec (got {type(spec).__name__})")
            check_drawable(spec)
            new_plan = plan(spec)
        except ConvSpecError as error:
            self._set_error(str(error))
            return False
        self.spec, self.plan = spec, new_plan
        self.error = ""
        self._refresh_data()
        self._keep_fitting_selection()
        self.step = min(self.step, self.steps - 1)
        self._notify(SPEC, DATA, STEP, ERROR, SELECTION)
        return True

    def update_spec(self, **changes) -> bool:
        """`set_spec(spec.replace(**changes))`, with the error kept instead of raised."""
        return self.set_spec_dict({**self.spec.to_dict(), **changes})

    def set_spec_dict(self, values: dict) -> bool:
        """Switch to the spec these fields describe; a bad field is kept as the error, not raised."""
        try:
            spec = ConvSpec.from_dict(values)
        except ConvSpecError as error:
            self._set_error(str(error))
            return False
        return self.set_spec(spec)

    def _set_error(self, message: str) -> None:
        self.error = message
        self._notify(ERROR)

    def clear_error(self) -> None:
        if self.error:
            self.error = ""
            self._notify(ERROR)

    # data --------------------------------------------------------------------------------------
    def set_pattern(self, name: str, image: np.ndarray | None = None) -> None:
        if name not in INPUT_PATTERNS:
            raise ValueError(f"unknown input pattern {name!r}")
        self.pattern = name
        if image is not None:
            self.source_image = np.asarray(image, dtype=np.float64)
        self._refresh_data()
        self._notify(DATA)

    def set_preset(self, name: str) -> None:
        if name not in KERNEL_PRESETS:
            raise ValueError(f"unknown kernel preset {name!r}")
        self.preset = self._named_preset = name
        self._custom_weights = {}
        self._refresh_data()
        self._notify(DATA)

    def set_weights(self, weights) -> None:
        """Custom values (kh, kw) of the shown kernel slice w[out_channel, in_channel]; the preset
        becomes "custom"."""
        if self.spec.is_pooling:
            raise ConvSpecError("pooling has no weights to edit")
        weights = np.asarray(weights, dtype=np.float64)
        if weights.shape != tuple(self.spec.kernel_size):
            raise ValueError(f"weights are {weights.shape}, the kernel is {self.spec.kernel_size}")
        self._custom_weights[(self.out_channel, self.in_channel)] = weights.copy()
        self.preset = "custom"
        self._refresh_data()
        self._notify(DATA)

    def set_weight(self, row: int, col: int, value: float) -> None:
        weights = self.weights.copy()
        weights[row, col] = float(value)
        self.set_weights(weights)

    # channels -----------------------------------------------------------------------------------
    def show_channels(self, out_channel: int | None = None, in_channel: int | None = None) -> None:
        """Show output channel `out_channel` (its map and weights) and input channel `in_channel`
        (its grid and kernel slice); None keeps either. A ConvSpecError names the channels there are."""
        out_channel = self.out_channel if out_channel is None else out_channel
        in_channel = self.in_channel if in_channel is None else in_channel
        for value, count, what in ((out_channel, self.spec.out_channels, "output"),
                                   (in_channel, self.spec.in_channels, "input")):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value < count:
                raise ConvSpecError(f"{what} channel {value!r} does not exist: there are {count} "
                                    f"(0–{count - 1})" if count > 1 else
                                    f"{what} channel {value!r} does not exist: there is one (0)")
        if in_channel != self.in_channel and out_channel not in fed_channels(self.spec, in_channel):
            out_channel = fed_channels(self.spec, in_channel).start
        elif in_channel not in feeding_channels(self.spec, out_channel):
            in_channel = feeding_channels(self.spec, out_channel).start
        if (out_channel, in_channel) != (self.out_channel, self.in_channel):
            recompute = out_channel != self.out_channel
            self.out_channel, self.in_channel = int(out_channel), int(in_channel)
            if recompute:
                self._refresh_data()
            else:
                self._forget_grids()
            self._notify(DATA)

    @property
    def bias(self) -> float | None:
        """The shown output channel's bias, or None when none is set (pooling has none)."""
        return None if self.spec.is_pooling else self._biases.get(self.out_channel)

    def set_bias(self, value: float | None) -> None:
        """Set (or with None remove) the shown output channel's bias."""
        if value is not None and self.spec.is_pooling:
            raise ConvSpecError("pooling has no bias")
        if value is None:
            self._biases.pop(self.out_channel, None)
        else:
            value = float(value)
            if not np.isfinite(value):
                raise ConvSpecError(f"a bias must be a finite number (got {value!r})")
            self._biases[self.out_channel] = value
        self._refresh_data()
        self._notify(DATA)

    @property
    def input(self) -> np.ndarray:
        """(H, W) the shown input channel."""
        return self.inputs[self.in_channel]

    @property
    def padded(self) -> np.ndarray:
        """(Hp, Wp) the shown input channel on the padded grid."""
        return self.padded_inputs[self.in_channel]

    @property
    def weights(self) -> np.ndarray:
        """(kh, kw) the shown kernel slice w[out_channel, in_channel]."""
        return self.kernels[self.in_channel]

    def set_transposed_view(self, view: str) -> None:
        """Draw a transposed convolution as "direct" (the convolution over the zero-inserted input)
        or "scatter" (each input cell adding its weighted kernel to the output)."""
        if view not in TRANSPOSED_VIEWS:
            raise ConvSpecError(f"a transposed convolution is drawn {' or '.join(TRANSPOSED_VIEWS)} (got {view!r})")
        if view != self.transposed_view:
            self.transposed_view = view
            if self.spec.operation != "conv_transpose":
                self._notify(TRANSPOSED_VIEW)
                return
            self._forget_grids()
            self.step = min(self.step, self.steps - 1)
            self._notify(TRANSPOSED_VIEW, SPEC, DATA, STEP, SELECTION)

    @property
    def shape_text(self) -> str:
        """What the animation is, in words ("output 5×5 (25 steps)"; a scatter: its input cells),
        from the plan alone: the frame may still be being built elsewhere."""
        if self.scatter_shown:
            return scatter_shape_text(scatter_plan(self.plan))
        return frames.output_shape_text(self.plan)

    @property
    def scatter_shown(self) -> bool:
        """Whether the animation is a transposed convolution drawn as a scatter (one step per input cell)."""
        return self.spec.operation == "conv_transpose" and self.transposed_view == "scatter"

    def set_coverage_view(self, view: str) -> None:
        """Count "reads" per input cell, or (max pooling) the windows each cell "wins" on this input."""
        if view not in COVERAGE_VIEWS:
            raise ConvSpecError(f"coverage counts {' or '.join(COVERAGE_VIEWS)} (got {view!r})")
        if view != self.coverage_view:
            self.coverage_view = view
            self._forget_grids()
            self._notify(COVERAGE)

    def set_backend(self, name: str) -> bool:
        from ..backends import get_backend

        status = get_backend(name).available()
        if not status:
            self._set_error(f"{name} cannot compute here: {status.reason}")
            return False
        self.backend = name
        self._refresh_data()
        self._notify(DATA, ERROR)
        return True

    def reseed(self, seed: int) -> None:
        self.seed = int(seed)
        self._refresh_data()
        self._notify(DATA)

    def _refresh_data(self) -> None:
        """Every input channel, the shown output channel's weights (one slice per input channel)
        and its output map, computed by the chosen backend."""
        spec = self.spec
        channels = spec.in_channels
        self.out_channel = min(self.out_channel, spec.out_channels - 1)
        self.in_channel = min(self.in_channel, channels - 1)
        self._forget_grids()
        self.inputs = input_channels(self.pattern, spec.input_size, channels, seed=self.seed, image=self.source_image)
        self._custom_weights = {key: value for key, value in self._custom_weights.items()
                                if value.shape == tuple(spec.kernel_size)}
        if self.preset == "custom" and not self._custom_weights:
            self.preset = self._named_preset = "box blur"
        kernels = kernel_slices(self._named_preset, spec.kernel_size, self.out_channel, channels, seed=self.seed)
        for (k, c), custom in self._custom_weights.items():
            if k == self.out_channel and c < channels:
                kernels[c] = custom
        self.kernels = kernels
        """(C, kh, kw) the shown output channel's weights w[out_channel]."""
        self.padded_inputs = self.plan.padded_values(self.inputs)
        """(C, Hp, Wp) every input channel on the padded grid (max pooling: −∞ on the padding)."""
        if spec.operation == "max_pool":
            self.padded_inputs = np.where(self.plan.padding_mask, -np.inf, self.padded_inputs)
        self.feeding = feeding_channels(spec, self.out_channel)
        """The input channels the shown output channel reads (its group's; pooling: its own)."""
        if self.in_channel not in self.feeding:
            self.in_channel = self.feeding.start
        shown = self.plan.summed_channels
        x = self.inputs[None, self.feeding.start:self.feeding.stop].astype(np.float64, copy=False)  # never written
        w = shown_weight(spec, kernels[self.feeding.start:self.feeding.stop].astype(np.float64))
        bias = None if self.bias is None else np.array([self.bias])
        job = partial(_shown_output, x, w, shown, self.backend, bias)
        self._data_generation += 1
        if self.output_runner is None or shown.flops // 2 < BACKGROUND_WORK:
            self.output, self.output_pending = job(), False
            return
        # NaN until the result arrives: panels show those cells as not computed yet
        self.output, self.output_pending = np.full(shown.output_size, np.nan), True
        generation = self._data_generation
        self.output_runner(job, lambda result: self._deliver_output(generation, result))

    def _forget_grids(self, keep: tuple | None = None) -> None:
        """Drop the grids; `keep`: those whose input, coverage and kernel still hold (only the
        output changed), reused by the next build."""
        self._grids, self._grids_kept = None, keep
        self._grids_token += 1

    def grids_job(self):
        """(token, job), or None when the grids are built: `job()` builds the grids that do not
        change with the step (input, output, coverage, kernel; drawn as a scatter, its
        `ScatterGrids`) from what the session holds now, without reading the session again, so it
        can run on another thread; `adopt_grids(token, grids)` then keeps them unless the session
        moved on meanwhile."""
        if self.grids_built:
            return None
        if self.scatter_shown:
            feeding = slice(self.feeding.start, self.feeding.stop)
            return self._grids_token, partial(
                _scatter_grids, self.plan, self.inputs[feeding], self.kernels[feeding], tuple(self.feeding),
                self.in_channel, self.out_channel, self.bias, None if self.output_pending else self.output, self.step)
        return self._grids_token, partial(
            _static_grids, self.plan, self.padded, self.pattern in ("sample image", "image file"), self.in_channel,
            self.output, self.output_pending, self.out_channel, self.weights, self.bias,
            self.inputs[self.out_channel] if self.coverage_view == "wins" and self.spec.operation == "max_pool" else None,
            self._grids_kept)

    def adopt_grids(self, token, grids) -> bool:
        """Keep grids a `grids_job` built; False (and nothing kept) when the session changed since."""
        if token != self._grids_token:
            return False
        self._grids = grids
        return True

    @property
    def grids_built(self) -> bool:
        """Whether `frame()` has its step-independent grids at hand (else it builds them first)."""
        return isinstance(self._grids, ScatterGrids if self.scatter_shown else tuple)

    def _deliver_output(self, generation: int, result: np.ndarray) -> None:
        """The output computed off the caller's thread, if nothing changed since it was asked for."""
        if generation != self._data_generation:
            return
        self.output, self.output_pending = result, False
        self._forget_grids(keep=self._grids if isinstance(self._grids, tuple) else self._grids_kept)
        self._notify(DATA)

    # the selection -----------------------------------------------------------------------------
    def select(self, target) -> None:
        """Pin `target` (a SelectionTarget or its text, "output:I,J", "input:R,C", "weight:R,C");
        a ConvSpecError names the cells that exist when it does not."""
        target = parse_selection(target).check(self.plan)
        if target != self.selection_target:
            self.selection_target, self._selection = target, None
            self._notify(SELECTION)

    def toggle_selection(self, target) -> None:
        """Pin `target`, or clear the pin when it is the pinned one (a second click)."""
        target = parse_selection(target)
        if target == self.selection_target:
            self.clear_selection()
        else:
            self.select(target)

    def clear_selection(self) -> None:
        """Unpin (and forget any hover)."""
        if self.selection_target is not None or self.hover_target is not None:
            self.selection_target = self.hover_target = None
            self._selection = self._hover = None
            self._notify(SELECTION)

    def hover(self, target) -> None:
        """Show `target` (None: nothing) while the pointer is on it; cells that do not exist are
        ignored (the pointer may be past the grid's edge)."""
        if target is not None:
            target = parse_selection(target)
            if not target.fits(self.plan):
                target = None
        if target != self.hover_target:
            self.hover_target, self._hover = target, None
            self._notify(SELECTION)

    @property
    def selected_input(self) -> tuple[int, int] | None:
        """The pinned input cell, or None (when none, or another kind is pinned)."""
        target = self.selection_target
        return target.cell if target is not None and target.kind == "input" else None

    def select_input(self, cell: tuple[int, int] | None) -> None:
        """Pin an input cell (None: unpin); pinning the pinned one again unpins it."""
        if cell is None:
            self.clear_selection()
        else:
            self.toggle_selection(SelectionTarget("input", int(cell[0]), int(cell[1])))

    def _keep_fitting_selection(self) -> None:
        """After a spec change: keep the pin if its cell still exists, drop the hover."""
        self._selection = self._hover = None
        self.hover_target = None
        if self.selection_target is not None and not self.selection_target.fits(self.plan):
            self.selection_target = None

    def _shown_selection(self):
        if self.hover_target is not None:
            if self._hover is None:
                self._hover = frames.selection(self.plan, self.hover_target, pinned=False)
            return self._hover
        if self.selection_target is not None and self._selection is None:
            self._selection = frames.selection(self.plan, self.selection_target)
        return self._selection

    def go_to_output(self, i: int, j: int) -> None:
        """Jump to the step that computes output cell (i, j); in the scatter, the step of the last
        input cell that writes it (none: stay)."""
        if not self.scatter_shown:
            self.set_step(self.plan.step_of(i, j))
            return
        scatter = scatter_plan(self.plan)
        writers = scatter.writers_of_output(i, j)
        if len(writers):
            self.set_step(max(scatter.step_of(a, b) for a, b in writers.input.tolist()))

    # the animation ---------------------------------------------------------------------------
    @property
    def steps(self) -> int:
        """Output cells, or input cells when a transposed convolution is drawn as a scatter."""
        return animation_steps(self.spec, self.transposed_view)[0]

    def frame(self, step: int | None = None):
        """What the panels show at `step` (the current step by default), with the current selection:
        a `Frame`, or a `ScatterFrame` when a transposed convolution is drawn as a scatter."""
        step = self.step if step is None else max(0, min(int(step), self.steps - 1))
        if self.scatter_shown:
            return self._scatter_frame(step)
        if not isinstance(self._grids, tuple):
            self._grids = self.grids_job()[1]()
        terms = self._terms(step)
        i, j = terms.position
        top, left, height, width = self.plan.window_extent(i, j)
        input_grid, output_grid, coverage_grid, kernel_grid = self._grids
        spec = self.spec
        picked, picked_terms = self._shown_selection(), None
        if picked is not None and picked.kind == "output":
            picked_terms = self._terms(self.plan.step_of(*picked.cell))
        return frames.Frame(input_grid, output_grid, coverage_grid, step=step, steps=self.plan.steps,
                            position=(i, j), window=(top, left, height, width), terms=terms,
                            selection=picked, selection_terms=picked_terms, kernel=kernel_grid,
                            in_channel=self.in_channel, in_channels=spec.in_channels,
                            out_channel=self.out_channel, out_channels=spec.out_channels,
                            group_ranges=group_ranges(spec))

    def _scatter_frame(self, step: int):
        if not isinstance(self._grids, ScatterGrids):
            self._grids = self.grids_job()[1]()
        return scatter_frame(self._grids, step, self._shown_selection(), self.in_channel, self.spec.in_channels,
                             self.out_channel, self.spec.out_channels)

    def _terms(self, step: int):
        """The arithmetic of `step` for the shown output channel, over the channels that feed it."""
        feeding = slice(self.feeding.start, self.feeding.stop)
        return frames.step_terms(self.plan, self.padded_inputs[feeding], self.kernels[feeding], step, self.bias,
                                 self.out_channel, channels=tuple(self.feeding))

    def go_to_step(self, number) -> None:
        """Show step `number` counted as the window shows it, 1 for the first (the command line's
        --step); a ConvSpecError says which steps exist."""
        steps, each = animation_steps(self.spec, self.transposed_view)
        if isinstance(number, bool) or not isinstance(number, (int, np.integer)) or not 1 <= number <= steps:
            raise ConvSpecError(f"step {number} does not exist: this spec has steps 1–{steps} ({each})")
        self.set_step(int(number) - 1)

    def set_step(self, step: int) -> None:
        step = max(0, min(int(step), self.steps - 1))
        if step != self.step:
            self.step = step
            self._notify(STEP)

    def step_forward(self) -> None:
        self.set_step(self.step + 1)

    def step_back(self) -> None:
        self.set_step(self.step - 1)

    def first(self) -> None:
        self.set_step(0)

    def last(self) -> None:
        self.set_step(self.steps - 1)

    @property
    def at_end(self) -> bool:
        return self.step >= self.steps - 1

    def play(self) -> None:
        if self.playing:
            return
        if self.at_end:
            self.set_step(0)
        self.playing = True
        self._notify(PLAYING)

    def pause(self) -> None:
        if self.playing:
            self.playing = False
            self._notify(PLAYING)

    def toggle_play(self) -> None:
        self.pause() if self.playing else self.play()

    def tick(self) -> None:
        """One playback tick: the next step, pausing at the last one."""
        advance_playback(self)

    def set_speed(self, steps_per_second: float) -> None:
        speed = float(steps_per_second)
        if not np.isfinite(speed) or speed <= 0:
            raise ValueError(f"speed must be a positive number of steps per second (got {steps_per_second!r})")
        speed = min(max(speed, MIN_SPEED), 240.0)  # Qt timers take at most 2^31 ms
        if speed != self.speed:
            self.speed = speed
            self._notify(SPEED)

    @property
    def interval_ms(self) -> int:
        return max(1, int(round(1000.0 / self.speed)))
