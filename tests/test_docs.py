"""Every example in the README and docs/ runs, so a doc that drifts from the code fails CI.

Fenced blocks are read from README.md, docs/*.md and rubrics/README.md:
- ``bash`` and ``console`` blocks run, in order, in one working folder that sees the
  repository's samples/, rubrics/, notebooks/ and benchmarks/ (``console`` lines start ``$ ``);
- ``python`` blocks run as scripts in the same folder, after the shell blocks before them;
- ``json``, ``yaml`` and ``csv`` blocks are read with the toolkit's own loaders (a rubric
  fragment inside a one-section rubric, a Transcript JSON, label rows);
- a plain block of ``qa …`` lines is a synopsis: every option it names must exist.

A block preceded by ``<!-- doc-test: skip REASON -->`` is not run; REASON says why (it
needs a cluster, it serves until stopped…). ``<!-- doc-test: excerpt -->`` marks data
shown in part. Everything else runs: a new example is tested the day it is written.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from .conftest import ROOT

pytestmark = pytest.mark.slow

DOCS = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "rubrics" / "README.md")
_FENCE = re.compile(r"^```(?P<lang>[\w-]*)\s*$")
_DIRECTIVE = re.compile(r"^<!--\s*doc-test:\s*(?P<what>skip|excerpt)\b\s*(?P<why>.*?)\s*-->$")
# What a document's examples may use: the repository's own files, seen from its folder.
_SHARED = ("samples", "rubrics", "notebooks", "benchmarks", "taxonomies")
_TIMEOUT_S = 900


@dataclass(frozen=True)
class Block:
    doc: Path
    line: int
    lang: str
    text: str
    directive: str
    why: str

    @property
    def name(self) -> str:
        return f"{self.doc.relative_to(ROOT)}:{self.line}"


def read_blocks(doc: Path) -> list[Block]:
    """The fenced blocks of a Markdown file, with the doc-test directive just above each."""
    lines = doc.read_text("utf-8").splitlines()
    blocks, index = [], 0
    while index < len(lines):
        opened = _FENCE.match(lines[index])
        if opened is None:
            index += 1
            continue
        end = next(i for i in range(index + 1, len(lines)) if lines[i].startswith("```"))
        above = next((lines[i] for i in range(index - 1, -1, -1) if lines[i].strip()), "")
        directive = _DIRECTIVE.match(above.strip())
        blocks.append(
            Block(
                doc, index + 1, opened["lang"] or "text", "\n".join(lines[index + 1 : end]) + "\n",
                directive["what"] if directive else "", directive["why"] if directive else "",
            )
        )  # fmt: skip
        index = end + 1
    return blocks


ALL = [block for doc in DOCS for block in read_blocks(doc)]
RUN = [b for b in ALL if b.lang in ("bash", "console", "python") and b.directive != "skip"]


def test_docs_every_skipped_example_says_why() -> None:
    skipped = [b for b in ALL if b.directive == "skip"]
    assert all(len(b.why) >= 10 for b in skipped), [b.name for b in skipped if len(b.why) < 10]
    # Skipping is for what cannot run in a test (a cluster, a server left running): a few.
    assert len(skipped) <= 4, [b.name for b in skipped]
    assert len(RUN) >= 15, "the docs' examples were not found"


_folder: list[Path] = []


@pytest.fixture()
def workdir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One working folder for every document, as a reader's checkout would be: examples build
    on the ones before them (the README's batch makes the ``qa.db`` that docs/ review)."""
    if not _folder:
        folder = tmp_path_factory.mktemp("docs")
        for name in _SHARED:
            (folder / name).symlink_to(ROOT / name, target_is_directory=True)
        (folder / ".venv").symlink_to(Path(sys.executable).parent.parent, target_is_directory=True)
        _folder.append(folder)
    return _folder[0]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT)
    env.pop("QA_STORE", None)
    return env


def _script(block: Block) -> str:
    if block.lang == "console":
        return "\n".join(line[2:] for line in block.text.splitlines() if line.startswith("$ "))
    return block.text


@pytest.mark.parametrize("workdir", RUN, ids=[b.name for b in RUN], indirect=True)
def test_docs_example_runs(workdir: Path, request: pytest.FixtureRequest) -> None:
    block: Block = request.node.callspec.params["workdir"]
    if block.lang == "python":
        command = [sys.executable, "-c", block.text]
    else:
        command = ["bash", "-e", "-o", "pipefail", "-c", _script(block)]
    done = subprocess.run(
        command, cwd=workdir, env=_env(), capture_output=True, text=True, timeout=_TIMEOUT_S
    )
    assert done.returncode == 0, (
        f"{block.name} failed (exit {done.returncode}):\n{block.text}\n"
        f"stdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-3000:]}"
    )


# ------------------------------------------------------------------ data blocks

DATA = [b for b in ALL if b.lang in ("json", "yaml", "csv") and b.directive != "excerpt"]


@pytest.mark.parametrize("block", DATA, ids=[b.name for b in DATA])
def test_docs_data_examples_load(block: Block, tmp_path: Path) -> None:
    if block.lang == "csv":
        from qa_toolkit.calibrate.labels import load_labels

        path = tmp_path / "labels.csv"
        path.write_text(block.text, "utf-8")
        rows = list(csv.DictReader(io.StringIO(block.text)))
        labels = load_labels(path)
        assert len(labels.labels) == len(rows) > 0
        return
    if block.lang == "json":
        data = json.loads(block.text)
        if data.get("schema") == "qa-toolkit/transcript@1":
            from qa_toolkit.types import Transcript

            assert Transcript.from_dict(data).utterances
        elif data.get("schema") == "qa-toolkit/classifier@1":
            from qa_toolkit.models.classifier import load_classifier

            path = tmp_path / "model.json"
            path.write_text(block.text, "utf-8")
            assert load_classifier(path).inputs
        return
    _check_rubric_fragment(block, tmp_path)


def _check_rubric_fragment(block: Block, tmp_path: Path) -> None:
    """A YAML example is a rubric, an item list or an ``events`` map; each must validate."""
    from qa_toolkit.rubric import load_rubric

    data = yaml.safe_load(block.text)
    if isinstance(data, dict) and "schema" in data:
        text = block.text
    else:
        items = data if isinstance(data, list) else []
        own = {entry.get("id") for entry in items if isinstance(entry, dict)}
        filler = [item for item in _FILLER if item["id"] not in own]
        sections = [{"id": "s", "title": "s", "items": [*items, *filler]}]
        if items and all("items" in entry for entry in items):  # whole sections
            sections = [*items, {"id": "s", "title": "s", "items": filler}]
        events = data.get("events", _EVENTS) if isinstance(data, dict) else _EVENTS
        rubric = {
            "schema": "qa-toolkit/rubric@1", "id": "doc", "version": 1, "title": "doc",
            "events": events, "sections": sections,
        }  # fmt: skip
        text = yaml.safe_dump(rubric, allow_unicode=True)
    path = tmp_path / "rubric.yaml"
    path.write_text(text, "utf-8")
    _models(tmp_path, data)
    assert load_rubric(path).items


# Items a fragment may refer to (a classifier reads ``item:solution_offered``).
_FILLER = [
    {"id": "filler", "detector": "phrase", "any": ["thank you"], "points": 1},
    {"id": "solution_offered", "detector": "behaviour.v1", "any": ["action"], "points": 1},
]
# The event the docs' fragments refer to, as the default rubric defines it.
_EVENTS = {"complaint": {"detector": "behaviour.v1", "speaker": "customer", "any": ["complaint"]}}


def _models(folder: Path, data: object) -> None:
    """A classifier file a fragment names (relative to the rubric) is the docs' own example."""
    example = next(b.text for b in ALL if '"qa-toolkit/classifier@1"' in b.text)
    for name in re.findall(r"model: ([\w./-]+\.json)", yaml.safe_dump(data)):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(example, "utf-8")


# ------------------------------------------------------------------ synopses

SYNOPSES = [
    b
    for b in ALL
    if b.lang == "text" and any(line.startswith("qa ") for line in b.text.splitlines())
]


@pytest.mark.parametrize("block", SYNOPSES, ids=[b.name for b in SYNOPSES])
def test_docs_synopsis_names_real_options(block: Block) -> None:
    from click.testing import CliRunner

    from qa_toolkit.cli.main import qa

    for line in block.text.replace("\\\n", " ").splitlines():
        if not line.startswith("qa "):
            continue
        words = shlex.split(line.replace("…", ""), comments=True)[1:]
        command = [w for w in words[:2] if re.fullmatch(r"[a-z]+", w)]
        shown = CliRunner().invoke(qa, [*command, "--help"])
        assert shown.exit_code == 0, f"{block.name}: qa {' '.join(command)} does not exist"
        for option in re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", line):
            assert re.search(rf"(?<![\w-]){re.escape(option)}\b", shown.output), (
                f"{block.name}: qa {' '.join(command)} has no option {option}"
            )
