"""The emotion model registry: ``models/emotion_registry.json``, every version and every gate decision.

    {"serving_dir": "emotion", "current": "<version>",
     "versions": {"<version>": {"path": "emotion_versions/<version>", "created_at": ..., "origin": ...,
                                "previous": "<version or null>", "digest": ..., "figures": {...}}},
     "events": [{"at": ..., "action": "adopted|promoted|refused|restored", "version": ..., ...}]}

Paths are relative to the registry's folder. ``current`` is the version copied into the serving
directory; ``previous`` is the one that served before it, which ``restore`` brings back.
Writes are atomic (temporary file, then rename).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from services.settings import PROJECT_ROOT

MODELS_DIR = PROJECT_ROOT / "models"
REGISTRY_FILE = MODELS_DIR / "emotion_registry.json"
SERVING_DIR = MODELS_DIR / "emotion"
VERSIONS_DIR = MODELS_DIR / "emotion_versions"
DIGEST_FILES = ("model.safetensors", "pytorch_model.bin", "calibration.json", "tfidf.joblib", "model.int8.onnx")


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def new_version_id(at: dt.datetime | None = None) -> str:
    """``emotion-20261122T120000.123Z`` (UTC; milliseconds keep quick runs apart)."""
    at = at or dt.datetime.now(dt.timezone.utc)
    return f"emotion-{at:%Y%m%dT%H%M%S}.{at.microsecond // 1000:03d}Z"


def model_digest(model_dir: Path) -> str:
    """SHA-256 over the weights, calibration and ensemble files: tells whether a directory holds a given model."""
    digest = hashlib.sha256()
    for name in DIGEST_FILES:
        path = model_dir / name
        if path.exists():
            digest.update(name.encode())
            with path.open("rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()


def copy_model(source: Path, target: Path) -> None:
    """Replace ``target`` with a copy of ``source``: copied beside it first, then swapped by renames."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    shutil.copytree(source, staging, dirs_exist_ok=True)
    old = target.parent / f".{target.name}.old-{os.getpid()}"
    if target.exists():
        target.rename(old)
    staging.rename(target)
    if old.exists():
        shutil.rmtree(old)


@dataclass
class Registry:
    """The registry file's content; :meth:`load` it, change it, :meth:`save` it."""

    path: Path
    serving_dir: Path
    current: str | None = None
    versions: dict[str, dict] = field(default_factory=dict)
    events: list[dict] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path = REGISTRY_FILE, serving_dir: Path | None = None) -> Registry:
        """Read ``path`` (an empty registry when it does not exist); ``serving_dir`` overrides the recorded one."""
        if not path.exists():
            return cls(path, serving_dir or path.parent / SERVING_DIR.name)
        data = json.loads(path.read_text(encoding="utf-8"))
        recorded = path.parent / data.get("serving_dir", SERVING_DIR.name)
        return cls(path, serving_dir or recorded, data.get("current"), data.get("versions", {}), data.get("events", []))

    def save(self) -> None:
        data = {"serving_dir": self._relative(self.serving_dir), "current": self.current,
                "versions": self.versions, "events": self.events}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        tmp.replace(self.path)

    def _relative(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(self.path.parent.resolve()))
        except ValueError:
            return str(path.resolve())

    def version_dir(self, version: str) -> Path:
        return self.path.parent / self.versions[version]["path"]

    def add_version(self, version: str, model_dir: Path, origin: str, **details) -> None:
        """Record a model directory (already in place) under ``version``."""
        self.versions[version] = {"path": self._relative(model_dir), "created_at": now_iso(), "origin": origin,
                                  "digest": model_digest(model_dir), **details}

    def log(self, action: str, version: str, **details) -> dict:
        event = {"at": now_iso(), "action": action, "version": version, **details}
        self.events.append(event)
        return event

    def serving_version(self) -> str | None:
        """The registered version the serving directory holds (None: absent, or not one of ours)."""
        if not (self.serving_dir / "config.json").exists():
            return None
        digest = model_digest(self.serving_dir)
        if self.current in self.versions and self.versions[self.current].get("digest") == digest:
            return self.current
        return next((v for v, info in self.versions.items() if info.get("digest") == digest), None)

    def adopt_serving(self, versions_dir: Path) -> str | None:
        """Make sure what serves now can be restored: archive an unregistered serving model as a version.

        Returns the serving version (None when nothing serves). ``current`` follows what really serves.
        """
        found = self.serving_version()
        if found is None and (self.serving_dir / "config.json").exists():
            found = new_version_id()
            archive = versions_dir / found
            shutil.copytree(self.serving_dir, archive)
            self.add_version(found, archive, origin="adopted", previous=self.current)
            self.log("adopted", found, reason="the serving model was not in the registry (e.g. `make emotion-train`); archived")
        self.current = found
        return found

    def promote(self, version: str, reason: str, figures: dict) -> None:
        """Copy ``version`` into the serving directory and make it current (call :meth:`adopt_serving` first)."""
        previous = self.current
        copy_model(self.version_dir(version), self.serving_dir)
        self.versions[version]["previous"] = previous
        self.current = version
        self.log("promoted", version, previous=previous, reason=reason, figures=figures)

    def restore(self, version: str | None = None) -> tuple[str, str | None]:
        """Serve ``version`` (default: the one before the current one); returns ``(restored, replaced)``.

        Raises LookupError when there is nothing to go back to or the version's files are gone.
        """
        replaced = self.serving_version() or self.current
        if version is None:
            if replaced is None or not self.versions.get(replaced, {}).get("previous"):
                raise LookupError("no previous emotion model to restore: nothing was promoted over another model")
            version = self.versions[replaced]["previous"]
        if version not in self.versions:
            raise LookupError(f"unknown version {version!r}; known: {', '.join(self.versions) or 'none'}")
        source = self.version_dir(version)
        if not (source / "config.json").exists():
            raise LookupError(f"the files of {version} are gone ({source})")
        copy_model(source, self.serving_dir)
        self.current = version
        self.log("restored", version, replaced=replaced)
        return version, replaced
