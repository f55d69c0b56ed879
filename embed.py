"""Rebuild the index from corpus/: the same as `nets-search build` with the defaults."""

import sys

from nets_search.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["build", *sys.argv[1:]]))
