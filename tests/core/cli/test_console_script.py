"""The installed `chargen` console script in pipes and odd environments: a reader of stdout that stops early,
no terminal for the app, and a Keras backend other than TensorFlow in the environment or in keras.json."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
CHARGEN = Path(sys.executable).parent / "chargen"
STDOUT_CLOSED = 141  # 128 + SIGPIPE


@pytest.fixture(scope="module", autouse=True)
def console_script():
    assert CHARGEN.exists(), f"no console script at {CHARGEN}: install the package (pip install -e .)"


def script_env(**extra) -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO), "CHARGEN_DEBUG": "", **extra}


def test_a_reader_that_stops_early_ends_generate_quietly():
    # A million characters cannot fit in the pipe's buffer: the script is still writing when the reader leaves.
    proc = subprocess.Popen([CHARGEN, "generate", "--prompt", "the ", "--length", "1000000", "--seed", "1"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=script_env())
    try:
        head = proc.stdout.read(20)
        proc.stdout.close()
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert len(head) == 20
    assert err == b""
    assert proc.returncode == STDOUT_CLOSED


@pytest.mark.parametrize("argv", [["--help"], ["--corpus", "builtin", "--help"], ["--version"], ["generate", "--help"],
                                  ["runs", "--json"]])
def test_every_command_ends_quietly_when_stdout_is_already_closed(argv):
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte: any write to stdout fails
    try:
        proc = subprocess.run([CHARGEN, *argv], stdin=subprocess.DEVNULL, stdout=write_end,
                              stderr=subprocess.PIPE, env=script_env(), timeout=120)
    finally:
        os.close(write_end)
    assert proc.stderr == b""
    assert proc.returncode == STDOUT_CLOSED


def test_the_app_without_a_terminal_says_so_at_once_and_exits_2():
    for stdin in (subprocess.DEVNULL, "pty"):  # neither end a terminal; then input from a terminal, output a pipe
        master, slave = os.openpty()
        try:
            proc = subprocess.run([CHARGEN], stdin=slave if stdin == "pty" else stdin, capture_output=True,
                                  text=True, env=script_env(), timeout=60)
        finally:
            os.close(master)
            os.close(slave)
        assert proc.returncode == 2, proc.stderr[-500:]
        assert proc.stdout == ""
        [line] = proc.stderr.splitlines()
        assert "needs a terminal" in line and "chargen generate" in line and "chargen --help" in line


def test_help_version_and_commands_still_work_in_pipes():
    def run(*argv):
        return subprocess.run([CHARGEN, *argv], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              env=script_env(), timeout=60)

    version = run("--version")
    assert version.returncode == 0 and version.stdout.startswith("chargen ")
    app_help = run("--help")
    assert app_help.returncode == 0 and "chargen generate" in app_help.stdout
    command_help = run("generate", "--help")
    assert command_help.returncode == 0 and "--prompt" in command_help.stdout


@pytest.mark.parametrize("where, backend", [("environment", "jax"), ("environment", "torch"),
                                            ("keras.json", "jax")])
def test_generate_runs_on_tensorflow_whatever_backend_keras_is_told(tmp_path, where, backend):
    keras_home = tmp_path / "keras"  # also keeps Keras from writing a keras.json into the real home
    keras_home.mkdir()
    env = script_env(KERAS_HOME=str(keras_home))
    env.pop("KERAS_BACKEND", None)
    if where == "environment":
        env["KERAS_BACKEND"] = backend
    else:
        (keras_home / "keras.json").write_text(json.dumps({"backend": backend, "floatx": "float32"}))
    proc = subprocess.run([CHARGEN, "generate", "--prompt", "the ", "--length", "5", "--seed", "1"],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr[-500:]
    assert proc.stderr == ""
    assert len(proc.stdout) == 6 and proc.stdout.endswith("\n")  # five characters and the closing newline


def test_trainers_take_gpu_memory_as_they_need_it_so_several_share_a_gpu():
    """Each run trains in its own process: TensorFlow's default (nearly all GPU memory at start) would leave a
    second trainer on the same GPU none. A user's own setting wins."""
    import os
    import subprocess
    import sys

    code = ("import os; from chargen_core.cli.common import import_tensorflow_quietly; "
            "import_tensorflow_quietly(); print(os.environ['TF_FORCE_GPU_ALLOW_GROWTH'])")
    env = {k: v for k, v in os.environ.items() if k != "TF_FORCE_GPU_ALLOW_GROWTH"}
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=120).stdout.strip() == "true"
    env["TF_FORCE_GPU_ALLOW_GROWTH"] = "false"
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=120).stdout.strip() == "false"
