import pytest

from summarizer.faithfulness import check_summary, chinese_to_number, mark_unverified, numbers_in


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
])
def test_numbers_traced_by_value(summary, source):
    assert check_summary(summary, source).numbers == []


@pytest.mark.parametrize("summary,source,bad", [
    ("Sales reached 1,300 units.", "They sold 1,200 units.", ["1,300"]),
    ("Prices rose 4.5%.", "Prices rose 3.5 percent.", ["4.5"]),
    ("It took effect in April 2024.", "It took effect in March 2024.", ["April"]),
    ("About 1.3 million people.", "Exactly 1,234,567 people.", ["1.3 million"]),
    ("销量达到一千三百件。", "They sold 1,200 units.", ["一千三百"]),
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
