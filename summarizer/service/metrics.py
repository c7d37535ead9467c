"""The service's Prometheus metrics (``GET /metrics``): requests and their latency by route, jobs by status
(read from the store at scrape time, so every replica reports the same), and the sections, tokens and cache
hits of the jobs this process ran, by model."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

from summarizer.service.jobs import Job, ServiceStore

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class _JobsByStatus:
    def __init__(self, store: ServiceStore) -> None:
        self.store = store

    def collect(self):
        family = GaugeMetricFamily("summarizer_jobs", "Jobs in the store, by status", labels=["status"])
        for status, count in sorted(self.store.count_by_status().items()):
            family.add_metric([status], count)
        yield family


class ServiceMetrics:
    """One registry per app (tests start several apps in one process)."""

    def __init__(self, store: ServiceStore) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("summarizer_http_requests", "HTTP requests", ["route", "method", "status"],
                                registry=self.registry)
        self.latency = Histogram("summarizer_http_request_seconds", "HTTP request latency", ["route", "method"],
                                 buckets=LATENCY_BUCKETS, registry=self.registry)
        self.sections = Counter("summarizer_sections", "Sections summarized by jobs of this process",
                                ["model", "status"], registry=self.registry)
        self.tokens = Counter("summarizer_model_tokens", "Model tokens spent by jobs of this process",
                              ["model", "direction"], registry=self.registry)
        self.cache_hits = Counter("summarizer_cache_hits", "Sections answered from the answer cache",
                                  ["model"], registry=self.registry)
        self.registry.register(_JobsByStatus(store))

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, method).observe(seconds)

    def observe_job(self, job: Job, summary, settings) -> None:
        model = settings.model if settings.backend == "llm" else "extractive"
        for section in summary.sections:
            if section.status == "skipped":
                continue
            self.sections.labels(model, str(section.status)).inc()
            if getattr(section, "cached", False) or section.status == "cached":
                self.cache_hits.labels(model).inc()
        self.tokens.labels(model, "in").inc(summary.usage.tokens_in)
        self.tokens.labels(model, "out").inc(summary.usage.tokens_out)

    def render(self) -> bytes:
        return generate_latest(self.registry)
