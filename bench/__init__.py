"""Benchmarks, run by ``make bench``; each module is a program (``python bench/NAME.py``)."""
