"""The evaluation tables: intervals and the off-topic column as a reader sees them."""

from __future__ import annotations

from nets_search.evaluate.golden_report import GoldenReport
from nets_search.evaluate.tables import format_golden_table


def test_the_golden_report_gives_each_shares_interval_in_its_table_and_json():
    report = GoldenReport(in_scope=10, hit_at_1=0.8, hit_at_3=1.0, mrr_at_5=0.9, out_of_scope=4,
                          out_of_scope_flagged=4, in_scope_flagged=0, misses=(), best_sentence_hits=6,
                          best_sentence_asked=8)
    assert report.counts()["hit@1"] == (8, 10) and report.counts()["best_sentence"] == (6, 8)
    assert report.to_dict()["intervals_95"]["hit@1"] == [0.4902, 0.9433]
    assert "hit@1 0.49-0.94" in format_golden_table("test", {"hybrid": report})


def test_the_golden_table_shows_off_topic_questions_called_strong_or_good():
    report = GoldenReport(in_scope=3, hit_at_1=1.0, hit_at_3=1.0, mrr_at_5=1.0, out_of_scope=2,
                          out_of_scope_flagged=1, in_scope_flagged=0, misses=(), out_of_scope_labelled_sure=1)
    header, row = format_golden_table("test", {"hybrid": report}).splitlines()[1:3]
    assert "off-topic called strong/good" in header and row.rstrip().endswith("1/2")
