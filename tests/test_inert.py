"""grading/cycle/inert.py without a browser: what the sanitizer keeps, escapes and drops (the browser proof is
tests/test_inert_browser.py)."""
from __future__ import annotations

import nbformat
import pytest

from grading.cycle.inert import (FEEDBACK_CSP, InertOutputs, clean_html, inert_output, markdown2html, with_csp)

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="


@pytest.mark.parametrize("html,kept,gone", [
    ('<img src=x onerror="alert(1)">', "<img", "onerror"),
    ("<script>alert(1)</script>", "&lt;script&gt;", "<script"),
    ('<a href="javascript:alert(1)">x</a>', "<a>x</a>", "javascript"),
    ('<a href="JaVa&#115;cript:alert(1)">x</a>', "<a>x</a>", "cript:"),
    ('<svg onload="alert(1)"></svg>', "&lt;svg", "<svg"),
    ('<iframe srcdoc="<script>x</script>"></iframe>', "&lt;iframe", "<iframe"),
    ('<img src="data:text/html;base64,AAAA">', "<img>", "data:text"),
    ('<p style="position:fixed">p</p>', "<p>p</p>", "style"),
    ('<a href="https://example.org/" title="t">ok</a>', 'href="https://example.org/"', "onclick"),
    ('<table class="dataframe"><tr><th>a</th><td colspan="2">1</td></tr></table>', 'class="dataframe"', "<script"),
    (f'<img src="data:image/png;base64,{PNG}">', "data:image/png", "onerror"),
])
def test_clean_html_is_an_allow_list(html, kept, gone):
    out = clean_html(html)
    assert kept in out and gone not in out, out


def test_markdown_links_and_raw_html_are_inert_but_text_stays():
    out = markdown2html({}, "# Title\n\nSee [x](javascript:alert(1)) and <img src=x onerror=alert(1)> $a<b$\n")
    assert 'href="javascript' not in out and "onerror" not in out and "<a>x</a>" in out
    assert '<h1 id="Title">' in out and "$a&lt;b$" in out


def _out(data, metadata=None, kind="display_data"):
    return nbformat.v4.new_output(kind, data=data, metadata=metadata or {},
                                  **({"execution_count": 3} if kind == "execute_result" else {}))


def test_outputs_keep_plots_and_text_and_drop_active_types():
    png = inert_output(_out({"image/png": PNG, "text/plain": "fig"},
                            {"image/png": {"width": "1 onerror=alert(1)", "height": 5}}))
    assert png.data == {"image/png": PNG, "text/plain": "fig"} and png.metadata == {"image/png": {"height": 5}}
    js = inert_output(_out({"application/javascript": "alert(1)",
                            "application/vnd.jupyter.widget-view+json": {"model_id": "m"}}))
    assert list(js.data) == ["text/plain"] and "removed" in js.data["text/plain"]
    latex = inert_output(_out({"text/latex": r"$\href{javascript:x}{y}$", "text/plain": "<Latex>"}))
    assert latex.data["text/html"].startswith('<pre class="tex2jax_ignore">') and "<Latex>" == latex.data["text/plain"]
    svg = inert_output(_out({"image/svg+xml": '<svg onload="alert(1)"/>'}))
    assert svg.data["text/html"].count("<img") == 1 and "onload" not in svg.data["text/html"]
    html = inert_output(_out({"text/html": "<b onclick=x>b</b>"}, {"isolated": True}, kind="execute_result"))
    assert html.data["text/html"] == '<div class="tex2jax_ignore"><b>b</b></div>' and html.metadata == {}
    assert html.execution_count == 3
    bad = inert_output(_out({"image/png": "not base64 !"}))
    assert list(bad.data) == ["text/plain"] and "image/png" in bad.data["text/plain"]
    stream = inert_output(nbformat.v4.new_output("stream", name="stdout", text="<b>x</b>"))
    assert stream.text == "<b>x</b>"  # nbconvert escapes streams itself


def test_preprocessor_drops_widget_state_and_escapes_raw_cells():
    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {}}
    nb.cells = [nbformat.v4.new_raw_cell("<script>x</script>"), nbformat.v4.new_code_cell("1")]
    nb.cells[1].outputs = [_out({"text/html": "<script>x</script>"})]
    pp = InertOutputs()
    assert pp.enabled  # nbconvert's preprocessors are off by default; this one must run wherever it is listed
    nb, _ = pp(nb, {})
    assert "widgets" not in nb.metadata
    assert nb.cells[0].source == "&lt;script&gt;x&lt;/script&gt;"
    assert "<script" not in nb.cells[1].outputs[0].data["text/html"]


def test_the_policy_opens_the_head_and_forbids_inline_script():
    page = with_csp("<!DOCTYPE html>\n<html>\n<head>\n<title>t</title></head><body></body></html>")
    assert page.index("Content-Security-Policy") < page.index("<title>")
    assert "'unsafe-inline'" not in FEEDBACK_CSP.split("script-src")[1].split(";")[0]
    assert "'unsafe-eval'" not in FEEDBACK_CSP and "default-src 'none'" in FEEDBACK_CSP
    with pytest.raises(ValueError):
        with_csp("<html><body>" + "x" * 300 + "<head></head>")
