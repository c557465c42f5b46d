@echo off
REM Run hamrec inference (Windows) on the best model with plots.
python "%~dp0inference_hamnosys.py" --model-path models\hamnosys\main_model\best_model.keras --visualize %*
