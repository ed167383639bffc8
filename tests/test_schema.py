"""The JSON Schema shipped in the package: what the YAML language server uses to complete
and validate `avo.yaml` in any editor. It must accept every plan the loader accepts
(the example, which is the spec's reference plan, and the starter plan) and reject what the loader rejects
for its shape (unknown keys, wrong types, missing required keys, unknown choices)."""

from __future__ import annotations

import copy
import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml

from avo_lsp.loader import load_plan_text

REPO = Path(__file__).resolve().parents[1]
PLANS = {
    "example": REPO / "examples" / "shop" / "avo.yaml",
    "starter": REPO / "avo_lsp" / "templates" / "avo.yaml",
}


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = json.loads(resources.files("avo_lsp").joinpath("schema/avo-plan.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


@pytest.mark.parametrize("name", PLANS)
def test_the_plans_we_ship_are_valid(validator, name: str) -> None:
    text = PLANS[name].read_text()
    assert load_plan_text(text, PLANS[name]).errors == ()
    assert list(validator.iter_errors(yaml.safe_load(text))) == []


def _broken(change) -> dict:
    plan = copy.deepcopy(yaml.safe_load(PLANS["example"].read_text()))
    change(plan)
    return plan


BROKEN = {
    "an unknown top-level key": lambda p: p.update(evnts={}),
    "no version": lambda p: p.pop("version"),
    "another version": lambda p: p.update(version=2),
    "an unknown platform": lambda p: p["sources"]["Backend"].update(platform="desktop"),
    "an unknown language": lambda p: p["sources"]["Backend"].update(language="ruby"),
    "a source without a path": lambda p: p["sources"]["Backend"].pop("path"),
    "an unknown property type": lambda p: p["properties"]["Total"].update(type="decimal"),
    "min as a string": lambda p: p["properties"]["Total"].update(min="zero"),
    "an unknown action": lambda p: p["events"]["Checkout Completed"].update(actions=["log_event", "refund"]),
    "an event without sources": lambda p: p["events"]["Checkout Completed"].pop("sources"),
    "a reference with an unknown key": lambda p: p["events"]["Checkout Completed"]["properties"].append({"name": "Total", "sometimes": True}),
}


@pytest.mark.parametrize("what", BROKEN)
def test_what_the_loader_rejects_for_its_shape_the_schema_rejects(validator, what: str) -> None:
    plan = _broken(BROKEN[what])
    assert list(validator.iter_errors(plan)), f"the schema accepts {what}"
    assert any(e.code == "plan-schema" for e in load_plan_text(yaml.safe_dump(plan), PLANS["example"]).errors)

