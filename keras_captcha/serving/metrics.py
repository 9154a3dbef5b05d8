"""The server's Prometheus metrics (prometheus_client), in one process or summed over uvicorn's workers.

With several workers `serve` points `PROMETHEUS_MULTIPROC_DIR` at a fresh
folder before they start; each worker's values then live in files there and
`GET /metrics` sums them (prometheus_client's multiprocess mode). A single
process keeps them in memory, in a registry of its own app.

A rising share of `uncertain` readings is the sign that a site changed its
captcha style (the README gives the PromQL alert).
"""

import os

import prometheus_client
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, multiprocess

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
#: The read outcomes: a reading at or above the threshold, one below it, a request that failed.
OUTCOMES = ("sure", "uncertain", "error")
CONFIDENCE_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 1.0)
READ_SECONDS_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class ServerMetrics:
    """Every metric the server exports; `exposition()` renders them in the Prometheus text format."""

    enabled = True

    def __init__(self):
        self.multiprocess = bool(os.environ.get(MULTIPROCESS_VARIABLE))
        registry = None if self.multiprocess else CollectorRegistry()
        self.registry = registry
        self.reads = Counter(
            "keras_captcha_reads", "Images read, by model and outcome (sure, uncertain, error).",
            ["model", "outcome"], registry=registry,
        )
        self.read_seconds = Histogram(
            "keras_captcha_read_seconds", "Seconds a read request spent reading its images, by model.",
            ["model"], buckets=READ_SECONDS_BUCKETS, registry=registry,
        )
        self.confidence = Histogram(
            "keras_captcha_confidence", "Confidence of each reading, by model.",
            ["model"], buckets=CONFIDENCE_BUCKETS, registry=registry,
        )
        self.requests = Counter(
            "keras_captcha_requests", "HTTP requests, by path and status.", ["path", "status"], registry=registry,
        )
        self.model_info = Gauge(
            "keras_captcha_model_info", "1 for the file each model serves now (its sha256), 0 for one replaced.",
            ["model", "sha256"], multiprocess_mode="livemax", registry=registry,
        )
        self.reload_errors = Counter(
            "keras_captcha_reload_errors", "Models a reload kept as they were (missing or broken file).",
            ["model"], registry=registry,
        )
        self.collected = Counter(
            "keras_captcha_collected", "Uncertain images saved by --collect, by model.", ["model"], registry=registry,
        )
        self.collect_skipped = Counter(
            "keras_captcha_collect_skipped", "Uncertain images not saved: the --collect folder is at its size limit, "
            "or its writer is behind.",
            registry=registry,
        )
        self.feedback = Counter(
            "keras_captcha_feedback", "Feedback recorded, by kind (label, correct).", ["kind"], registry=registry,
        )

    def count_reads(self, model, results, seconds):
        """Counts one read request's `Reading` dicts and its reading time."""
        self.read_seconds.labels(model).observe(seconds)
        for result in results:
            self.reads.labels(model, "uncertain" if result["uncertain"] else "sure").inc()
            self.confidence.labels(model).observe(result["confidence"])

    def exposition(self):
        """`(body bytes, content type)` of `GET /metrics`."""
        registry = self.registry
        if self.multiprocess:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        return prometheus_client.generate_latest(registry), prometheus_client.CONTENT_TYPE_LATEST

    @staticmethod
    def worker_exited(pid):
        """Drops a finished worker's live gauges (its `model_info`) from the multiprocess folder."""
        if os.environ.get(MULTIPROCESS_VARIABLE):
            multiprocess.mark_process_dead(pid)


class _Uncounted:
    """A metric that counts nothing."""

    def labels(self, *values):
        return self

    def inc(self, amount=1):
        pass

    observe = set = inc


class NoMetrics:
    """`serve --no-metrics`: the same attributes as `ServerMetrics`, counting nothing (`GET /metrics` is 404)."""

    enabled = False
    multiprocess = False

    def __init__(self):
        uncounted = _Uncounted()
        for name in ("reads", "read_seconds", "confidence", "requests", "model_info", "reload_errors",
                     "collected", "collect_skipped", "feedback"):
            setattr(self, name, uncounted)

    def count_reads(self, model, results, seconds):
        pass

    worker_exited = staticmethod(lambda pid: None)
