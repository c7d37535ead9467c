"""The XML and XHTML inside a package, parsed with lxml and nothing more: no DTD loaded, no entity expanded, no
network. A package is a stranger's file; an entity that expands a billion times or names a file on this machine
must not be read. XHTML that is not well-formed XML (an HTML entity such as ``&nbsp;`` without its DTD, a tag
left open) is read by lxml's HTML parser instead, as a browser would.
"""

from __future__ import annotations

from lxml import etree


def _xml_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=True, remove_pis=True)


def parse_xml(data: bytes) -> etree._Element:
    """The root of an XML document; ``etree.XMLSyntaxError`` when it is not well-formed."""
    return etree.fromstring(data, _xml_parser())


def parse_xhtml(data: bytes) -> etree._Element:
    """The root of an XHTML document: parsed as XML, else by the forgiving HTML parser."""
    try:
        return parse_xml(data)
    except etree.XMLSyntaxError:
        from lxml import html

        parser = html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
        return html.fromstring(data, parser=parser)


def local_name(element: etree._Element) -> str:
    """The tag without its namespace ("p" for ``{http://www.w3.org/1999/xhtml}p``); "" for comments and the like."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].lower()


def attribute(element: etree._Element, local: str) -> str | None:
    """An attribute by its local name, whatever its namespace (``epub:type``, ``text:outline-level``)."""
    for key, value in element.attrib.items():
        if key.rsplit("}", 1)[-1] == local:
            return value
    return None
