"""Random spec changes and playback steps for the soak tests, and the process's memory."""

import gc

import psutil

MAX_GROWTH_MB = 50


def random_change(rng):
    field = rng.integers(0, 7)
    if field == 0:
        return {"input_shape": (1, 1, int(rng.integers(-1, 40)), int(rng.integers(-1, 40)))}
    if field == 1:
        return {"kernel_size": (int(rng.integers(0, 7)), int(rng.integers(0, 7)))}
    if field == 2:
        return {"stride": (int(rng.integers(0, 4)), int(rng.integers(0, 4)))}
    if field == 3:
        return {"dilation": (int(rng.integers(0, 4)), int(rng.integers(0, 4)))}
    if field == 4:
        choices = ["valid", "same", "full", int(rng.integers(-1, 4)), "bogus", (1, 2, 3, 0)]
        return {"padding": choices[int(rng.integers(0, len(choices)))]}
    if field == 5:
        return {"padding_mode": ["zeros", "reflect", "replicate", "circular", "mirror"][int(rng.integers(0, 5))]}
    return {"out_channels": int(rng.integers(0, 3))}


def drive(session, rng, count):
    accepted = 0
    for _ in range(count):
        accepted += session.update_spec(**random_change(rng))
        for _ in range(int(rng.integers(0, 3))):
            [session.step_forward, session.step_back, session.first, session.last, session.tick][int(rng.integers(0, 5))]()
    return accepted


def rss_mb():
    gc.collect()
    return psutil.Process().memory_info().rss / 2**20
