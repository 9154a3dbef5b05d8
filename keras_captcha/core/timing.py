"""The one way keras-captcha times a call: the median of many, after a warm-up (export and benchmarks)."""

import statistics
import time


def median_ms(run, arguments, runs=100, warmup=1):
    """Median wall time in ms of one `run(argument)` call over `runs` calls after `warmup` calls,
    the arguments taken in turn from the sequence `arguments` (one image, or a dataset's files)."""
    for index in range(warmup):
        run(arguments[index % len(arguments)])
    times = []
    for index in range(runs):
        argument = arguments[index % len(arguments)]
        started = time.perf_counter()
        run(argument)
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1000, 4)
