from summarizer.text.language import cjk_share, detect_language
from summarizer.text.sentences import split_sentences


def test_abbreviations_and_decimals_do_not_split():
    text = "We follow Smith et al. in Fig. 3 and Sec. 2. It is 3.5% better than e.g. BM25. Done."
    assert split_sentences(text) == [
        "We follow Smith et al. in Fig. 3 and Sec. 2.",
        "It is 3.5% better than e.g. BM25.",
        "Done.",
    ]


def test_glued_sentences_are_separated():
    assert split_sentences("The funding ends.Park View said it may go.") == [
        "The funding ends.", "Park View said it may go."]


def test_lowercased_corpus_still_splits():
    assert len(split_sentences("the cells grew . the dose was 5 mg . we stopped .")) == 3


def test_chinese_sentences():
    assert split_sentences("我们提出了一种新方法。它很好！你觉得呢？", "zh") == ["我们提出了一种新方法。", "它很好！", "你觉得呢？"]


def test_language_detection():
    assert detect_language("深度学习在自然语言处理中的应用越来越广泛。") == "zh"
    assert detect_language("Deep learning is widely used in NLP, e.g. 中文 appears once.") == "en"
    assert cjk_share("") == 0.0


def test_chinese_decimals_and_domains_stay_whole():
    assert split_sentences("美债收益率跌3.5个基点，报1.869%。ABC.com今天上线。", "zh") == [
        "美债收益率跌3.5个基点，报1.869%。", "ABC.com今天上线。"]


def test_closing_quotes_stay_with_their_sentence():
    assert split_sentences("He said: “We won.” Then he left. ‘Fine,’ she said.") == [
        "He said: “We won.”", "Then he left.", "‘Fine,’ she said."]


def test_glued_quotes_open_or_close_by_quote_parity():
    text = 'The letter broke."From 2012 I felt alone," she said."I did not know." A "handful of officers".During it.'
    assert split_sentences(text) == [
        "The letter broke.", '"From 2012 I felt alone," she said.', '"I did not know."',
        'A "handful of officers".', "During it."]


def test_splitting_does_not_import_spacy():
    import subprocess
    import sys

    code = ("import sys; from summarizer.text.sentences import split_sentences; split_sentences('A b. C d.', 'en'); "
            "split_sentences('甲。乙。', 'zh'); print('spacy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_a_run_of_bare_marks_stays_with_its_sentence():
    assert split_sentences("as in smith et al . . the test was run . it worked .") == [
        "as in smith et al . .", "the test was run .", "it worked ."]


def test_tokenized_text_keeps_its_abbreviations_whole():
    """Tokenized corpora (PubMed, arXiv datasets, some OCR) set the period apart: "et al .", "fig ."
    are abbreviations there too; a single letter before " ." still ends a sentence."""
    text = ("as described by lian et al . , sections were stained . the tip lay in the vein ( fig . 1 ) . "
            "outcomes were worse in group b . the next sentence starts here .")
    assert split_sentences(text) == ["as described by lian et al . , sections were stained .",
                                     "the tip lay in the vein ( fig . 1 ) .", "outcomes were worse in group b .",
                                     "the next sentence starts here ."]


def test_a_list_enumerator_starts_its_item_and_is_no_sentence():
    assert split_sentences("The steps are simple. 1. Install the tools. 2. Run the build.") == [
        "The steps are simple.", "1. Install the tools.", "2. Run the build."]
    assert split_sentences("安装步骤如下：\n\n1. 安装TexLive。\n\n2. 安装编辑器。", "zh") == [
        "安装步骤如下：", "1. 安装TexLive。", "2. 安装编辑器。"]
    # a number that ends a sentence stays there
    assert split_sentences("It grew by 2. Then it fell. See Sec. 3. The end.") == [
        "It grew by 2.", "Then it fell.", "See Sec. 3.", "The end."]
