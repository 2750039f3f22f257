"""Trained-model files the rubric reads: their JSON formats, loading, saving and inference.

A leaf: it depends on the records and feature names, never on the scorer or the
detectors, so the detectors and calibration can both use it.
"""
