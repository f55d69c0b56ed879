"""Measuring answers: metrics, labelled (golden) questions, BEIR data sets and evaluation runs."""
