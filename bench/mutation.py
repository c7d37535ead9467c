"""Mutation bench: break one important line at a time, run the tests that guard it, revert.

Each mutation names a file, a regular expression that must match exactly once (written to survive
unrelated edits: it anchors on the code's meaning, not on line numbers or whole lines), its
replacement, and the tests to run. A mutation is *killed* when at least one of those tests fails,
*survived* when all pass, *error* when the pattern no longer matches once (fix the pattern) or the
tests could not run. The file is always restored, also on Ctrl-C or a crash.

    nice python bench/mutation.py                 # every mutation
    nice python bench/mutation.py -k rpm budget   # mutations whose id contains a word
    nice python bench/mutation.py --list          # the table of mutations, without running

Prints a table (id, group, result, seconds) and the score per group.
"""

from __future__ import annotations

import argparse
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Mutation:
    id: str
    file: str
    pattern: str  # a regex that must match exactly once in the file
    replacement: str  # re.sub replacement (may use groups)
    tests: tuple[str, ...]  # pytest node ids or files, optionally "file::name" or "file -k expr"
    group: str = "own"  # "issue" = the 9 one-line breakages listed in issue 14


T_ENGINE = "tests/test_llm_engine.py"
T_BACKEND = "tests/test_llm_backend.py"
T_GUARDS = "tests/test_guarded_rules.py"
T_BATCH = "tests/test_batch.py"
T_EXPORTS = "tests/test_exports.py"

MUTATIONS: list[Mutation] = [
    # ---- the nine breakages named in issue 14 ----------------------------------------------------
    Mutation("retry-limit-off-by-one", "summarizer/llm/failures.py",
             r"(\(status or 0\) >= 500:\n\s+if attempts )>= (self\.max_attempts)", r"\1> \2",
             (f"{T_ENGINE}::test_retry_limit_is_exact",), "issue"),
    Mutation("preflight-budget-check-off", "summarizer/llm/requests.py",
             r"if room < prompt\.max_output_tokens:", "if False:",
             (f"{T_ENGINE}::test_a_prompt_too_big_for_the_window_is_refused_before_sending",), "issue"),
    Mutation("cutoff-retry-ignores-context", "summarizer/llm/requests.py",
             r"max\(retry\.max_tokens, min\(call\.max_tokens \* 2, retry\.room\)\)", "call.max_tokens * 2",
             (f"{T_ENGINE}::test_no_request_exceeds_the_context_window",), "issue"),
    Mutation("model-not-in-answer-cache-key", "summarizer/llm/cache.py",
             r'"model": model,', '"model": "",', (f"{T_ENGINE}::test_answer_cache_is_per_model_and_host",), "issue"),
    Mutation("model-not-in-batch-resume-key", "summarizer/run/batch.py",
             r'\("backend", "model", ', '("backend", ', (f"{T_BATCH}::test_another_model_redoes_the_batch",), "issue"),
    Mutation("rpm-ceiling-off", "summarizer/llm/limits.py",
             r"rpm_ok = not self\.rpm or len\(self\._events\) < self\.rpm", "rpm_ok = True",
             (f"{T_ENGINE}::test_rate_window_holds_requests_per_minute",), "issue"),
    Mutation("kind-rule-method-between-intro-and-experiments", "summarizer/text/kinds.py",
             r'kind = "method" if not seen & \{"conclusion"\} else "other"', 'kind = "other"',
             (T_GUARDS,), "issue"),
    Mutation("kind-rule-method-under-experiments", "summarizer/text/kinds.py",
             r'kind = parent  # "Model" under "Experiments"', "pass  # mutated", (T_GUARDS,), "issue"),
    Mutation("faithfulness-rule-quotes", "summarizer/verify/faithfulness.py",
             r"if words >= 3 and _normalise\(quote\)", "if words >= 300 and _normalise(quote)",
             ("tests/test_faithfulness.py", T_GUARDS), "issue"),
    # ---- our own list: important lines across the library --------------------------------------
    Mutation("budget-ignores-reserved-output", "summarizer/text/tokens.py",
             r"return self\.context_window - self\.reserved_output - prompt_tokens", "return self.context_window - prompt_tokens",
             (f"{T_ENGINE}::test_no_request_exceeds_the_context_window", "tests/test_prompts_tokens.py::test_budget")),
    Mutation("split-chunks-overflow", "summarizer/llm/backend.py",
             r"if current and used \+ n > max_tokens:", "if current and used + n > max_tokens * 2:",
             (f"{T_BACKEND}::test_split_to_fit_respects_limit",)),
    Mutation("split-drops-sentence-tail", "summarizer/llm/backend.py",
             r"^(\s{12})units\.append\(sentence\)$", r"\1pass", (f"{T_BACKEND}::test_split_to_fit_respects_limit",)),
    Mutation("retry-non-retryable-errors", "summarizer/llm/failures.py",
             r"(o\.NotFoundError\)\):\n)(\s+)reason = self\._scrub\(self\._explain\(exc\)\)\n\s+self\._open_breaker\(reason\)\n"
             r"\s+raise EndpointUnavailable\(reason\)",
             r"\1\2if attempts >= self.max_attempts:\n\2    raise EndpointUnavailable('mutated')\n\2return self._backoff(attempts)",
             (f"{T_BACKEND}::test_auth_and_model_errors_are_explained_not_retried",)),
    Mutation("retry-nothing", "summarizer/llm/failures.py",
             r"(>= 500:\n\s+if attempts >= self\.max_attempts:\n\s+raise BackendError\(.*\)\n)(\s+)return self\._backoff\(attempts\)",
             r"\1\2raise BackendError('mutated')",
             (f"{T_ENGINE}::test_retry_limit_is_exact",)),
    Mutation("retry-after-ignored", "summarizer/llm/failures.py",
             r"return wait \+ random\.random\(\) \* 0\.1 \* self\.backoff_base",
             "return self._backoff(attempts)",
             (f"{T_ENGINE}::test_retry_after_is_honoured", f"{T_BACKEND}::test_retries_honour_retry_after_and_recover")),
    Mutation("backoff-cap-ignored", "summarizer/llm/failures.py",
             r"min\(self\.backoff_cap, (self\.backoff_base \* 2 \*\* \(attempts - 1\))\)", r"\1",
             (f"{T_ENGINE}::test_backoff_settings_bound_every_wait",)),
    Mutation("adaptive-limit-never-lowers", "summarizer/llm/limits.py",
             r"self\.limit = max\(1, self\.limit // 2\)", "self.limit = self.limit",
             (f"{T_ENGINE}::test_429s_lower_concurrency_and_the_run_still_completes",)),
    Mutation("host-not-in-answer-cache-key", "summarizer/llm/cache.py",
             r'"host": host,', '"host": "",', (f"{T_ENGINE}::test_answer_cache_is_per_model_and_host",)),
    Mutation("params-not-in-answer-cache-key", "summarizer/llm/cache.py",
             r'"params": params,', '"params": {},', (f"{T_ENGINE}::test_answer_cache_is_per_model_and_host",)),
    Mutation("language-not-in-batch-resume-key", "summarizer/run/batch.py",
             r'"model", "language", ', '"model", ', (f"{T_BATCH}::test_every_setting_that_decides_a_summary_is_in_the_resume_key",)),
    Mutation("prompts-not-in-batch-resume-key", "summarizer/run/batch.py",
             r'keep\["prompts"\] = ', '_unused = ', (f"{T_BATCH}::test_an_edited_prompt_is_in_the_resume_key",)),
    Mutation("render-heading-markers-kept", "summarizer/output/render.py",
             r'_MARKERS = re\.compile\(r"\^\\s\*\(#\+\\s\*\)\+"\)', '_MARKERS = re.compile(r"^$")',
             ("tests/test_render.py",)),
    Mutation("render-answer-headings-not-demoted", "summarizer/output/render.py",
             r'"#" \* min\(6, max\(len\(m\.group\(1\)\), floor\)\)', '"#" * len(m.group(1))', ("tests/test_render.py",)),
    Mutation("text-levels-not-normalised", "summarizer/inputs/text_parser.py",
             r"levels = normalise_levels\(\[h\[1\] for h in headings\], titles\)", "levels = [h[1] for h in headings]",
             ("tests/test_text_parser.py",)),
    Mutation("faithfulness-number-tolerance", "summarizer/verify/faithfulness.py",
             r"abs\(value - src\) <= \(slack if reading else step / 2 \+ slack\)",
             "abs(value - src) <= (slack if reading else step * 2 + slack)", (T_GUARDS,)),
    Mutation("faithfulness-names-unchecked", "summarizer/verify/faithfulness.py",
             r"if name\.lower\(\) not in lowered and name not in result\.names:", "if False:", (T_GUARDS,)),
    Mutation("kind-after-references-appendix", "summarizer/text/kinds.py",
             r"elif after_references:", "elif False:", (T_GUARDS,)),
    Mutation("language-check-off", "summarizer/llm/requests.py",
             r"return share >= 0\.3", "return True", (f"{T_BACKEND}::test_chinese_output_is_checked_and_reasked",)),
    Mutation("tpm-ceiling-off", "summarizer/llm/limits.py",
             r"tpm_ok = not self\.tpm or", "tpm_ok = True or", (f"{T_ENGINE}::test_rate_window_holds_tokens_per_minute",)),
    Mutation("fetch-size-limit-off", "summarizer/inputs/fetch.py",
             r"max_bytes=max_bytes or size,", "max_bytes=10**12,", (f"{T_GUARDS}::test_a_download_over_the_size_limit_is_refused",)),
    Mutation("batch-lock-not-taken", "summarizer/run/batch.py",
             r"^(\s+)lock\.acquire\(\)$", r"\1pass",
             (f"{T_BATCH}::test_lock_held_by_another_process_refuses_then_frees_when_it_is_killed",)),
    Mutation("legacy-text-read-as-broken-utf8", "summarizer/inputs/loading.py",
             r"if valid_non_ascii > 0 and bad <=", "if bad <=",
             ("tests/test_hostile.py -k legacy_encodings",)),
    Mutation("missing-prompt-not-named", "summarizer/llm/prompts.py",
             r"if missing:(\s+raise PromptError\(f\"The default prompt)", r"if False:\1",
             ("tests/test_package.py::test_a_missing_default_prompt_is_named",)),
    Mutation("settings-workers-unbounded", "summarizer/config/settings.py",
             r"workers: int = Field\(4, ge=1, le=64,", "workers: int = Field(4,", ("tests/test_settings.py",)),
    Mutation("settings-endpoint-unchecked", "summarizer/config/settings.py",
             r'if parsed\.scheme not in \("http", "https"\) or not parsed\.netloc:', "if False:",
             ("tests/test_hostile.py::test_base_url_that_is_not_a_url", "tests/test_settings.py")),
    Mutation("answer-cache-shared-across-keys", "summarizer/llm/cache.py",
             r'"params": params, "scope": scope\}', '"params": params}',
             ("tests/test_llm_calls_cache.py::test_answers_are_reused_only_under_the_key_that_paid",)),
    Mutation("group-answer-count-unchecked", "summarizer/llm/groups.py",
             r"if not isinstance\(entries, list\) or len\(entries\) != n:", "if not isinstance(entries, list):",
             ("tests/test_section_groups.py::test_an_answer_with_a_missing_entry_is_not_used_at_all",)),
    Mutation("answer-fields-line-sent-with-schema", "summarizer/llm/requests.py",
             r"if self\.schema_trusted and not call\.name_fields else None", "if False else None",
             ("tests/test_answer_fields_line.py::test_no_request_repeats_what_the_schema_says",)),
    Mutation("whole-paper-overview-asked-again", "summarizer/llm/backend.py",
             r"if self\.overview is not None:  # the whole paper", "if False:  # the whole paper",
             ("tests/test_whole_paper.py",)),
    Mutation("whole-paper-ignores-edited-prompts", "summarizer/llm/backend.py",
             r"if any\(name not in defaults or p\.to_dict\(\) != defaults\[name\]\.to_dict\(\) for name, p in used\.items\(\)\):",
             "if False:",
             ("tests/test_whole_paper.py",)),
    Mutation("whole-paper-overview-unchecked", "summarizer/llm/backend.py",
             r"self\.judge\(answer, synthesis, ctx\) or not self\._language_ok", "not self._language_ok",
             ("tests/test_whole_paper.py",)),
    Mutation("whole-paper-part-checked-without-its-prompt", "summarizer/llm/backend.py",
             r"self\._fill\(result, part, own\)", "self._fill(result, part, prompt)", ("tests/test_whole_paper.py",)),
    Mutation("whole-paper-for-news", "summarizer/llm/backend.py",
             r'if document\.genre != "paper" or not below', "if not below", ("tests/test_whole_paper.py",)),
    Mutation("whole-paper-answer-room-unchecked", "summarizer/llm/backend.py",
             r"(\s+)whole_answer_fits\(\[self\.words_for\(p\) for p in prompts\]",
             r"\1True or whole_answer_fits([self.words_for(p) for p in prompts]",
             ("tests/test_whole_paper.py",)),
    Mutation("group-parts-with-one-summary-used", "summarizer/llm/backend.py",
             r"if entry and position not in repeated else None", "if entry else None", ("tests/test_whole_paper.py",)),
    Mutation("whole-paper-context-room-unchecked", "summarizer/llm/backend.py",
             r"return  # the context left too little room", "pass  # the context left too little room",
             ("tests/test_whole_paper.py",)),
    Mutation("list-item-echo-unchecked", "summarizer/llm/requests.py",
             r"(echoed = echoed_item\(answer\.fields, ctx\)\s+)if echoed:", r"\1if False:", ("tests/test_whole_paper.py",)),
    Mutation("whole-paper-on-a-partial-rerun", "summarizer/llm/backend.py",
             r"if sorted\(indices\) != \[i for i, s in enumerate\(document\.sections\) if s\.summarizable\]:",
             "if False:", ("tests/test_whole_paper.py",)),
    Mutation("checks-memo-ignores-the-section", "summarizer/verify/section_checks.py",
             r' "section": asdict\(section\),', "", ("tests/test_section_checks.py",)),
    Mutation("checks-memo-ignores-the-read-tables", "summarizer/verify/section_checks.py",
             r'"tables": \[f\.to_json\(\) for f in read_tables\(document, result\.index\)\]', '"tables": []',
             ("tests/test_floats.py",)),
    Mutation("claim-never-pointed-at-its-table-row", "summarizer/verify/grounding.py",
             r"bullets = \[_from_table\(b, tables, lang\) for b in bullets\]", "pass", ("tests/test_floats.py",)),
    Mutation("models-key-number-unchecked", "summarizer/verify/key_results.py",
             r"unsourced = \[m\.text for m, _ in mentions if not written_in\(m\.text, source\)\]", "unsourced = []",
             ("tests/test_floats.py",)),
    Mutation("numbered-run-in-lead-needs-plain-text-to-the-end", "summarizer/pdf/extract.py",
             r"\(uniform or a == 1 or bool\(", "(uniform or False and bool(", ("tests/test_pdf_steps.py",)),
    Mutation("code-name-in-a-heading-ends-its-lead", "summarizer/pdf/extract.py",
             r'and not \(mono and not re\.search\(r"\[\.:—\]\\s\*\$", so_far\)\)', "",
             ("tests/test_pdf_steps.py",)),
    Mutation("appendix-numbered-in-lower-case-only", "summarizer/pdf/headings.py",
             r"\(\?:\(\?i:appendix\)", "(?:(?:appendix)", ("tests/test_pdf_steps.py",)),
    Mutation("restated-title-kept-as-sections", "summarizer/pdf/sections.py",
             r"headings = _without_restated_title\(headings, title\)", "pass", ("tests/test_pdf_steps.py",)),
    Mutation("checks-memo-never-used", "summarizer/verify/section_checks.py",
             r"if key is not None and result\.cached:", "if False:", ("tests/test_section_checks.py",)),
    Mutation("settings-bounds-unchecked", "summarizer/config/typed_model.py",
             r"\n                _bounds\(value, info\)", "", ("tests/test_typed_model.py", "tests/test_settings.py")),
    Mutation("settings-any-text-is-true", "summarizer/config/typed_model.py",
             r"return value\.strip\(\)\.lower\(\) in _TRUE", "return True", ("tests/test_typed_model.py",)),
    Mutation("read-options-page-limit-unbounded", "summarizer/config/environ.py",
             r"if not 1 <= pages <= MAX_PAGES_LIMIT:", "if not 1 <= pages:", ("tests/test_pdf_page_limit.py",)),
    Mutation("settings-alias-given-twice-accepted", "summarizer/config/typed_model.py",
             r"if name in called:", "if False:", ("tests/test_typed_model.py",)),
    Mutation("rounding-across-a-dropped-scale-word", "summarizer/verify/faithfulness.py",
             r"\(slack if reading else step / 2 \+ slack\)", "(step / 2 + slack)", ("tests/test_faithfulness.py",)),
    Mutation("note-marks-kept-in-prose", "summarizer/pdf/extract.py",
             r"line\.prose = _without_note_marks\(spans, size\)", "pass", ("tests/test_pdf_note_marks.py",)),
    Mutation("exponents-taken-for-note-marks", "summarizer/pdf/extract.py",
             r"and not _EXPONENT_BASE\.search\(before\)", "and True", ("tests/test_pdf_note_marks.py",)),
    Mutation("enumerator-counted-as-open-bracket", "summarizer/extractive/ranking.py",
             r"elif not _ENUMERATOR_BEFORE\.search\(text, 0, i\):", "else:", ("tests/test_extractive.py",)),
    Mutation("enumerator-a-sentence-of-its-own", "summarizer/text/sentences.py",
             r"if merged and _ENUMERATOR_ONLY\.fullmatch\(merged\[-1\]\):", "if False:",
             ("tests/test_sentences_language.py",)),
    Mutation("figure-label-continues-a-sentence", "summarizer/pdf/blocks.py",
             r"if _LABEL_ONLY\.fullmatch\(text\.strip\(\)\):", "if False:", ("tests/test_pdf_blocks.py",)),
    Mutation("code-line-taken-for-a-heading", "summarizer/pdf/headings.py",
             r"if line\.mono >= 0\.5 and not typewritten and", "if False and", ("tests/test_pdf_outline.py",)),
    Mutation("unclosed-bracket-line-taken-for-a-heading", "summarizer/pdf/headings.py",
             r'if bracketed\.count\("\("\) != bracketed\.count\("\)"\)', "if False", ("tests/test_pdf_signals.py",)),
    Mutation("chinese-represents-read-as-table", "summarizer/text/float_names.py",
             r'ZH_TABLE = rf"\(\?<!\[\{_NOT_TABLE_BEFORE\}\]\)', 'ZH_TABLE = rf"', ("tests/test_floats.py",)),
    Mutation("chinese-besides-table-read-as-appearance", "summarizer/text/float_names.py",
             r'\(\?<!\(\?<!\[\{_BESIDES\}\]\)外\)', "", ("tests/test_floats.py",)),
    Mutation("stream-error-event-read-as-a-chunk", "summarizer/llm/sse.py",
             r'if event == "error":', "if False:", ("tests/test_llm_sse.py",)),
    Mutation("labels-on-a-figure-taken-for-headings", "summarizer/pdf/parser.py",
             r"drop_figure_labels, heading_levels,", "heading_levels,", ("tests/test_pdf_signals.py",)),
    Mutation("keyword-list-goes-on-as-a-heading", "summarizer/pdf/headings.py",
             r" or not numbered and i > 0 and _continues_metadata\(lines\[i - 1\], line\)", "", ("tests/test_pdf_signals.py",)),
    Mutation("chinese-abstract-lines-counted-in-spaces", "summarizer/pdf/sections.py",
             r"reading_length\(lines\[k\]\.text\) < 9(?P<mid>[\s\S]*?)reading_length\(lines\[k\]\.text\) <= 4",
             r"len(lines[k].text.split()) < 9\g<mid>len(lines[k].text.split()) <= 4", ("tests/test_pdf_signals.py",)),
    Mutation("chinese-prose-eaten-by-the-title-block", "summarizer/pdf/front.py",
             r"or reading_length\(line\.text\) > 16", "or words > 16", ("tests/test_pdf_signals.py",)),
    Mutation("third-unnumbered-level-cut-to-second", "summarizer/pdf/headings.py",
             r"h\.level = rank\.get\(style, 1\)", "h.level = min(rank.get(style, 1), 3)", ("tests/test_pdf_signals.py",)),
    Mutation("abstract-heading-style-ranked", "summarizer/pdf/headings.py",
             r' if kind_from_title\(h\.title\) != "abstract"\}', "}", ("tests/test_pdf_signals.py",)),
    Mutation("fine-print-back-matter-a-subsection", "summarizer/pdf/sections.py",
             r'in \("references", "acknowledgements"\) else h for h in headings\]', 'in () else h for h in headings]',
             ("tests/test_pdf_signals.py",)),
    Mutation("research-question-code-refused-as-a-title", "summarizer/pdf/headings.py",
             r" or code\)", ")", ("tests/test_pdf_signals.py",)),
    Mutation("outline-numbering-not-checked", "summarizer/pdf/headings.py",
             r"if h\.index in covered or not _fits_outline\(h, numbered\):", "if h.index in covered:",
             ("tests/test_pdf_outline.py",)),
    Mutation("subtitle-eats-the-first-paragraph", "summarizer/pdf/front.py",
             r"pending = j \+ 1  # a subtitle", "end = j + 1  # a subtitle", ("tests/test_pdf_blocks.py",)),
    # ---- exports (#31): what makes each format inert, well-formed and honest ------------------------------
    Mutation("export-html-not-escaped", "summarizer/output/html_page.py",
             r"return escape\(str\(value\), quote=True\)", "return str(value)",
             (f"{T_EXPORTS} -k hostile_document_is_inert",)),
    Mutation("export-bibtex-specials-kept", "summarizer/output/bibtex.py",
             r"_LATEX\.get\(ch\) or braces", "braces", (f"{T_EXPORTS} -k bibtex_round_trips",)),
    Mutation("export-bibtex-lone-brace", "summarizer/output/bibtex.py",
             r"braces = _BRACES if _paired\(value\) else _LONE_BRACES", "braces = _BRACES",
             (f"{T_EXPORTS} -k bibtex_round_trips",)),
    Mutation("export-yaml-line-breaks-folded", "summarizer/output/obsidian.py",
             r"style = '\"' if re\.search", "style = None if re.search", (f"{T_EXPORTS} -k front_matter_round_trips",)),
    Mutation("export-obsidian-math-escaped", "summarizer/output/obsidian.py",
             r"overview_lines\(result, safe_markdown_math\)", "overview_lines(result)",
             (f"{T_EXPORTS} -k keeps_math",)),
    Mutation("export-ris-value-breaks-lines", "summarizer/output/bibtex.py",
             r"\{' '\.join\(str\(value\)\.split\(\)\)\}", "{value}", (f"{T_EXPORTS} -k hostile_document_is_inert",)),
    Mutation("export-docx-control-characters", "summarizer/output/word.py",
             r'return _NOT_XML\.sub\("", str\(value\)\)', "return str(value)", (f"{T_EXPORTS} -k control_characters",)),
    Mutation("export-file-name-reserved", "summarizer/output/render.py",
             r'base = "_" \+ base', "pass", (f"{T_EXPORTS} -k safe_file_names",)),
    Mutation("export-doi-of-a-cited-work", "summarizer/output/citation.py",
             r"if len\(candidates\) == 1 else \"\"", 'if candidates else ""', (f"{T_EXPORTS} -k first_pages",)),
    Mutation("export-provenance-full-url", "summarizer/output/provenance.py",
             r"settings\.host if llm and not local", "settings.base_url if llm and not local",
             (f"{T_EXPORTS} -k docx_opens",)),
]


def _apply(m: Mutation) -> tuple[Path, str] | str:
    path = ROOT / m.file
    if not path.exists():
        return f"no file {m.file}"
    original = path.read_text(encoding="utf-8")
    found = len(re.findall(m.pattern, original, flags=re.M))
    if found != 1:
        return f"pattern matches {found} times"
    path.write_text(re.sub(m.pattern, m.replacement, original, count=1, flags=re.M), encoding="utf-8")
    return path, original


def _pytest_args(tests: tuple[str, ...]) -> list[str]:
    args: list[str] = []
    for t in tests:
        args.extend(t.split())
    return args


def run_one(m: Mutation, timeout: float) -> tuple[str, float, str]:
    applied = _apply(m)
    if isinstance(applied, str):
        return "error", 0.0, applied
    path, original = applied
    start = time.monotonic()
    try:
        # -n0: one process (exit 1 on a failure; under xdist, -x ends the run with exit 2)
        proc = subprocess.run([sys.executable, "-m", "pytest", "-n0", "-x", "-q", "-p", "no:cacheprovider",
                               *_pytest_args(m.tests)], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        rc, tail = proc.returncode, (proc.stdout or "").strip().splitlines()[-1:]
    except subprocess.TimeoutExpired:
        rc, tail = -1, ["timeout"]
    finally:
        path.write_text(original, encoding="utf-8")  # always restored, also on KeyboardInterrupt
    seconds = time.monotonic() - start
    result = {0: "survived", 1: "killed"}.get(rc, "error")
    if rc == -1:  # the guarding tests hung under the mutation: detected, though not as a clean failure
        result = "killed"
    return result, seconds, " ".join(tail)[:70]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-k", nargs="*", default=[], help="only mutations whose id contains one of these words")
    ap.add_argument("--group", choices=["issue", "own"], help="only this group")
    ap.add_argument("--timeout", type=float, default=300,
                    help="seconds per mutation's test run; a run that hangs this long counts as killed (note: timeout)")
    ap.add_argument("--list", action="store_true", help="list the mutations and check their patterns, run nothing")
    args = ap.parse_args(argv)
    chosen = [m for m in MUTATIONS if (not args.k or any(w in m.id for w in args.k))
              and (not args.group or m.group == args.group)]
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    rows: list[tuple[Mutation, str, float, str]] = []
    print(f"{'mutation':48} {'group':6} {'result':9} {'s':>6}  note")
    try:
        for m in chosen:
            if args.list:
                text = (ROOT / m.file).read_text(encoding="utf-8") if (ROOT / m.file).exists() else ""
                n = len(re.findall(m.pattern, text, flags=re.M))
                result, seconds, note = ("ok" if n == 1 else "error"), 0.0, f"{m.file}: {n} match(es)"
            else:
                result, seconds, note = run_one(m, args.timeout)
            rows.append((m, result, seconds, note))
            print(f"{m.id:48} {m.group:6} {result:9} {seconds:6.1f}  {note}", flush=True)
    except KeyboardInterrupt:
        print("interrupted: the mutated file was restored", file=sys.stderr)
        return 130
    if args.list:
        return 0 if all(r == "ok" for _, r, _, _ in rows) else 1
    print()
    print(f"{'group':6} {'killed':>6} {'total':>6} {'score':>6}")
    for group in ("issue", "own"):
        sel = [r for m, r, _, _ in rows if m.group == group]
        if sel:
            killed = sum(r == "killed" for r in sel)
            print(f"{group:6} {killed:6d} {len(sel):6d} {killed / len(sel):6.0%}")
    return 0 if all(r == "killed" for _, r, _, _ in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
