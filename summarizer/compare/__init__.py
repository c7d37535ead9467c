"""Comparing two batch runs of the same documents: a blind rating sheet for people, the ratings read back
as win rates with confidence intervals, and a judge model checked against the people (issue #28)."""
