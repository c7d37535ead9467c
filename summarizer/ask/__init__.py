"""Ask the paper: retrieve the passages that answer a question, ask the model on the one request path, type and
check the answer, and say honestly when the paper does not answer it. May import ``store`` and below.
"""
