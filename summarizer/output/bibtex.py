"""BibTeX and RIS entries for a paper's ``Reference``.

BibTeX: ``@article`` (a journal named), ``@inproceedings`` (a conference), ``@misc`` with ``eprint`` and
``archivePrefix = {arXiv}`` for a preprint, ``@misc`` with its URL otherwise. Text fields have LaTeX's specials
escaped (``{ } % & $ # _ ~ ^ \\``); non-ASCII stays UTF-8 (biber and bibtexparser read it; Zotero too); capitals
inside a word ("GPU", "BERT") are braced so a style that lower-cases titles keeps them. Braces are written ``\\{``
and ``\\}`` when the value's braces pair up, else as ``\\textbraceleft{}``/``\\textbraceright{}``: BibTeX counts
braces whatever stands before them, so one lone ``\\{`` would break the whole file. URLs and DOIs are verbatim
fields (what biblatex and ``\\url`` expect); a brace, a backslash or a space in them is percent-encoded.

RIS: one ``TAG  - value`` line per field (``AU`` once per author, as "Family, Given"), ``ER  - `` last; a value is
one line. ``N1`` may carry the Zotero note (``zotero.zotero_note``), which Zotero imports as the item's note.
"""

from __future__ import annotations

import re

from summarizer.output.citation import Kind, Reference, citation_key, family_name

_LATEX = {"\\": r"\textbackslash{}", "%": r"\%", "&": r"\&", "$": r"\$", "#": r"\#", "_": r"\_",
          "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
_BRACES = {"{": r"\{", "}": r"\}"}
_LONE_BRACES = {"{": r"\textbraceleft{}", "}": r"\textbraceright{}"}
_TYPES = {Kind.ARTICLE: "article", Kind.INPROCEEDINGS: "inproceedings"}
_RIS_TYPES = {Kind.ARTICLE: "JOUR", Kind.INPROCEEDINGS: "CONF", Kind.PREPRINT: "UNPB", Kind.WEBPAGE: "ELEC",
              Kind.MISC: "GEN"}


def _paired(value: str) -> bool:
    depth = 0
    for ch in value:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def latex(value: str, protect_case: bool = False) -> str:
    """``value`` as BibTeX field text: one line, LaTeX's specials escaped, and with ``protect_case`` each word with
    a capital after its first letter ("GPUs", "iPhone") braced against a style's lower-casing."""
    value = " ".join(value.split())
    braces = _BRACES if _paired(value) else _LONE_BRACES
    words = re.split(r"(\s+)", value)
    out = []
    for word in words:
        escaped = "".join(_LATEX.get(ch) or braces.get(ch) or ch for ch in word)
        if protect_case and any(ch.isupper() for ch in word[1:]) and escaped == word:
            escaped = "{" + escaped + "}"
        out.append(escaped)
    return "".join(out)


def verbatim(value: str) -> str:
    """A URL or DOI for a verbatim field: one token, its braces, backslashes and white space percent-encoded."""
    return re.sub(r"[{}\\\s]", lambda m: f"%{ord(m.group(0)):02X}", value.strip())


def bibtex_name(author: str) -> str:
    """One author for BibTeX's ``and``-separated list: a name holding " and " is braced whole, so it stays one."""
    name = latex(author)
    return "{" + name + "}" if re.search(r"\sand\s", name, re.I) else name


def to_bibtex(reference: Reference, key: str = "") -> str:
    """One BibTeX entry (``key`` defaults to ``citation_key``)."""
    kind = _TYPES.get(reference.kind, "misc")
    fields = [("author", " and ".join(bibtex_name(a) for a in reference.authors)),
              ("title", latex(reference.title, protect_case=True)), ("year", latex(reference.year))]
    if reference.venue:
        fields.append(({"article": "journal", "inproceedings": "booktitle"}.get(kind, "howpublished"),
                       latex(reference.venue)))
    if reference.doi:
        fields.append(("doi", verbatim(reference.doi)))
    if reference.arxiv:
        fields += [("eprint", verbatim(reference.arxiv)), ("archiveprefix", "arXiv")]
        fields += [("primaryclass", latex(reference.arxiv_class))] if reference.arxiv_class else []
    if reference.url or reference.arxiv:  # a DOI alone is its own link
        fields.append(("url", verbatim(reference.link)))
    if reference.language and reference.language != "en":
        fields.append(("langid", latex(reference.language)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@{kind}{{{key or citation_key(reference)},\n{body}\n}}\n"


def ris_name(author: str) -> str:
    """An author as RIS wants one, "Family, Given" (a name already in that form, or of one word, as it is)."""
    author = " ".join(author.split())
    family = family_name(author)
    if "," in author or not family or family == author:
        return author
    given = author[: author.rfind(family)].strip()
    return f"{family}, {given}" if given else family


def to_ris(reference: Reference, abstract: str = "", note_html: str = "") -> str:
    """One RIS record; ``abstract`` as ``AB``, ``note_html`` (a Zotero note) as ``N1``."""
    lines = [("TY", _RIS_TYPES[reference.kind]), ("TI", reference.title)]
    lines += [("AU", ris_name(a)) for a in reference.authors]
    lines += [("PY", reference.year), ("T2", reference.venue), ("DO", reference.doi), ("UR", reference.link)]
    lines += [("LA", reference.language), ("AB", abstract), ("N1", note_html)]
    body = "".join(f"{tag}  - {' '.join(str(value).split())}\n" for tag, value in lines if str(value).strip())
    return body + "ER  - \n"
