"""The product's own failures. The CLI and the page catch `NetsSearchError` once and show its message."""


class NetsSearchError(Exception):
    """Base class: the message is a complete, one-line explanation for a person."""


class CorpusError(NetsSearchError):
    """The content could not be read (missing folder, bad file, malformed front matter). When one line of a file is
    to blame, `line` names it (1 is the file's first line) and `reason` says what is wrong there in plain words, so a
    list of pages that were not published can show "octreotide.md — line 2: a quote is not closed"."""

    def __init__(self, message: str, *, line: int | None = None, reason: str | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.reason = reason


class UnreadableFilesError(CorpusError):
    """Files of the corpus cannot be read and the build was told to stop on them (the command line's default):
    nothing was published."""


class IndexMissingError(NetsSearchError):
    """No built index where one was expected."""


class IndexMismatchError(NetsSearchError):
    """The index was built with another model, backend or format version."""


class IndexCorruptError(NetsSearchError):
    """The index on disk is damaged: CURRENT does not name a kept version, a manifest does not match its checksum
    or its schema, or a file does not match the checksum its manifest recorded (or is not listed there)."""


class IndexWriteError(NetsSearchError):
    """A build, rollback or calibration could not write (full disk, read-only folder); the version in use is
    untouched."""


class BuildLockedError(NetsSearchError):
    """Another build holds the lock."""


class QueryError(NetsSearchError):
    """The question cannot be searched (for example, it is empty)."""


class EvaluationError(NetsSearchError):
    """A golden-question file or a BEIR dataset cannot be read; the message names the file and line."""
