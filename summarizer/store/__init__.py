"""Keeping results: the History store (SQLite, one writer at a time) and comparing two stored runs. May import
``output`` and below.
"""
