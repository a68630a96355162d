"""A feedback preprocessor that keeps hidden tests out of the feedback HTML.

nbgrader's ``ClearHiddenTests`` removes the hidden region from a test cell's *source*, but the cell's
*outputs* were produced by running that hidden code: an IPython traceback quotes the failing line, and a
printed value may repeat it. :class:`HideHiddenTestOutput` runs before ``ClearHiddenTests`` in the
feedback chain and, in every test cell that had hidden tests, replaces each error's traceback with the
single line ``ErrorName: message``; in every cell it drops any output line that contains a (non-trivial)
line of hidden source.
"""
from __future__ import annotations

import re

from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader import utils
from traitlets import Integer, Unicode

__all__ = ["HideHiddenTestOutput", "hidden_lines"]

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def strip_ansi(text: str) -> str:
    """``text`` without ANSI colour codes."""
    return _ANSI.sub("", text)


def hidden_lines(source: str, begin: str = "BEGIN HIDDEN TESTS", end: str = "END HIDDEN TESTS",
                 min_length: int = 4) -> list[str]:
    """The stripped lines between the hidden-test delimiters of a cell source (delimiters excluded),
    keeping lines of at least ``min_length`` characters (``)``, ``else:`` and the like say nothing)."""
    out, inside = [], False
    for line in source.splitlines():
        if begin in line:
            inside = True
            continue
        if end in line:
            inside = False
            continue
        if inside and len(line.strip()) >= min_length:
            out.append(line.strip())
    return out


class HideHiddenTestOutput(NbGraderPreprocessor):
    """Scrub outputs that could reveal hidden tests (see the module docstring)."""

    begin_test_delimeter = Unicode("BEGIN HIDDEN TESTS").tag(config=True)
    end_test_delimeter = Unicode("END HIDDEN TESTS").tag(config=True)
    min_line_length = Integer(4, help="Hidden lines shorter than this are not searched for.").tag(config=True)

    def preprocess(self, nb, resources):
        secret = []
        for cell in nb.cells:
            if cell.cell_type == "code" and self.begin_test_delimeter in cell.source:
                secret.extend(hidden_lines(cell.source, self.begin_test_delimeter, self.end_test_delimeter,
                                           self.min_line_length))
        self._secret = sorted(set(secret), key=len, reverse=True)
        if not self._secret:
            return nb, resources
        return super().preprocess(nb, resources)

    def _leaks(self, line: str) -> bool:
        plain = strip_ansi(line).strip()
        return any(s in plain for s in self._secret)

    def _scrub_text(self, text: str) -> str:
        return "\n".join(line for line in text.split("\n") if not self._leaks(line))

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code":
            return cell, resources
        had_hidden = utils.is_grade(cell) and self.begin_test_delimeter in cell.source
        outputs = []
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                if had_hidden:
                    out.traceback = [f"{out.ename}: {out.evalue}"]
                out.evalue = self._scrub_text(out.evalue)
                out.traceback = [t for t in (self._scrub_text(t) for t in out.traceback) if t.strip()] or [out.ename]
            elif out.output_type == "stream":
                out.text = self._scrub_text(out.text)
                if not out.text.strip():
                    continue
            elif out.output_type in ("execute_result", "display_data"):
                data = {}
                for mime, value in out.get("data", {}).items():
                    text = value if isinstance(value, str) else "\n".join(value) if isinstance(value, list) else None
                    if mime.startswith("image/"):
                        data[mime] = value
                    elif had_hidden and mime != "text/plain":
                        continue  # rich output of a hidden-test cell: only its scrubbed text is shown
                    elif text is None:
                        data[mime] = value
                    elif not self._leaks_any(text):
                        data[mime] = value
                    elif mime == "text/plain":
                        data[mime] = self._scrub_text(text)
                out.data = data
                if not data:
                    continue
            outputs.append(out)
        cell.outputs = outputs
        return cell, resources

    def _leaks_any(self, text: str) -> bool:
        return any(self._leaks(line) for line in text.split("\n"))
