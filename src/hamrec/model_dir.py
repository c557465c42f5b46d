"""Names inside a model folder (``--model-dir``), shared by training, inference and the report."""

BEST, LATEST, SUMMARY = "best_model.keras", "latest_model.keras", "training_summary.json"
LOGS, VIS, RESUME = "logs", "visualizations", ".resume"  # run logs and CSVs; plots and report; state while running
