"""Names in generated code: the same plan gives the same identifiers, however Python runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from avo_lsp.names import PYTHON_BUILTINS, PYTHON_KEYWORDS, camel_case, python_class_name, snake_case

REPO = Path(__file__).resolve().parents[1]
# Names that collide with builtins only where `site` ran (it adds these six), and ones
# that are builtins everywhere.
NAMES = ["Exit", "License", "Help", "Quit", "Copyright", "Credits", "Id", "Type", "Str", "Match", "Value Error"]

_SCRIPT = """
import json, sys
from avo_lsp.names import snake_case, python_class_name
names = json.loads(sys.argv[1])
print(json.dumps([[snake_case(n), python_class_name(n)] for n in names]))
"""


def _mangled_in_subprocess(*flags: str) -> list[list[str]]:
    # With -S, site-packages is not on the path: the package is found through PYTHONPATH.
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, *flags, "-c", _SCRIPT, json.dumps(NAMES)], env=env, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out)


def test_identifiers_do_not_depend_on_the_site_module():
    without_site = _mangled_in_subprocess("-S")
    with_site = _mangled_in_subprocess()
    assert without_site == with_site == [[snake_case(n), python_class_name(n)] for n in NAMES]
    snake = dict(zip(NAMES, (s for s, _ in with_site)))
    assert (snake["Exit"], snake["License"], snake["Help"], snake["Quit"]) == ("exit", "license", "help", "quit")
    assert (snake["Copyright"], snake["Credits"]) == ("copyright", "credits")
    # Real builtins and keywords still get their `_`: the generated module uses them.
    assert (snake["Id"], snake["Type"], snake["Str"], snake["Match"]) == ("id_", "type_", "str_", "match_")
    assert python_class_name("Value Error") == "ValueError_"


def test_the_written_out_builtins_cover_this_python():
    # If a new Python adds builtins, this fails: extend the set on purpose (it changes
    # generated code), rather than have the output depend on the interpreter.
    out = subprocess.run(
        [sys.executable, "-S", "-c", "import builtins, json, keyword; print(json.dumps([dir(builtins), keyword.kwlist, keyword.softkwlist]))"],
        check=True, capture_output=True, text=True,
    ).stdout
    builtins_, kwlist, softkwlist = json.loads(out)
    assert {n for n in builtins_ if not n.startswith("_")} <= PYTHON_BUILTINS
    assert set(kwlist) | (set(softkwlist) - {"_"}) <= PYTHON_KEYWORDS
    assert not {"copyright", "credits", "exit", "help", "license", "quit"} & PYTHON_KEYWORDS


def test_javascript_names_are_unchanged():
    assert (camel_case("Exit"), camel_case("Id"), camel_case("Type")) == ("exit", "id", "type_")
