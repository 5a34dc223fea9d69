"""Prometheus metrics of one running bot: a registry of its own (nothing global), fed by the pipeline and the sender."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from bot.events import Event, IncomingMessage
from bot.transports.base import Transport

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The bot's figures; gauges read from the database are set when /metrics is asked."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.handled = Counter("kocbot_events_handled", "Events the pipeline committed, by kind", ["kind"], registry=r)
        self.latency = Histogram(
            "kocbot_pipeline_latency_seconds",
            "From taking an event off the queue to committing it",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.sends = Counter("kocbot_sends", "Messages handed to the platform, by transport", ["transport"], registry=r)
        self.send_failures = Counter(
            "kocbot_send_failures", "Sends the platform refused or failed, by transport", ["transport"], registry=r
        )
        self.outbox = Gauge("kocbot_outbox_messages", "Outbox messages by state", ["state"], registry=r)
        self.lane_depth = Gauge(
            "kocbot_outbox_lane_messages", "Messages due and waiting to go, by delivery lane", ["lane"], registry=r
        )
        self.lane_oldest = Gauge(
            "kocbot_outbox_lane_oldest_seconds",
            "How long the longest-waiting due message of each lane has waited (0: none)",
            ["lane"],
            registry=r,
        )
        self.scheduler_lag = Gauge(
            "kocbot_scheduler_lag_seconds", "How late the most overdue scheduled job is (0: none due)", registry=r
        )
        self.connected = Gauge("kocbot_transport_connected", "1 while the transport is connected", registry=r)

    def observe(self, event: Event, seconds: float) -> None:
        """One event committed by the pipeline, `seconds` after it was taken off the queue."""
        kind = event.kind.value if isinstance(event, IncomingMessage) else type(event).__name__
        self.handled.labels(kind).inc()
        self.latency.observe(seconds)


class MeteredTransport:
    """The transport as the sender sees it: every send counted, failures too; all else passes through."""

    def __init__(self, transport: Transport, metrics: Metrics) -> None:
        self._transport = transport
        self._metrics = metrics

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)

    async def send(self, message: Any) -> str | None:
        name = self._transport.name
        try:
            platform_id = await self._transport.send(message)
        except Exception:
            self._metrics.send_failures.labels(name).inc()
            raise
        self._metrics.sends.labels(name).inc()
        return platform_id
