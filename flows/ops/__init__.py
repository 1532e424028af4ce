"""Operating Flowscope: health checks (/healthz, the page's status line) and Prometheus metrics."""
