"""Thin RQ entry points: plain arguments in, one service call, safe to run twice."""
