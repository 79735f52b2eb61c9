"""The orchestration layer: loads a directive, lets a model pick execution tools, bounds the run.

It imports `execution`; `execution` never imports it.
"""
