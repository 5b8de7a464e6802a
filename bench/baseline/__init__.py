"""A bare Django project: the baseline bench/public_load.py measures the app against."""
