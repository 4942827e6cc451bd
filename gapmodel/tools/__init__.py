"""Demo and synthetic data and the benchmarks; used by the dashboard, the command line and the
tests, never by the library's layers."""
