"""utils.plumbing.cli, utils.plumbing.paths, utils.plumbing.errors, utils.showing.plotting and
utils.plumbing.runtime: the scripts' plumbing."""

import argparse
import os
import subprocess
import sys

import matplotlib.pyplot as plt
import numpy as np
import pytest

from utils.plumbing import cli, paths
from utils.plumbing.errors import BadInputError
from utils.showing import plotting


def make_parser():
    parser = cli.new_parser("test")
    cli.add_series_flags(parser, csv="x.csv", date_col="Date", value_col="Value", window=12)
    cli.add_training_flags(parser, epochs=5, units=8)
    cli.add_output_flags(parser)
    return parser


def test_defaults_and_flags_are_parsed():
    args = cli.parse_flags(make_parser(), ["--window", "6", "--no-show"])
    assert (args.window, args.epochs, args.units, args.seed, args.no_show) == (6, 5, 8, 42, True)


def test_fitting_flags_have_the_given_defaults_and_reject_nonsense(capsys):
    parser = cli.new_parser("test")
    cli.add_fitting_flags(parser, learning_rate=3e-3, batch_size=128, patience=3)
    args = cli.parse_flags(parser, [])
    assert (args.learning_rate, args.batch_size, args.patience) == (3e-3, 128, 3)
    assert cli.parse_flags(parser, ["--patience", "7"]).patience == 7
    with pytest.raises(SystemExit) as caught:
        cli.parse_flags(parser, ["--learning-rate", "0"])
    assert caught.value.code == 2 and "--learning-rate" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--window", "0"], ["--window", "1 or more"]),
        (["--epochs", "x"], ["whole number"]),
        (["--windw", "3"], ["unknown flag", "--windw"]),
        (["--wind", "3"], ["unknown flag", "--wind"]),
    ],
)
def test_bad_flags_exit_2_with_one_line(capsys, argv, words):
    with pytest.raises(SystemExit) as caught:
        cli.parse_flags(make_parser(), argv)
    assert caught.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error:")
    for word in words:
        assert word in err


def test_positive_float_rejects_zero_and_text():
    assert cli.positive_float("0.5") == 0.5
    for text in ("0", "-1", "nan", "inf", "abc"):
        with pytest.raises(argparse.ArgumentTypeError):  # what argparse turns into its one-line error
            cli.positive_float(text)


def test_output_dir_is_created_under_outputs_and_never_inside_data(tmp_path, monkeypatch):
    assert paths.output_dir("case", tmp_path / "out") == (tmp_path / "out").resolve()
    assert (tmp_path / "out").is_dir()
    monkeypatch.setattr(paths, "OUTPUTS_DIR", tmp_path / "outputs")
    assert paths.output_dir("some-case") == tmp_path / "outputs" / "some-case"
    assert (tmp_path / "outputs" / "some-case").is_dir()
    with pytest.raises(BadInputError, match="inside data/"):
        paths.output_dir("case", paths.DATA_DIR / "sub")


def test_repo_root_holds_the_project():
    assert (paths.REPO_ROOT / "utils" / "__init__.py").is_file()
    assert paths.data_file("monthly_milk_production.csv").is_file()


def test_save_figure_writes_a_png_without_a_display(tmp_path, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    fig, ax = plt.subplots()
    ax.plot(np.arange(3))
    path = plotting.save_figure(fig, tmp_path / "plot.png", show=True)  # show=True must not hang headless
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_input_error_becomes_one_line_and_exit_code_2():
    code = (
        "from utils.plumbing.errors import BadInputError, exit_cleanly_on_bad_input\n"
        "exit_cleanly_on_bad_input()\n"
        "raise BadInputError('the file is wrong; fix it')"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=paths.REPO_ROOT, capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip() == "error: the file is wrong; fix it"


def test_other_errors_keep_their_traceback():
    code = (
        "from utils.plumbing.errors import exit_cleanly_on_bad_input\n"
        "exit_cleanly_on_bad_input()\n"
        "raise KeyError('bug')"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=paths.REPO_ROOT, capture_output=True, text=True)
    assert result.returncode == 1 and "Traceback" in result.stderr


def test_a_console_that_cannot_show_a_symbol_gets_a_question_mark_not_a_crash():
    env = {**os.environ, "PYTHONIOENCODING": "cp1252"}
    result = subprocess.run(
        [sys.executable, "-c", "import utils; print('∂loss/∂x ‖ 5 °C')"],
        cwd=paths.REPO_ROOT,
        capture_output=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode("cp1252").strip() == "?loss/?x ? 5 °C"


def test_inside_an_interactive_kernel_the_kernels_argv_is_ignored(monkeypatch):
    # An IDE's interactive window runs cells in a Jupyter kernel whose sys.argv is its own.
    monkeypatch.setattr(sys, "argv", ["/env/lib/ipykernel_launcher.py", "--f=/tmp/kernel-1234.json"])
    args = cli.parse_flags(make_parser())
    assert (args.window, args.epochs, args.no_show) == (12, 5, False)


@pytest.mark.parametrize("writes_a_file", [False, True])
def test_a_run_that_ends_on_bad_input_leaves_no_empty_output_folder(tmp_path, writes_a_file):
    """The folders output_dir created are removed on a bad-input exit, unless the run wrote into them."""
    import textwrap

    target = tmp_path / "new" / "deeper"
    script = textwrap.dedent(f"""
        from utils.plumbing import errors, paths
        errors.exit_cleanly_on_bad_input()
        folder = paths.output_dir("case", {str(target)!r})
        if {writes_a_file}:
            (folder / "metrics.json").write_text("{{}}")
        raise errors.BadInputError("a bad flag; fix it")
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         cwd=paths.REPO_ROOT)
    assert run.returncode == 2 and run.stderr.strip() == "error: a bad flag; fix it"
    assert (tmp_path / "new").exists() == writes_a_file
    assert tmp_path.exists()  # a folder that was there before is never removed


# What TensorFlow's C++ code prints while it loads, before any log level applies.
TENSORFLOW_STARTUP_LINES = ("All log messages before absl::InitializeLog()", "Could not find cuda drivers",
                            "oneDNN custom operations", "This TensorFlow binary is optimized")
NO_JAX = "jax is not installed, so the JAX backend cannot be tried (pip install jax jaxlib to run this)"
ON_JAX = dict(os.environ, KERAS_BACKEND="jax", PYTHONPATH=str(paths.REPO_ROOT))


def has_jax():
    import importlib.util

    return importlib.util.find_spec("jax") is not None


@pytest.mark.skipif(not has_jax(), reason=NO_JAX)
def test_on_the_jax_backend_no_tensorflow_startup_line_reaches_stderr():
    """Keras seeds TensorFlow on every backend (keras.utils.set_random_seed loads it when installed):
    a script that seeds with set_seed, trains and predicts on JAX prints none of TensorFlow's lines."""
    script = (
        "from utils.plumbing.runtime import backend_name, set_seed\n"
        "import keras, numpy as np\n"
        "set_seed(1)\n"
        "model = keras.Sequential([keras.Input((3, 1)), keras.layers.LSTM(2), keras.layers.Dense(1)])\n"
        "model.compile(optimizer='adam', loss='mse')\n"
        "model.fit(np.zeros((8, 3, 1), 'float32'), np.zeros(8, 'float32'), verbose=0)\n"
        "print(backend_name(), model.predict(np.zeros((1, 3, 1), 'float32'), verbose=0).shape)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=ON_JAX,
                            cwd=paths.REPO_ROOT, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["jax", "(1,", "1)"]
    for line in TENSORFLOW_STARTUP_LINES:
        assert line not in result.stderr, result.stderr[-3000:]


@pytest.mark.skipif(not has_jax(), reason=NO_JAX)
def test_case_17_4_on_the_jax_backend_says_it_needs_tensorflow_in_one_line():
    """Its gradients come from tf.GradientTape: on JAX it stops at once, without a traceback."""
    from conftest import assert_clean_failure

    script = paths.REPO_ROOT / "week17" / "Case17-4-TF-Vanishing-Exploding-Gradients.py"
    result = subprocess.run([sys.executable, str(script), "--quick", "--no-show"], capture_output=True,
                            text=True, env=ON_JAX, cwd=paths.REPO_ROOT, timeout=300)
    assert_clean_failure(result, "KERAS_BACKEND=tensorflow", "jax")
