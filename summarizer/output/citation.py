"""The paper's own bibliographic record, read from what the document shows: its title and authors as parsed, a DOI
and an arXiv id on its first pages (or in its file name or link), the year, and the venue where a first page names
one ("Published as a conference paper at ICLR 2021", "In Proceedings of …", a journal's name on a line of its own).

Conservative by design: a field the first pages do not show plainly is left empty rather than guessed, and two
different DOIs on the first pages (the paper's and a cited one) give none. ``citation_key`` makes the BibTeX key
(``smith2023attention``) that the exports and the literature table share.
"""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from summarizer.model.document import Document, Genre

#: Sections never read for the record (a cited work's DOI or year is not the paper's).
NOT_READ = frozenset({"references", "acknowledgements"})
#: How much of the document's first sections is read (the first page or two of a paper).
HEAD_CHARS = 1500

_YEAR = r"(19[5-9]\d|20\d\d)(?!\d)"
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
#: A year counts only where the page dates something: a month before it ("June 2, 2018", "5 Jan 2021"), a copyright
#: sign, a word that dates the paper ("Published in 2019", "Accepted 2025"), an ISO date or a Chinese one (2023年).
#: A year in running text ("data from 1998", "since the 1980s") says nothing about the paper's.
_DATED_YEAR = re.compile(rf"(?i)(?:\b{_MONTH}[ \t]+(?:\d{{1,2}}(?:st|nd|rd|th)?(?:[–\-]\d{{1,2}})?,?[ \t]+)?|©[ \t]*|\(c\)[ \t]*|"
                         rf"\bcopyright[ \t]+(?:©[ \t]*)?|\b(?:published|accepted|received|submitted|presented|revised|"
                         rf"posted|dated?|draft|preprint|version)\b[^.\n\d]{{0,30}})(?<!\d){_YEAR}|"
                         rf"(?<!\d){_YEAR}(?:-[01]\d-[0-3]\d\b|[ \t]*年)")
#: A date in running text ("samples taken in November 2010", "from March 2020") is the study's, not the paper's.
_RUNNING_DATE = re.compile(r"(?i)\b(?:in|on|since|until|till|between|from|during|before|after|by|and|to|through)\s+$")
_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s\"'<>{}]+)")
_DOI_LABEL = re.compile(r"(?:\bdoi\s*:?\s*|doi\.org/)$", re.I)
# new-style ids (2101.12345v2, since April 2007) and old-style ones (hep-th/9901001, math.AG/0501001)
_NEW_ID = r"(\d{2})(0[1-9]|1[0-2])\.\d{4,5}"
_OLD_ID = r"([a-z]+(?:-[a-z]+)?(?:\.[A-Z]{2})?)/(\d{2})(0[1-9]|1[0-2])\d{3}"
_ARXIV_TEXT = re.compile(rf"\b(?i:arxiv)\s*:\s*(?:({_NEW_ID})|({_OLD_ID}))(v\d+)?(?:\s*\[([a-z\-]+(?:\.[A-Za-z\-]+)?)\])?")
_ARXIV_URL = re.compile(rf"arxiv\.org/(?:abs|pdf|html)/(?:({_NEW_ID})|({_OLD_ID}))(v\d+)?", re.I)
# a file named after its id, as ``load_arxiv`` names it ("arXiv-2101.12345v2.pdf", "arXiv-hep-th_9901001.pdf")
# or as arxiv.org serves it ("2101.12345v2.pdf")
_ARXIV_FILE = re.compile(rf"^(?:arxiv[-_:]?)?(?:({_NEW_ID})|({_OLD_ID.replace('/', '_')}))(v\d+)?(?:\.pdf)?$", re.I)

#: A run of title-case words (the name of a venue), allowing the small words names contain.
_NAME_WORD = r"(?:[A-Z0-9][\w’'\-/.&]*|of|on|and|for|in|the|de|&)"
_NAME = rf"{_NAME_WORD}(?:,?[ \t]+{_NAME_WORD}){{0,14}}"
_VENUE_WORD = re.compile(r"\b(?:Conference|Symposium|Workshop|Proceedings|Congress|Meeting)\b")
_AT_VENUE = re.compile(r"\b(?:Published|Accepted|Presented) as an? (conference|workshop) paper at "
                       r"([A-Z][A-Za-z\-]*(?:[ \t]+(?:[A-Z][A-Za-z\-]*|(?:19|20)\d\d)){0,4})")
_PROCEEDINGS = re.compile(rf"\b(?:In[ \t]+)?(Proceedings of (?:the )?{_NAME})")
_TRIGGERED = re.compile(rf"(?:\b(?:accepted|published|presented|to appear)[ \t]+(?:to|at|in)[ \t]+(?:the[ \t]+)?|"
                        rf"\bIn[ \t]+[A-Z][\w’'\-]*[ \t]?[’']?\d{{2}}:[ \t]*(?:[A-Z][\w’'\-]*[ \t]?[’']?\d{{2}}:[ \t]*)?)({_NAME})")
_JOURNAL_LINE = re.compile(r"^(?:The )?(?:[A-Z][\w\-]*[ \t]){0,4}(?:Journal|Transactions[ \t]+on)"
                           r"(?:[ \t]+(?:of|on|for|in|and|&|[A-Z][\w\-]*)){0,8}$")
_TRAILING_SMALL = re.compile(r"(?:[ \t,]+(?:of|on|and|for|in|the|de|&))+$")

_STOPWORDS = frozenset("""a an the on of in for to and or with without via from by at as is are be its it this that
these those toward towards using use what how why when where which who do does can we our your their into over under
between about against through new""".split())
_FOLD = {"ß": "ss", "æ": "ae", "Æ": "ae", "ø": "o", "Ø": "o", "œ": "oe", "Œ": "oe", "ł": "l", "Ł": "l", "đ": "d",
         "Đ": "d", "ð": "d", "þ": "th", "Þ": "th", "ı": "i"}


class Kind(StrEnum):
    """What the paper is, as far as its first pages say."""

    ARTICLE = "article"  # a journal names it
    INPROCEEDINGS = "inproceedings"  # a conference, workshop or symposium names it
    PREPRINT = "preprint"  # an arXiv id and no venue
    WEBPAGE = "webpage"  # a web article (news)
    MISC = "misc"  # nothing says


@dataclass(frozen=True)
class Reference:
    """The paper as a reference manager keeps it. Empty strings where the document does not show a field."""

    title: str
    authors: tuple[str, ...] = ()
    year: str = ""
    venue: str = ""
    doi: str = ""
    arxiv: str = ""  # without its version ("2101.12345", "hep-th/9901001")
    arxiv_class: str = ""  # the primary class of the arXiv stamp ("cs.CL"), where the stamp shows one
    url: str = ""
    kind: Kind = Kind.MISC
    language: str = "en"

    @property
    def link(self) -> str:
        """Where a reader finds the paper: its URL, else its arXiv page, else its DOI's."""
        if self.url:
            return self.url
        if self.arxiv:
            return f"https://arxiv.org/abs/{self.arxiv}"
        return f"https://doi.org/{self.doi}" if self.doi else ""


def head_text(document: Document, first_pages: str = "") -> str:
    """What the record is read from: the title, the file name or link, the abstract, the start of the first
    sections (never the references), and ``first_pages``, the raw text of the PDF's first pages, which keeps the
    running headers, footers and margin stamps the parser leaves out of the sections."""
    return "\n".join([document.title, document.source, document.abstract,
                      *(s.text[:HEAD_CHARS] for s in document.sections[:3] if s.kind not in NOT_READ), first_pages])


def arxiv_of(document: Document, first_pages: str = "") -> tuple[str, str, str]:
    """The paper's arXiv id (without version), its version ("v2" or "") and primary class, from its file name or
    link, else from an ``arXiv:`` id on its first pages; ("", "", "") when none shows."""
    name = document.source.replace("\\", "/").rstrip("/").split("/")[-1]
    for m in (_ARXIV_FILE.match(name), _ARXIV_URL.search(document.source)):
        if m:
            ident = m.group(1) or m.group(4).replace("_", "/")
            return ident, m.group(8) or "", ""
    m = _ARXIV_TEXT.search(head_text(document, first_pages))
    if m:
        return m.group(1) or m.group(4), m.group(8) or "", m.group(9) or ""
    return "", "", ""


def arxiv_year(ident: str) -> str:
    """The year an arXiv id was given: its first two digits (``2101.…`` → 2021; ``hep-th/99…`` → 1999)."""
    m = re.search(r"(?:^|/)(\d{2})(\d{2})", ident)
    if not m or not 1 <= int(m.group(2)) <= 12:
        return ""
    yy = int(m.group(1))
    return f"{1900 + yy if '/' in ident and yy >= 91 else 2000 + yy}"


def paper_year(document: Document, first_pages: str = "") -> str:
    """The year the paper shows: its arXiv id's, else the latest year its first pages date something with
    (``_DATED_YEAR``: "Published in 2019", "June 2, 2018", "© 2025"); "" when none is dated."""
    ident = arxiv_of(document, first_pages)[0]
    if ident and arxiv_year(ident):
        return arxiv_year(ident)
    now = time.gmtime().tm_year
    head = head_text(document, first_pages)
    years = [int(m.group(1) or m.group(2)) for m in _DATED_YEAR.finditer(head)
             if not _RUNNING_DATE.search(head[max(0, m.start() - 12):m.start()])]
    years = [y for y in years if y <= now + 1]
    venue_year = re.search(rf"(?<!\d){_YEAR}", venue_of(head)[0])  # "ICLR 2021"
    years += [int(venue_year.group(1))] if venue_year else []
    return str(max(years)) if years else ""


def doi_of(text: str) -> str:
    """The one DOI the text shows: the labelled ones ("doi:", "doi.org/") if any, else all; none when they differ
    (a first page that cites another work's DOI must not lend it to the paper)."""
    found = []
    for m in _DOI.finditer(text):
        doi = m.group(1).rstrip(".,;:)]}’'\"")
        found.append((bool(_DOI_LABEL.search(text[max(0, m.start() - 12):m.start()])), doi))
    labelled = {d.lower(): d for is_labelled, d in found if is_labelled}
    candidates = labelled or {d.lower(): d for _, d in found}
    return next(iter(candidates.values())) if len(candidates) == 1 else ""


def venue_of(text: str) -> tuple[str, Kind]:
    """The venue a first page names and what it makes the paper (a conference paper or a journal article), or
    ("", MISC). Only plain statements count: a conference paper's header, "Proceedings of …", "accepted to the …
    Conference", a journal's name alone on a line."""
    m = _AT_VENUE.search(text)  # a header line: read within its line
    if m:
        return m.group(2).strip(), Kind.INPROCEEDINGS
    flat = " ".join(text.split())  # a venue's name may run onto the next line
    m = _PROCEEDINGS.search(flat)
    if m:
        return _trim(m.group(1)), Kind.INPROCEEDINGS
    for m in _TRIGGERED.finditer(flat):
        name = _trim(m.group(1))
        if _VENUE_WORD.search(name):
            return name, Kind.INPROCEEDINGS
    for line in text.splitlines():
        line = " ".join(line.split())
        if 8 <= len(line) <= 90 and _JOURNAL_LINE.match(line):
            return line, Kind.ARTICLE
    return "", Kind.MISC


def _trim(name: str) -> str:
    """A venue's name without the small words and punctuation a cut leaves at its end."""
    name = re.sub(r"[ \t]*\(\s*$", "", " ".join(name.split())).rstrip(" ,.;:")
    return _TRAILING_SMALL.sub("", name).rstrip(" ,.;:")


def read_reference(document: Document, first_pages: str = "") -> Reference:
    """The paper's record from what ``document`` shows (and ``first_pages``: the raw text of its PDF's first
    pages, where a venue header, a DOI footer or an arXiv stamp sits outside the parsed sections)."""
    head = head_text(document, first_pages)
    ident, _version, primary = arxiv_of(document, first_pages)
    url = document.source if re.match(r"https?://", document.source, re.I) else ""
    if document.genre == Genre.ARTICLE:
        return Reference(document.title, tuple(document.authors), paper_year(document, first_pages), url=url,
                         kind=Kind.WEBPAGE, language=document.language)
    venue, kind = venue_of(head)
    if not venue and ident:
        kind = Kind.PREPRINT
    return Reference(document.title, tuple(a for a in document.authors if a.strip()), paper_year(document, first_pages),
                     venue, doi_of(head), ident, primary, url, kind, document.language)


def fold_ascii(text: str) -> str:
    """Lower-case ASCII letters and digits of ``text``: accents dropped (é → e), ß → ss, ø → o, anything else
    (CJK, punctuation, spaces) left out."""
    text = "".join(_FOLD.get(ch, ch) for ch in text)
    return re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFKD", text).lower())  # é → e + its accent, dropped


def family_name(author: str) -> str:
    """The family name in an author's name as a paper prints it: before the comma of "Family, Given", else the
    last word ("Adrian M. Price-Whelan" → Price-Whelan); affiliation marks (digits, *, †) are not part of it."""
    author = re.sub(r"[\d*†‡§¶,]+$", "", author.strip()).strip()
    if "," in author:
        return author.split(",")[0].strip()
    words = author.split()
    return words[-1] if words else ""


def citation_key(reference: Reference) -> str:
    """A stable, BibTeX-safe key: the first author's family name in ASCII, the year, and the title's first word
    that is not a stopword (``smith2023attention``). Where the first author's name has no ASCII letters (a Chinese
    name), the title's first ASCII word stands for it; where nothing has, a short hash of the title and authors."""
    name = fold_ascii(family_name(reference.authors[0]))[:24] if reference.authors else ""
    words = [w for w in (fold_ascii(w) for w in re.split(r"[\s:/]+", reference.title))  # "n-gram" is one word
             if len(w) > 1 and w not in _STOPWORDS and not w.isdigit()]
    if not name and words:
        name, words = words[0][:24], words[1:]
    if not name:
        digest = hashlib.sha256("\n".join([reference.title, *reference.authors]).encode("utf-8")).hexdigest()[:6]
        return f"ref{reference.year}_{digest}"
    return f"{name}{reference.year}{words[0][:24] if words else ''}"
