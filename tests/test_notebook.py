"""The quickstart notebook runs top to bottom on the samples."""

from __future__ import annotations

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow


def test_notebook_quickstart_executes() -> None:
    nbformat = pytest.importorskip("nbformat", reason="pip install nbformat nbclient ipykernel")
    nbclient = pytest.importorskip("nbclient", reason="pip install nbclient ipykernel")
    pytest.importorskip("ipykernel", reason="pip install ipykernel")
    notebook = nbformat.read(ROOT / "notebooks" / "quickstart.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    )
    client.execute()
    outputs = [
        "".join(
            o.get("text", "") or str(o.get("data", {}).get("text/plain", "")) for o in c.outputs
        )
        for c in notebook.cells
        if c.cell_type == "code"
    ]
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]  # fmt: skip
    assert errors == []
    assert any("4 calls: 4 processed" in text for text in outputs)
    assert any("index.html" in text and "rude_unresolved.html" in text for text in outputs)
