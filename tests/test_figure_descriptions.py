"""Figure descriptions (issue #30): with ``describe_figures`` (off by default), each located figure's image is sent
to the model once, on the one request path (an OpenAI image_url content part, detail "low", counted as 85 tokens,
cached by the image's hash), for one checked sentence shown under its caption in the Markdown, the JSON and the
app; the estimate counts those requests first; a text-only endpoint is sent one image and then none, and the run
says so once; the extractive backend never describes a figure and says nothing about it. The main path runs on a
PDF drawn here (``pdf_factory.make_figure_paper``); a corpus paper with real figures checks it on one too."""

from __future__ import annotations

import base64
import json
import struct

import pytest
from conftest import CORPUS, llm_settings, llm_settings_per_section
from llm_server import IMAGE_TOKENS, LLMServer, images_of, rough_tokens, text_of
from pdf_factory import FIGURE_CAPTIONS, make_figure_paper
from test_cli import run_cli

from summarizer.config.settings import Settings
from summarizer.llm.answer_checks import description_problem
from summarizer.llm.backend import FIGURES_SKIPPED, LLMBackend
from summarizer.llm.costs import estimate_run
from summarizer.llm.requests import IMAGE_TOKENS_LOW, ImageInput
from summarizer.model.document import Document, Float, FloatKind
from summarizer.output.render import render_markdown
from summarizer.output.summary_json import summary_json
from summarizer.pdf.floats import locate_floats
from summarizer.pdf.parser import parse_pdf
from summarizer.run.engine import summarize_document

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _paper(figures: tuple[int, ...] = (1, 2)) -> tuple[bytes, Document]:
    """The drawn paper and its document, figures located (as --describe-figures and the app do first)."""
    data = make_figure_paper(figures)
    doc = parse_pdf(data, "figures.pdf")
    locate_floats(data, doc.floats)
    assert [f.label for f in doc.figures_to_describe()] == [f"Figure {n}" for n in figures]
    return data, doc


def _image_requests(server: LLMServer) -> list:
    return [r for r in server.state.chat_requests if images_of(r.body)]


def _described(doc: Document) -> dict[str, tuple[str, str]]:
    return {f.label: (f.description, f.described_by) for f in doc.floats if f.description}


def test_off_by_default_no_image_is_sent(llm_server, monkeypatch):
    assert Settings().describe_figures is False
    monkeypatch.setenv("SUMMARIZER_DESCRIBE_FIGURES", "1")  # the setting's variable follows from its name
    assert Settings.from_env().describe_figures is True
    monkeypatch.delenv("SUMMARIZER_DESCRIBE_FIGURES")
    data, doc = _paper()
    result = summarize_document(doc, llm_settings(llm_server), pdf=data)  # the PDF is there, the setting is not
    assert all(r.status in ("done", "skipped") for r in result.sections)
    assert llm_server.state.chat_requests and not _image_requests(llm_server)
    assert not _described(doc) and "Figure shows" not in render_markdown(result)
    assert FIGURES_SKIPPED not in result.notices


def test_each_located_figure_is_described_once_from_its_image(llm_server):
    data, doc = _paper()
    settings = llm_settings(llm_server, describe_figures=True)
    result = summarize_document(doc, settings, pdf=data)
    assert all(r.status in ("done", "skipped") for r in result.sections)
    sent = _image_requests(llm_server)
    assert len(sent) == 2  # one request per located figure
    for request in sent:
        user = request.body["messages"][-1]["content"]
        assert [p["type"] for p in user] == ["text", "image_url"]  # OpenAI's chat format: text, then the image
        image = user[1]["image_url"]
        assert image["detail"] == "low" and image["url"].startswith("data:image/png;base64,")
        png = base64.b64decode(image["url"].split(",", 1)[1])
        assert png[:8] == PNG_MAGIC and max(struct.unpack(">II", png[16:24])) <= 1024
        assert "<caption>" in user[0]["text"]  # the caption is sent as data beside the image
    captions = {text_of(r.body["messages"][-1]["content"]) for r in sent}
    assert all(any(FIGURE_CAPTIONS[n] in c for c in captions) for n in (1, 2))
    described = _described(doc)
    assert set(described) == {"Figure 1", "Figure 2"}
    assert all("plot" in text and by == "test-model" for text, by in described.values())
    # the Markdown: under the figure's caption line, the model named
    markdown = render_markdown(result)
    line = f"*Figure shows (test-model):* {described['Figure 1'][0]}"
    assert line in markdown
    assert markdown.index(line) > markdown.index("**Figure 1** (p. 3): Median query latency")
    # the JSON of --json and the service carries it, and the document's JSON keeps it (History)
    floats = {f["label"]: f for f in json.loads(json.dumps(summary_json(doc, result, markdown)))["floats"]}
    assert floats["Figure 2"]["description"] == described["Figure 2"][0] and floats["Figure 2"]["described_by"] == "test-model"
    assert Document.from_json(json.loads(json.dumps(doc.to_json()))).floats == doc.floats
    # tokens counted: the run's usage is what the server counted, an image at 85 tokens in each figure's request
    assert result.usage.requests == len(llm_server.state.chat_requests)
    assert result.usage.tokens_in == sum(rough_tokens(r.body["messages"]) for r in llm_server.state.chat_requests)
    assert all(rough_tokens(r.body["messages"]) > IMAGE_TOKENS for r in sent)
    # cached on a re-run: the same figures are not asked again, and the descriptions come back
    asked = len(llm_server.state.chat_requests)
    again_data, again = _paper()
    summarize_document(again, settings, pdf=again_data)
    assert len(llm_server.state.chat_requests) == asked
    assert _described(again) == described


def test_figures_are_described_alongside_the_sections_within_the_worker_limit():
    with LLMServer(latency=0.3) as server:
        data, doc = _paper()
        settings = llm_settings_per_section(server, describe_figures=True, group_below=0, workers=3)
        summarize_document(doc, settings, pdf=data)
        sections = [r for r in server.state.chat_requests if not images_of(r.body) and "<section>" in text_of(
            r.body["messages"][-1]["content"])]
        figures = _image_requests(server)
        assert len(figures) == 2 and len(sections) >= 4
        # the first figure is asked while section requests are still in flight, and never beyond the workers
        assert figures[0].at < max(r.at + r.took for r in sections)
        assert server.state.peak <= 3


def test_the_image_is_budgeted_and_keyed_by_its_hash():
    backend = LLMBackend(Settings(backend="llm", model="gpt-4o-mini", base_url="http://127.0.0.1:9/v1", use_cache=False))
    prompt = backend.prompts.get("figure")
    values = {"title": "Sparrows", "caption": "Figure 1: Counts per winter.", "max_words": 30}
    png = _png(1)
    plain, with_image = backend.sized(prompt, values), backend.sized(prompt, values, image=ImageInput(png))
    assert IMAGE_TOKENS_LOW == 85 and with_image.prompt_tokens == plain.prompt_tokens + 85
    assert with_image.room == plain.room - 85
    same, other = backend.sized(prompt, values, image=ImageInput(png)), backend.sized(prompt, values, image=ImageInput(_png(2)))
    key = backend.cache_key(with_image, prompt.json_schema())
    assert key == backend.cache_key(same, prompt.json_schema())
    assert key != backend.cache_key(other, prompt.json_schema()) and key != backend.cache_key(plain, prompt.json_schema())


def _png(seed: int) -> bytes:
    """A small PNG, different for each ``seed``."""
    import pymupdf

    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 8 + seed, 8), False)
    pix.clear_with(40 * seed)
    return pix.tobytes("png")


def test_the_estimate_counts_one_request_per_figure(llm_server):
    _, doc = _paper()
    off = estimate_run(doc, llm_settings(llm_server))
    on = estimate_run(doc, llm_settings(llm_server, describe_figures=True))
    assert on.figures == 2 and off.figures == 0 and on.calls == off.calls + 2
    assert on.tokens_in - off.tokens_in >= 2 * (IMAGE_TOKENS_LOW + 50) and on.tokens_out > off.tokens_out
    assert "(2 for figure descriptions)" in on.describe()
    priced = estimate_run(doc, llm_settings(llm_server, describe_figures=True, model="gpt-4o-mini"))
    assert priced.cost_usd is not None and priced.cost_usd > estimate_run(doc, llm_settings(llm_server, model="gpt-4o-mini")).cost_usd


def test_the_cli_shows_the_estimate_first_and_describes_the_figures(tmp_path, llm_server):
    pdf = tmp_path / "figures.pdf"
    pdf.write_bytes(make_figure_paper((1, 2)))
    out = tmp_path / "note.md"
    base = ["summarize", str(pdf), "--backend", "llm", "--base-url", llm_server.base_url, "--model", "test-model",
            "--describe-figures", "-o", str(out), "--no-history"]
    env = {"OPENAI_API_KEY": "sk-cli-test"}
    refused = run_cli(*base, env=env)  # no price known: nothing is sent without --yes
    err = refused.stderr.decode()
    assert refused.returncode == 2, err
    assert "2 figure description(s)" in err and "(2 for figure descriptions)" in err and "--yes" in err
    assert not llm_server.state.chat_requests and not out.exists()
    done = run_cli(*base, "--yes", env=env)
    err = done.stderr.decode()
    assert done.returncode == 0, err
    assert len(_image_requests(llm_server)) == 2 and "Traceback" not in err
    assert out.read_text().count("*Figure shows (test-model):* A line plot") == 2
    as_json = run_cli(*base[:-3], "--yes", "--json", "--no-history", env=env)  # answered from the cache
    floats = json.loads(as_json.stdout)["floats"]
    assert [f["described_by"] for f in floats if f["kind"] == "figure"] == ["test-model", "test-model"]
    assert len(_image_requests(llm_server)) == 2


@pytest.mark.parametrize("status", [500, 400])  # llama.cpp without its vision projector; OpenAI's text models
def test_a_text_only_endpoint_is_sent_one_image_and_the_run_says_so_once(status):
    with LLMServer(refuse_images=status, latency=0.2) as server:
        data, doc = _paper((1, 2))
        settings = llm_settings(server, describe_figures=True, workers=4, use_cache=False)
        result = summarize_document(doc, settings, pdf=data)
        assert len(_image_requests(server)) == 1  # one refused request, not one per figure in flight, not retried
        assert all(r.status in ("done", "skipped") for r in result.sections) and not result.overview_error
        assert result.notices.count(FIGURES_SKIPPED) == 1
        assert not _described(doc) and "Figure shows" not in render_markdown(result)
        # learned for the endpoint: a later run sends it no image at all, and still says why once
        again_data, again = _paper((1, 2))
        later = summarize_document(again, settings, pdf=again_data)
        assert len(_image_requests(server)) == 1 and later.notices.count(FIGURES_SKIPPED) == 1
        assert all(r.status in ("done", "skipped") for r in later.sections)


@pytest.mark.parametrize("garbage", [
    # our own instructions echoed
    "In one sentence of at most 30 words, say what the figure shows: the kind of chart or diagram, its axes or components.",
    FIGURE_CAPTIONS[1],  # the caption copied, label and all
    FIGURE_CAPTIONS[1].split(": ", 1)[1],  # the caption copied, without its label
    "A line plot of latency. It rises as the collection grows.",  # two sentences
    "A line plot " + "that keeps going on " * 8 + "forever.",  # past 30 words
])
def test_a_garbage_description_is_refused(garbage):
    with LLMServer(figure_answers=(garbage,)) as server:
        data, doc = _paper((1,))
        result = summarize_document(doc, llm_settings(server, describe_figures=True, use_cache=False), pdf=data)
        assert len(_image_requests(server)) == 2  # asked once more, naming the problem, then left out
        assert "could not be used" in text_of(_image_requests(server)[1].body["messages"][-1]["content"])
        assert not _described(doc) and "Figure shows" not in render_markdown(result)
        assert all(r.status in ("done", "skipped") for r in result.sections) and FIGURES_SKIPPED not in result.notices


def test_a_description_asked_again_after_garbage_is_kept():
    good = "A line plot with latency on the vertical axis rising steeply for the baseline and slowly for Sparrow."
    with LLMServer(figure_answers=(FIGURE_CAPTIONS[1], good)) as server:
        data, doc = _paper((1,))
        summarize_document(doc, llm_settings(server, describe_figures=True), pdf=data)
        assert len(_image_requests(server)) == 2 and _described(doc) == {"Figure 1": (good, "test-model")}


def test_description_rules():
    caption = "Figure 3: Recall of the index against postings kept."
    assert description_problem("A scatter plot with recall rising steeply, then levelling off near the top.", caption) == ""
    assert "copied" in description_problem("Recall of the index against postings kept.", caption)
    assert "copied" in description_problem("Recall of the index", caption)
    assert "one sentence" in description_problem("A plot. It rises.", caption)
    assert "31 words" in description_problem(" ".join(["bar"] * 31), caption)
    assert description_problem("一张折线图，显示召回率随保留的倒排项增加而上升，之后趋于平稳。", "图 3 索引的召回率") == ""


def test_the_extractive_backend_never_describes_figures_and_says_nothing(monkeypatch):
    from summarizer.extractive.backend import ExtractiveBackend
    from summarizer.pdf import page_view

    handed = []
    monkeypatch.setattr(ExtractiveBackend, "describe_figure", lambda self, *args: handed.append(args))
    monkeypatch.setattr(page_view, "render_region", lambda *args, **kw: handed.append(args) or b"")
    data, doc = _paper((1,))
    result = summarize_document(doc, Settings(backend="extractive", describe_figures=True), pdf=data)
    assert handed == []  # no image cut from the PDF, no figure handed to it
    assert not _described(doc) and result.usage.requests == 0
    assert not any("figure" in n.lower() or "image" in n.lower() for n in result.notices)
    assert "Figure shows" not in render_markdown(result)


def test_history_rows_stored_before_descriptions_still_read():
    figure = Float(FloatKind.FIGURE, "2", "Figure 2: Counts.", 3, (1.0, 2.0, 3.0, 4.0), description="A bar chart.",
                   described_by="gpt-4o-mini")
    old = figure.to_json()
    old.pop("description")
    old.pop("described_by")
    assert Float.from_json(old).description == "" and Float.from_json(old).described_by == ""
    assert Float.from_json(json.loads(json.dumps(figure.to_json()))) == figure


def test_a_description_is_escaped_in_the_markdown():
    from summarizer.model.results import DocumentSummary, SectionResult

    doc = Document("Paper", "p.pdf", sections=[])
    from summarizer.model.document import Section

    doc.sections = [Section("3 Results", "Figure 1 shows the counts.", kind="results")]
    doc.floats = [Float(FloatKind.FIGURE, "1", "Figure 1: Counts.", 2, (0, 0, 1, 1), section=0,
                        description="A *bold* [link](https://evil.example) <script>x</script> chart.",
                        described_by="model_[x]")]
    result = DocumentSummary(doc, "llm", "", [SectionResult(0, "3 Results", "results", 1, "done", summary="- Counts rose.")])
    markdown = render_markdown(result)
    line = next(ln for ln in markdown.splitlines() if ln.startswith("*Figure shows"))
    # inert: no link, no tag, no emphasis of the model's making
    assert r"\[link\](https" in line and r"\<script\>" in line and r"\*bold\*" in line
    assert line.startswith(r"*Figure shows (model\_\[x\]):*")


def test_a_corpus_paper_s_figures_are_each_described(llm_server):
    path = CORPUS / "papers" / "explainable-ml-kdd2019.pdf"
    if not path.is_file():
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    data = path.read_bytes()
    doc = parse_pdf(data, path.name)
    locate_floats(data, doc.floats)
    figures = doc.figures_to_describe()
    assert len(figures) >= 4
    result = summarize_document(doc, llm_settings(llm_server, describe_figures=True), pdf=data)
    assert len(_image_requests(llm_server)) == len(figures)
    assert set(_described(doc)) == {f.label for f in figures}
    markdown = render_markdown(result)
    assert markdown.count("*Figure shows (test-model):*") == sum(1 for f in figures if f.section is not None
                                                                 and result.sections[f.section].status not in ("skipped", "failed"))


def test_the_app_offers_the_checkbox_with_its_estimate_and_shows_the_descriptions(llm_server):
    from streamlit.testing.v1 import AppTest
    from test_app import APP, _upload

    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["summarizer_settings"] = {"backend": "llm", "base_url": llm_server.base_url, "model": "test-model"}
    at.run()
    _upload(at, "figures.pdf", make_figure_paper((1, 2)))
    assert not at.exception
    box = at.checkbox(key="describe_figures")
    assert box.value is False  # off by default
    estimate = next(c.value for c in at.caption if c.value.startswith("Estimate before sending"))
    assert "figure descriptions" not in estimate
    box.check().run()
    assert not at.exception
    estimate = next(c.value for c in at.caption if c.value.startswith("Estimate before sending"))
    assert "(2 for figure descriptions)" in estimate  # the estimate shown with the checkbox counts them
    at.button(key="summarize").click().run()
    assert not at.exception and not at.error
    assert len(_image_requests(llm_server)) == 2
    assert at.session_state["markdown"].count("*Figure shows (test-model):*") == 2
    # the Tables and figures panel shows each description under its figure
    assert sum(m.value.startswith("*Figure shows (test-model):* A line plot") for m in at.markdown) == 2


def test_no_token_ratio_is_learned_from_a_request_with_an_image():
    """A server counts an image its own way (a vision projector: hundreds of tokens): the run's budget for text
    must not shrink by what it says about an image."""
    from types import SimpleNamespace

    backend = LLMBackend(Settings(backend="llm", model="gpt-4o-mini", base_url="http://127.0.0.1:9/v1", use_cache=False))
    prompt = backend.prompts.get("figure")
    call = backend.sized(prompt, {"title": "T", "caption": "Figure 1: Counts.", "max_words": 30}, image=ImageInput(_png(1)))
    backend._account(None, SimpleNamespace(tokens_in=call.prompt_tokens * 6, tokens_out=20, attempts=1), call)
    assert backend.token_ratio == 1.0


@pytest.mark.parametrize("server", [
    {"figure_answers": ("I'm sorry, but I cannot see any image in your message.",)},  # the image part dropped
    {"images_as_text": True, "context_limit": 7_000},  # the data URL read as text: the request overflows
], ids=["says-it-sees-none", "reads-the-image-as-text"])
def test_a_server_that_cannot_read_the_image_is_asked_once(server):
    with LLMServer(**server) as stand_in:
        data, doc = _paper((1, 2))
        result = summarize_document(doc, llm_settings(stand_in, describe_figures=True, use_cache=False), pdf=data)
        assert len(_image_requests(stand_in)) == 1 and result.notices.count(FIGURES_SKIPPED) == 1
        assert not _described(doc) and all(r.status in ("done", "skipped") for r in result.sections)


def test_the_local_model_is_never_sent_an_image(monkeypatch, tmp_path):
    """Our own llama.cpp server loads no vision projector: figures are skipped, said once, and nothing is sent."""
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF" + b"\0" * 64)
    monkeypatch.setattr("summarizer.config.settings.check_model_file", lambda path: None)
    sent = []
    backend = LLMBackend(Settings(backend="llm", model_path=str(model), use_cache=False),
                         client=type("Client", (), {"complete": lambda *a, **k: sent.append(a)})())
    data, doc = _paper((1,))
    backend.describe_figure(doc, doc.floats[0], b"\x89PNG")
    backend.describe_figure(doc, doc.floats[0], b"\x89PNG")
    assert sent == [] and backend.notices == [FIGURES_SKIPPED] and not doc.floats[0].description


@pytest.mark.parametrize("text, refusal", [
    ("I cannot see any image in your message.", True),
    ("Sorry, I can't view images.", True),
    ("The plot shows accuracy. I do not have access to the figure.", True),
    ("No image was provided.", True),
    ("A bar chart comparing models I-III, which do not use visual features, on accuracy.", False),
    ("A diagram of stage I, which cannot pass images to the decoder directly.", False),
])
def test_only_the_model_saying_it_has_no_image_reads_as_a_refusal(text, refusal):
    """A refusal turns figure descriptions off for the run: an ordinary description that happens to hold "I" and
    "do not … visual" must not."""
    from summarizer.llm.answer_checks import says_no_image

    assert says_no_image(text) is refusal


@pytest.mark.parametrize("status, detail, refusal", [
    (500, "image input is not supported - hint: you may need to provide the mmproj", True),
    (400, "Invalid content type. image_url is only supported by certain models.", True),
    (400, "Invalid image.", False),  # this picture, not pictures: the next figure may be read
    (400, "Your input image may contain content that is not allowed by our safety system.", False),
])
def test_an_error_about_one_image_is_not_a_refusal_of_images(status, detail, refusal):
    from summarizer.llm.server_errors import refuses_images

    assert refuses_images(status, detail) is refusal


def test_a_run_reopened_from_history_keeps_its_figure_descriptions(llm_server, tmp_path):
    """History stores the document as the run began; the descriptions the run wrote into it are kept at its end, so a
    reopened run (and every export made from it) shows them."""
    from summarizer.store.recorder import command_recorder, reopen

    data, doc = _paper()
    settings = llm_settings(llm_server, describe_figures=True)
    recorder = command_recorder(doc, settings, tmp_path / "history.sqlite3")
    result = summarize_document(doc, settings, on_event=recorder, pdf=data)
    recorder.finish(result, render_markdown(result))
    _, reopened = reopen(recorder.store, "cli", recorder.run_id)
    assert _described(reopened.document) == _described(doc) and len(_described(doc)) == 2


def test_a_description_is_measured_in_words_as_every_size_check_measures_them():
    """Hyphenated terms are one word each (``text.language.reading_length``), not one per piece."""
    text = ("A line chart comparing state-of-the-art and off-the-shelf retrieval models on long-document "
            "question-answering, with end-to-end latency on a log-scale y-axis for up-to-date out-of-domain test-sets.")
    assert description_problem(text, "Figure 3: Latency of the retrieval models.") == ""
