"""One run: a RunSpec resolved into objects, trained through the public loop, evaluated, checkpointed.

``resolve`` (spec -> objects), ``directory`` (the run directory's creation rules), ``provenance``
(config.json), ``loop`` (the primitives ``Method.train`` drives), ``budget`` (counters and the running mean
length), ``evaluation`` (greedy evaluations and preference sweeps), ``diagnostics`` (gradient cosines),
``checkpointing``, ``progress`` and ``execute`` (all of it, in order).
"""
