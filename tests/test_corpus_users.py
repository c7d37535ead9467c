"""The watcher behind .ci/run's second pass (tests/corpus_users.py): it names exactly the tests that read the
corpus, so those, and only those, run again with the corpus absent."""

from __future__ import annotations

import subprocess
import sys

from corpus_users import CorpusUsers


def test_a_test_that_reads_or_lists_the_corpus_is_named_and_others_are_not(tmp_path):
    corpus = tmp_path / "shared" / "corpus"
    (corpus / "news").mkdir(parents=True)
    (corpus / "news" / "en.jsonl").write_text("{}\n")
    (tmp_path / "elsewhere.txt").write_text("x")
    users = CorpusUsers([corpus])
    sys.addaudithook(users.audit)  # the real events of this process, not made-up ones (a hook stays: idle with no current test)
    users.current = "tests/test_a.py::test_reads"
    (corpus / "news" / "en.jsonl").read_text()
    users.current = "tests/test_a.py::test_lists"
    list((corpus / "news").glob("*.jsonl"))
    users.current = "tests/test_a.py::test_hands_it_to_a_child"
    subprocess.run([sys.executable, "-c", "pass", str(corpus / "papers" / "x.pdf")], check=True)
    users.current = "tests/test_a.py::test_elsewhere"
    (tmp_path / "elsewhere.txt").read_text()
    list(tmp_path.glob("*.txt"))
    users.current = None
    (corpus / "news" / "en.jsonl").read_text()  # between tests: nobody's
    assert users.seen == {"tests/test_a.py::test_reads", "tests/test_a.py::test_lists",
                          "tests/test_a.py::test_hands_it_to_a_child"}
    out = tmp_path / "users.txt"
    out.write_text("tests/test_b.py::test_from_another_worker\n")
    users.write(out)
    assert out.read_text().splitlines() == ["tests/test_b.py::test_from_another_worker", "tests/test_a.py::test_hands_it_to_a_child",
                                            "tests/test_a.py::test_lists", "tests/test_a.py::test_reads"]
