"""Where every diagnostic on a call site is decided.

`check_calls` compares call sites (from the per-language finders) with the generated
API of their source (`avo_lsp.api`) and returns `Finding`s with the spec's codes. Pure:
the CLI prints findings, the server turns them into LSP diagnostics.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..api import ANONYMOUS_ID, PROPERTY, USER_ID, EventFunction, Parameter, SourceApi
from ..names import module_names
from ..plan import Span
from .model import UNKNOWN, Argument, CallSite

MISSING_USER_IDENTITY = "missing-user-identity"
MISSING_USER_ID = "missing-user-id"
UNKNOWN_EVENT = "unknown-event"
MISSING_PROPERTY = "missing-property"
UNKNOWN_ARGUMENT = "unknown-argument"
INVALID_VALUE = "invalid-value"

DEFAULT_SEVERITY = {
    MISSING_USER_IDENTITY: "error",
    MISSING_USER_ID: "error",
    UNKNOWN_EVENT: "error",
    MISSING_PROPERTY: "error",
    UNKNOWN_ARGUMENT: "error",
    INVALID_VALUE: "warning",
}
CODE_CODES = tuple(DEFAULT_SEVERITY)


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    span: Span
    # What a quick fix needs: the missing parameter names, the allowed values, a
    # suggested event name... Plain data, never LSP types.
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def severity(self) -> str:
        return DEFAULT_SEVERITY.get(self.code, "error")


def check_calls(calls: Iterable[CallSite], apis: Mapping[Path, SourceApi]) -> list[Finding]:
    findings: list[Finding] = []
    for call in calls:
        api = apis.get(call.module)
        if api is not None:
            findings.extend(check_call(call, api))
    return findings


def check_call(call: CallSite, api: SourceApi) -> list[Finding]:
    if call.function in module_names(api.language):
        return []  # `init_avo` / `initAvo`: the module's own set-up, not an event
    fn = api.function(call.function)
    if fn is None:
        return [_unknown_event(call, api)]
    findings: list[Finding] = []
    for arg in call.arguments:
        param = fn.parameter(arg.name)
        if param is None:
            findings.append(_unknown_argument(arg, fn))
        elif (problem := value_problem(param, arg.value, api.language)) is not None:
            findings.append(Finding(INVALID_VALUE, f"`{arg.name}`: {problem}", arg.value_span, {"allowed": list(param.allowed or ())}))
    if call.dynamic:
        return findings  # the full set of arguments is unknown: say nothing of what is missing
    missing = [p.name for p in fn.required if p.kind not in (USER_ID, ANONYMOUS_ID) and _absent(call, p)]
    if missing:
        names = ", ".join(f"`{m}`" for m in missing)
        findings.append(
            Finding(MISSING_PROPERTY, f"`{fn.name}` ({fn.event.name}) needs {names}", call.callee_span, {"missing": missing})
        )
    findings.extend(_identity(call, fn, api))
    return findings


def _identity(call: CallSite, fn: EventFunction, api: SourceApi) -> list[Finding]:
    ids = {p.kind: p for p in fn.identity}
    if api.source.is_server:
        if all(_absent(call, p) for p in ids.values()):
            names = " or ".join(f"`{p.name}`" for p in ids.values())
            message = (
                f"`{fn.name}` is a server event of {api.source.name}: pass {names}, "
                "or the event belongs to no user"
            )
            return [Finding(MISSING_USER_IDENTITY, message, call.callee_span, {"missing": [p.name for p in ids.values()]})]
    elif USER_ID in ids and _absent(call, ids[USER_ID]):
        name = ids[USER_ID].name
        message = f"`{fn.name}` identifies the user ({fn.event.name} has the identify action): pass `{name}`"
        return [Finding(MISSING_USER_ID, message, call.callee_span, {"missing": [name]})]
    return []


def _absent(call: CallSite, param: Parameter) -> bool:
    """Not passed, or passed as a literal None/null/undefined."""
    arg = call.argument(param.name)
    return arg is None or arg.value is None


def _unknown_event(call: CallSite, api: SourceApi) -> Finding:
    names = [f.name for f in api.functions]
    close = difflib.get_close_matches(call.function, names, n=1, cutoff=0.6)
    hint = f"; did you mean `{close[0]}`?" if close else ""
    message = f"`{call.function}` is not an event of {api.source.name} in the tracking plan{hint}"
    return Finding(UNKNOWN_EVENT, message, call.callee_span, {"suggestion": close[0] if close else None})


def _unknown_argument(arg: Argument, fn: EventFunction) -> Finding:
    names = [p.name for p in fn.parameters]
    close = difflib.get_close_matches(arg.name, names, n=1, cutoff=0.6)
    hint = f"; did you mean `{close[0]}`?" if close else ""
    message = f"`{fn.name}` ({fn.event.name}) takes no argument `{arg.name}`{hint}"
    return Finding(UNKNOWN_ARGUMENT, message, arg.name_span, {"suggestion": close[0] if close else None})


_TYPE_NAMES = {"string": "a string", "int": "an integer", "float": "a number", "bool": "a boolean", "object": "an object"}


def value_problem(param: Parameter, value: Any, language: str) -> str | None:
    """What is wrong with a literal argument value, or None. UNKNOWN is never wrong."""
    if value is UNKNOWN:
        return None
    if value is None:
        return None if not param.required or param.kind != PROPERTY else f"must be {_expected(param)}, not {_null(language)}"
    prop = param.prop
    if prop is None:  # identity and revenue parameters
        if param.kind == "revenue":
            return None if _is_number(value, "float", language) else f"must be a number, not {_show(value, language)}"
        return None if isinstance(value, str) else f"must be a string, not {_show(value, language)}"
    if prop.is_list:
        if not isinstance(value, list):
            return f"must be {_expected(param)}, not {_show(value, language)}"
        for item in value:
            if item is UNKNOWN:
                continue
            problem = _single_problem(param, item, language)
            if problem:
                return f"item {_show(item, language)}: {problem}"
        return None
    return _single_problem(param, value, language)


def _single_problem(param: Parameter, value: Any, language: str) -> str | None:
    prop = param.prop
    assert prop is not None
    kind = prop.type
    if kind == "any":
        return None
    if kind == "string" and not isinstance(value, str):
        return f"must be a string, not {_show(value, language)}"
    if kind == "bool" and not isinstance(value, bool):
        return f"must be {_bool_names(language)}, not {_show(value, language)}"
    if kind in ("int", "float") and not _is_number(value, kind, language):
        return f"must be {_TYPE_NAMES[kind]}, not {_show(value, language)}"
    if kind == "object" and not isinstance(value, dict):
        return f"must be an object, not {_show(value, language)}" if isinstance(value, (str, int, float, bool, list)) else None
    allowed = param.allowed
    if allowed is not None and value not in allowed:
        return f"{_show(value, language)} is not an allowed value; expected one of {', '.join(_show(v, language) for v in allowed)}"
    if prop.min is not None and value < prop.min:
        return f"{_show(value, language)} is below the minimum {prop.min}"
    if prop.max is not None and value > prop.max:
        return f"{_show(value, language)} is above the maximum {prop.max}"
    if prop.regex is not None and re.search(prop.regex, value) is None:
        return f"{_show(value, language)} does not match the pattern {prop.regex}"
    return None


def _is_number(value: Any, kind: str, language: str) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if kind == "int":
        # JavaScript has one number type: 3.0 is an integer there, not in Python.
        return isinstance(value, int) or (language != "python" and float(value).is_integer())
    return True


def _expected(param: Parameter) -> str:
    prop = param.prop
    if prop is None:
        return "a value"
    single = _TYPE_NAMES.get(prop.type, "a value")
    return f"a list of {prop.type} values" if prop.is_list else single


def _null(language: str) -> str:
    return "None" if language == "python" else "null"


def _bool_names(language: str) -> str:
    return "True or False" if language == "python" else "true or false"


def _show(value: Any, language: str) -> str:
    if language == "python":
        return repr(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)
