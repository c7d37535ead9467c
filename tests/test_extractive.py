import json

import pytest
from conftest import CORPUS

from summarizer.extractive.news import clean_news, headline, news_overview
from summarizer.extractive.ranking import rank_sentences, summarize_text

ARTICLE = (
    "The city council approved a $3.5 million budget for school repairs on Monday. "
    "The vote was 7-2 after a long debate about roofs, heating and safety. "
    "Council member Ana Ruiz said the repairs were overdue. "
    "The weather was sunny. "
    "The budget for school repairs will be spent over two years, starting with heating. "
    "Parents welcomed the school repairs budget at the meeting."
)


def test_central_sentences_win_over_off_topic_ones():
    ranked = rank_sentences(__import__("summarizer.text.sentences", fromlist=["x"]).split_sentences(ARTICLE))
    weather = next(r for r in ranked if "weather" in r.text)
    assert weather.score == min(r.score for r in ranked)


def test_summary_respects_budget_and_order():
    summary = summarize_text(ARTICLE, "en", budget=30)
    assert len(summary.split()) <= 30 + 20  # the last sentence may cross the budget
    assert "weather" not in summary
    first, *_ = summary.split(". ")
    assert ARTICLE.index(first[:20]) <= ARTICLE.index(summary.split(". ")[-1][:20])


def test_short_text_is_returned_whole():
    assert summarize_text("Only one sentence is here.", "en") == "Only one sentence is here."
    assert summarize_text("", "en") == ""


def test_chinese_summary_uses_source_sentences():
    text = ("国务院常务会议决定，进一步加大对小微企业的支持力度。会议指出，今年将新增减税降费1.2万亿元。"
            "天气很好。会议要求各地落实小微企业减税政策，确保政策红利惠及市场主体。")
    summary = summarize_text(text, "zh", budget=40)
    assert "天气很好" not in summary
    assert all(part in text for part in summary.split("。") if part)


def test_news_cleanup_keeps_numbers():
    dirty = "Share this withEmailFacebookTwitterCopy this linkLONDON — Prices rose 3.5% to £1,200.\u200b"
    assert clean_news(dirty) == "Prices rose 3.5% to £1,200."
    assert clean_news("（原题为《雄安新区启动》）涉及３个村，共５４个。") == "涉及3个村,共54个。".replace(",", "，")


def test_headline_is_short_and_from_the_lead():
    line, paragraph = news_overview(ARTICLE, "en")
    assert line and len(line.split()) <= 30
    assert "budget" in line
    assert paragraph


def test_headline_compresses_long_chinese_lead():
    lead = ("规划提出，到2025年，深圳金融产业支柱地位和资源配置能力进一步增强，金融国际化程度和全球影响力进一步提升，"
            "金融创新能力和综合实力跻身全球金融中心城市前列。")
    out = headline(lead + "深圳金融业规划发布。", "zh")
    assert len(out) < len(lead)


@pytest.mark.skipif(not (CORPUS / "news" / "en.jsonl").exists(), reason="shared corpus not present")
def test_corpus_news_summaries_are_extractive_and_nonempty():
    import re

    from summarizer.text.sentences import split_sentences

    def words(text: str) -> list[str]:
        return re.findall(r"\w+", text.lower())

    def in_order(needle: list[str], haystack: list[str]) -> bool:  # extractive: the source's words, in its order
        it = iter(haystack)
        return all(any(w == h for h in it) for w in needle)

    rows = [json.loads(line) for line in (CORPUS / "news" / "en.jsonl").read_text().splitlines()[:10]]
    for row in rows:
        line, paragraph = news_overview(row["article"], "en")
        source = words(row["article"])
        sentences = split_sentences(paragraph, "en")
        assert line and sentences and len(paragraph) < len(row["article"])
        for sentence in sentences:  # every sentence comes from the article (clean-up may only drop words)
            assert in_order(words(sentence)[3:], source), sentence
        assert in_order(words(line)[3:], source), line


def test_genre_detection_separates_news_from_scholarly_prose():
    from summarizer.inputs.text_parser import detect_genre

    news = "The council voted on Monday to approve the budget, the mayor said. " * 30
    paper = "We report the results of a study of 40 patients; the analysis shows significant effects. " * 60
    assert detect_genre(news, "en") == "article"
    assert detect_genre(paper, "en") == "paper"
    assert detect_genre("word " * 3000, "en") == "paper"


def test_english_headline_never_starts_with_a_dangling_clause():
    lead = ("A young woman on Reddit has shared a set of inspiring before and after images, which showcase how an "
            "exercise plan she began 20 months ago in an effort to lessen her depression has helped her mentally, "
            "and has also ensured a dramatic physical transformation over many months of hard work.")
    line = headline(lead, "en")
    assert line.startswith("A young woman on Reddit")


def test_extractive_backend_says_it_cannot_translate():
    from summarizer.config.settings import Settings
    from summarizer.inputs.text_parser import parse_text
    from summarizer.run.engine import summarize_document

    doc = parse_text("Council passes budget\n\nThe council approved a budget of 3 million on Monday.")
    result = summarize_document(doc, Settings(language="zh"))
    assert any("stays in the source's language" in n for n in result.notices)
    again = summarize_document(doc, Settings(language="zh"))
    assert sum("stays in the source's language" in n for n in again.notices) == 1 and not doc.notices


def test_only_whole_sentences_are_offered_as_bullets():
    from summarizer.extractive.ranking import summary_sentences, whole_sentence

    assert whole_sentence("The parser joins lines into paragraphs before it splits sentences.")
    assert not whole_sentence("where ρ(D) is the density of the dataset under the model.")  # starts mid-sentence
    assert not whole_sentence("LSM-tree 是一种面向写密集型负载优化的存储结构，已广泛应用于LevelDB、RocksDB、", "zh")
    assert not whole_sentence("x = (a + b) / (c − d) = 0.5 + 1.2 − 3.4.")  # mostly symbols
    assert not whole_sentence("Results are in Table 2 (see the.")  # unclosed bracket
    assert whole_sentence("日志结构合并树是一种面向写密集型负载优化的存储结构。", "zh")
    # the fragment comes first and shares its terms with every other sentence: it would rank first
    text = ("where the density estimate of the data set is computed with the kernel model on every split. "
            "The density estimate converges as the data set grows. "
            "The kernel model is fitted on every split of the data set. "
            "Every run repeats the density estimate five times. "
            "The split sizes follow the kernel model defaults.")
    picked = summary_sentences(text, "en", budget=20)
    assert picked and not any(s.startswith("where") for s in picked)


def test_inline_enumerators_do_not_count_as_open_brackets():
    """"1) … 2) …" closes brackets it never opened; such a sentence is whole, a truly unclosed one is not."""
    from summarizer.extractive.ranking import summary_sentences, whole_sentence

    assert whole_sentence("Our contributions are: 1) we propose a parser; 2) we show it is linear in pages.")
    assert whole_sentence("the parameters were : 1 ) initial infusion rate ; 2 ) maintenance rate ; 3 ) total duration .",
                          cased=False)
    assert whole_sentence("Three regimes a) inertial, b) viscous and iv) capillary are compared here.")
    assert not whole_sentence("Our contributions are: 1) we propose a parser (see the appendix.")
    assert not whole_sentence("The value f(x)) is computed twice in this step.")
    for closed in ("(Table 1)", "(n = 12)", "(see Fig. 3)", "(Sections 4 and 5)", "(APE 14)"):  # a ")" that closes its "("
        assert whole_sentence(f"Results are shown for the first experiment {closed}."), closed
    text = ("The survey covers parsers for scientific documents in general. "
            "Our contributions are: 1) we propose a layout parser for papers; 2) we show the parser is linear in pages. "
            "The weather was sunny on the day of the experiment.")
    assert any(s.startswith("Our contributions") for s in summary_sentences(text, "en", budget=22))


def test_a_bullet_drops_its_list_or_equation_number():
    from summarizer.extractive.ranking import summary_sentences

    text = ("We ran three experiments on the compiler.\n\n1. Bootstrap the compiler with two, four and eight parallel jobs.\n\n"
            "2. Run the compiler test suite and compare every failing test.\n\n(3) The results were identical in all runs.")
    assert summary_sentences(text, "en", budget=200) == [
        "We ran three experiments on the compiler.", "Bootstrap the compiler with two, four and eight parallel jobs.",
        "Run the compiler test suite and compare every failing test.", "The results were identical in all runs."]
    zh = "（3）JCR分区与中科院分区是论文的不同分区方式，其划分标准略有差异。2. 安装编辑器之后再配置所有的插件。"
    assert summary_sentences(zh, "zh", budget=200) == ["JCR分区与中科院分区是论文的不同分区方式，其划分标准略有差异。",
                                                       "安装编辑器之后再配置所有的插件。"]
    # a decimal or an initial is no enumerator
    assert summary_sentences("1.5 million people came to the city for the festival.", "en", budget=50) == [
        "1.5 million people came to the city for the festival."]


def test_a_sentence_the_splitter_cut_inside_a_citation_is_put_back_together():
    from summarizer.extractive.ranking import repaired_sentences

    text = "The data come from the shared task (Ng et al., 2014). It has 50 essays."
    assert repaired_sentences(text, "en") == ["The data come from the shared task (Ng et al., 2014).", "It has 50 essays."]


def test_lower_cased_text_keeps_its_sentences():
    """Lower-cased corpora (PubMed abstracts, OCR output) start every sentence in lower case: that is
    not a continuation, so sentences are neither glued together nor all refused."""
    from summarizer.extractive.ranking import summary_sentences

    text = " ".join(f"the council approved budget item {i} after a long vote on monday ." for i in range(30))
    out = summary_sentences(text, "en", budget=40)
    assert out and all(len(s.split()) < 20 for s in out)


def test_a_bracket_is_rejoined_only_when_a_following_piece_closes_it():
    """A parenthesis cut by the splitter ("et al.", "Fig.") is one sentence again; a bracket that is
    never closed (cut or damaged text) does not swallow the rest of the paragraph."""
    from summarizer.extractive.ranking import repaired_sentences

    cased = "Birds sing at dawn (as counted in 2003. The counts are public). They fly south."
    assert repaired_sentences(cased) == ["Birds sing at dawn (as counted in 2003. The counts are public).", "They fly south."]
    lowered = ("cancer can invade the duodenum ( as seen in the scan . tumour tends to spread to the liver . "
               "next the lymph nodes are reached by the cells . and then the lungs are involved too .")
    assert repaired_sentences(lowered) == [
        "cancer can invade the duodenum ( as seen in the scan .", "tumour tends to spread to the liver .",
        "next the lymph nodes are reached by the cells .", "and then the lungs are involved too ."]


def test_small_graphs_rank_without_numpy_to_the_same_scores():
    """Up to ``SMALL_GRAPH`` sentences the ranking runs in pure Python (a one-shot run spares numpy's
    import); its scores are numpy's, on every corpus news article of that size, English and Chinese."""
    import summarizer.extractive.ranking as extractive

    checked = 0
    for lang in ("en", "zh"):
        news = CORPUS / "news" / f"{lang}.jsonl"
        if not news.exists():
            pytest.skip(f"the shared corpus is not at {news}")
        for line in news.read_text(encoding="utf-8").splitlines()[:12]:
            sentences = extractive.repaired_sentences(json.loads(line)["article"], lang)
            if not 3 <= len(sentences) <= extractive.SMALL_GRAPH:
                continue
            small = rank_sentences(sentences, lang)
            limit = extractive.SMALL_GRAPH
            try:
                extractive.SMALL_GRAPH = 0  # the numpy path
                large = rank_sentences(sentences, lang)
            finally:
                extractive.SMALL_GRAPH = limit
            assert [r.index for r in small] == [r.index for r in large]
            assert max(abs(a.score - b.score) for a, b in zip(small, large)) < 1e-9
            checked += 1
    assert checked >= 12
