"""HTML from a ``Report``: a standalone page (one file that opens anywhere and loads nothing) and the fragment the
Zotero note wraps. Every string is escaped (``html.escape``, quotes too); the only attributes written are ours (a
class, a data: image), so a document's ``<script>`` or ``onerror=`` is text on the page. The page carries a
Content-Security-Policy that allows no script, no request and no remote image (figures are data: URIs), and no
``<script>`` element at all."""

from __future__ import annotations

import base64
import re
from html import escape

from summarizer.output.figures import PNG
from summarizer.output.report import Block, Bullets, Code, Figure, Heading, Paragraph, Report, Runs, Table

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
STYLE = """body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;
line-height:1.55;color:#1f2328}h1{font-size:1.7rem;line-height:1.25}h2{margin-top:2rem;border-bottom:1px solid #d0d7de}
.meta th,.provenance th{text-align:left;padding-right:1rem;vertical-align:top;white-space:nowrap}
table{border-collapse:collapse;margin:1rem 0}td,th{padding:.25rem .5rem}.grid td,.grid th{border:1px solid #d0d7de}
caption{caption-side:top;text-align:left;font-weight:600;padding-bottom:.25rem}.note{color:#57606a;font-style:italic}
figure{margin:1rem 0}figure img{max-width:100%;height:auto}pre{background:#f6f8fa;padding:.75rem;overflow:auto}
.provenance{margin-top:3rem;font-size:.9rem;color:#57606a}"""


def text(value: object) -> str:
    """Plain text for HTML: escaped, quotes included."""
    return escape(str(value), quote=True)


def runs_html(runs: Runs) -> str:
    out = []
    for r in runs:
        part = text(r.text)
        if r.code:
            part = f"<code>{part}</code>"
        if r.italic:
            part = f"<em>{part}</em>"
        if r.bold:
            part = f"<strong>{part}</strong>"
        out.append(part)
    return "".join(out)


def _list_html(block: Bullets) -> str:
    """Nested lists from the items' depths (an item at most one level deeper than the one before it)."""
    tag, out, depth = ("ol" if block.ordered else "ul"), [], -1
    for level, runs in block.items:
        level = min(level, depth + 1)
        if level > depth:
            out.append(f"<{tag}>")
            depth = level
        else:
            out.append("</li>")
            while depth > level:
                out.append(f"</{tag}></li>")
                depth -= 1
        out.append(f"<li>{runs_html(runs)}")
    out.append("</li>")
    while depth > 0:
        out.append(f"</{tag}></li>")
        depth -= 1
    return "".join(out) + f"</{tag}>"


def _table_html(table: Table) -> str:
    caption = f"<caption>{text(table.title)}</caption>" if table.title else ""
    head = "".join(f"<th>{text(c)}</th>" for c in table.rows[0])
    body = "".join("<tr>" + "".join(f"<td>{text(c)}</td>" for c in row) + "</tr>" for row in table.rows[1:])
    return f'<table class="grid">{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def block_html(block: Block, images: bool = True) -> str:
    """One block as HTML; ``images=False`` gives a figure's caption only (a Zotero note holds no data: image)."""
    if isinstance(block, Heading):
        return f"<h{block.level}>{text(block.text)}</h{block.level}>"
    if isinstance(block, Paragraph):
        return f'<p class="note">{runs_html(block.runs)}</p>' if block.note else f"<p>{runs_html(block.runs)}</p>"
    if isinstance(block, Bullets):
        return _list_html(block)
    if isinstance(block, Table):
        return _table_html(block)
    if isinstance(block, Code):
        return f"<pre><code>{text(block.text)}</code></pre>"
    assert isinstance(block, Figure), block
    caption = f"<strong>{text(block.label)}</strong> (p. {int(block.page)}): {text(block.caption)}"
    if block.description:
        caption += f"<br><em>Figure shows ({text(block.described_by or 'the model')}):</em> {text(block.description)}"
    if images and block.png and block.png.startswith(PNG):
        data = base64.b64encode(block.png).decode("ascii")
        return f'<figure><img src="data:image/png;base64,{data}" alt="{text(block.label)}"><figcaption>{caption}</figcaption></figure>'
    return f"<p>{caption}</p>"


def rows_html(rows: tuple[tuple[str, str], ...] | list[tuple[str, str]], css: str) -> str:
    return f'<table class="{css}">' + "".join(f"<tr><th>{text(k)}</th><td>{text(v)}</td></tr>" for k, v in rows) + "</table>"


def html_page(report: Report) -> str:
    """The summary as one standalone, inert HTML page: the title, the paper's facts, the blocks and the provenance."""
    lang = report.language if re.fullmatch(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})?", report.language or "") else "und"
    body = "\n".join(block_html(b) for b in report.blocks)
    return (f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n<meta name="referrer" content="no-referrer">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{text(report.title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<article>\n"
            f"<h1>{text(report.title)}</h1>\n{rows_html(report.meta, 'meta')}\n{body}\n</article>\n"
            f'<footer class="provenance"><h2>Provenance</h2>\n{rows_html(report.provenance.rows(), "provenance")}\n'
            f"</footer>\n</body>\n</html>\n")
