"""Each parsing signal on a PDF made for it: numbering styles, capitals and italics, two columns,
running headers, ligatures and hyphenation, captions, run-in abstracts, Chinese headings."""

from __future__ import annotations

from pdf_factory import build_pdf, prose

from summarizer.pdf.parser import parse_pdf


def _titles(doc):
    return [(s.title, s.level, s.kind) for s in doc.sections if s.kind != "caption"]


def test_ieee_style_caps_and_italic_subsections_with_run_in_abstract():
    page = [
        ("Reward Design for Traffic Control", 72, 60, 450, 20, "tiro"),
        ("Ada Lovelace and Alan Turing", 72, 100, 450, 11, "tiro"),
        ("Abstract - We compare reward functions for traffic signal control and find that queue length works best.",
         72, 130, 450, 9, "tibo"),
        ("I. INTRODUCTION", 72, 180, 450, 10, "tiro"),
        (prose("traffic"), 72, 200, 450, 10, "tiro"),
        ("II. METHODS", 72, 290, 450, 10, "tiro"),
        ("A. Agent Design", 72, 310, 450, 10, "tiit"),
        (prose("agents"), 72, 330, 450, 10, "tiro"),
        ("B. Environment", 72, 420, 450, 10, "tiit"),
        (prose("simulation"), 72, 440, 450, 10, "tiro"),
    ]
    doc = parse_pdf(build_pdf([page]))
    assert doc.title == "Reward Design for Traffic Control"
    assert doc.abstract.startswith("We compare reward functions")
    assert _titles(doc)[1:] == [("I. INTRODUCTION", 1, "introduction"), ("II. METHODS", 1, "method"),
                                ("A. Agent Design", 2, "method"), ("B. Environment", 2, "method")]


def test_decimal_numbering_levels_and_appendix_after_references():
    items = [("Numbered Sections Paper", 72, 50, 450, 18, "tibo")]
    y = 90
    for head, size in [("1 Introduction", 13), ("1.1 Scope", 11), ("1.1.1 Fine Detail", 10.5), ("2 FooNet", 13),
                       ("References", 13), ("Appendix A Proofs", 13)]:
        items.append((head, 72, y, 450, size, "tibo"))
        items.append((prose(head.split()[-1].lower(), 2), 72, y + 18, 450, 10, "tiro"))
        y += 100
    doc = parse_pdf(build_pdf([items]))
    assert _titles(doc) == [("1 Introduction", 1, "introduction"), ("1.1 Scope", 2, "introduction"),
                            ("1.1.1 Fine Detail", 3, "introduction"), ("2 FooNet", 1, "method"),
                            ("References", 1, "references"), ("Appendix A Proofs", 1, "appendix")]


def test_two_columns_are_read_left_then_right():
    left = "Left column sentence number one. " * 8
    right = "Right column sentence number two. " * 8
    page = [("Two Column Paper", 72, 50, 450, 18, "tibo"),
            ("1 Introduction", 50, 100, 230, 12, "tibo"),
            (left, 50, 120, 230, 10, "tiro"),
            (right, 315, 100, 230, 10, "tiro")]
    doc = parse_pdf(build_pdf([page]))
    intro = next(s for s in doc.sections if s.title == "1 Introduction")
    assert intro.text.index("Left column") < intro.text.index("Right column")


def test_running_headers_page_numbers_ligatures_hyphenation_and_captions():
    pages = []
    for n in range(1, 4):
        items = [("Journal of Careful Tests, Vol. 3", 72, 20, 450, 8, "tiro"),
                 (str(n), 290, 800, 40, 9, "tiro")]
        if n == 1:
            items += [("Careful Parsing", 72, 60, 450, 18, "tibo"), ("1 Introduction", 72, 100, 450, 13, "tibo"),
                      ("We find that the flow of text survives. The method handles summari-\nzation of long documents.",
                       72, 120, 450, 10, "tiro"),
                      ("Figure 1: Overview of the parsing pipeline with its stages.", 72, 200, 450, 9, "tiro")]
        else:
            items += [(f"{n} Section {n}", 72, 60, 450, 13, "tibo"), (prose(f"topic {n}"), 72, 80, 450, 10, "tiro")]
        pages.append(items)
    doc = parse_pdf(build_pdf(pages))
    body = "\n".join(s.text for s in doc.sections if s.kind != "caption")
    assert "Journal of Careful Tests" not in body
    assert "find that the flow" in body
    assert "summarization" in body
    assert "Figure 1: Overview" not in body
    captions = next(s for s in doc.sections if s.kind == "caption")
    assert "Figure 1: Overview of the parsing pipeline" in captions.text and not captions.summarizable
    assert not any(line.strip() in {"1", "2", "3"} for line in body.splitlines())


def test_chinese_headings_and_abstract():
    page = [("基于深度学习的文本摘要方法研究", 72, 50, 450, 18, "china-s"),
            ("摘要", 72, 90, 450, 14, "china-s"),
            ("本文提出了一种新的文本摘要方法，在两个数据集上取得了更好的效果。", 72, 112, 450, 10, "china-s"),
            ("一、引言", 72, 150, 450, 14, "china-s"),
            ("近年来，自动文摘技术发展迅速，已经广泛应用于新闻和科研领域。" * 2, 72, 172, 450, 10, "china-s"),
            ("（一）研究背景", 72, 230, 450, 12, "china-s"),
            ("文本摘要的研究已有几十年的历史，早期方法以抽取式为主。" * 2, 72, 252, 450, 10, "china-s"),
            ("二、实验结果", 72, 310, 450, 14, "china-s"),
            ("我们在两个数据集上进行了实验，结果表明方法有效。" * 2, 72, 332, 450, 10, "china-s")]
    doc = parse_pdf(build_pdf([page]))
    assert doc.language == "zh"
    assert doc.title == "基于深度学习的文本摘要方法研究"
    assert doc.abstract.startswith("本文提出了一种新的文本摘要方法")
    assert _titles(doc) == [("摘要", 1, "abstract"), ("一、引言", 1, "introduction"),
                            ("（一）研究背景", 2, "background"), ("二、实验结果", 1, "results")]
    assert "近年来，自动文摘技术发展迅速" in doc.sections[1].text  # Chinese lines join without spaces


def test_partial_outline_is_completed_from_the_text():
    items = [("Outline Paper", 72, 50, 450, 18, "tibo")]
    y = 90
    for head in ("1 Introduction", "2 Method", "3 Results"):
        items += [(head, 72, y, 450, 13, "tibo"), (prose(head[2:].lower(), 2), 72, y + 18, 450, 10, "tiro")]
        y += 110
    outline = [[1, "1 Introduction", 1], [1, "2 Method dahlmeier-ng-2012", 1], [1, "3 Results", 1]]
    doc = parse_pdf(build_pdf([items], outline=outline))
    assert [s.title for s in doc.sections] == ["1 Introduction", "2 Method", "3 Results"]


def test_ligatures_and_soft_hyphens_are_repaired():
    from summarizer.pdf.extract import clean_text

    assert clean_text("We ﬁnd the ﬂow of eﬀort and ﬃne ﬄuid") == "We find the flow of effort and ffine ffluid"
    assert clean_text("summari\u00adzation  of\ttext") == "summarization of text"
    assert clean_text("（一）研究背景") == "（一）研究背景"  # full-width forms are kept as written


def test_margin_line_numbers_are_removed():
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 60), "Line Numbered Review Copy", fontsize=18, fontname="tibo")
    page.insert_text((72, 100), "1 Introduction", fontsize=13, fontname="tibo")
    y = 120
    for i in range(1, 25):
        page.insert_text((40, y), str(i), fontsize=7, fontname="tiro")
        page.insert_text((72, y), f"Body line {i} of the review copy says something.", fontsize=10, fontname="tiro")
        page.insert_text((540, y), str(i + 100), fontsize=7, fontname="tiro")
        y += 14
    parsed = parse_pdf(doc.tobytes())
    assert [s.title for s in parsed.sections] == ["1 Introduction"]
    text = parsed.sections[0].text
    assert text.startswith("Body line 1 of the review copy says something.")
    assert "101" not in text and "\n5 " not in text


def test_the_last_line_of_a_signature_set_large_is_no_heading_and_a_title_with_brackets_is():
    """A manual sets a function's signature larger than the prose; its wrapped last line ("element_name)") was
    read as a heading. A title's brackets close within it, and it stays."""
    items = [("Reference Manual", 72, 50, 450, 18, "tibo"), ("1 Functions", 72, 90, 450, 14, "tibo")]
    y = 120
    for signature, tail in [("int asn1_read_value (asn1_node root, const char *", "element_name)"),
                            ("int asn1_der_coding (asn1_node element, const char *", "name, void *ider, int *len)")]:
        items += [(signature, 72, y, 450, 12, "cour"), (tail, 100, y + 15, 450, 12, "cour"),
                  (prose("values"), 72, y + 35, 450, 10, "tiro")]
        y += 130
    items += [("2 Results (Main Findings)", 72, y, 450, 14, "tibo"), (prose("findings"), 72, y + 25, 450, 10, "tiro")]
    titles = [t for t, _, _ in _titles(parse_pdf(build_pdf([items])))]
    assert titles == ["1 Functions", "2 Results (Main Findings)"], titles


def _labelled_figure_pdf(cover_page: bool = False, label: str = "Substrate") -> bytes:
    """A page of prose, a diagram set as four image tiles with its labels in large type on and beside them, its
    caption, then an unnumbered heading and prose. ``cover_page``: the tiles cover the whole page (a background)."""
    import pymupdf

    doc = pymupdf.open(stream=build_pdf([[("Diagram Study", 72, 40, 450, 18, "tibo"), (prose("sources"), 72, 80, 450, 10, "tiro"),
                                          ("Figure 1: The layers of the sample under the light.", 72, 420, 450, 10, "tiro"),
                                          ("2 Method", 72, 470, 450, 14, "tibo"), (prose("method"), 72, 495, 450, 10, "tiro")]]),
                         filetype="pdf")
    page = doc[0]
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 8, 8), False)
    pix.clear_with(200)
    x0, y0, x1, y1 = (0, 0, 595, 842) if cover_page else (120, 200, 480, 400)
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    for rect in [(x0, y0, mx, my), (mx + 4, y0, x1, my), (x0, my + 4, mx, y1), (mx + 4, my + 4, x1, y1)]:
        page.insert_image(pymupdf.Rect(*rect), pixmap=pix, overlay=False, keep_proportion=False)
    labels = [("Light source", 130, 206), ("Substrate", 300, 300), ("Epitaxial layer", 130, 380)]
    for text, x, y in labels + ([(label, 300, 250)] if label != "Substrate" else []):
        page.insert_text((x, y + 12), text, fontsize=16, fontname="hebo")
    return doc.tobytes()


def test_the_labels_on_a_figure_set_as_image_tiles_are_no_headings():
    """A diagram's labels in large type ("Light source", "Substrate") were three sections of an unseen Chinese
    thesis (光源, 外延层, 衬底): words on a figure's images go back to the text; the heading after the caption stays.
    Over an image that covers the page (a background, or the scan under an OCR layer) headings are found as ever."""
    titles = [t for t, _, kind in _titles(parse_pdf(_labelled_figure_pdf())) if kind != "abstract"]
    assert titles == ["2 Method"], titles
    # a heading that names a section's kind stays wherever it lies: a watermark's or a cropped image's box can reach
    # under a real "Discussion"
    titles = [t for t, _, kind in _titles(parse_pdf(_labelled_figure_pdf(label="Discussion"))) if kind != "abstract"]
    assert "Discussion" in titles and "Substrate" not in titles, titles
    titles = [t for t, _, _ in _titles(parse_pdf(_labelled_figure_pdf(cover_page=True)))]
    assert "2 Method" in titles and "Epitaxial layer" in titles, titles


def test_a_chinese_abstract_keeps_its_first_lines_before_a_line_with_spaces():
    """Lines of Chinese prose have no spaces: counted in words they looked like author lines (four words or fewer),
    and an unseen thesis's abstract lost every line up to the first one with a formula's spaces in it."""
    first = "碳化硅作为第三代宽禁带半导体材料，由于其优异的电学和热学性能，成为突破传统器件性能瓶颈的关键技术路径。" * 2
    formula = "对于问题三, 建立 多光束 干涉 模型, 推导 方程 R = | r + t | 2, 其中 β 为 相位 因子, 精度 提升 明显。"
    page = [("红外干涉法测定外延层厚度", 72, 50, 450, 18, "china-s"), ("摘要", 72, 90, 450, 14, "china-s"),
            (first, 72, 112, 450, 10, "china-s"), (formula, 72, 170, 450, 10, "china-s"),
            ("一、问题重述", 72, 220, 450, 14, "china-s"),
            ("外延层厚度的测量是器件制备的核心环节，红外干涉法因其无损伤的优势成为主要手段。" * 2, 72, 242, 450, 10, "china-s")]
    doc = parse_pdf(build_pdf([page]))
    assert doc.abstract.startswith("碳化硅作为第三代宽禁带半导体材料"), doc.abstract[:60]
    assert "对于问题三" in doc.abstract


def test_the_rest_of_a_keyword_list_on_its_own_line_is_no_heading():
    """"关键字：红外干涉法 碳化硅外延层厚度" over "修正算法 厚度反演公式 精度优化", in the same type, set tight: the second
    line goes on with the list (it was read as a level-1 section of an unseen thesis)."""
    page = [("红外干涉法测定外延层厚度", 72, 50, 450, 18, "china-s"), ("摘要", 72, 90, 450, 14, "china-s"),
            ("本文围绕红外干涉法测定碳化硅外延层厚度展开研究，建立了适用于不同干涉条件的数学模型。" * 2, 72, 112, 450, 10, "china-s"),
            ("关键字：红外干涉法 碳化硅外延层厚度 多光束干涉模型", 72, 170, 450, 12, "china-s"),
            ("修正算法 厚度反演公式 精度优化", 72, 190, 450, 12, "china-s"),
            ("一、问题重述", 72, 230, 450, 14, "china-s"),
            ("外延层厚度的测量是器件制备的核心环节，红外干涉法因其无损伤的优势成为主要手段。" * 2, 72, 252, 450, 10, "china-s")]
    titles = [t for t, _, _ in _titles(parse_pdf(build_pdf([page])))]
    assert titles == ["摘要", "一、问题重述"], titles


def test_a_chinese_paper_without_headings_keeps_its_first_lines_and_finds_its_abstract():
    """Under the title, a line of Chinese prose counted as one word, so the front-matter reader took the first
    paragraph's opening lines for a short line of the title block: the body began mid-sentence and no abstract was
    found. In reading words (two characters a word) the prose ends the front matter and opens the abstract."""
    first = "我们测量了城市公园对周边街道的降温作用，发现面积超过两公顷的公园在夏季午后使附近街道温度降低了一点八度。" * 2
    page = [("城市公园如何为街道降温", 72, 50, 450, 18, "china-s"), (first, 72, 100, 450, 10, "china-s"),
            ("城市比周围的土地更温暖。树木和草地通过遮荫和蒸发来冷却空气，我们想知道这种降温能延伸到多远的街道。" * 3,
             72, 180, 450, 10, "china-s"),
            ("我们在距离六个公园五十米到四百米的街道上放置了四十个传感器，从六月到八月每十分钟记录一次气温。" * 3,
             72, 280, 450, 10, "china-s")]
    doc = parse_pdf(build_pdf([page]))
    assert doc.title == "城市公园如何为街道降温"
    assert doc.abstract.startswith("我们测量了城市公园对周边街道的降温作用"), doc.abstract[:40]
    assert [s.kind for s in doc.sections] == ["abstract", "body"]


def test_three_unnumbered_heading_levels_under_a_title_stay_three_and_fine_print_back_matter_is_top_level():
    """A PDF made from Word: a title, then Heading 1/2/3 in three styles, no numbers, no outline. The title's size
    took the first rank, so the third level ranked fourth and was cut to the second; the abstract's heading, in a
    style of its own, pushed every level one deeper. Acknowledgements in the journal's fine print are a top-level
    part, not a subsection because they are small."""
    items = [("Summarizing Regional News", 72, 40, 450, 22, "hebo"), ("Abstract", 72, 80, 450, 13, "tibo"),
             (prose("summaries"), 72, 98, 450, 10, "tiro")]
    y = 170
    for text, size, font in [("Introduction", 14, "hebo"), ("Method", 14, "hebo"), ("Data Collection", 12, "hebo"),
                             ("Annotation Protocol", 11, "hebi"), ("Results", 14, "hebo")]:
        items += [(text, 72, y, 450, size, font), (prose(text.split()[0].lower(), 2), 72, y + 20, 450, 10, "tiro")]
        y += 95
    items += [("Acknowledgements", 72, y, 450, 7, "tibo"), ("We thank the newsroom for its archive.", 72, y + 10, 450, 7, "tiro")]
    doc = parse_pdf(build_pdf([items]))
    levels = {t: level for t, level, _ in _titles(doc)}
    assert levels == {"Abstract": 1, "Introduction": 1, "Method": 1, "Data Collection": 2, "Annotation Protocol": 3,
                      "Results": 1, "Acknowledgements": 1}, levels


def test_the_abstracts_own_heading_style_takes_no_rank():
    """Sections in 12 pt bold, the abstract's heading in 11.5 pt bold, subsections in 11 pt bold italic (GigaScience's
    template has the same order). Ranked with the others, the abstract's style put every subsection a level deeper."""
    items = [("Deeply Sequenced Metagenomes", 72, 40, 450, 22, "hebo"), ("Abstract", 72, 80, 450, 11.5, "tibo"),
             (prose("digesters"), 72, 95, 450, 10, "tiro")]
    y = 170
    for text, size, font in [("Data description", 12, "hebo"), ("Sampling and libraries", 11, "hebi"),
                             ("Metagenome assembly", 11, "hebi"), ("Discussion", 12, "hebo")]:
        items += [(text, 72, y, 450, size, font), (prose(text.split()[0].lower(), 2), 72, y + 18, 450, 10, "tiro")]
        y += 95
    levels = {t: level for t, level, _ in _titles(parse_pdf(build_pdf([items])))}
    assert levels == {"Abstract": 1, "Data description": 1, "Sampling and libraries": 2, "Metagenome assembly": 2,
                      "Discussion": 1}, levels


def test_a_numbered_research_question_code_is_a_heading():
    """"4.1 RQ1" (a results section answering research questions) has no word of three letters, which the heading
    rules asked of every title; a numbered code of capitals and a digit is a title."""
    items = [("Sentiment Tools on Developer Discussions", 72, 40, 450, 18, "tibo"), ("4 Results", 72, 90, 450, 13, "tibo"),
             (prose("results", 2), 72, 110, 450, 10, "tiro"), ("4.1 RQ1", 72, 200, 450, 11, "tibo"),
             (prose("agreement", 2), 72, 218, 450, 10, "tiro"), ("4.2 RQ2", 72, 300, 450, 11, "tibo"),
             (prose("tools", 2), 72, 318, 450, 10, "tiro")]
    titles = [(t, level) for t, level, _ in _titles(parse_pdf(build_pdf([items])))]
    assert ("4.1 RQ1", 2) in titles and ("4.2 RQ2", 2) in titles, titles


def test_a_lettered_label_with_one_bracket_is_still_a_heading():
    """The bracket rule refuses a line whose brackets do not close ("element_name)"), not "A) Data Collection"."""
    items = [("Field Notes on Parks", 72, 40, 450, 18, "tibo"), (prose("parks", 2), 72, 70, 450, 10, "tiro")]
    y = 150
    for head in ("A) Data Collection", "B) Results"):
        items += [(head, 72, y, 450, 13, "tibo"), (prose(head.split()[-1].lower(), 2), 72, y + 20, 450, 10, "tiro")]
        y += 100
    titles = [t for t, _, _ in _titles(parse_pdf(build_pdf([items])))]
    assert "A) Data Collection" in titles and "B) Results" in titles, titles


def test_a_long_chinese_address_under_the_authors_stays_in_the_front_matter():
    """A Chinese address line is long in reading words, as prose is; it is an affiliation, and it stays with the
    authors instead of opening a "Front matter" section of its own."""
    page = [("城市公园如何为街道降温", 72, 50, 450, 18, "china-s"), ("张三 李四", 72, 80, 450, 11, "china-s"),
            ("中国科学技术大学网络空间安全学院，安徽省合肥市包河区金寨路九十六号 230026", 72, 96, 450, 9, "china-s"),
            ("摘要", 72, 130, 450, 14, "china-s"),
            ("我们测量了城市公园对周边街道的降温作用，发现面积超过两公顷的公园在夏季午后使附近街道温度降低了一点八度。" * 2,
             72, 150, 450, 10, "china-s"), ("一、引言", 72, 220, 450, 14, "china-s"),
            ("城市比周围的土地更温暖。树木和草地通过遮荫和蒸发来冷却空气，我们想知道这种降温能延伸到多远的街道。" * 3,
             72, 240, 450, 10, "china-s")]
    doc = parse_pdf(build_pdf([page]))
    assert doc.authors == ["张三", "李四"]
    assert [(s.title, s.kind) for s in doc.sections] == [("摘要", "abstract"), ("一、引言", "introduction")]
