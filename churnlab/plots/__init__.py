"""Plots: seaborn/matplotlib functions that draw a metric's tidy frame.

Every function takes ``ax=`` (a new figure when None) and returns the Axes.
"""
