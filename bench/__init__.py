"""Load benchmarks of the BFF against minimal baselines, on loopback: ``make bench``.

Never part of the test suite's pass/fail (a smoke run checks only that it still runs); see the
README's "Benchmarks" section for what is measured and how to read it.
"""
