"""`chargen generate` (every strategy, beam, --compare, --json), `chargen info` and `chargen runs` run in a process
that never imports TensorFlow or Keras."""
import json
import subprocess
import sys

from chargen_core.generate import STRATEGIES
from test_cli import REPO

COMMANDS = [
    *[["generate", "--strategy", name, "--length", "30", "--seed", "1"] for name in STRATEGIES],
    ["generate", "--strategy", "beam", "--beams", "3", "--length", "20", "--json"],
    ["generate", "--compare", "--length", "10", "--seed", "2", "--json", "--prompt", "The "],
    ["generate", "default", "--which", "last", "--length", "10"],
    ["info", "--json"],
    ["info", "--corpus", "nietzsche"],
    ["runs", "--json"],
]

CHILD = """
import json, sys
from chargen_core.cli import main
codes = [main(argv) for argv in json.loads(sys.argv[1])]
print(json.dumps({"codes": codes, "heavy": sorted({"tensorflow", "keras"} & set(sys.modules))}))
"""


def test_generate_info_and_runs_never_import_tensorflow():
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(COMMANDS)], cwd=REPO, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"codes": [0] * len(COMMANDS), "heavy": []}, out.stderr
    assert "strategies" in out.stdout  # --compare --json printed its table


def test_the_generate_command_line_imports_no_tensorflow_module():
    """The same through `python -X importtime -m chargen_core`: no module of TensorFlow or Keras at all."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "chargen_core", "generate", "--length", "200"],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert len(out.stdout) == 201  # 200 characters and the newline
    modules = {line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")}
    assert "numpy" in modules
    assert not {m for m in modules if m.split(".")[0] in ("tensorflow", "keras", "tf_keras", "textual")}
