"""Settings and where they come from: the typed settings model, the environment variables, file paths (data and
cache folders), model prices, logging, and the shared-server secret. May import only ``summarizer.model``.
"""
