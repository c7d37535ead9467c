"""Ask the paper, offline: a question is answered only by a passage that holds its key terms *and* what
it asks for (a licence's name, an amount, a date, a number, an organisation). A passage that merely
shares words with the question is offered as related, never as the answer (issue #24: "What license
is Gammapy released under?" got an unrelated passage as the answer, exit 0)."""

from __future__ import annotations

import json

import pytest
from pdf_factory import LOREM, make_paper

from summarizer.ask.answer_types import AnswerType, question_type, states
from summarizer.ask.qa import NOT_FOUND, Asker
from summarizer.config.settings import Settings
from summarizer.inputs.loading import load_bytes
from summarizer.inputs.text_parser import parse_text

SECTIONS = [
    ("Abstract", 1, "We present Sparrow, a method for fast retrieval over long scientific documents."),
    ("1 Introduction", 1, "Sparrow was released to the community as an open tool for retrieval research. "
     "The license of the Sparrow server is still to be decided by its steering committee. " + LOREM),
    ("2 Index", 1, "Sparrow builds a two-level index of section centroids and sentence postings. "
     "Each block of the index holds 4,096 postings, compressed with variable-byte codes. " + LOREM),
    ("3 Evaluation", 1, "We evaluated Sparrow on the PubMed corpus of abstracts. The PubMed snapshot was taken in "
     "March 2023. Sparrow answers a typical query quickly on commodity hardware. " + LOREM),
    ("4 Availability", 1, "The Sparrow client library is distributed under the MIT license. "
     "The Sparrow project received funding from the Open Retrieval Foundation for its development. " + LOREM),
]


@pytest.fixture(scope="module")
def asker():
    return Asker(load_bytes(make_paper(SECTIONS), "sparrow.pdf"), Settings())


@pytest.mark.parametrize("question, kind", [
    ("What license is the Sparrow server released under?", AnswerType.LICENCE),
    ("How much funding did the Sparrow project receive?", AnswerType.MONEY),
    ("When was Sparrow released to the community?", AnswerType.DATE),
])
def test_a_question_the_paper_does_not_answer_is_not_found_though_it_shares_its_words(asker, question, kind):
    turn = asker.ask(question)
    assert question_type(question) == kind
    assert not turn.found and turn.citations == []
    assert turn.answer.startswith(NOT_FOUND["en"]) and "does not say" in turn.answer
    assert "From the paper:" not in turn.answer
    # the closest passages are offered, as related only
    assert turn.related and "Related passages (they do not answer it):" in turn.answer
    assert turn.as_json()["related"] and turn.as_json()["citations"] == []


@pytest.mark.parametrize("question, quoted, label", [
    ("What license is the Sparrow client library distributed under?", "MIT license", "§4"),
    ("How many postings does each block of the index hold?", "4,096 postings", "§2"),
    ("When was the PubMed snapshot taken?", "March 2023", "§3"),
    # the words naming what is asked need not be in the answer: it names a year, a licence
    ("In which year was the PubMed snapshot taken?", "March 2023", "§3"),
    ("Which licence is Sparrow under?", "MIT license", "§4"),  # 'licence': a word the paper never uses
    ("Who funded the Sparrow project?", "Open Retrieval Foundation", "§4"),
    ("Which corpus was Sparrow evaluated on?", "PubMed corpus", "§3"),
    ("How are the postings compressed?", "variable-byte codes", "§2"),
])
def test_an_answerable_question_quotes_the_passage_that_states_it(asker, question, quoted, label):
    turn = asker.ask(question)
    assert turn.found and turn.answer.startswith("From the paper:"), turn.answer
    first = turn.answer.split("\n\n")[1]
    assert quoted in first and f"[{label}, p." in first, turn.answer
    assert turn.related == []


def test_chinese_questions_are_typed_too():
    doc = parse_text("# 麻雀检索系统\n\n## 摘要\n本文提出麻雀检索系统，用于长文档的快速检索。\n\n"
                     "## 1 系统发布\n麻雀检索系统的服务器已经向研究社区发布，服务器的开源许可证仍由指导委员会决定。\n\n"
                     "## 2 索引\n麻雀检索系统的索引每个块保存4096个倒排项，使用变长字节编码压缩。\n\n"
                     "## 3 资助\n麻雀检索系统的开发得到了开放检索基金会的资助。\n\n"
                     "## 4 客户端\n麻雀检索系统的客户端库采用MIT协议发布。")
    asker = Asker(doc, Settings())
    for question in ("麻雀检索系统的服务器使用什么许可证发布？", "麻雀检索系统的开发经费是多少？"):
        turn = asker.ask(question)
        assert not turn.found and turn.answer.startswith(NOT_FOUND["zh"]) and turn.related, (question, turn.answer)
    turn = asker.ask("索引的每个块保存多少个倒排项？")
    assert turn.found and "4096个倒排项" in turn.answer
    turn = asker.ask("客户端的开源许可证是什么？")  # the answer says 协议, not 开源许可证
    assert turn.found and "MIT协议" in turn.answer and "[§4" in turn.answer, turn.answer


@pytest.mark.parametrize("sentence, kind, expected", [
    ("Released under the BSD 3-clause license.", AnswerType.LICENCE, True),
    ("Availability. MIT license: https://github.com/x/y", AnswerType.LICENCE, True),
    ("It is licensed under the terms of the GNU General Public License.", AnswerType.LICENCE, True),
    ("Published by The MIT Press, 3rd edition.", AnswerType.LICENCE, False),
    ("Data from the Apache Software Foundation issue tracker.", AnswerType.LICENCE, False),
    ("The grant paid $120,000 over three years.", AnswerType.MONEY, True),
    ("Supported by NSF grant AST-1234567.", AnswerType.MONEY, False),
    ("The survey ran from April to August 2020.", AnswerType.DATE, True),
    ("As shown by Lee et al. (2019), the index is small.", AnswerType.DATE, False),
    ("The index is small (Lee and Park, 2019; Chen et al. 2021).", AnswerType.DATE, False),
    ("In 2020, the survey was run again.", AnswerType.DATE, True),
    ("The index is described in Section 4 and Figure 3 [12].", AnswerType.NUMBER, False),
    ("The index holds twelve blocks.", AnswerType.NUMBER, True),
])
def test_what_counts_as_stating_the_type(sentence, kind, expected):
    assert states(sentence, kind) is expected


@pytest.mark.parametrize("question, kind", [
    ("Under which licence is the code available?", AnswerType.LICENCE),
    ("How much did the sequencing cost?", AnswerType.MONEY),
    ("In what year was the survey done?", AnswerType.DATE),
    ("Who funded the work?", AnswerType.ORGANISATION),
    ("Who proposed the method?", AnswerType.PERSON),
    ("How many participants were there?", AnswerType.NUMBER),
    ("In which country was the survey run?", AnswerType.PLACE),
    ("Which datasets were used?", AnswerType.DATASET),
    ("How does the index prune postings?", AnswerType.OPEN),
    ("What did the participants who reported symptoms do?", AnswerType.OPEN),  # a relative "who" asks nothing
])
def test_the_question_says_what_it_asks_for(question, kind):
    assert question_type(question) == kind


def test_cli_ask_exits_4_and_says_the_paper_does_not_say(tmp_path, capsys):
    from summarizer.cli.main import main

    path = tmp_path / "sparrow.pdf"
    path.write_bytes(make_paper(SECTIONS))
    assert main(["ask", str(path), "What license is the Sparrow server released under?"]) == 4
    out = capsys.readouterr().out
    assert "The paper does not say" in out and "Related passages" in out and "From the paper:" not in out
    assert "related, not an answer: [§1, p. 1] 1 Introduction" in out  # listed apart from citations
    assert main(["ask", str(path), "How much funding did the Sparrow project receive?", "--json"]) == 4
    data = json.loads(capsys.readouterr().out)
    assert not data["found"] and data["citations"] == [] and data["related"]
    assert main(["ask", str(path), "What license is the Sparrow client library distributed under?"]) == 0


def test_the_models_not_found_offers_the_passages_it_was_given_as_related(asker, llm_server):
    from conftest import llm_settings

    llm_server.state.reset(ask_not_found=True)
    turn = Asker(asker.document, llm_settings(llm_server)).ask("What license is the Sparrow server released under?")
    assert not turn.found and turn.citations == [] and turn.answer.startswith(NOT_FOUND["en"])
    assert turn.related and turn.related[0].label == "§1"  # the passage that shares the question's words
    assert "The license of the Sparrow server" in turn.related[0].text
