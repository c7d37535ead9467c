"""URLs, arXiv ids and HTML files, served from 127.0.0.1 by the tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import CORPUS, ROOT
from pdf_factory import make_paper
from web_server import WebServer

from summarizer.inputs.fetch import load_reference
from summarizer.inputs.loading import load_bytes
from summarizer.model.errors import InputError

ARTICLE = """<html><head><title>Council passes budget | City News</title>
<meta name="author" content="Jane Roe"><meta property="article:published_time" content="2024-03-05"></head>
<body><nav><a href="/">Home</a> | <a href="/world">World</a></nav>
<article><h1>Council passes school budget</h1>
<p>The city council approved a $3.5 million budget for school repairs on Monday, after a 7-2 vote that ended
months of debate about leaking roofs and broken heating.</p>
<p>Parents welcomed the plan, which begins with heating repairs in July and runs for two years.</p>
<p>Council member Ana Ruiz said the repairs were overdue and thanked the parents who campaigned for them.</p>
</article><footer>Subscribe to our newsletter. Share this article.</footer></body></html>"""

CHINESE = """<html><head><title>雄安新区启动第二批征迁安置工作</title></head><body><article>
<h1>雄安新区启动第二批征迁安置工作</h1>
<p>5月31日，雄安新区全面启动第二批征迁安置工作。容城县、雄县、安新县人民政府在54个村张贴公告。</p>
<p>第二批征迁安置工作任务涉及三县54个村，其中整体搬迁10个村，需搬迁安置21597人，共计征收土地50284亩。</p>
<p>这项工作是为了确保2019年先期开工的重点建设项目用地需求，各县已经组织工作组进村入户开展工作。</p>
</article></body></html>"""

PAYWALL = """<html><head><title>Premium story</title></head><body><h1>Markets</h1>
<p>Subscribe to continue reading. Already a subscriber? Sign in.</p></body></html>"""

SCRIPT_ONLY = """<html><head><title>App</title></head><body><div id="root"></div>
<script>window.__DATA__ = {"story": "loaded later"}; renderApp();</script></body></html>"""


@pytest.fixture
def web(monkeypatch):
    monkeypatch.setenv("SUMMARIZER_ALLOW_HOSTS", "127.0.0.1")  # the test server is on loopback
    with WebServer() as server:
        server.routes.update({
            "/news/budget": (200, "text/html; charset=utf-8", ARTICLE.encode()),
            "/zh/xiongan": (200, "text/html; charset=utf-8", CHINESE.encode()),
            "/blocked": (403, "text/html", b"<html>Forbidden</html>"),
            "/paywall": (200, "text/html", PAYWALL.encode()),
            "/app": (200, "text/html", SCRIPT_ONLY.encode()),
            "/paper.pdf": (200, "application/pdf", make_paper()),
            "/pdf/2401.01234": (200, "application/pdf", make_paper()),
        })
        yield server


def test_news_url_main_text_title_date_author(web):
    doc = load_reference(f"{web.url}/news/budget")
    assert doc.title == "Council passes school budget"
    assert doc.genre == "article"
    assert "$3.5 million" in doc.text and "Home" not in doc.text and "Subscribe" not in doc.text
    assert doc.authors == ["Jane Roe"]
    assert any("2024-03-05" in n for n in doc.notices)


def test_chinese_news_url(web):
    doc = load_reference(f"{web.url}/zh/xiongan")
    assert doc.language == "zh" and "21597人" in doc.text


@pytest.mark.parametrize("path,message", [
    ("/blocked", r"refused to give the page \(HTTP 403"),
    ("/paywall", "behind a paywall"),
    ("/app", "builds its text with JavaScript"),
    ("/missing", "HTTP 404"),
])
def test_unreadable_pages_give_one_clear_line(web, path, message):
    with pytest.raises(InputError, match=message) as info:
        load_reference(f"{web.url}{path}")
    assert "\n" not in str(info.value)
    if path != "/missing":
        assert "paste" in str(info.value)


def test_unreachable_host_message(monkeypatch):
    monkeypatch.setenv("SUMMARIZER_ALLOW_HOSTS", "127.0.0.1")
    with pytest.raises(InputError, match="Could not reach 127.0.0.1:9"):
        load_reference("http://127.0.0.1:9/nothing")


def test_pdf_url_and_arxiv_id(web, monkeypatch):
    assert load_reference(f"{web.url}/paper.pdf").title.startswith("Sparrow")
    monkeypatch.setenv("ARXIV_BASE_URL", web.url)
    for ref in ("2401.01234", "arXiv:2401.01234", "https://arxiv.org/abs/2401.01234", "arxiv.org/pdf/2401.01234.pdf"):
        doc = load_reference(ref)
        assert doc.title.startswith("Sparrow") and doc.source == "arXiv-2401.01234.pdf"
    assert web.hits.count("/pdf/2401.01234") == 4
    # the app keeps the PDF a linked paper was read from (its page view), not a web article's page
    from summarizer.inputs.fetch import fetch_reference

    doc, pdf = fetch_reference("2401.01234")
    assert pdf[:5] == b"%PDF-" and doc.title.startswith("Sparrow")
    assert fetch_reference(f"{web.url}/paper.pdf")[1][:5] == b"%PDF-"
    assert fetch_reference(f"{web.url}/news/budget")[1] is None


def test_arxiv_real_corpus_pdf(web, monkeypatch):
    pdf = CORPUS / "papers" / "casper-ffg.pdf"
    if not pdf.exists():
        pytest.skip("shared corpus not present")
    web.routes["/pdf/1710.09437"] = (200, "application/pdf", pdf.read_bytes())
    monkeypatch.setenv("ARXIV_BASE_URL", web.url)
    assert load_reference("1710.09437").title == "Casper the Friendly Finality Gadget"


def test_html_file_uses_main_text():
    doc = load_bytes(ARTICLE.encode(), "budget.html")
    assert doc.title == "Council passes school budget"
    assert "Subscribe" not in doc.text and "$3.5 million" in doc.text


def test_cli_summarize_url_and_arxiv(web, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ARXIV_BASE_URL": web.url,
           "SUMMARIZER_ALLOW_HOSTS": "127.0.0.1"}
    proc = subprocess.run([sys.executable, "-m", "summarizer", "summarize", f"{web.url}/news/budget", "--json"],
                          capture_output=True, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["title"] == "Council passes school budget"
    proc = subprocess.run([sys.executable, "-m", "summarizer", "summarize", "2401.01234", "-o", "out.md"],
                          capture_output=True, env=env, cwd=tmp_path)
    assert proc.returncode == 0 and (tmp_path / "out.md").read_text().startswith("# Sparrow")
    bad = subprocess.run([sys.executable, "-m", "summarizer", "summarize", f"{web.url}/blocked"],
                         capture_output=True, env=env, cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.decode().count("\n") == 1


def _proxy_env(monkeypatch, proxy_url: str) -> None:
    for var in ("no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy_url)
    monkeypatch.setenv("http_proxy", proxy_url)


def test_links_go_through_the_environments_proxy_to_the_checked_address(web, monkeypatch):
    """Behind a proxy (HTTP_PROXY …) a link is fetched through a CONNECT tunnel to exactly the address
    checked here; NO_PROXY is honoured; a redirect inside the server's network is still refused before
    the proxy is asked; a proxy that refuses says so in one line."""
    from web_server import ConnectProxy

    from summarizer.inputs.netguard import BlockedAddressError

    port = web.url.rsplit(":", 1)[1]
    with ConnectProxy() as proxy:
        _proxy_env(monkeypatch, proxy.url)
        assert load_reference(f"{web.url}/news/budget").title == "Council passes school budget"
        assert proxy.targets == [f"127.0.0.1:{port}"]
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        monkeypatch.setenv("no_proxy", "127.0.0.1")
        assert load_reference(f"{web.url}/zh/xiongan").language == "zh"
        assert len(proxy.targets) == 1  # bypassed
        monkeypatch.delenv("NO_PROXY")
        monkeypatch.delenv("no_proxy")
        with pytest.raises(BlockedAddressError):
            load_reference("http://169.254.169.254/latest/meta-data/")
        assert len(proxy.targets) == 1  # never tunnelled there
    with ConnectProxy(require_auth="dTpw") as locked:
        _proxy_env(monkeypatch, locked.url)
        with pytest.raises(InputError, match=r"through the proxy 127\.0\.0\.1:\d+ .*refused the tunnel \(407"):
            load_reference(f"{web.url}/news/budget")
        _proxy_env(monkeypatch, locked.url.replace("http://", "http://u:p@"))
        assert load_reference(f"{web.url}/news/budget").genre == "article"
        assert locked.auth_seen[-1] == "Basic dTpw"


def test_https_links_are_verified_and_pinned_directly_and_through_a_proxy(monkeypatch):
    """Most links are https: the pinned connection still verifies the certificate for the name (an
    untrusted one is refused), directly and through a CONNECT tunnel."""
    import ssl

    from web_server import TLS_CERT, ConnectProxy, WebServer

    from summarizer.inputs import netguard

    monkeypatch.setenv("SUMMARIZER_ALLOW_HOSTS", "127.0.0.1")
    with WebServer(tls=True) as site:
        site.routes["/news/budget"] = (200, "text/html; charset=utf-8", ARTICLE.encode())
        url = f"{site.url}/news/budget"
        with pytest.raises(InputError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
            load_reference(url)  # the system's trust store does not know the test certificate
        real = ssl.create_default_context
        monkeypatch.setattr(netguard.ssl, "create_default_context", lambda *a, **k: real(cafile=TLS_CERT))
        assert load_reference(url).title == "Council passes school budget"
        with ConnectProxy() as proxy:
            _proxy_env(monkeypatch, proxy.url)
            monkeypatch.setenv("HTTPS_PROXY", proxy.url)
            monkeypatch.setenv("https_proxy", proxy.url)
            assert load_reference(url).title == "Council passes school budget"
            assert proxy.targets == [f"127.0.0.1:{site.url.rsplit(':', 1)[1]}"]
