import pytest

from summarizer.verify.faithfulness import check_summary, chinese_to_number, mark_unverified, numbers_in


@pytest.mark.parametrize("summary,source", [
    ("Sales reached 1,200 units.", "They sold 1200 units."),
    ("Sales reached 1.2k units.", "They sold 1,200 units."),
    ("销量达到一千二百件。", "They sold 1,200 units."),
    ("Sales reached 1200 units.", "销量达到一千二百件。"),
    ("Prices rose 3.5%.", "Prices rose 3.5 percent in May."),
    ("Prices rose 3.5 percent.", "价格上涨了3.5%。"),
    ("The law took effect in 2024年3月.", "The law took effect in March 2024."),
    ("It took effect in March 2024.", "该法于2024年3月生效。"),
    ("The fund holds $3.5 million.", "The fund holds 3,500,000 dollars."),
    ("The fund holds 3.5m dollars.", "The fund holds $3.5 million."),
    ("投资1.2万元。", "They invested 12,000 yuan."),
    ("收入达到3亿元。", "收入达到300,000,000元。"),
    ("About 1.2 million people.", "Exactly 1,234,567 people were counted."),
    ("The fall was 10-12 ft.", "It fell between 10 and 12 ft."),
    ("增长三点五个百分点。", "增长3.5个百分点。"),
    ("产量66.9万吨。", "原生镍产量66.9万吨。"),
    ("产量为66.9（单位：万吨）。", "原生镍产量66.9万吨。"),  # the digits without their scale word, as written
    ("About 669,000 tonnes.", "原生镍产量66.9万吨。"),
    ("The wall is about 4 metres high.", "The wall is 3.7 m high."),  # "m" may be metres: rounding holds
])
def test_numbers_traced_by_value(summary, source):
    assert check_summary(summary, source).numbers == []


@pytest.mark.parametrize("summary,source,bad", [
    ("Sales reached 1,300 units.", "They sold 1,200 units.", ["1,300"]),
    ("Prices rose 4.5%.", "Prices rose 3.5 percent.", ["4.5"]),
    ("It took effect in April 2024.", "It took effect in March 2024.", ["April"]),
    ("About 1.3 million people.", "Exactly 1,234,567 people.", ["1.3 million"]),
    ("销量达到一千三百件。", "They sold 1,200 units.", ["一千三百"]),
    # a rounded bare number does not match the digits of a scaled one: 67 is not "66.9万" rounded
    ("研究覆盖了六十七个样本。", "原生镍产量66.9万吨。", ["六十七"]),
    ("It was tested on 2 benchmarks.", "It cost two billion dollars.", []),
    ("It was tested on 3 benchmarks.", "It cost 2.5 billion dollars.", ["3"]),
])
def test_untraceable_numbers_are_flagged(summary, source, bad):
    assert check_summary(summary, source).numbers == bad


def test_chinese_numerals():
    assert chinese_to_number("一千二百") == 1200
    assert chinese_to_number("两万") == 20000
    assert chinese_to_number("十二") == 12
    assert chinese_to_number("三点五") == 3.5
    assert chinese_to_number("一亿二千万") == 120_000_000
    assert [m.text for m in numbers_in("他十分高兴，万一下雨就不去。")] == []


def test_quotes_and_names():
    source = 'The mayor, Ana Ruiz, said "the repairs are overdue" at the meeting in Springfield.'
    good = 'Mayor Ana Ruiz said “the repairs are overdue”.'
    bad = 'Mayor Ana Ruiz said "the repairs will be free" in Shelbyville.'
    assert check_summary(good, source).clean
    problems = check_summary(bad, source)
    assert problems.quotes == ["the repairs will be free"]
    assert problems.names == ["Shelbyville"]
    assert "Shelbyville" in problems.problem()


def test_markdown_marks_unverified_numbers_with_footnotes():
    md = mark_unverified("- Sales rose 42% to 1,300 units.", check_summary("Sales rose 42% to 1,300 units.",
                                                                            "Sales rose 42% to 1,200 units."), "s2")
    assert "1,300[^s2-1]" in md and "[^s2-1]: this number was not found in the source text" in md
    assert "42%[^" not in md


@pytest.mark.parametrize("summary,source", [
    ("It was tested on three benchmarks.", "We evaluate on 3 benchmarks."),
    ("It was tested on 3 benchmarks.", "We evaluate on three benchmarks."),
    ("The model saw two billion tokens.", "Training used 2 billion tokens."),
    ("The model saw 2 billion tokens.", "Training used two billion tokens."),
    ("Twenty-one teams took part.", "There were 21 teams."),
    ("About two hundred and five people came.", "205 people came."),
    ("The fund holds $3.5 million.", "The fund holds 3,500,000 dollars."),
])
def test_number_words_are_numbers(summary, source):
    assert check_summary(summary, source).numbers == []


@pytest.mark.parametrize("summary,source,bad", [
    ("It was tested on forty-three benchmarks.", "We evaluate on 3 benchmarks.", ["forty-three"]),
    ("The model saw three billion tokens.", "Training used 2 billion tokens.", ["three billion"]),
    ("Seventeen teams took part.", "There were 21 teams.", ["Seventeen"]),
])
def test_invented_number_words_are_flagged(summary, source, bad):
    assert check_summary(summary, source).numbers == bad


def test_list_enumerators_are_not_claims():
    source = "Sales rose in spring. Costs fell after the merger. Profit grew 5 percent. 利润增长。收入下降。"
    summary = "1. Sales rose.\n2) Costs fell.\n- 3. Profit grew 5%.\n③ Costs fell.\n（四）利润增长。\n五、收入下降。"
    assert check_summary(summary, source).numbers == []
    assert check_summary("1. Profit grew 7%.", source).numbers == ["7"]


def test_a_quotation_is_matched_within_one_sentence_never_across_bullets():
    source = 'The mayor said the plan is good. Residents were "very pleased" with it.'
    across = '- The mayor said "the plan\n- is good" and "residents agreed".'
    assert check_summary(across, source).quotes == []  # marks in two bullets do not make one quotation
    assert check_summary('- Residents were "very pleased indeed" with it.', source).quotes == ["very pleased indeed"]
    assert check_summary("- 居民表示「非常满意这个计划」。", source).quotes == ["非常满意这个计划"]


def test_sentences_copied_from_the_source_are_never_flagged():
    source = ("The Cleveland Metroparks Zoo\nThe zoo said on Monday that 1.\n75 million visitors came, "
              'and its director said "we are thrilled.\nIt was a great year".')
    copied = "- The Cleveland Metroparks Zoo\n- The zoo said on Monday that 1.\n- 75 million visitors came, and its " \
             'director said "we are thrilled.\n- It was a great year".'
    assert check_summary(copied, source).clean


def test_extractive_backend_never_flags_its_own_sentences_on_real_documents():
    from conftest import CORPUS

    from summarizer.config.settings import Settings
    from summarizer.inputs.text_parser import parse_text
    from summarizer.run.engine import summarize_document

    news = CORPUS / "news"
    if not news.is_dir():
        pytest.skip("shared corpus not present")
    import json

    flags = []
    for lang in ("en", "zh"):
        for line in (news / f"{lang}.jsonl").read_text(encoding="utf-8").splitlines()[:25]:
            item = json.loads(line)
            doc = parse_text(item["article"], item["id"], title=item.get("title"))
            doc.genre = "article"
            result = summarize_document(doc, Settings())
            for r in result.sections:
                flags += r.unverified_numbers + r.unverified_quotes + r.unverified_names
    assert flags == []


def test_a_name_run_is_cut_at_common_words():
    source = "the Cleveland Metroparks Zoo (file photo of cheetahs). The boy was rescued by his parents."
    assert check_summary("He fell at the Cleveland Metroparks Zoo The boy was rescued.", source).names == []
    assert check_summary("He fell at the Cleveland Metroparks Zoo The boy met Zebulon Quartermaine.",
                         source).names == ["Zebulon Quartermaine"]


def test_an_overview_of_copied_sentences_pairs_no_quotation_across_them():
    """Extractive overviews join non-adjacent source sentences in one paragraph: the opening mark of
    one sentence and the closing mark of another are not one quotation."""
    source = ('The director said: "We are thrilled. It was our best year." The zoo reopened in May. '
              "Visitors came from 14 countries.")
    overview = 'The director said: "We are thrilled. The zoo reopened in May. It was our best year."'
    assert check_summary(overview, source).clean
    assert check_summary(overview + ' She added "it will never close again".', source).quotes == [
        "it will never close again"]
