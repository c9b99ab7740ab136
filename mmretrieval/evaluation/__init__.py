"""Evaluation: datasets, metrics and a runner kept apart (CLIP_benchmark's layout).

``datasets`` turn files on disk into plain data objects, ``metrics`` turn embeddings into numbers,
``runner`` encodes one dataset with one model and writes one JSON per run, ``report`` turns many
JSONs into a table, a CSV and plots.
"""
