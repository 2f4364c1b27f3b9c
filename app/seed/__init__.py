"""Seed data: company defaults (reference) and demo records."""
