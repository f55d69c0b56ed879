"""An editor's rebuild, as the CLI and the editor panel both run it: build (incrementally), then ask the golden
questions of the new version, compare what the labelled questions are shown with the version in use before, and
the words that report it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nets_search.build.build import BuildSettings, ProgressFn, build_index
from nets_search.build.kept import not_published_lines
from nets_search.corpus.pages import count_pages, is_settings_file
from nets_search.types import BuildReport


@dataclass(frozen=True)
class Rebuild:
    report: BuildReport
    regressions: tuple[str, ...]  # golden questions answered worse than by the previous version, in words
    labels: tuple[str, ...] = ()  # labelled questions shown differently than by the previous version (label_changes)

    def summary(self) -> str:
        return "\n".join([format_build_report(self.report), *(f"  {line}" for line in self.labels),
                          *(f"  warning: {line}" for line in self.regressions)])


def rebuild_and_check(corpus: Path, index: Path, settings: BuildSettings = BuildSettings(), encoder=None,
                      progress: ProgressFn | None = None, force: bool = False) -> Rebuild:
    """Build `index` from `corpus`, then check the golden questions against the new version and compare the
    labels of all labelled questions with the version in use before (not when nothing changed: the answers are the
    ones already checked). One encoder serves the build, its calibration and the checks, loaded only if one of them
    encodes. Raises NetsSearchError as build_index does."""
    from nets_search.build.label_changes import label_report
    from nets_search.encode.encoder import SharedEncoder
    from nets_search.evaluate.golden_check import check_golden_questions

    encoder = encoder or SharedEncoder(settings.backend, cache_dir=Path(index) / "cache")
    previous = _version_in_use(Path(index))
    report = build_index(corpus, index, settings, encoder=encoder, progress=progress, force=force)
    if report.nothing_changed:
        return Rebuild(report, ())
    regressions = tuple(check_golden_questions(corpus, index, encoder))
    return Rebuild(report, regressions, label_report(corpus, index, previous, encoder))


def _version_in_use(index: Path) -> str | None:
    """The version CURRENT names, if any (a damaged pointer: none, and the build replaces it)."""
    from nets_search.errors import NetsSearchError
    from nets_search.index.current import read_current

    try:
        return read_current(index)
    except NetsSearchError:
        return None


def format_build_report(report: BuildReport) -> str:
    if report.nothing_changed:
        lines = [f"Nothing changed: index {report.version} is up to date ({report.passages} passages, {report.seconds:.2f} s)."]
    else:
        everything = (*report.added, *report.changed, *report.removed)
        settings = sorted({n for n in everything if is_settings_file(n)})
        lines = [
            f"Built index {report.version} in {report.seconds:.1f} s.",
            f"  pages: {count_pages(report.added)} added, {count_pages(report.changed)} changed, {count_pages(report.removed)} removed, "
            f"{report.unchanged} unchanged",
            f"  passages: {report.passages} ({report.embedded} embedded, {report.reused} reused from the cache); "
            f"{report.sentences} sentences",
        ]
        if settings:
            lines.append(f"  changed: {', '.join(settings)} (glossary or labelled questions)")
        for label, names in (("added", report.added), ("changed", report.changed), ("removed", report.removed)):
            names = [n for n in names if not is_settings_file(n)]
            if names:
                shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
                lines.append(f"  {label}: {shown}")
        if report.calibration:
            lines.append(f"  {report.calibration}")
        if report.over_token_limit:
            lines.append(
                f"  warning: {len(report.over_token_limit)} passages are longer than the model reads "
                f"(256 word pieces); their ends are not embedded"
            )
    lines[1:1] = not_published_lines(report)  # files left out, right under the first line
    lines.extend(f"  warning: {w}" for w in report.warnings)
    return "\n".join(lines)

