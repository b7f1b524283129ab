"""Operations: Prometheus metrics, JSON logs, the watchdog's alerts, /health's process facts.

`ops.runtime.Ops` is built beside the Application and attached to it in two lines
(bot/app.py); the rest of the code knows nothing of it but one hook in the sender
(`ops.metrics.note_delivery`). docs/operations.md is the operator's side of this package.
This module imports nothing: the CLI's commands load only what they use.
"""
