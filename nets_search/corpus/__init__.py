"""The content: which files make up a corpus, how each page is read, and how it is cut into passages."""
