import json
import re
from pathlib import Path

import pytest

from nets_search.corpus import load_corpus
from nets_search.passages import SplitSettings, page_sections, split_page
from nets_search.errors import CorpusError
from nets_search.text import word_count

from .conftest import SEED_CORPUS, SHARED, page

SEED_SOURCE = SHARED / "seeds" / "000_cc35f7b85773b9e5.txt"
SITE_CHROME = (
    "This site has been initiated",
    "Rate this content",
    "Rating:",
    "Please wait",
    "Find out more",
    "We use cookies",
    "This site is intended for a UK audience",
    "View Ronny",
    "Diagnosis & Testing",
    "Diagnosing NETs",
    "Find out how NETs",
    "Treating NETs",
    "Read about treatment options",
    "Treatment Options",
    "FAQs by experts",
    "Have a question about NETs",
    "See if it has been answered",
    "View FAQs",
)


def _pages(folder: Path):
    return load_corpus(folder).pages


def _passages(folder: Path, settings=SplitSettings()):
    return [p for pg in _pages(folder) for p in split_page(pg, settings)]


def test_passages_never_straddle_sections_and_carry_title_and_heading(make_corpus):
    body = "Words about one thing. " * 10
    folder = make_corpus({"a.md": page("Alpha page", ("First", body), ("Second", body))})
    passages = _passages(folder)
    assert {p.section for p in passages} == {"First", "Second"}
    assert all(p.title == "Alpha page" for p in passages)
    assert all(p.breadcrumb.startswith("Alpha page › ") for p in passages)


def test_nested_headings_become_a_breadcrumb(make_corpus):
    text = "# Page\n\n## Outer\n\nSome words here.\n\n### Inner\n\nMore words here."
    folder = make_corpus({"p.md": text})
    assert [p.section for p in _passages(folder)] == ["Outer", "Outer › Inner"]


def test_table_stays_whole_with_its_lead_in(make_corpus):
    table = "| Site | Hormone |\n| --- | --- |\n| Stomach | Serotonin |\n| Bowel | Histamine |"
    folder = make_corpus({"t.md": page("T", ("Tables", "The sites and hormones are:\n\n" + table))})
    (passage,) = _passages(folder)
    assert "The sites and hormones are:\nSite | Hormone\nStomach | Serotonin\nBowel | Histamine" in passage.text


def test_oversize_table_is_cut_between_rows_repeating_its_header(make_corpus):
    rows = "\n".join(f"| row {i} | {'word ' * 12}|" for i in range(60))
    folder = make_corpus({"t.md": page("T", ("Big", f"| Name | Notes |\n| --- | --- |\n{rows}"))})
    passages = _passages(folder)
    assert len(passages) > 1
    for p in passages:
        assert p.text.startswith("Name | Notes\n")
        assert all(re.fullmatch(r"(Name \| Notes|row \d+ \| (word ){11}word)", line) for line in p.text.splitlines())
    assert sum(p.text.count("row ") for p in passages) == 60


def test_list_stays_with_the_sentence_that_introduces_it(make_corpus):
    intro = "Long paragraph about something else entirely. " * 8
    body = f"{intro}\n\nSymptoms may be eased by:\n\n- Rest\n- Water\n- Exercise"
    folder = make_corpus({"l.md": page("L", ("Easing", body))})
    texts = [p.text for p in _passages(folder, SplitSettings(max_words=60, min_words=5))]
    assert any("Symptoms may be eased by:\n• Rest\n• Water\n• Exercise" in t for t in texts)


@pytest.mark.parametrize("max_words", [40, 120, 180])
def test_no_passage_exceeds_1000_characters(make_corpus, max_words):
    giant = "A" * 2500 + " " + " ".join(f"sentence number {i} is here." for i in range(300))
    folder = make_corpus({"g.md": page("G", ("Huge", giant)), "g2.txt": giant})
    passages = _passages(folder, SplitSettings(max_words=max_words))
    assert passages and all(len(p.text) <= 1000 for p in passages)
    # a short tail may merge into its neighbour, so a passage holds at most max_words + min_words words
    settings = SplitSettings(max_words=max_words)
    assert all(word_count(p.text) <= max_words + settings.min_words for p in passages)


def test_short_fragments_merge_with_a_neighbour_in_the_same_section(make_corpus):
    folder = make_corpus({"s.md": page("S", ("One", "Short.\n\nAlso short.\n\nTiny."), ("Two", "Alone here."))})
    passages = _passages(folder)
    assert [p.text for p in passages] == ["Short.\n\nAlso short.\n\nTiny.", "Alone here."]


def test_passage_ids_are_stable_and_follow_content(make_corpus, tmp_path):
    first = make_corpus({"a.md": page("A", ("One", "Alpha text. " * 20), ("Two", "Beta text. " * 20))})
    ids_before = [p.passage_id for p in _passages(first)]
    assert ids_before == [p.passage_id for p in _passages(first)]
    (first / "a.md").write_text(page("A", ("One", "Alpha text. " * 20), ("Two", "Changed text. " * 20)))
    ids_after = [p.passage_id for p in _passages(first)]
    assert ids_after[0] == ids_before[0] and ids_after[1] != ids_before[1]


def test_identical_passages_in_one_section_get_distinct_ids(make_corpus):
    text = ("Same words again and again. " * 30 + "\n\n") * 2
    passages = _passages(make_corpus({"d.md": page("D", ("Dup", text))}), SplitSettings(max_words=90))
    assert len({p.passage_id for p in passages}) == len(passages)


def test_inline_markup_is_reduced_to_its_words(make_corpus):
    folder = make_corpus({"m.md": "# M\n\nSee **bold** and [a link](https://x.org) and `code`.\n\n<!-- hidden note -->"})
    (passage,) = _passages(folder)
    assert passage.text == "See bold and a link and code."


def test_txt_pages_are_indexed_with_a_title_from_the_file_name(make_corpus):
    folder = make_corpus({"living-with-nets.txt": "First paragraph.\n\nSecond paragraph."})
    (pg,) = _pages(folder)
    assert (pg.title, pg.kind, pg.doc_id) == ("Living with nets", "text", "living-with-nets")


def test_front_matter_gives_title_source_publisher_and_review_date(make_corpus):
    folder = make_corpus({"sub/p.md": "---\ntitle: My page\nsource: https://a.org/p\npublisher: A Charity\n"
                                      "reviewed: 2024-05-01\n---\nBody."})
    (pg,) = _pages(folder)
    assert (pg.doc_id, pg.title, pg.source, pg.publisher, pg.reviewed) == (
        "sub/p", "My page", "https://a.org/p", "A Charity", "2024-05-01")


def test_jsonl_corpus_uses_ids_and_titles(tmp_path):
    lines = [{"_id": "d1", "title": "Asthma", "text": "Asthma is a lung condition."}, {"_id": "d2", "text": "Other."}]
    path = tmp_path / "corpus.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines))
    assert [(p.doc_id, p.title) for p in _pages(path)] == [("d1", "Asthma"), ("d2", "d2")]


@pytest.mark.parametrize(
    "files, message",
    [
        ({"bad.md": b"caf\xe9 au lait"}, "bad.md: not valid UTF-8"),
        ({"bin.md": b"\x89PNG\x00\x00\x01"}, "bin.md: looks like a binary file"),
        ({"fm.md": b"---\ntitle: [unclosed\n---\nBody"}, "fm.md: malformed front matter"),
        ({"open.md": b"---\ntitle: x\nBody without end"}, "open.md: front matter starts with '---'"),
        ({"a.md": b"A page", "a.txt": b"Another"}, "two pages share the id 'a'"),
        ({"empty.md": b"", "blank.md": b"   \n\n"}, "the corpus has no pages with text"),
    ],
)
def test_bad_files_give_one_line_naming_the_file(tmp_path, files, message):
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    with pytest.raises(CorpusError) as caught:
        load_corpus(folder)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_skip_bad_files_keeps_the_good_pages_and_warns(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "good.md").write_text("Good text.")
    (folder / "bad.md").write_bytes(b"\xff\xfe bad")
    report = load_corpus(folder, skip_bad_files=True)
    assert [p.doc_id for p in report.pages] == ["good"]
    assert any("bad.md" in w for w in report.warnings)


def test_every_bad_file_is_named_in_one_pass(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "good.md").write_text("Good text.")
    (folder / "bad.md").write_bytes(b"\xff\xfe bad")
    (folder / "worse.md").write_bytes(b"---\ntitle: [unclosed\n---\nBody")
    with pytest.raises(CorpusError) as caught:
        load_corpus(folder)
    message = str(caught.value)
    assert message.startswith("2 files cannot be read: ") and "\n" not in message
    assert "bad.md: not valid UTF-8" in message and "worse.md: malformed front matter" in message
    assert load_corpus(folder, skip_bad_files=True).bad_files == ("bad.md", "worse.md")


def test_files_that_are_not_pages_are_named_not_silently_dropped(tmp_path):
    folder = tmp_path / "corpus"
    (folder / "leaflets").mkdir(parents=True)
    (folder / "good.md").write_text("Good text.")
    (folder / "leaflets" / "diet.pdf").write_bytes(b"%PDF-1.7")
    for settings in ("glossary.yaml", "page.yaml", "golden-questions.jsonl"):
        (folder / settings).write_text("")
    warnings = load_corpus(folder).warnings
    assert warnings == ("ignored leaflets/diet.pdf: not a page (pages are .md, .markdown, .txt files)",)


def test_missing_corpus_is_reported(tmp_path):
    with pytest.raises(CorpusError, match="corpus not found"):
        load_corpus(tmp_path / "nowhere")


def test_seed_page_has_the_expected_structure():
    (pg,) = [p for p in _pages(SEED_CORPUS) if p.doc_id == "nets-key-facts"]
    headings = [s.heading for s in page_sections(pg)]
    assert pg.title == "NETs: key facts"
    assert headings == [
        "",
        "Functioning vs non-functioning tumours",
        "What are carcinoid tumours?",
        "What is carcinoid syndrome?",
        "Symptoms of carcinoid syndrome",
    ]
    kinds = {b.kind for s in page_sections(pg) for b in s.blocks}
    assert {"table", "quote", "list", "paragraph"} <= kinds


@pytest.mark.skipif(not SEED_SOURCE.exists(), reason="the source page lives in ../shared, absent in this checkout")
def test_seed_page_keeps_every_content_sentence_of_the_source():
    markdown = (SEED_CORPUS / "nets-key-facts.md").read_text(encoding="utf-8")
    flat = " ".join(markdown.replace("<br>", " ").replace("|", " ").split())
    content = [
        " ".join(line.replace("•", "").split())
        for line in SEED_SOURCE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.strip().startswith(SITE_CHROME)
    ]
    missing = [line for line in content if line not in flat]
    assert not missing, f"sentences of the source missing from corpus/: {missing}"
    assert not any(chrome in markdown for chrome in ("We use cookies", "Please wait", "Rate this content"))


# --------------------------------------------------------------------------- the encoder's window


def test_a_passage_dense_in_word_pieces_is_cut_to_the_encoders_window(tmp_path):
    from nets_search.encode import count_tokens

    # Short words that each cost several word pieces: within the word and character caps, far over 256 pieces.
    body = " ".join(f"5-HIAA/{n}x" for n in range(150)) + "."
    (tmp_path / "lab.md").write_text(f"# Lab values\n\n## Urine tests\n\n{body}\n", encoding="utf-8")
    (page,) = load_corpus(tmp_path).pages
    assert count_tokens(f"Lab values › Urine tests\n{body}") > 256
    passages = split_page(page, SplitSettings(), count_tokens)
    assert len(passages) > 1
    assert all(count_tokens(p.embedding_text) <= 256 for p in passages)
    assert " ".join(p.text for p in passages).split() == body.split()  # every word kept, in order


@pytest.mark.skipif(not (SHARED / "data" / "medquad" / "corpus.jsonl").is_file(),
                    reason="needs ../shared/data/medquad (the MedQuAD BEIR copy beside the repository)")
def test_no_medquad_passage_is_longer_than_the_encoder_reads():
    from nets_search.encode import MAX_SEQ_LENGTH, count_tokens

    pages = load_corpus(SHARED / "data" / "medquad" / "corpus.jsonl").pages
    longest = max(count_tokens(p.embedding_text) for page in pages for p in split_page(page, SplitSettings(), count_tokens))
    assert longest <= MAX_SEQ_LENGTH
