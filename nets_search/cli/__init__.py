"""The `nets-search` command line."""
