"""The parser's steps one by one: each returns a new state and leaves what earlier steps made untouched."""

from __future__ import annotations

from dataclasses import replace

from pdf_factory import build_pdf, make_paper, prose

from summarizer.pdf.extract import open_pdf
from summarizer.pdf.parser import (
    STEPS,
    ParseState,
    drop_running_lines,
    find_headings,
    heading_levels,
    parse_pdf,
    read_pages,
)


def _state(data: bytes) -> ParseState:
    return ParseState(open_pdf(data), max_pages=600)


def test_steps_run_in_the_documented_order():
    assert [s.__name__ for s in STEPS] == ["read_pages", "drop_running_lines", "check_text_layer", "find_tables_and_figures",
                                         "find_outline", "find_headings", "drop_figure_labels", "heading_levels", "merge_outline",
                                         "keep_outline_shape"]


def test_running_lines_step_returns_new_pages_and_drops_page_numbers():
    state = read_pages(_state(make_paper()))
    before = [list(pt.lines) for pt in state.pages]
    after = drop_running_lines(state)
    assert [list(pt.lines) for pt in state.pages] == before  # the first step's pages are unchanged
    texts = [line.text for line in after.lines]
    assert "1" in [line.text for pt in state.pages for line in pt.lines] and "1" not in texts
    assert any(t.startswith("Sparrow") for t in texts)


def test_run_in_heading_splits_a_copy_of_its_line():
    page = [("Run-in Headings", 72, 50, 450, 18, "tibo"), (prose("setup", 2), 72, 90, 450, 10, "tiro")]
    state = drop_running_lines(read_pages(_state(build_pdf([page]))))
    lead = replace(state.lines[1], text="1.1. Driving Factors. There are many goals in this work.",
                   lead="1.1. Driving Factors.", style_break=True, first_in_block=True)
    state = replace(state, lines=state.lines[:1] + (lead,) + state.lines[2:])
    found = find_headings(state)
    assert any(h.title == "1.1. Driving Factors" for h in found.headings)
    assert found.lines[1].text == "There are many goals in this work."
    assert state.lines[1].text.startswith("1.1. Driving Factors.")  # the earlier state's line is untouched


def test_levels_step_does_not_change_the_detected_headings():
    state = find_headings(drop_running_lines(read_pages(_state(make_paper()))))
    levels = heading_levels(state)
    assert all(h.level == 0 for h in state.headings if not h.end == h.index)  # detection leaves levels unset
    assert [h.level for h in levels.headings if h.title.startswith("2.1")] == [2]


def test_a_line_s_size_and_font_ties_go_to_the_style_that_came_first():
    """Spaces count for nothing, but on a tie the style seen first wins, a space's too (as it always did)."""
    from summarizer.pdf.extract import _block_lines

    def span(text, size, font, x):
        return {"text": text, "size": size, "flags": 0, "font": font, "bbox": (x, 0, x + 10, 10)}

    block = {"lines": [{"dir": (1, 0), "bbox": (0, 0, 100, 10),
                        "spans": [span(" ", 9.0, "Times-Roman", 0), span("Results", 12.0, "Times-Bold", 10),
                                  span("show it", 9.0, "Times-Roman", 40)]}]}
    line = _block_lines(block, 0, 0, 600.0)[0]
    assert (line.size, line.font) == (9.0, "Times-Roman")


def test_a_running_head_below_the_top_share_of_the_page_is_dropped():
    """Springer's LNCS sets its running head ("4  A. Author and B. Author") at about 12 % of the page, below the
    top share, but above everything else: it is a running line, not a numbered heading "4 …"."""
    title = [("Clinical Dose Planning with Agents", 120, 100, 360, 16, "tibo"), ("Ada Lovelace and Alan Turing", 200, 130, 300, 10, "tiro"),
             ("1 Introduction", 90, 170, 400, 12, "tibo"), (prose("planning", 6), 90, 195, 420, 10, "tiro")]
    pages = [title]
    for n, topic in enumerate(("rewards", "agents", "doses", "results"), start=2):
        head = [(f"{n}    Ada Lovelace and Alan Turing", 90, 100, 420, 9, "tiro")] if n % 2 == 0 else [
            ("Clinical Dose Planning with Agents", 90, 100, 300, 9, "tiro"), (str(n), 290, 780, 20, 9, "tiro")]
        pages.append([*head, (f"{n} Study of {topic}", 90, 130, 400, 12, "tibo"),
                      (prose(topic, 6), 90, 155, 420, 10, "tiro")])
    doc = parse_pdf(build_pdf(pages), "lncs.pdf")
    titles = [s.title for s in doc.sections]
    assert not any("Lovelace" in t or "Clinical Dose" in t for t in titles[1:]), titles
    body = " ".join(s.text for s in doc.sections if s.title[:1].isdigit())
    assert "doses results" in body and "Lovelace" not in body and "Clinical Dose" not in body
    assert {"2 Study of rewards", "3 Study of agents", "4 Study of doses", "5 Study of results"} <= set(titles)
    assert doc.title == "Clinical Dose Planning with Agents"  # the title page's title, which the running heads repeat, stays


def _titles(pages: list[list[tuple]]) -> list[str]:
    return [s.title for s in parse_pdf(build_pdf(pages), "t.pdf").sections]


def test_contents_lines_with_a_dot_leader_are_not_headings():
    contents = [("Contents", 90, 80, 400, 14, "tibo")] + [
        (f"{n} {t} {'.' * 40} {p}", 90, 110 + 20 * k, 420, 10, "tiro")
        for k, (n, t, p) in enumerate([("1", "Introduction", 2), ("1.1", "Background", 2), ("2", "Method", 3)])]
    body = [[(f"{n} {t}", 90, 80, 400, 13, "tibo"), (prose(t.lower(), 6), 90, 105, 420, 10, "tiro")]
            for n, t in (("1", "Introduction"), ("2", "Method"))]
    titles = _titles([contents, *body])
    assert not any("...." in t for t in titles), titles
    assert {"1 Introduction", "2 Method"} <= set(titles)


def test_numbered_reference_entries_are_not_headings():
    refs = [("References", 90, 80, 400, 13, "tibo")] + [
        (entry, 90, 110 + 40 * k, 420, 10, "tiro") for k, entry in enumerate([
            "21. Wood, S. Generalized Additive Models: An Introduction with R (Chapman and Hall/CRC, 2017).",
            "22. Makowski, D.; Ben-Shachar, M.; Patil, I. Methods and Algorithms for Correlation Analysis."])]
    body = [("1 Introduction", 90, 80, 400, 13, "tibo"), (prose("contacts", 6), 90, 105, 420, 10, "tiro")]
    titles = _titles([body, refs])
    assert not any("Wood" in t or "Makowski" in t for t in titles), titles


def test_a_numbered_line_under_a_numbered_heading_is_the_next_heading():
    page = [("1 Introduction", 90, 80, 400, 13, "tibo"), (prose("developers", 6), 90, 105, 420, 10, "tiro"),
            ("2 RELATED WORK\n2.1 Sentiment Analysis in Software Engineering", 90, 300, 400, 11, "tibo"),
            (prose("sentiment", 6), 90, 340, 420, 10, "tiro")]
    titles = _titles([page])
    assert "2 RELATED WORK" in titles and "2.1 Sentiment Analysis in Software Engineering" in titles, titles


def test_chinese_chapter_and_appendix_numbers_are_numbers():
    """A thesis template sets "第2 章 新型数据结构" (a space inside the number) and "附录A 程序"."""
    from summarizer.pdf.headings import numbering
    from summarizer.text.kinds import kind_from_title, strip_number

    assert strip_number("第2 章 新型数据结构") == "新型数据结构" == numbering("第 2 章 新型数据结构")[1]
    assert numbering("1 . 1 问题背景") == ("1.1", "问题背景") and strip_number("2 . 3 模型求解") == "模型求解"  # ctex spacing

    assert strip_number("附录A 支撑材料文件列表") == "支撑材料文件列表"
    assert strip_number("附录 C 程序") == "程序" and strip_number("附录") == "附录"
    assert kind_from_title("附录A 支撑材料文件列表") == "appendix"


def _titles_around(head: str, body: list[str], *, head_font: str = "hebo", body_font: str = "helv", fonts=("hebo", 12),
                   repeat: int = 3, above: int = 14, below: int = 26) -> list[str]:
    """The section titles parse_pdf finds on one page: "1 Introduction", ``body`` ``repeat`` times, the line ``head``
    (``above`` points below the paragraph, the next paragraph ``below`` points under it), ``body`` again."""
    from pdf_factory import lines_pdf

    items, y = [("1 Introduction", 72, 80, fonts[1], fonts[0])], 100
    for text in body * repeat:
        items.append((text, 72, y, 10, body_font))
        y += 12
    items.append((head, 72, y + above, 10, head_font))
    y += below
    for text in body * repeat:
        items.append((text, 72, y, 10, body_font))
        y += 12
    return [s.title for s in parse_pdf(lines_pdf([items]), "t.pdf").sections]


def test_a_bold_line_set_tight_above_its_paragraph_is_a_heading_and_a_lead_is_not():
    """Nature-style subheadings ("Study population") sit in one text block with their paragraph, like a bold run-in
    lead ("Proof."); the lead ends with its stop, the heading does not."""
    body = ["Participants were recruited from a national panel and answered the survey every two",
            "weeks about the people they met the day before, at home, at work and elsewhere.",
            "The answers were weighted by age and region to match the population of the country."]

    def titles(head: str) -> list[str]:
        return _titles_around(head, body)

    assert titles("Study population") == ["1 Introduction", "Study population"]
    assert titles("Proof.") == ["1 Introduction"]


def test_a_bold_number_before_a_plain_title_is_a_heading_not_a_run_in_lead():
    """"1.1 问题背景" set with its number in bold and its title plain (CUMCM templates): the bold number is no run-in
    lead ("Setup." before its paragraph), so the line is still a heading."""
    from pdf_factory import lines_pdf

    body = ["The growth of the layer is measured by infrared interference on every wafer we made.",
            "Each spectrum shows fringes whose spacing gives the thickness of the epitaxial layer."]
    items, y = [("1 Introduction", 72, 80, 12, "hebo")], 100
    for text in body * 3:
        items.append((text, 72, y, 10, "helv"))
        y += 12
    items += [("1.1", 72, y + 14, 10, "hebo"), ("Problem background", 92, y + 14, 10, "helv")]
    y += 38
    for text in body * 3:
        items.append((text, 72, y, 10, "helv"))
        y += 12
    assert [s.title for s in parse_pdf(lines_pdf([items]), "t.pdf").sections] == ["1 Introduction", "1.1 Problem background"]


def test_the_title_read_as_the_top_heading_does_not_push_the_sections_a_level_down():
    """An unnumbered paper (GigaScience's template): the title is the largest style, so the levels by size gave it
    level 1 and every section level 2; once the title is the title, the body's top headings are level 1."""
    from pdf_factory import lines_pdf

    body = ["The samples were taken from the main digester of a plant that runs on maize silage.",
            "Each sample was sequenced twice and the reads were assembled into long contigs."]
    items, y = [("Deeply Sequenced Metagenome of a Biogas Plant", 72, 70, 22, "hebo"),
                ("Ada Lovelace and Alan Turing", 72, 104, 10, "helv"), ("Abstract", 72, 130, 10, "hebo")], 146
    for head in ("", "Data description", "Discussion", "Availability"):
        if head:
            items.append((head, 72, y + 10, 12, "hebo"))
            y += 30
        for text in body * 3:
            items.append((text, 72, y, 10, "helv"))
            y += 12
    document = parse_pdf(lines_pdf([items]), "t.pdf")
    assert document.title == "Deeply Sequenced Metagenome of a Biogas Plant"
    assert [(s.title, s.level) for s in document.sections] == [
        ("Abstract", 1), ("Data description", 1), ("Discussion", 1), ("Availability", 1)]


def test_a_subheading_set_in_another_family_tight_above_its_paragraph_is_a_heading():
    """BMC's and GigaScience's templates set subheadings in sans serif at the body's size, in one block with their
    serif paragraph: the family change marks them. An italic sentence opening a paragraph runs to the column's edge
    and is prose; a lead ending with a colon is a run-in lead."""
    body = ["The samples were taken from the main digester of a plant that runs on maize silage and",
            "each sample was sequenced twice, and the reads were assembled into long contigs for the",
            "annotation that followed, with every gene compared against the reference database here."]

    def titles(head: str, font: str) -> list[str]:
        return _titles_around(head, body, head_font=font, body_font="tiro", fonts=("tibo", 12), repeat=2, above=8,
                              below=20)

    assert titles("Sampling and library construction", "helv") == ["1 Introduction", "Sampling and library construction"]
    assert titles("We model an attack as pushing the entire demand curve down by a constant amount per", "helv") \
        == ["1 Introduction"]
    assert titles("Sampling and library construction:", "helv") == ["1 Introduction"]


def test_a_heading_opening_with_a_camel_cased_name_or_closing_with_a_citation_key_is_a_heading():
    """"3.1 aSVC API" opens with a name, not a lowercase word of prose under a fraction ("3 of the validators");
    "D.2 Complexities of KZG [KZG10]" closes with the key alpha-style bibliographies cite by."""
    body = ["Our interface resembles the one of earlier vector commitments and extends it with an",
            "interface for verifying update keys, which the stateless currency of the later section needs."]

    def titles(head: str) -> list[str]:
        return _titles_around(head, body, below=32)

    assert titles("1.1 aSVC API") == ["1 Introduction", "1.1 aSVC API"]
    assert titles("1.1 Complexities of KZG [KZG10]") == ["1 Introduction", "1.1 Complexities of KZG [KZG10]"]
    assert titles("1.1 Pointproofs [GRWZ20, LY10]") == ["1 Introduction", "1.1 Pointproofs [GRWZ20, LY10]"]
    assert titles("1.1 apps.py") == ["1 Introduction", "1.1 apps.py"]  # a file, as code appendices list them
    assert titles("1.1 2D segmentation") == ["1 Introduction", "1.1 2D segmentation"]
    assert titles("1.1 2 of the validators") == ["1 Introduction"]
    assert titles("1.1 of the validators") == ["1 Introduction"]
    assert titles("1.1 Costs [12] of a = b") == ["1 Introduction"]


def test_lettered_headings_set_smaller_than_an_arabic_section_are_its_subsections():
    """PNAS numbers sections "3." and their subsections "A.", "B.", set smaller; an appendix "A." comes in the
    sections' own size and stays a section."""
    from pdf_factory import lines_pdf

    body = ["The algorithm runs in linear time on sequences of every length we tried in this study,",
            "and its accuracy is as good as the cubic-time baseline it approximates on each family."]
    items, y = [], 80
    for head, size in [("1. Introduction", 14), ("2. Results", 14), ("A. Efficiency and Scalability", 11.5),
                       ("B. Accuracy of Predictions", 11.5), ("A. Details of the Implementation", 14)]:
        items.append((head, 72, y, size, "hebo"))
        y += 22
        for text in body * 2:
            items.append((text, 72, y, 10, "tiro"))
            y += 12
        y += 14
    sections = parse_pdf(lines_pdf([items]), "t.pdf").sections
    assert [(s.title, s.level) for s in sections] == [
        ("1. Introduction", 1), ("2. Results", 1), ("A. Efficiency and Scalability", 2),
        ("B. Accuracy of Predictions", 2), ("A. Details of the Implementation", 1)]


def test_an_unnumbered_heading_in_a_style_numbered_headings_of_two_levels_share_is_a_top_level_part():
    """KDD's template sets "1 INTRODUCTION" and "2.1 Spaces" alike; with more subsections than sections, the
    style's commonest level was 2, and "REFERENCES" and "ACKNOWLEDGMENTS" went under the last subsection.
    Its "3.2 Recommendations" and "4.2 Recommendations" on one page are sections, not a table's repeated header."""
    from pdf_factory import lines_pdf

    body = ["Each explanation method is described first and then followed by the recommendations",
            "that practitioners can apply when they use it on credit card data or on other tables."]
    heads = ["1 INTRODUCTION", "2 METHODS", "2.1 Description", "2.2 Recommendations", "2.3 Models",
             "3 RESULTS", "3.1 Description", "3.2 Recommendations", "4 DISCUSSION", "4.1 Description",
             "4.2 Recommendations", "ACKNOWLEDGMENTS", "REFERENCES"]
    pages, items, y = [], [], 80
    for head in heads:
        if y > 700:
            pages.append(items)
            items, y = [], 80
        items.append((head, 72, y, 11, "hebo"))
        y += 18
        for text in body * 2:
            items.append((text, 72, y, 9, "tiro"))
            y += 11
        y += 12
    pages.append(items)
    levels = {s.title: s.level for s in parse_pdf(lines_pdf(pages), "t.pdf").sections}
    # three "Recommendations", two on one page: numbered, they are sections, not a table's repeated header
    assert [levels.get(h) for h in heads] == [1, 1, 2, 2, 2, 1, 2, 2, 1, 2, 2, 1, 1]


def test_a_section_named_in_bold_small_print_tight_above_its_paragraph_is_a_heading():
    """BMC sets its back matter at 7 pt: "Acknowledgements" in bold over its paragraph, in one block. A known
    section's name is a heading there too; the same name ending with a colon is a run-in lead."""
    from pdf_factory import lines_pdf

    body = ["The samples were taken from the main digester of a plant that runs on maize silage and",
            "each sample was sequenced twice, and the reads were assembled into long contigs for the study."]

    def titles(head: str) -> list[str]:
        items, y = [("1 Introduction", 72, 80, 12, "hebo")], 100
        for text in body * 3:
            items.append((text, 72, y, 10, "helv"))
            y += 12
        items.append((head, 72, y + 10, 7, "hebo"))
        y += 18
        for text in ["We thank the plant's operators for the samples and the centre for its computing time.",
                     "The work was funded by a fellowship of the national research council."]:
            items.append((text, 72, y, 7, "helv"))
            y += 8.5
        return [s.title for s in parse_pdf(lines_pdf([items]), "t.pdf").sections]

    assert titles("Acknowledgements") == ["1 Introduction", "Acknowledgements"]
    assert titles("Acknowledgements:") == ["1 Introduction"]


def _manuscript(second_page: list[str]) -> bytes:
    """An APA-style manuscript, double-spaced, all at 12 pt: a two-line bold title ending in a name with a digit
    ("NeuroKit2"), authors with affiliation marks, an abstract; on page 2 the title restated in the headings' style
    (bold, centred), then ``second_page``'s lines (a heading "Introduction" and text, or text at once)."""
    import pymupdf
    from pdf_factory import lines_pdf

    def centred(text: str, y: float, font: str = "hebo") -> tuple:
        return (text, (595 - pymupdf.get_text_length(text, font, 12)) / 2, y, 12, font)

    title = ["The Structure of Chaos: An Empirical Comparison of Fractal Physiology", "Complexity Indices using NeuroKit2"]
    text = ["Complexity is an umbrella term for concepts derived from information", "theory and chaos theory, used to "
            "quantify the unpredictability and entropy."]
    first = [centred(title[0], 200), centred(title[1], 224), centred("Dominique Makowski1, An Shu Te1, and Tam Pham2",
                                                                     264, "helv"),
             centred("1 School of Social Sciences, Nanyang Technological University", 290, "helv"),
             centred("Abstract", 340)] + [(t, 72, 364 + 24 * i, 12, "helv") for i, t in enumerate(text * 3)]
    second, y = [centred(title[0], 100), centred(title[1], 124)], 148
    for line in second_page:
        second.append(centred(line, y) if line in ("Introduction", "Methods") else (line, 72, y, 12, "helv"))
        y += 24
    more = [(t, 72, 72 + 24 * i, 12, "helv") for i, t in enumerate(text * 14)]  # the body outweighs the title
    return lines_pdf([first, second, more])


def test_a_title_ending_in_a_name_with_a_digit_is_whole_and_its_restatement_over_the_body_is_no_section():
    """APA manuscripts (and a supplement's first page) set the title again at the top of the body in the headings'
    style: it is the title, not two top-level sections. A title word like "NeuroKit2" is no author's affiliation mark."""
    body = ["Complexity is an umbrella term for concepts derived from information", "theory and chaos theory, used to "
            "quantify the unpredictability and entropy."] * 3
    doc = parse_pdf(_manuscript(["Introduction", *body, "Methods", *body]), "t.pdf")
    assert doc.title == "The Structure of Chaos: An Empirical Comparison of Fractal Physiology Complexity Indices using NeuroKit2"
    assert doc.authors[:2] == ["Dominique Makowski", "An Shu Te"]
    assert [s.title for s in doc.sections if s.kind != "abstract"] == ["Introduction", "Methods"]
    assert [s.level for s in doc.sections if s.kind != "abstract"] == [1, 1]
    # set over text, the restated title is that text's heading: kept
    kept = parse_pdf(_manuscript([*body, "Methods", *body]), "t.pdf")
    assert [s.title for s in kept.sections if s.kind != "abstract"][0].startswith("The Structure of Chaos")


def _runs_pdf(title: str, section: str, text: str, heads: list[list[tuple[str, str, float]]]) -> bytes:
    """One page: ``title``, the heading ``section``, a paragraph of ``text``; then per head its line of runs (text,
    PyMuPDF font name, size; a run under 9 pt is set raised, a superscript) and a paragraph after it."""
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page()
    writer = pymupdf.TextWriter(page.rect)
    writer.append((72, 80), title, font=pymupdf.Font("tibo"), fontsize=18)
    writer.append((72, 120), section, font=pymupdf.Font("tibo"), fontsize=12)
    y = 140.0
    for runs in [[], *heads]:
        if runs:
            end = pymupdf.Point(72, y + 14)
            for piece, font, size in runs:
                _, end = writer.append((end.x, y + 14 - (3 if size < 9 else 0)), piece, font=pymupdf.Font(font),
                                       fontsize=size)
            y += 26
        for i in range(3):
            writer.append((72, y + 12 * i), text, font=pymupdf.Font("tiro"), fontsize=10)
        y += 40
    writer.write_text(page)
    return doc.tobytes()


def test_a_numbered_run_in_heading_is_found_when_its_text_stresses_a_word_and_a_superscript_ends_no_lead():
    """The Yellow Paper's "4.1. World State. The world state (*state*), is …": the number plain, the title bold, and
    an italic word in the text after it; "4.2 M² (Dahlmeier and Ng, 2012)": a bold title with a plain superscript."""
    data = _runs_pdf("Run-in Headings in a Ledger", "4. Blocks, State and Transactions",
                     "The state maps every address to its account, and the block records every change made to it.",
                     [[("4.1. ", "tiro", 10), ("World State. ", "tibo", 10), ("The world state (", "tiro", 10),
                       ("state", "tiit", 10), ("), is a mapping between addresses and account states.", "tiro", 10)],
                      [("4.2 M", "tibo", 10), ("2", "tiro", 7), (" (Dahlmeier and Ng, 2012)", "tibo", 10)]])
    titles = [s.title for s in parse_pdf(data, "ledger.pdf").sections]
    assert "4.1. World State" in titles and any(t.startswith("4.2 M") and "Dahlmeier" in t for t in titles), titles


def test_a_code_name_ending_a_bold_heading_is_part_of_its_title_not_the_text_after_a_lead():
    """JSS's "3.2. Scoring forecasts with eval_forecasts()": the title bold, its function name monospaced."""
    data = _runs_pdf("Forecast Evaluation in R", "3. Examples",
                     "The package scores forecasts against the observed values, whatever the type of the forecast.",
                     [[("3.2. Scoring forecasts with ", "tibo", 12), ("eval_forecasts()", "cour", 11)]])
    titles = [s.title for s in parse_pdf(data, "jss.pdf").sections]
    assert "3.2. Scoring forecasts with eval_forecasts()" in titles, titles


def test_an_appendix_named_in_any_case_is_a_numbered_top_level_heading():
    """"Appendix A. On the existence of enough injective modules" in another family at the body's size (a long
    title no rule for unnumbered names takes): its "Appendix A." numbers it, whatever its case."""
    from summarizer.pdf.headings import numbering

    assert numbering("Appendix A. On the existence of enough injective modules") == \
        ("Appendix A", "On the existence of enough injective modules")
    assert numbering("APPENDIX B PROOFS") == ("APPENDIX B", "PROOFS") and numbering("Appendix A")[0] is None
    body = ["An abelian group is divisible when every element can be divided by every natural number.",
            "Every abelian group embeds in a divisible one, which gives enough injective objects here."]
    assert _titles_around("Appendix A. On the existence of enough injective modules", body, head_font="helv",
                          body_font="tiro", below=38) == ["1 Introduction", "Appendix A. On the existence of enough injective modules"]


def test_a_code_name_opening_the_text_after_a_run_in_lead_is_text():
    """"Parameters." in bold, then the code name ``x`` opening its text: the lead ends at its stop."""
    data = _runs_pdf("Forecast Evaluation in R", "3. Examples",
                     "The package scores forecasts against the observed values, whatever the type of the forecast.",
                     [[("3.3. Parameters. ", "tibo", 10), ("x", "cour", 10),
                       (" is the data frame of forecasts and observations to score.", "tiro", 10)]])
    titles = [s.title for s in parse_pdf(data, "jss.pdf").sections]
    assert "3.3. Parameters" in titles, titles
