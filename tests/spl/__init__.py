"""Tests of the SPL stand-in (tests/standin): events, lookups, the parser and evaluator, the shipped searches."""
