"""Supervision and appraisal (监督与考核, seed 001 §8, seed 002 §4).

Owns: spot checks of closed cases and site patrols of pickup crews with their
scoring rule (`checks`, seed 001 §8(一), 002 §4(一)2); the month's average
supervision score of a person, which the monthly appraisal reads.
"""
