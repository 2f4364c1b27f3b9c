"""Shift handover (值班交接, seed 003 客服运营方案 三.1)."""
