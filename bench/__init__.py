"""Benchmarks of the central system against its baselines (`python -m bench`).

Everything runs on 127.0.0.1 in subprocesses that are always stopped: our app
under daphne, a bare Channels echo consumer, a bare `ocpp` + `websockets`
central system, and a lean load generator (`bench.loadgen`).
"""
