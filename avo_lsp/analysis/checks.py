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
    return [Finding(code, message, _place(call, where), data) for code, message, where, data in _problems_of(call, api)]


# A problem of a call before it is placed in the file: (code, message, where, data), where
# `where` is None for the callee, or (argument index, "name" or "value").
_Problem = tuple[str, str, "tuple[int, str] | None", Mapping[str, Any]]
_MEMO_LIMIT = 50_000  # call shapes remembered per source API


def _place(call: CallSite, where: tuple[int, str] | None) -> Span:
    if where is None:
        return call.callee_span
    arg = call.arguments[where[0]]
    return arg.name_span if where[1] == "name" else arg.value_span


def _problems_of(call: CallSite, api: SourceApi) -> tuple[_Problem, ...]:
    """The problems of a call, remembered per source API by the call's shape (function,
    argument names and literal values, whether it is dynamic): they depend on nothing
    else, and a file analysed again after an edit is nearly all calls already seen."""
    shape = _shape(call)
    if shape is None:
        return _problems(call.function, call.arguments, call.dynamic, api)
    memo = api.derived.setdefault("check_memo", {})
    found = memo.get(shape)
    if found is None:
        if len(memo) >= _MEMO_LIMIT:
            memo.clear()
        found = memo[shape] = _problems(call.function, call.arguments, call.dynamic, api)
    return found


def _shape(call: CallSite) -> tuple | None:
    """A hashable key of what the checks read of a call; None when a value cannot be one
    (an object literal). Each value goes with its type: True == 1 and 1 == 1.0 in Python,
    but not to the checks."""
    try:
        return (call.function, call.dynamic, tuple((a.name, _typed(a.value)) for a in call.arguments))
    except TypeError:
        return None


def _typed(value: Any) -> tuple:
    if isinstance(value, list):
        return (list, tuple(_typed(item) for item in value))
    if isinstance(value, dict):
        raise TypeError("an object literal")
    return (type(value), value)


def _problems(function: str, arguments: tuple[Argument, ...], dynamic: bool, api: SourceApi) -> tuple[_Problem, ...]:
    """Where every diagnostic of a call is decided."""
    if function in module_names(api.language):
        return ()  # `init_avo` / `initAvo`: the module's own set-up, not an event
    fn = api.function(function)
    if fn is None:
        return (_unknown_event(function, api),)
    problems: list[_Problem] = []
    passed: dict[str, Argument] = {}
    for index, arg in enumerate(arguments):
        passed.setdefault(arg.name, arg)  # as `call.argument`: the first of a name
        param = fn.parameter(arg.name)
        if param is None:
            problems.append(_unknown_argument(arg.name, index, fn))
        elif (problem := value_problem(param, arg.value, api.language)) is not None:
            problems.append((INVALID_VALUE, f"`{arg.name}`: {problem}", (index, "value"), {"allowed": list(param.allowed or ())}))
    if dynamic:
        return tuple(problems)  # the full set of arguments is unknown: say nothing of what is missing
    missing = [p.name for p in fn.required if p.kind not in (USER_ID, ANONYMOUS_ID) and _absent(passed.get(p.name))]
    if missing:
        names = ", ".join(f"`{m}`" for m in missing)
        problems.append((MISSING_PROPERTY, f"`{fn.name}` ({fn.event.name}) needs {names}", None, {"missing": missing}))
    problems.extend(_identity(passed, fn, api))
    return tuple(problems)


def _identity(passed: Mapping[str, Argument], fn: EventFunction, api: SourceApi) -> list[_Problem]:
    ids = {p.kind: p for p in fn.identity}
    if api.source.is_server:
        if all(_absent(passed.get(p.name)) for p in ids.values()):
            names = " or ".join(f"`{p.name}`" for p in ids.values())
            message = (
                f"`{fn.name}` is a server event of {api.source.name}: pass {names}, "
                "or the event belongs to no user"
            )
            return [(MISSING_USER_IDENTITY, message, None, {"missing": [p.name for p in ids.values()]})]
    elif USER_ID in ids and _absent(passed.get(ids[USER_ID].name)):
        name = ids[USER_ID].name
        message = f"`{fn.name}` identifies the user ({fn.event.name} has the identify action): pass `{name}`"
        return [(MISSING_USER_ID, message, None, {"missing": [name]})]
    return []


def _absent(arg: Argument | None) -> bool:
    """Not passed, or passed as a literal None/null/undefined."""
    return arg is None or arg.value is None


def _unknown_event(function: str, api: SourceApi) -> _Problem:
    names = [f.name for f in api.functions]
    close = difflib.get_close_matches(function, names, n=1, cutoff=0.6)
    hint = f"; did you mean `{close[0]}`?" if close else ""
    message = f"`{function}` is not an event of {api.source.name} in the tracking plan{hint}"
    return (UNKNOWN_EVENT, message, None, {"suggestion": close[0] if close else None})


def _unknown_argument(name: str, index: int, fn: EventFunction) -> _Problem:
    names = [p.name for p in fn.parameters]
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    hint = f"; did you mean `{close[0]}`?" if close else ""
    message = f"`{fn.name}` ({fn.event.name}) takes no argument `{name}`{hint}"
    return (UNKNOWN_ARGUMENT, message, (index, "name"), {"suggestion": close[0] if close else None})


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
