"""``training_summary.json``: the seed's keys, every run, the best model — always valid JSON.

Accuracies are fractions 0-1 everywhere (the seed mixed percent and fractions). The fields
that follow from the runs (``best_model``, ``best_accuracy``, ``best_top2_accuracy``,
``best_top3_accuracy``, ``last_batch``, ``total_training_time``) are computed from the
recorded runs whenever the summary is saved, never kept up to date by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..atomic import write_json
from ..model_dir import SUMMARY



class Summary:
    """A dict with the seed's keys, loaded from and saved atomically to the model directory."""

    def __init__(self, path: Path, data: dict):
        self.path, self.data = path, data

    @classmethod
    def load_or_new(cls, model_dir: Path, fingerprint: dict) -> "Summary":
        """Resume the summary of the same job, or start a new one.

        Raises:
            ValueError: the directory holds a training with different settings.
        """
        path = Path(model_dir) / SUMMARY
        if path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except ValueError as e:
                raise ValueError(f"{path}: not valid JSON ({e}); move it away or use --fresh") from e
            if data.get("fingerprint") != fingerprint:
                changed = sorted(k for k in set(fingerprint) | set(data.get("fingerprint", {})) if fingerprint.get(k) != data.get("fingerprint", {}).get(k))
                raise ValueError(
                    f"--model-dir {model_dir} holds a training with other settings ({', '.join(changed)} differ); "
                    "use another --model-dir, or --fresh to discard it"
                )
            return cls(path, data)
        return cls(
            path,
            {
                "fingerprint": fingerprint,
                "status": "running",
                "training_runs": [],
                "best_accuracy": 0.0,
                "best_top2_accuracy": 0.0,
                "best_top3_accuracy": 0.0,
                "best_model": None,
                "last_batch": None,
                "total_training_time": 0.0,
                "plan": None,
                "final": None,
            },
        )

    def save(self) -> None:
        self.data.update(derived(self.data["training_runs"]))
        write_json(self.path, self.data)

    def run(self, run_id: str) -> dict | None:
        return next((r for r in self.data["training_runs"] if r["run_id"] == run_id), None)

    def record_run(self, record: dict) -> None:
        """Append a finished run (its ``became_best`` says whether it is now ``best_model.keras``) and save."""
        self.data["training_runs"].append(record)
        self.save()


def derived(runs: list[dict]) -> dict:
    """The summary fields that follow from the runs.

    The best model is the latest run that became best. A refit trained on the validation split,
    so its validation figures are those of the run it refitted.
    """
    best = next((r for r in reversed(runs) if r.get("became_best")), None)
    scored = next((r for r in runs if r["run_id"] == best.get("refit_of")), best) if best and best.get("refit_of") else best
    out = {
        "last_batch": runs[-1]["batch"] if runs else None,
        "total_training_time": round(sum(r.get("wall_time", 0.0) for r in runs), 2),
        "best_model": None,
        "best_accuracy": 0.0,
        "best_top2_accuracy": 0.0,
        "best_top3_accuracy": 0.0,
    }
    if best is not None:
        out["best_model"] = {"run_id": best["run_id"], "classes": best["classes"], "val_top1": scored["val_top1"],
                             **({"refit_of": best["refit_of"]} if best.get("refit_of") else {})}  # fmt: skip
        out.update(best_accuracy=scored["val_top1"], best_top2_accuracy=scored["val_top2"], best_top3_accuracy=scored["val_top3"])
    return out
