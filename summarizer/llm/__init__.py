"""Asking a language model: the OpenAI-compatible chat client (limits, retries, Stop), endpoint probing, the
prompts and their routing, token budgets, grouping short sections, the answer cache, answer parsing and
checks, the local GGUF model and its server, and costs. May import every floor below it (``inputs`` …
``model``), never ``verify`` or above.
"""
