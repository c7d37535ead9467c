"""Map section titles to canonical kinds (English and Chinese), then fill gaps by position."""

from __future__ import annotations

import re

from summarizer.text.language import has_han

# Ordered: the first pattern that matches wins.
_RULES: list[tuple[str, str]] = [
    ("abstract", r"^(abstract|summary|摘\s*要|内容摘要|概要)$"),
    ("acknowledgements", r"acknowledg|^thanks$|致\s*谢|鸣谢"),
    ("references", r"^(references?|bibliography|works cited|literature cited|参考文献|引用文献)"),
    ("acknowledgements", r"^(funding|financial support|grant information|基金|资助)"),
    ("acknowledgements", r"author(s)?'? contributions?|^contributions? of authors|作者贡献"),
    ("appendix", r"^(appendix|appendices|supplementary|supplemental|附\s*录)"),
    ("limitations", r"limitation|threats to validity|局限|不足"),
    ("related_work", r"related (work|research|literature)|prior work|previous work|literature review|state of the art"
                     r"|相关(工作|研究)|文献综述|研究现状"),
    ("introduction", r"^(introduction|overview|motivation|引\s*言|绪\s*论|介\s*绍|前\s*言|背景与意义|概\s*述|导\s*论)"),
    ("background", r"^(background|preliminar|notation|problem (statement|formulation|setting|definition)|definitions"
                   r"|研究背景|背\s*景|预备知识|基础知识|问题(描述|定义))"),
    ("conclusion", r"conclu|summary and (future|outlook)|future work|closing remarks|final remarks"
                   r"|结\s*论|总\s*结|结\s*语|展\s*望|小\s*结"),
    ("discussion", r"^(discussion|analysis|讨\s*论|分\s*析)"),
    ("results", r"^(results?|findings|evaluation results|main results|performance|结\s*果|实验结果)"),
    ("experiments", r"experiment|evaluation|empirical|benchmark|case stud|simulation|实\s*验|评\s*估|测\s*试|仿\s*真|实\s*证"),
    ("method", r"method|approach|model|framework|algorithm|architecture|design|implementation|system|proposed|protocol"
               r"|方\s*法|模\s*型|算\s*法|设\s*计|实\s*现|框\s*架|系\s*统|方\s*案|原\s*理"),
]
_COMPILED = [(kind, re.compile(pattern, re.I)) for kind, pattern in _RULES]
_ZH_ANYWHERE = [(kind, re.compile(p)) for kind, p in [
    ("related_work", r"相关工作|研究现状|文献综述"), ("background", r"背景|预备知识|问题(描述|定义)"),
    ("conclusion", r"结论|总结|展望"), ("results", r"结果"), ("experiments", r"实验|评估|测试|仿真"),
    ("discussion", r"讨论|分析"), ("method", r"方法|模型|算法|设计|实现|框架|系统|方案|原理"),
]]
_NUMBER_PREFIX = re.compile(
    r"^\s*(?:(?:appendix\s+)?(?:[A-Z]|\d+)(?: ?\. ?\d+)*\.?(?=\s)|[IVXLC]+\.(?=\s)"
    r"|附\s*录\s*(?:[A-Z]|\d+)(?:\.\d+)*\.?|第\s*[一二三四五六七八九十百\d]+\s*[章节部分篇]|[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十]+[）)])\s*",
    re.I,
)


def strip_number(title: str) -> str:
    """Drop a leading section number ("2.1", "IV.", "第3章", "一、", "Appendix A", "附录A")."""
    stripped = _NUMBER_PREFIX.sub("", title, count=1).strip()
    return stripped or title.strip()


def kind_from_title(title: str) -> str | None:
    """The kind a heading names, or None when the title is a name (e.g. of an algorithm)."""
    if re.match(r"^\s*(appendix|appendices|supplementary material|附\s*录)", title, re.I):
        return "appendix"
    text = strip_number(title).strip().rstrip(".:：").lower()
    if not text:
        return None
    for kind, pattern in _COMPILED:
        if pattern.search(text):
            return kind
    if has_han(text):  # Chinese titles name the kind at the end: "……的研究背景"
        for kind, pattern in _ZH_ANYWHERE:
            if pattern.search(text):
                return kind
    return None


#: Kinds a subsection's title may name only loosely ("Overview", "Model", "System design"): inside
#: a section of another kind, the subsection keeps its parent's kind.
_GENERIC_KINDS = frozenset({"introduction", "method"})
#: A heading that is nothing but its kind's own name ("Introduction", "Methods", "引言") is that kind
#: wherever it sits: a parent named loosely (a paper's title read as a heading, "… An Empirical Comparison")
#: must not turn a paper's Introduction into experiments.
_NAMES_ITS_KIND = re.compile(r"^(introduction|methods?|methodology|materials and methods|引\s*言|绪\s*论|前\s*言|方\s*法)$", re.I)


def assign_kinds(titles: list[str], levels: list[int]) -> list[str]:
    """Kinds for a whole paper: titles first, then position for sections named otherwise.

    A level-1 section with an unrecognised title that sits between the introduction (or
    background/related work) and the experiments is the paper's method; one after the results
    is discussion; anything after the references is an appendix. A subsection takes the kind of
    its nearest enclosing section when its own title says nothing, or names only a generic kind
    ("Overview", "Model") that differs from it.
    """
    named = [kind_from_title(t) for t in titles]
    kinds: list[str] = []
    seen: set[str] = set()
    ancestors: list[tuple[int, str]] = []  # (level, kind) of the open sections above
    after_references = False
    for i, (kind, level) in enumerate(zip(named, levels)):
        while ancestors and ancestors[-1][0] >= level:
            ancestors.pop()
        parent = ancestors[-1][1] if ancestors else "other"
        if kind == "references":
            after_references = True
        if kind is None:
            if level > 1 and parent != "other":
                kind = parent
            elif after_references:
                kind = "appendix"
            elif seen & {"results", "experiments"} and not seen & {"conclusion"}:
                later = set(filter(None, named[i + 1:]))
                kind = "discussion" if "conclusion" in later or not later else "experiments"
            elif seen & {"introduction", "background", "related_work"} or i > 0:
                kind = "method" if not seen & {"conclusion"} else "other"
            else:
                kind = "other"
        elif level > 1 and kind in _GENERIC_KINDS and parent not in ("other", "abstract", kind) \
                and not _NAMES_ITS_KIND.match(strip_number(titles[i]).strip().rstrip(".:：")):
            kind = parent  # "Model" under "Experiments" is still experiments; "Overview" under a method is method
        ancestors.append((level, kind))
        kinds.append(kind)
        seen.add(kind)
    return kinds
