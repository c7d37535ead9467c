"""Rules that a one-line change could silently break: section kinds by position and faithfulness checks.

Each test names the rule it guards; bench/mutation.py breaks those lines and expects a failure here.
"""

from __future__ import annotations

import pytest

from summarizer.text.kinds import assign_kinds, kind_from_title
from summarizer.verify.faithfulness import check_summary

# ---- section kinds ------------------------------------------------------------------------------


def test_unnamed_section_between_introduction_and_experiments_is_the_method():
    titles = ["Abstract", "1 Introduction", "2 Sparrow: Sorted Posting Lists", "3 Experiments", "4 Conclusion"]
    assert assign_kinds(titles, [1] * 5) == ["abstract", "introduction", "method", "experiments", "conclusion"]


def test_unnamed_section_after_the_conclusion_is_not_the_method():
    titles = ["1 Introduction", "2 Conclusion", "3 Sparrow in Practice"]
    assert assign_kinds(titles, [1, 1, 1])[2] == "other"


def test_method_words_under_experiments_stay_experiments():
    titles = ["1 Introduction", "2 Experiments", "2.1 Model", "2.2 Datasets", "3 Conclusion"]
    kinds = assign_kinds(titles, [1, 1, 2, 2, 1])
    assert kinds[2] == "experiments"  # "Model" under "Experiments" is part of the experiments
    assert kinds[3] == "experiments"  # an unnamed subsection inherits its parent's kind


def test_unnamed_section_after_results_is_discussion_and_after_references_appendix():
    titles = ["1 Introduction", "2 Method", "3 Results", "4 What the Numbers Mean", "5 Conclusion", "References",
              "Proof of Lemma 2"]
    kinds = assign_kinds(titles, [1] * 7)
    assert kinds[3] == "discussion"
    assert kinds[6] == "appendix"


@pytest.mark.parametrize(("title", "kind"), [
    ("Acknowledgements", "acknowledgements"), ("Funding", "acknowledgements"), ("Related Work", "related_work"),
    ("5. Limitations", "limitations"), ("IV. Conclusions and Future Work", "conclusion"), ("参考文献", "references"),
    ("第3章 实验结果", "results"), ("Appendix A Proofs", "appendix"), ("Sparrow", None),
])
def test_title_rules(title, kind):
    assert kind_from_title(title) == kind


# ---- faithfulness --------------------------------------------------------------------------------

SOURCE = "Recall rose to 4.2 points on 1,200 queries, said Ana Ruiz of Springfield, calling it \"a modest gain\"."


def test_numbers_within_the_rounding_of_the_source_pass_and_others_are_flagged():
    assert check_summary("Recall rose to 4.2 points on about 1,200 queries.", SOURCE).clean
    assert check_summary("Recall rose to 4.3 points.", SOURCE).numbers == ["4.3"]  # one step off is a different number
    assert check_summary("It was tested on 1,300 queries.", SOURCE).numbers == ["1,300"]


def test_short_quotes_are_not_checked_but_three_words_are():
    assert check_summary('Ruiz called it "modest gain".', SOURCE).quotes == []  # two words: an ordinary phrase
    assert check_summary('Ruiz called it "a modest gain".', SOURCE).clean
    assert check_summary('Ruiz called it "a huge leap forward".', SOURCE).quotes == ["a huge leap forward"]


def test_names_not_in_the_source_are_flagged():
    assert check_summary("Ana Ruiz of Springfield reported it.", SOURCE).clean
    assert check_summary("Ana Ruiz of Shelbyville reported it.", SOURCE).names == ["Shelbyville"]


# ---- fetch limits ---------------------------------------------------------------------------------


def test_a_download_over_the_size_limit_is_refused(monkeypatch):
    from web_server import WebServer

    import summarizer.inputs.fetch as fetch_module
    from summarizer.model.errors import InputError

    monkeypatch.setenv("SUMMARIZER_ALLOW_HOSTS", "127.0.0.1")  # the test server is on loopback
    with WebServer() as server:
        server.routes["/big"] = (200, "text/html", b"<p>" + b"x" * 5000 + b"</p>")
        server.routes["/small"] = (200, "text/html", b"<p>" + b"x" * 3000 + b"</p>")
        assert len(fetch_module.fetch(server.url + "/small", max_bytes=4096).data) == 3007
        with pytest.raises(InputError, match="larger than"):
            fetch_module.fetch(server.url + "/big", max_bytes=4096)
