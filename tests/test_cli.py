"""Command lines: every seed option with its default, switchable booleans, clear errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hamrec.cli.main import main as hamrec_main
from hamrec.cli.train import build_parser, choose_datasets

from .conftest import ROOT


def run(*args):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT)


def test_training_help_lists_seed_options_with_defaults():
    # the seed's options; --lr changed from the seed's 0.0005 to 0.002 and --patience from 30 to 20 (README, BENCHMARKS.md)
    out = run("automated_training.py", "--help").stdout
    blocks = {b.split()[0]: " ".join(b.split()) for b in ("\n" + out).split("\n  --")[1:]}
    blocks = {"--" + k: v for k, v in blocks.items()}
    for opt, default in [("--epochs", "500"), ("--patience", "20"), ("--lr", "0.002"), ("--log-file", "training_log.txt"),
                         ("--augment-factor", "15"), ("--data-root", "datasets"), ("--model-dir", "models/hamnosys/main_model"),
                         ("--max-classes-per-batch", "15"), ("--accuracy-threshold", "0.9"), ("--seed", "0")]:  # fmt: skip
        assert f"(default: {default})" in blocks[opt], blocks.get(opt)
    for opt in ("--include-datasets", "--no-restart", "--run-inference", "--no-run-inference", "--gpu", "--no-gpu"):
        assert opt in out


def test_defaults_and_booleans_both_ways():
    a = build_parser().parse_args([])
    assert (a.epochs, a.patience, a.lr, a.augment_factor, a.max_classes_per_batch, a.accuracy_threshold) == (500, 20, 0.002, 15, 15, 0.9)
    assert a.restart and a.run_inference and not a.gpu and a.log_file == "training_log.txt"
    b = build_parser().parse_args(["--no-restart", "--no-run-inference", "--gpu"])
    assert not b.restart and not b.run_inference and b.gpu
    c = build_parser().parse_args(["--restart", "--run-inference", "--no-gpu"])
    assert c.restart and c.run_inference and not c.gpu


@pytest.mark.parametrize("args,message", [
    (["--epochs", "0"], "argument --epochs: got 0; expected a number of at least 1"),
    (["--lr", "-1"], "argument --lr: got -1.0; expected a number above 0"),
    (["--accuracy-threshold", "90"], "argument --accuracy-threshold: got 90.0; expected a fraction above 0 and at most 1"),
    (["--patience", "ten"], "argument --patience: got 'ten'; expected a whole number"),
    (["--bogus"], "unrecognized arguments: --bogus"),
])  # fmt: skip
def test_invalid_values_are_refused(args, message):
    out = run("automated_training.py", *args)
    assert out.returncode == 2 and message in out.stderr


def test_unknown_dataset_is_a_clear_error(tmp_path):
    out = run("automated_training.py", "--include-datasets", "nosuch", "--data-root", str(tmp_path), "--model-dir", str(tmp_path / "m"),
              "--log-file", str(tmp_path / "l.txt"))  # fmt: skip
    assert out.returncode == 2 and "'nosuch' is neither a folder under --data-root" in out.stderr


def test_default_dataset_choice(tmp_path):
    names, why = choose_datasets(None, str(tmp_path))
    assert names == ["builtin"] and "BUILT-IN" in why
    (tmp_path / "hamnosys2motion").mkdir()
    names, why = choose_datasets(None, str(tmp_path))
    assert names == ["hamnosys2motion"]
    assert choose_datasets(["auslan"], str(tmp_path))[0] == ["auslan"]


def test_inference_help_and_hamrec_commands(capsys):
    out = run("inference_hamnosys.py", "--help").stdout
    for opt in ("--model-path", "--input", "--data-dir", "--top-k", "--json", "--output-dir", "--visualize"):
        assert opt in out
    assert hamrec_main([]) == 0 and "train" in capsys.readouterr().out
    assert hamrec_main(["nope"]) == 2


def test_data_inspect_shows_label_rules_and_names_the_files_of_a_too_small_class(tmp_path, capsys):
    import numpy as np

    for label, names in {"hallo": ["a.npy", "b.npy"], "welt": ["0a1b-532692340931.npy"]}.items():
        (tmp_path / label).mkdir()
        for n in names:
            np.save(tmp_path / label / n, np.random.default_rng(0).normal(size=(6, 2, 1)).astype(np.float32))
    assert hamrec_main(["data", "inspect", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "labels from folder <label>/<file>: 3 recordings" in out
    assert "PROBLEM class 'welt' has 1 recording" in out and "0a1b-532692340931.npy" in out


def test_data_inspect_says_what_training_does_with_a_recording_of_another_layout(tmp_path, capsys):
    import numpy as np

    (tmp_path / "hallo").mkdir()
    for i in range(3):
        np.save(tmp_path / "hallo" / f"{i}.npy", np.zeros((6, 2, 1), np.float32))
    np.save(tmp_path / "hallo" / "odd.npy", np.zeros((6, 5, 1), np.float32))
    assert hamrec_main(["data", "inspect", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "PROBLEM: 1 recordings have another layout than the other 3; training skips them" in out
    assert f"PROBLEM {tmp_path / 'hallo' / 'odd.npy'}: layout 'array' with 5 points x 1 dims; expected layout 'array' with 2 points" in out
