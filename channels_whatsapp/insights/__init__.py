"""Insights for support leads: what the desk received, how fast and how well it answered inside WhatsApp's 24-hour
window, what reached the customer, and what is waiting. Every metric is one function in one module of this package
that returns a `result.MetricResult`; the page, the API's JSON and the CSV download are three views of it.
Definitions: docs/insights.md."""
