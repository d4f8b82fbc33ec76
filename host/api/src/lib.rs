//! fnhost's Lambda-compatible REST API, SigV4 auth and Prometheus metrics
