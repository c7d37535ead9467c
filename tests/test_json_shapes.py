"""One JSON shape for a document and one for a section result (issue #26): what ``--json`` prints and History
stores is ``to_json``, and ``from_json`` gives back what was written."""

from __future__ import annotations

import json
from dataclasses import asdict

from pdf_factory import make_paper, prose

from summarizer.inputs.loading import load_bytes
from summarizer.model.document import Document
from summarizer.model.results import Bullet, SectionResult, Support
from summarizer.store.records import document_from_blob, document_to_blob, section_from_json, section_json


def _paper() -> Document:
    pdf = make_paper([("Abstract", 1, prose("sparrow migration counts", 2)),
                      ("1 Introduction", 1, prose("city bird surveys", 3)),
                      ("2 Method", 1, prose("ringing stations and counts", 2))], title="Sparrows in Winter")
    return load_bytes(pdf, "sparrows.pdf")


def _through_json(data: dict) -> dict:
    return json.loads(json.dumps(data, ensure_ascii=False))


def test_a_document_comes_back_whole_from_its_json():
    doc = _paper()
    assert doc.sections and any(s.blocks for s in doc.sections) and doc.abstract
    again = Document.from_json(_through_json(doc.to_json()))
    assert again == doc
    assert [b.page for s in again.sections for b in s.blocks] == [b.page for s in doc.sections for b in s.blocks]
    assert document_from_blob(document_to_blob(doc)) == doc  # History stores the same shape


def _result() -> SectionResult:
    result = SectionResult(2, "2 Method", "method", 1, "cached", summary="- Birds were ringed at 14 stations.",
                           fields={"summary": ["Birds were ringed at 14 stations."]}, reasoning="counted stations",
                           cached=True, attempts=1, unverified_numbers=["14"], asked_with=["1 Introduction"])
    result.bullets = [Bullet("Birds were ringed at 14 stations.", [3],
                             Support("Birds were ringed at 14 stations in 2021.", 0.9, [3]), 0)]
    result.live = "streaming…"
    return result


def test_a_section_result_comes_back_whole_from_its_json():
    result = _result()
    data = _through_json(result.to_json())
    assert data["status"] == "done" and data["cached"] is True  # readers see "done", from the cache
    assert "live" not in data
    again = SectionResult.from_json(data)
    assert again.status == "cached" and again.bullets[0].pages == [3] and again.bullets[0].found
    assert again == result  # ``live`` is not compared: a streaming answer is not a result
    assert section_from_json(section_json(result)) == result  # History stores the same shape


def test_history_rows_written_before_the_one_shape_still_read():
    """Before #26 History stored ``dataclasses.asdict`` of a result: a stored run must still open."""
    result = _result()
    old = asdict(result)
    old.pop("live")
    again = section_from_json(json.dumps(old))
    assert again == result and again.status == "cached" and again.bullets[0].support.sentence.endswith("2021.")


def test_statuses_and_genres_are_enums_that_read_as_their_strings():
    from summarizer.config.settings import Settings
    from summarizer.model.document import Genre
    from summarizer.model.results import Status
    from summarizer.run.engine import summarize_document

    doc = _paper()
    result = summarize_document(doc, Settings(backend="extractive"))
    statuses = [r.status for r in result.sections]
    assert statuses and all(isinstance(s, Status) for s in statuses), statuses
    assert Status.DONE in statuses and Status.DONE == "done"
    assert Document.from_json(_through_json(doc.to_json())).genre is Genre.PAPER
    assert SectionResult.from_json(_through_json(result.sections[0].to_json())).status in set(Status)


def test_a_claim_just_below_the_support_threshold_stays_not_found_after_a_round_trip():
    from summarizer.model.results import SUPPORT_THRESHOLD

    result = _result()
    result.bullets = [Bullet("A claim.", [], Support("A sentence.", SUPPORT_THRESHOLD - 4e-5, [2]), 0)]
    assert not result.bullets[0].found
    again = SectionResult.from_json(_through_json(result.to_json()))
    assert not again.bullets[0].found and section_from_json(section_json(result)).bullets[0].found is False
