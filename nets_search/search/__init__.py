"""Answering a question: analysing it, running the retrievers, fusing their rankings and judging the confidence."""
