"""Write examples/nets-library/: the NETs-related documents of MedQuAD as Markdown pages, plus the seed page.

MedQuAD (Ben Abacha & Demner-Fushman, BMC Bioinformatics 2019) is CC BY 4.0; every page credits its source in its
front matter. Run from the project root with the BEIR copy of MedQuAD beside it:

    python scripts/make_nets_library.py ../shared/data/medquad/corpus.jsonl examples/nets-library

One MedQuAD record ("<doc>_SecN") becomes one section of its document's page; the heading is the record's own
question when it starts with one (GARD), otherwise a plain heading named for what the section is about.

Each page names its publisher in words (PUBLISHERS), as a reader would meet it on the card. MedQuAD records carry
a source code and a URL but no review or retrieval date (the BEIR copy's metadata holds only 'source' and 'url'),
so the pages have no 'reviewed' line: none is made up. Only the pages this script wrote before are replaced; the
folder's other files (the seed page, the glossary, the labelled questions) are left as they are.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

# Documents whose title names a neuroendocrine tumour or a syndrome that causes them, and a few neighbours whose
# text discusses NETs (useful: they share words with the NETs pages, so they test entity confusion).
TITLE = re.compile(
    r"carcinoid|neuroendocrine|islet cell tumor|insulinoma|gastrinoma|glucagonoma|vipoma|somatostatinoma|zollinger"
    r"|multiple endocrine neoplasia|paraganglioma|pheochromocytoma|merkel|medullary thyroid",
    re.I,
)
NEIGHBOURS = {"Pancreatic Cancer", "Small Intestine Cancer", "Neuroblastoma", "Adenocarcinoma of the appendix"}

HEADINGS = (  # (pattern in the section's opening, heading); the first that matches wins
    (r"clinical trial|being studied|new types of treatment", "Research and clinical trials"),
    # "MEN1 is an inherited disorder that causes tumors…" opens an overview, not a section on inheritance
    (r"^[^.]{0,150}\bis (?:is )?an inherited (?:condition|disorder|disease)", "Overview"),
    (r"inherit|autosomal", "How it is inherited"),
    (r"signs? and symptoms|symptoms?\b", "Signs and symptoms"),
    (r"stage|staging|spread.{0,40}(?:body|lymph)", "Stages and spread"),
    (r"prognosis|chance of recovery|outlook", "Outlook"),
    (r"treat|therapy|surgery|medication", "Treatment"),
    (r"diagnos|tests?\b|exam", "Diagnosis"),
    (r"risk factor|risk of", "Risk factors"),
    (r"gene|mutation|cause", "Causes"),
    (r"percent|in every|prevalence|incidence|rare\b|affects (?:about|an estimated)", "How common it is"),
    (r"eating|diet|nutrition", "Eating and diet"),
)


# MedQuAD's source codes and the name a reader knows each publisher by (all nine codes of MedQuAD, so a wider
# selection of documents never shows a code).
PUBLISHERS = {
    "CancerGov": "National Cancer Institute",
    "GARD": "Genetic and Rare Diseases Information Center",
    "GHR": "Genetics Home Reference",
    "MPlusHealthTopics": "MedlinePlus",
    "NIDDK": "NIDDK",
    "NINDS": "National Institute of Neurological Disorders and Stroke",
    "NHLBI": "National Heart, Lung, and Blood Institute",
    "NIHSeniorHealth": "NIH Senior Health",
    "CDC": "CDC",
}
LICENSE = "CC BY 4.0 (MedQuAD, Ben Abacha & Demner-Fushman 2019)"


def publisher_name(code: str) -> str:
    """The publisher in words; a code not in PUBLISHERS stops the script rather than reach a reader as a code."""
    try:
        return PUBLISHERS[code]
    except KeyError:
        raise SystemExit(f"no publisher name for MedQuAD source '{code}': add it to PUBLISHERS") from None


KEY_POINTS_HEADINGS = (  # a CancerGov "Key Points" record named for what its first point is about
    (r"\bstag|\bspread", "Stages and spread"),
    (r"\btreat", "Treatment"),
    (r"\bscreening", "Screening"),
)


def key_points_heading(body: str) -> str:
    """CancerGov opens each part of a page (what it is, stages, treatment) with a record titled "Key Points"; three
    sections all headed "Key points" tell a reader nothing and give the search no hint what each holds, so the
    heading names what the record's first point is about ("Overview" for the opening one)."""
    return first_heading(KEY_POINTS_HEADINGS, body.lstrip(" -").split(" - ", 1)[0][:200].lower())


def first_heading(rules: tuple[tuple[str, str], ...], text: str) -> str:
    """The heading of the first (pattern, heading) rule whose pattern is found in `text`; "Overview" if none is."""
    return next((heading for pattern, heading in rules if re.search(pattern, text)), "Overview")


def heading_and_text(text: str) -> tuple[str, str]:
    first, _, rest = text.partition("? ")
    if rest and len(first) < 160 and re.match(r"^(what|how|is|are|who|can|do|does)\b", first, re.I):
        return first.strip() + "?", rest.strip()
    if text.startswith("Key Points"):
        body = text[len("Key Points"):].strip()
        return key_points_heading(body), body
    return first_heading(HEADINGS, text[:240].lower()), text


def markdown_body(text: str) -> str:
    """MedQuAD flattens lists into ' - item - item': give them back their lines."""
    blocks = []
    for block in re.split(r"\n\s*\n", text):
        block = " ".join(block.split())
        parts = re.split(r"(?:^|\s)- (?=[A-Z0-9(])", block)
        lead, items = parts[0].strip(), [p.strip() for p in parts[1:] if p.strip()]
        if lead:
            blocks.append(lead)
        if items:
            blocks.append("\n".join(f"- {item}" for item in items))
    return "\n\n".join(blocks)


def slug(title: str, doc: str) -> str:
    words = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return f"{words}-{doc.split('_')[0].lower()}"


def front_matter(title: str, meta: dict, doc: str) -> list[str]:
    """The page's front matter: title, source link, publisher in words, MedQuAD's licence and record id."""
    return [
        "---",
        f"title: {json.dumps(title)}",
        f"source: {json.dumps(meta.get('url', ''))}",
        f"publisher: {json.dumps(publisher_name(meta.get('source', '')))}",
        f"license: {LICENSE}",
        f"reference: {doc}",
        "---",
    ]


def remove_written_pages(out: Path) -> None:
    """Removes the pages an earlier run wrote (those carrying MedQuAD's licence line), nothing else."""
    for page in out.glob("*.md"):
        if f"\nlicense: {LICENSE}\n" in page.read_text(encoding="utf-8").split("\n---\n", 1)[0] + "\n":
            page.unlink()


def main(corpus: Path, out: Path) -> None:
    docs: dict[str, list[dict]] = {}
    for line in corpus.open(encoding="utf-8"):
        record = json.loads(line)
        if TITLE.search(record["title"]) or record["title"] in NEIGHBOURS:
            docs.setdefault(record["_id"].rsplit("_Sec", 1)[0], []).append(record)
    out.mkdir(parents=True, exist_ok=True)
    remove_written_pages(out)
    for doc, records in sorted(docs.items()):
        records.sort(key=lambda r: int(r["_id"].rsplit("_Sec", 1)[1]) if "_Sec" in r["_id"] else 0)
        title = records[0]["title"][0].upper() + records[0]["title"][1:]
        meta = records[0].get("metadata") or {}
        lines = [*front_matter(title, meta, doc), "", f"# {title}", ""]
        for record in records:
            heading, text = heading_and_text(record["text"])
            lines += [f"## {heading}", "", markdown_body(text), ""]
        (out / f"{slug(title, doc)}.md").write_text("\n".join(lines), encoding="utf-8")
    print(f"{len(docs)} pages ({sum(len(r) for r in docs.values())} MedQuAD records) written to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
