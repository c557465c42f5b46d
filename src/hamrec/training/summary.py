"""``training_summary.json``: the seed's keys, every run, the best model — always valid JSON.

Accuracies are fractions 0-1 everywhere (the seed mixed percent and fractions).
"""

from __future__ import annotations

import json
from pathlib import Path

from ..atomic import write_json

SUMMARY_NAME = "training_summary.json"


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
        path = Path(model_dir) / SUMMARY_NAME
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
        write_json(self.path, self.data)

    def run(self, run_id: str) -> dict | None:
        return next((r for r in self.data["training_runs"] if r["run_id"] == run_id), None)

    def record_run(self, record: dict) -> None:
        self.data["training_runs"].append(record)
        self.data["last_batch"] = record["batch"]
        self.data["total_training_time"] = round(self.data["total_training_time"] + record.get("wall_time", 0.0), 2)
        self.save()
