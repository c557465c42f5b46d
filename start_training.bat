@echo off
REM Train hamrec (Windows). Pass options through, e.g. start_training.bat --include-datasets auslan
python "%~dp0automated_training.py" %*
