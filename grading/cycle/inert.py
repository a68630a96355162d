"""Learner output made inert: nothing a submission produced becomes active in a page the grader writes or serves.

A submission's outputs (and its markdown cells) are rendered by nbconvert in two places: the feedback HTML the
learner receives, and formgrader's submission page, served in the instructor's own Jupyter origin, where script
could drive the instructor's Jupyter server with the instructor's rights. nbconvert copies ``text/html`` outputs
into the page as they are, runs ``application/javascript`` outputs, embeds widget views, renders ``javascript:``
links of markdown, and lets MathJax typeset LaTeX macros of the page text. So:

:class:`InertOutputs` (a preprocessor: in the autograde chain right after ``TrustedExecute``, so the stored
autograded notebook is inert, and again in every ``HTMLExporter`` of the course, so formgrader and feedback render
only inert content whatever notebook they are given) rewrites every output of every code cell:

* ``text/plain``, ``image/png``, ``image/jpeg``, ``image/gif`` (valid base64 only) stay: plots keep working;
* ``text/html`` and ``text/markdown`` (rendered to HTML first) pass through an allow-list sanitizer (``bleach``:
  formatting and table tags, links to ``http``/``https``/``mailto``/in-page anchors, images from ``data:image/...``
  or ``http(s)`` only; no script, style, event handler, form, frame or object; anything else is shown escaped, as
  text), inside a ``tex2jax_ignore`` block so that MathJax typesets none of it;
* ``image/svg+xml`` becomes an ``<img>`` of a ``data:`` URL (a picture: an SVG shown as an image runs no script);
* ``text/latex`` is shown as its source text (escaped, in a ``<pre>``, which MathJax skips);
* every other type (``application/javascript``, widget views, JSON, PDF, ...) is dropped, with a one-line note;
* output metadata keeps only numeric ``width``/``height`` and ``unconfined`` of images.

The notebook's widget state is dropped, and raw cells are escaped. Markdown *cells* keep their source (it is the
learner's own text) and are made inert when rendered: :func:`markdown2html` (the ``markdown2html`` filter of
every course ``HTMLExporter``) renders markdown as nbconvert does and then applies the same sanitizer.

:class:`InertFeedbackExporter` is the exporter of the feedback HTML: the filter above, MathJax configured by a
script whose hash the page's Content-Security-Policy names, and that policy (a ``<meta>`` first in ``<head>``):
no inline script, no event handler, no ``javascript:`` URL, nothing loaded but MathJax from its CDN folder.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import html
import os
from functools import lru_cache
from urllib.parse import urlparse

from bleach.sanitizer import Cleaner
from jinja2 import pass_context
from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import Preprocessor
from nbformat.notebooknode import NotebookNode
from traitlets import Bool

__all__ = ["InertOutputs", "InertFeedbackExporter", "clean_html", "markdown2html", "inert_output",
           "FEEDBACK_CSP", "MATHJAX_URL", "TEMPLATES", "with_csp"]

# ------------------------------------------------------------------------------------------------ the allow-list
TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd", "del", "details",
    "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strike", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "u", "ul", "var",
})
"""Tags kept (with the attributes :func:`_attribute_allowed` lets through); any other tag is shown escaped."""

PROTOCOLS = frozenset({"http", "https", "mailto", "data"})
"""URL schemes bleach lets through at all; ``data:`` is then limited to images by :func:`_attribute_allowed`."""

IMAGE_DATA = ("data:image/png;", "data:image/jpeg;", "data:image/gif;", "data:image/svg+xml;", "data:image/webp;")


def _url_scheme(value: str) -> str:
    return urlparse(value.strip()).scheme.lower()


def _attribute_allowed(tag: str, name: str, value: str) -> bool:
    """Which attributes survive: no event handler, no style, no id (but headings'), URLs by scheme."""
    if name in ("title", "class"):
        return True
    if name in ("colspan", "rowspan", "align") and tag in ("td", "th"):
        return True
    if name == "id" and tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
        return True  # nbconvert's heading anchors
    if tag == "a" and name == "href":
        return _url_scheme(value) in ("", "http", "https", "mailto")  # bleach removes unknown schemes too
    if tag == "img" and name in ("alt", "width", "height"):
        return True
    if tag == "img" and name == "src":
        scheme = _url_scheme(value)
        if scheme == "data":
            return value.strip().lower().startswith(IMAGE_DATA)
        return scheme in ("", "http", "https")
    if (tag, name) in (("ol", "start"), ("details", "open")):
        return True
    return False


@lru_cache(maxsize=1)
def _cleaner() -> Cleaner:
    return Cleaner(tags=TAGS, attributes=_attribute_allowed, protocols=PROTOCOLS, strip=False,
                   strip_comments=True)


def clean_html(text) -> str:
    """``text`` with every tag, attribute and URL outside the allow-list removed or shown escaped (bleach)."""
    if isinstance(text, (list, tuple)):
        text = "".join(str(x) for x in text)
    return _cleaner().clean(str(text))


def _join(value) -> str:
    if isinstance(value, (list, tuple)):
        return "".join(str(x) for x in value)
    return value if isinstance(value, str) else str(value)


def _render_markdown(source: str, context=None) -> str:
    """Markdown to HTML exactly as nbconvert's HTML exporter renders it (math left for MathJax)."""
    exporter = _markdown_exporter()
    if context is None:
        context = {}
    return exporter.markdown2html(context, source)


@lru_cache(maxsize=1)
def _markdown_exporter() -> HTMLExporter:
    return HTMLExporter()


@pass_context
def markdown2html(context, source) -> str:
    """The ``markdown2html`` filter of the course's HTML exporters: nbconvert's rendering, then :func:`clean_html`.

    Markdown cells keep the learner's own source; this makes their links (``javascript:``), raw HTML (event
    handlers, ``<script>``) and embedded attachments inert wherever nbconvert renders them (feedback, formgrader).
    """
    return clean_html(_render_markdown(_join(source), context))


# ------------------------------------------------------------------------------------------------ outputs
KEEP = ("text/plain", "image/png", "image/jpeg", "image/gif")
IMAGES = ("image/png", "image/jpeg", "image/gif")
NOTE = "[{mimes} output removed by the grader: it could run code in the pages that show this notebook]"


def _valid_base64(value: str) -> bool:
    try:
        base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _inert_block(html_text: str) -> str:
    """Sanitized HTML, in a block MathJax does not typeset."""
    return f'<div class="tex2jax_ignore">{clean_html(html_text)}</div>'


def _image_metadata(meta) -> dict:
    out = {}
    if not isinstance(meta, dict):
        return out
    for mime in IMAGES:
        m = meta.get(mime)
        if isinstance(m, dict):
            kept = {k: int(m[k]) for k in ("width", "height")
                    if isinstance(m.get(k), (int, float)) and not isinstance(m.get(k), bool) and 0 < m[k] < 100000}
            if isinstance(m.get("unconfined"), bool):
                kept["unconfined"] = m["unconfined"]
            if kept:
                out[mime] = kept
    return out


def inert_output(out) -> NotebookNode | None:
    """One output made inert (see the module docstring); ``None`` drops it."""
    kind = out.get("output_type")
    if kind == "stream":
        return NotebookNode(output_type="stream", name=out.get("name") if out.get("name") in ("stdout", "stderr")
                            else "stdout", text=_join(out.get("text", "")))
    if kind == "error":
        return NotebookNode(output_type="error", ename=_join(out.get("ename", "")),
                            evalue=_join(out.get("evalue", "")),
                            traceback=[_join(t) for t in out.get("traceback", []) or []])
    if kind not in ("display_data", "execute_result"):
        return None
    data = out.get("data", {}) or {}
    data = {str(k): _join(v) for k, v in data.items()} if isinstance(data, dict) else {}
    kept, removed = {}, []
    for mime in KEEP:
        if mime in data:
            if mime not in IMAGES or _valid_base64(data[mime]):
                kept[mime] = data[mime]
            else:
                removed.append(mime)
    if "text/html" in data:
        kept["text/html"] = _inert_block(data["text/html"])
    if "text/markdown" in data and "text/html" not in kept:
        kept["text/html"] = _inert_block(_render_markdown(data["text/markdown"]))
    picture = any(m in kept for m in IMAGES)  # a plot: shown as it is, not shadowed by an HTML rendering
    if "image/svg+xml" in data and "text/html" not in kept and not picture:
        b64 = base64.b64encode(data["image/svg+xml"].encode("utf-8")).decode("ascii")
        kept["text/html"] = _inert_block(f'<img src="data:image/svg+xml;base64,{b64}" alt="SVG image">')
    if "text/latex" in data and "text/html" not in kept and not picture:
        kept["text/html"] = f'<pre class="tex2jax_ignore">{html.escape(data["text/latex"])}</pre>'
    for mime in data:
        if mime not in KEEP and mime not in ("text/html", "text/markdown", "image/svg+xml", "text/latex"):
            removed.append(mime)
    if not kept:
        kept["text/plain"] = NOTE.format(mimes=", ".join(sorted(removed)) or "an empty")
    node = NotebookNode(output_type=kind, data=NotebookNode(kept),
                        metadata=NotebookNode(_image_metadata(out.get("metadata", {}))))
    if kind == "execute_result":
        count = out.get("execution_count")
        node["execution_count"] = count if isinstance(count, int) and not isinstance(count, bool) else None
    return node


class InertOutputs(Preprocessor):
    """Make every output of a notebook inert, drop its widget state, escape raw cells (module docstring)."""

    enabled = Bool(True, help="on wherever it is listed (nbconvert's preprocessors are off by default)").tag(
        config=True)

    def preprocess(self, nb, resources):
        widgets = nb.get("metadata", {}).pop("widgets", None)
        if widgets is not None:
            self.log.info("InertOutputs: widget state removed")
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if cell.get("cell_type") == "code":
            outputs = [inert_output(o) for o in cell.get("outputs", []) or []]
            cell.outputs = [o for o in outputs if o is not None]
        elif cell.get("cell_type") == "raw":
            cell.source = html.escape(_join(cell.get("source", "")))
        return cell, resources


# ------------------------------------------------------------------------------------------------ feedback HTML
TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")
"""Holds ``nncourse_feedback``: nbgrader's ``feedback`` template without nbconvert's MathJax macro."""


def _nbgrader_templates() -> str:
    import nbgrader

    return os.path.join(os.path.dirname(os.path.abspath(nbgrader.__file__)), "server_extensions", "formgrader",
                        "templates")


NBGRADER_TEMPLATES = _nbgrader_templates()

MATHJAX_URL = "https://cdnjs.cloudflare.com/ajax/libs/mathjax/2.7.7/"
MATHJAX_CONFIG = (
    "window.MathJax = {TeX: {equationNumbers: {autoNumber: \"AMS\", useLabelIds: true}}, "
    "tex2jax: {inlineMath: [[\"$\", \"$\"], [\"\\\\(\", \"\\\\)\"]], displayMath: [[\"$$\", \"$$\"], "
    "[\"\\\\[\", \"\\\\]\"]], processEscapes: true, processEnvironments: true, ignoreClass: \"tex2jax_ignore\"}, "
    "displayAlign: \"center\", messageStyle: \"none\", CommonHTML: {linebreaks: {automatic: true}}};"
)
"""MathJax 2's configuration, set before MathJax loads (the inline script the policy allows by its hash)."""


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


FEEDBACK_CSP = "; ".join([
    "default-src 'none'",
    f"script-src {_sha256(MATHJAX_CONFIG)} {MATHJAX_URL}",
    f"style-src 'unsafe-inline' {MATHJAX_URL}",
    f"font-src {MATHJAX_URL} data:",
    f"img-src data: {MATHJAX_URL}",
    "base-uri 'none'",
    "form-action 'none'",
])
"""The feedback page's policy: scripts only MathJax's own files and its configuration (by hash), so no inline
script, event handler or ``javascript:`` URL runs; styles inline (the page's own CSS); images ``data:`` only."""

HEAD = (f'<meta http-equiv="Content-Security-Policy" content="{FEEDBACK_CSP}">\n'
        f'<script>{MATHJAX_CONFIG}</script>\n'
        f'<script src="{MATHJAX_URL}MathJax.js?config=TeX-AMS_CHTML-full,Safe"></script>\n')
"""What the feedback page's ``<head>`` starts with."""


class InertFeedbackExporter(HTMLExporter):
    """nbgrader's feedback HTML (its ``feedback`` template), made inert: :class:`InertOutputs` runs first, markdown
    goes through :func:`markdown2html`, and the page opens with :data:`FEEDBACK_CSP` and MathJax configured without
    eval (the template ``nncourse_feedback`` only replaces nbconvert's MathJax macro, which configures MathJax by
    an eval'd script)."""

    def __init__(self, config=None, **kwargs):
        # forced, whatever the configuration says (this class's section outranks HTMLExporter's), and before
        # nbconvert computes its template paths: this exporter exists to render this template
        from traitlets.config import Config

        own = Config()
        if config is not None:
            own.merge(config)
        elif kwargs.get("parent") is not None:
            own.merge(kwargs["parent"].config)
        own.InertFeedbackExporter.template_name = "nncourse_feedback"
        own.InertFeedbackExporter.extra_template_basedirs = [TEMPLATES, NBGRADER_TEMPLATES]
        super().__init__(config=own, **kwargs)

    def _init_preprocessors(self):
        super()._init_preprocessors()
        if not any(isinstance(p, InertOutputs) for p in self._preprocessors):
            self.register_preprocessor(InertOutputs, enabled=True)

    def default_filters(self):
        yield from super().default_filters()
        yield ("markdown2html", markdown2html)

    def from_notebook_node(self, nb, resources=None, **kw):
        output, resources = super().from_notebook_node(nb, resources, **kw)
        return with_csp(output), resources


def with_csp(page: str) -> str:
    """``page`` with :data:`HEAD` (the policy, then MathJax) right after its ``<head>``; refuses a page whose head
    does not open the document (the policy must come before anything the learner influenced)."""
    at = page.find("<head>")
    if at < 0 or at > 200:
        raise ValueError("feedback page without <head> at its start: cannot place the Content-Security-Policy")
    end = at + len("<head>")
    return page[:end] + "\n" + HEAD + page[end:]
