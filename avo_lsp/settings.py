"""The server's settings, validated: an unknown or ill-typed setting gets a message and
the default, never a crash. They arrive as `initializationOptions` and as the `avo`
section of `workspace/configuration`, with the same names."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Mapping

from .analysis.checks import DEFAULT_SEVERITY
from .plan import PLAN_ERROR_CODES

REGENERATE_MODES = ("onSave", "onChange", "off")
SEVERITIES = ("error", "warning", "information", "hint", "off")
MAX_DEBOUNCE_MS = 10_000


@dataclass(frozen=True)
class Settings:
    plan_path: str | None = None  # relative to the workspace root, or absolute
    regenerate: str = "onSave"
    debounce_ms: int = 100
    severity: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def severity_of(self, code: str, default: str) -> str:
        return self.severity.get(code, default)


def parse_settings(raw: Any, base: Settings | None = None) -> tuple[Settings, list[str]]:
    """Settings from a client's JSON value, and a message for each value set aside."""
    settings = base or Settings()
    problems: list[str] = []
    if raw is None:
        return settings, problems
    if not isinstance(raw, dict):
        return settings, [f"avo settings must be an object, not {type(raw).__name__}; using the defaults"]
    if isinstance(raw.get("avo"), dict):  # some clients nest the section once more
        raw = {**raw, **raw["avo"]}
        raw.pop("avo")
    changes: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "planPath":
            if value is None or (isinstance(value, str) and value.strip()):
                changes["plan_path"] = value
            else:
                problems.append(f"avo.planPath must be a path, not {value!r}; using the default")
        elif key == "regenerate":
            if value in REGENERATE_MODES:
                changes["regenerate"] = value
            else:
                problems.append(f"avo.regenerate must be one of {', '.join(REGENERATE_MODES)}, not {value!r}; using {settings.regenerate!r}")
        elif key == "debounceMs":
            if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= MAX_DEBOUNCE_MS:
                changes["debounce_ms"] = int(value)
            else:
                problems.append(f"avo.debounceMs must be a number from 0 to {MAX_DEBOUNCE_MS}, not {value!r}; using {settings.debounce_ms}")
        elif key == "severity":
            if not isinstance(value, dict):
                problems.append(f"avo.severity must be an object mapping diagnostic codes to severities, not {value!r}")
                continue
            severity = {}
            for code, level in value.items():
                if code not in DEFAULT_SEVERITY and code not in PLAN_ERROR_CODES:
                    problems.append(f"avo.severity: unknown diagnostic code {code!r}")
                elif level not in SEVERITIES:
                    problems.append(f"avo.severity.{code} must be one of {', '.join(SEVERITIES)}, not {level!r}")
                else:
                    severity[code] = level
            changes["severity"] = MappingProxyType(severity)
        elif key in ("server", "trace"):  # the editor extension's own settings
            continue
        else:
            problems.append(f"unknown avo setting {key!r}; known settings: planPath, regenerate, debounceMs, severity")
    return replace(settings, **changes), problems

