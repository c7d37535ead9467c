"""What a question asks for, and whether a sentence states it: the answer-type check of "ask the paper".

A question asks for a kind of thing: a licence ("What licence is X released under?"), an amount of
money ("How much funding …?"), a date ("When …?", "In what year …?"), a number ("How many …?"), a
person ("Who …?"), an organisation ("Which institution …?", "Who funded …?"), a dataset, a place; or
it is open ("How does X work?"). ``question_type`` reads that from the question's wording (English
and Chinese). ``states`` tells whether a sentence holds an instance of that type: a licence's name
(MIT, BSD, GPL, Apache, CC BY, … next to "licence", or "licensed under"), a currency amount, a year
or a month outside citations, a quantity that is not a reference number ("Fig. 3", "[12]", "Section
4"), a name, an institution, a dataset's name. A quoted passage answers a typed question only when
it holds the question's key terms *and* such an instance; otherwise the paper does not say, however
many words the passage shares with the question.

``cue_terms`` are the question's words that name the type ("licence", "year", "dataset"): they are
left out of the key terms, since the answer states the type by an instance, not by the word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from summarizer.text.float_names import ZH_FIGURE, ZH_TABLE
from summarizer.text.terms import terms


class AnswerType(str, Enum):
    """The kind of thing a question asks for."""

    LICENCE = "licence"
    MONEY = "money"
    DATE = "date"
    NUMBER = "number"
    PERSON = "person"
    ORGANISATION = "organisation"
    DATASET = "dataset"
    PLACE = "place"
    OPEN = "open"  # how / why / what is: no instance to look for, the key terms decide


#: What the answer must name, as said to the reader ("no passage … states a licence").
WHAT = {AnswerType.LICENCE: "a licence", AnswerType.MONEY: "an amount of money", AnswerType.DATE: "a date",
        AnswerType.NUMBER: "a number", AnswerType.PERSON: "a person's name", AnswerType.ORGANISATION: "an organisation",
        AnswerType.DATASET: "a dataset", AnswerType.PLACE: "a place", AnswerType.OPEN: "the answer"}
WHAT_ZH = {AnswerType.LICENCE: "许可证", AnswerType.MONEY: "金额", AnswerType.DATE: "日期", AnswerType.NUMBER: "数字",
           AnswerType.PERSON: "人名", AnswerType.ORGANISATION: "机构", AnswerType.DATASET: "数据集", AnswerType.PLACE: "地点",
           AnswerType.OPEN: "答案"}


@dataclass(frozen=True)
class _Rule:
    """A question wording that asks for ``kind``; ``cues`` are the words naming the type."""

    kind: AnswerType
    pattern: re.Pattern
    cues: str = ""


_I = re.I
#: First match wins: the narrower types (licence, money) before the broad ones (number).
_RULES = [
    _Rule(AnswerType.LICENCE, re.compile(r"\blicen[cs](?:e|es|ed|ing)\b|\bcopyright|许可证?|开源协议|授权协议|版权", _I),
          "licence license licensed licensing copyright release released releases distributed distribute available "
          "published use uses"),
    _Rule(AnswerType.MONEY, re.compile(
        r"\bhow much\b[^?？]{0,80}?\b(?:money|fund|funds|funding|funded|cost|costs|costed|pay|paid|spend|spent|budget|price"
        r"|charge|charged|earn|earned|raise|raised|invest|invested|worth|dollars?|euros?|pounds?)\b"
        r"|\b(?:funding|grant|budget|cost|price|fee|salary) (?:amount|size|total)\b"
        r"|\bwhat (?:was|is|were|are) the (?:total )?(?:funding|budget|cost|costs|price|fee|fees)\b"
        r"|多少钱|多少经费|经费|资金多少|费用是多少|预算|价格是多少|多少资金", _I),
        "much money funding fund funds funded amount grant budget cost costs price fee total spend spent pay paid charge "
        "earn raise invest worth dollars euros pounds receive received"),
    _Rule(AnswerType.DATE, re.compile(r"\bwhen\b|\bwhat (?:year|date|month|day|time)\b|\bwhich (?:year|date|month|day)\b"
                                      r"|\bin what (?:year|month)\b|\bhow long ago\b|什么时候|何时|哪一?年|哪天|几月|哪个月|日期", _I),
          "when year date month day time long ago"),
    _Rule(AnswerType.ORGANISATION, re.compile(
        r"\b(?:which|what) (?:university|universities|institution|institutions|institute|organi[sz]ations?|company|companies"
        r"|agency|agencies|lab|labs|laboratory|funder|funders|sponsor|sponsors|group)\b|\bwho (?:funded|funds|sponsored|"
        r"sponsors|supported|supports|paid for|financed)\b|\bfunded by whom\b|\bfunding (?:agency|body|source)|哪个机构|哪家|"
        r"哪个单位|资助|赞助", _I),
        "which university institution institute organisation organization company agency lab laboratory funder sponsor "
        "group funded funds sponsored supported paid financed fund support"),
    _Rule(AnswerType.PERSON, re.compile(r"\bwho\b|\bwhose\b|\bwhom\b|谁|哪位", _I), "who whose whom"),
    _Rule(AnswerType.DATASET, re.compile(r"\b(?:which|what) (?:\w+ )?(?:datasets?|data sets?|corpus|corpora|benchmarks?"
                                         r"|databases?)\b|数据集|语料库?|基准", _I),
          "which dataset datasets data set sets corpus corpora benchmark benchmarks database databases"),
    _Rule(AnswerType.PLACE, re.compile(r"\bwhere\b|\bwhich (?:country|countries|city|cities|region|regions)\b|哪里|在哪|哪个国家|"
                                       r"哪个城市|哪个地区", _I), "where which country countries city cities region regions"),
    _Rule(AnswerType.NUMBER, re.compile(
        r"\bhow (?:many|much|long|large|big|small|fast|slow|often|far|high|low|accurate|old|deep|wide)\b"
        r"|\bwhat (?:percentage|percent|proportion|fraction|share|number|ratio|rate|accuracy|size|value|speed)\b"
        r"|\bwhat (?:is|was|were|are) the (?:number|percentage|proportion|fraction|ratio|accuracy|size|value|count)\b"
        r"|\bhow many\b|多少|几个|几种|几项|几次|多大|多长|多久|多高|百分之几|比例是|准确率是", _I),
        "how many much long large big small fast slow often far high low accurate old deep wide percentage percent "
        "proportion fraction share number ratio rate accuracy size value speed count"),
]

# ---- instances ---------------------------------------------------------------------------
_LICENCE_NAMES = (r"MIT|BSD(?:[- ](?:2|3|two|three)[- ]clause)?|ISC|MPL|Mozilla|Apache|GPL(?:v?\d)?|LGPL(?:v?\d)?|AGPL(?:v?\d)?"
                  r"|GNU(?: \w+){0,3}|EUPL|Unlicense|CC0|CC[- ]BY(?:[- ](?:SA|NC|ND))*(?: \d\.\d)?|Creative Commons(?: \w+){0,3}"
                  r"|public[- ]domain|proprietary|commercial|open[- ]source|permissive|free[- ]software|copyleft")
_LICENCE = re.compile(
    rf"\b(?:{_LICENCE_NAMES})\b[\w .,/-]{{0,30}}?\blicen[cs]|\blicen[cs]ed under\b|\blicen[cs]e[ds]?:?\s+(?:{_LICENCE_NAMES})\b"
    r"|\b(?:BSD|MIT|GPL|LGPL|AGPL|Apache)[- ]licen[cs]ed\b|\bBSD[- ](?:2|3|two|three)[- ]clause\b|\b(?:L|A)?GPL[- ]?v?\d|\bCC[- ]BY\b"
    r"|\bApache (?:License|2\.0)\b|\bGNU (?:\w+ )?(?:General|Lesser) Public License\b|\bpublic domain\b|公共领域|知识共享|"
    r"(?:MIT|BSD|GPL|LGPL|AGPL|Apache|MPL|CC[- ]?BY|木兰)[\w .-]{0,12}?(?:许可|协议)", _I)
_MONEY = re.compile(
    r"[$€£¥]\s?\d|\b\d[\d,.]*\s?(?:k|m|bn|million|billion|thousand)?\s?(?:dollars?|euros?|pounds?|USD|EUR|GBP|CNY|RMB|yuan|CHF|JPY)\b"
    r"|\b(?:USD|EUR|GBP|CNY|RMB|CHF|JPY|US\$)\s?\d|\d[\d,.]*\s*(?:万|亿|千|百)?元|美元|欧元|英镑", _I)
_MONTHS = (r"January|February|March|April|May|June|July|August|September|October|November|December"
           r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec")
_DATE = re.compile(r"\b(?:1[6-9]|20)\d\d(?:s|[-/]\d\d?(?:[-/]\d\d?)?)?\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b|\d{2,4}\s*年"
                   r"|\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?|\b(?:spring|summer|autumn|fall|winter) (?:of )?(?:1[6-9]|20)\d\d\b", _I)
#: A date by its month (never part of a citation): "March 2023", "3 May", "2023年3月".
_MONTH_DATE = re.compile(rf"\b(?:{_MONTHS})\.?,?\s+(?:\d{{1,2}}\b|(?:1[6-9]|20)\d\d\b)|\b\d{{1,2}}\s+(?:{_MONTHS})\b"
                         r"|\d{2,4}\s*年\s*\d{1,2}\s*月|\d{1,2}\s*月\s*\d{1,2}\s*日|\b\d{4}-\d\d-\d\d\b")
_NUMBER_WORDS = (r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen"
                 r"|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|hundreds"
                 r"|thousand|thousands|million|millions|billion|dozen|dozens|half|twice|single|double|triple|once")
_NUMBER = re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b|[一二三四五六七八九十两百千万亿]+\s*[个种项次名位条篇类组倍年天人]|百分之", _I)
_PERSON = re.compile(r"\b[A-Z][a-z]+(?:-[A-Z][a-z]+)?\s+(?:[A-Z]\.\s+)?[A-Z][a-z]{2,}(?:-[A-Z][a-z]+)?\b|\b[A-Z]\.\s?(?:[A-Z]\.\s?)?"
                     r"[A-Z][a-z]{2,}\b|\b[A-Z][a-z]+ et al\b|\b(?:Dr|Prof|Mr|Ms|Mrs)\.? [A-Z][a-z]+|教授|博士|先生|女士|"
                     r"研究员|等人")
_ORGANISATION = re.compile(
    r"\b(?:Universit(?:y|ies|é|ät|à|eit)|Institut(?:e|o)?|College|Laborator(?:y|ies)|Lab|Foundation|Agency|Council|Ministry"
    r"|Department|Centre|Center|Observatory|Academy|Society|Consortium|Collaboration|Inc|Ltd|LLC|GmbH|Corporation|Company"
    r"|Trust|Programme|Program|Fund|Commission|Office|Hospital|School|Association|Organi[sz]ation)\b"
    r"|\b(?:NSF|NIH|NASA|ESA|ERC|DFG|DOE|EPSRC|UKRI|NSERC|JSPS|NSFC|STFC|CNRS|ANR|DARPA|Google|Microsoft|Meta|Facebook|Amazon"
    r"|IBM|Intel|NVIDIA|OpenAI|DeepMind|Apple|Huawei|Alibaba|Tencent|Baidu|Ethereum Foundation)\b"
    r"|大学|学院|研究所|研究院|研究中心|实验室|公司|集团|基金会?|委员会|科学院|医院|(?:国家|省|市)[\u4e00-\u9fff]{0,6}(?:部|局|厅)")
_DATASET = re.compile(
    r"\b(?:[A-Z][a-z]+[A-Z]\w*|[A-Z]{2,}[\w-]*\d*|[A-Z][\w-]*\d[\w-]*)\b|\b(?:the )?[\w-]+ (?:dataset|data set|corpus|benchmark"
    r"|database|archive|catalog(?:ue)?|survey|collection|repository)\b|数据集|数据库|语料")
_PLACE = re.compile(r"\b(?:in|at|from|near|across) (?:the )?[A-Z][a-z]+(?: [A-Z][a-z]+)?\b|\b(?:country|city|region|province"
                    r"|state|county|island|site)\b|[\u4e00-\u9fff]{1,6}(?:省|市|县|区|国|州|岛|镇|村)")
_INSTANCE = {AnswerType.LICENCE: _LICENCE, AnswerType.MONEY: _MONEY, AnswerType.DATE: _DATE, AnswerType.NUMBER: _NUMBER,
             AnswerType.PERSON: _PERSON, AnswerType.ORGANISATION: _ORGANISATION, AnswerType.DATASET: _DATASET,
             AnswerType.PLACE: _PLACE}

# ---- what is not an instance: references to the paper's own parts and to other works -----------
_YEAR = r"(?:1[6-9]|20)\d\d[a-z]?"
_CITATION_YEAR = re.compile(
    rf"\((?=[^()]*(?:\bet al|[A-Z][\w'’-]+,? (?:(?:and|&) [A-Z][\w'’-]+,? )?{_YEAR}))[^()]{{0,300}}\)"  # (Smith 2019; Li et al. 2020)
    rf"|\b[A-Z][\w'’-]+(?: (?:and|&) [A-Z][\w'’-]+| et al\.?)?,? \({_YEAR}\)"  # Smith et al. (2019)
    rf"|\b[A-Z][\w'’-]+ et al\.?,? {_YEAR}"  # Smith et al. 2019
    r"|\b(?:arXiv|doi|DOI|ISBN|ISSN)[:\s][^\s]+|https?://\S+")
_REFERENCE_NUMBER = re.compile(
    r"\b(?:Fig(?:ure)?s?|Tab(?:le)?s?|Sec(?:tion)?s?|Eqs?|Equations?|Chapter|Appendix|Algorithm|Alg|Theorem|Lemma|Definition"
    r"|Corollary|Proposition|Step|Line|Lines|Ref|Refs|p|pp|page|pages|Listing|Example)\.?\s*~?\(?[A-Z]?\d+(?:\.\d+)*[a-z]?\)?"
    r"(?:\s*(?:,|and|–|-)\s*\(?[A-Z]?\d+(?:\.\d+)*[a-z]?\)?)*"
    rf"|\[\s*\d+(?:\s*[,–-]\s*\d+)*\s*\]|^\s*\d+(?:\.\d+)*\s|{ZH_FIGURE}\s*\d+|{ZH_TABLE}\s*\d+|式\s*[（(]?\d+[)）]?|第\s*\d+\s*[章节]", _I)
_GRANT_CODE = re.compile(r"\b(?:[A-Z]{1,6}[-/]?)+\d[\w/-]{3,}\b|\b\d{5,}[-/]?\d*\b|\bNo\.?\s*\d+")  # grant and project codes


#: A question word asks only among a question's first words (English).
WH_WITHIN = 3
_WH = re.compile(r"\b(?:what|which|who|whom|whose|when|where|why|how)\b", re.I)


def question_type(question: str) -> AnswerType:
    """The kind of thing ``question`` asks for (``OPEN`` when its wording names none). Only a question
    word among the first few words asks ("In which country …", "And when …"); a later one opens a
    relative clause ("What did the participants who …", "the step where …")."""
    first = _WH.search(question)
    if first:
        asks = len(question[:first.start()].split()) <= WH_WITHIN or not question[first.end():].strip(" ?？.")
        question = (question[:first.end()] if asks else question[:first.start()] + "·") + \
            _WH.sub("·", question[first.end():])
    for rule in _RULES:
        if rule.pattern.search(question):
            return rule.kind
    return AnswerType.OPEN


#: The Chinese words that name a question's type (their character bigrams are left out of the key terms).
CUES_ZH = {AnswerType.LICENCE: "许可证 开源协议 授权协议 版权 发布", AnswerType.MONEY: "经费 资金 费用 预算 价格 金额",
           AnswerType.DATE: "时候 何时 哪一年 哪年 哪天 几月 日期 时间", AnswerType.ORGANISATION: "机构 单位 资助 赞助",
           AnswerType.PERSON: "哪位", AnswerType.DATASET: "数据集 语料库 基准", AnswerType.PLACE: "哪里 在哪 国家 城市 地区",
           AnswerType.NUMBER: "几个 几种 多大 多长 多久 多高 比例 数量"}


def cue_terms(kind: AnswerType, lang: str) -> set[str]:
    """The (stemmed) words, or for Chinese the character bigrams, of a question that name its type,
    not its subject."""
    rule = next((r for r in _RULES if r.kind == kind), None)
    cues = set(terms(rule.cues, "en")) if rule else set()
    if lang == "zh":
        cues |= {t for word in CUES_ZH.get(kind, "").split() for t in terms(word, "zh")}
    return cues


def _plain(sentence: str, kind: AnswerType) -> str:
    """The sentence without what looks like an instance but is not one: citations' years for dates,
    numbers of figures, tables, sections, references and grants for numbers and amounts."""
    if kind in (AnswerType.DATE, AnswerType.NUMBER, AnswerType.MONEY):
        sentence = _CITATION_YEAR.sub(" ", sentence)
    if kind in (AnswerType.NUMBER, AnswerType.MONEY, AnswerType.DATE):
        sentence = _REFERENCE_NUMBER.sub(" ", sentence)
        sentence = _GRANT_CODE.sub(" ", sentence)
    return sentence


def states(sentence: str, kind: AnswerType) -> bool:
    """Whether ``sentence`` holds an instance of ``kind`` (always, for an open question)."""
    if kind == AnswerType.OPEN:
        return True
    if kind == AnswerType.DATE and _MONTH_DATE.search(sentence):
        return True
    text = _plain(sentence, kind)
    return bool(_INSTANCE[kind].search(text))
