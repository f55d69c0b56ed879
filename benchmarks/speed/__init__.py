"""The speed benchmark behind `python benchmarks/bench.py`, one module per section.

    plan.py        the command line and the sizes of one run (Plan)
    models.py      the encoders of a run, each loaded once: the project's, the strong peer's, the naive baseline's
    inputs.py      what the sections share: questions, the larger corpus, the indexes built so far
    run.py         the sections in order, one failure never losing the others' figures; the run's meta data
    systems.py     one search of each compared system over the same passages (latency and throughput)
    latency.py  throughput.py  build.py  rebuild.py  cold.py  ann.py  backends.py    the seven sections
    timing.py  files.py  processes.py    small shared helpers

Each section module has `measure(inputs) -> dict`: the figures it adds to the JSON under its own name.
The modules import `workloads` and `report` from benchmarks/, which bench.py puts on the path.
"""
