"""Which rules of an app can never answer, and for which methods: the report of
``microweb routes``.

Every rule is probed with sample URLs built from its own converters; the app's
router says which rule answers each one. A rule that answers none of its samples is
unreachable, one that loses some of its methods is shadowed. Working from samples,
the report can miss a case a sample does not reach; it never invents one.
"""

from __future__ import annotations

import itertools
import math
import re
import typing as t
from dataclasses import dataclass

from werkzeug.routing import AnyConverter, BaseConverter
from werkzeug.routing.converters import NumberConverter

if t.TYPE_CHECKING:
    from .app import App
    from .routing import Map, Rule

#: The methods a rule that allows every method is checked for.
PROBED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Texts tried as values of a variable, in this order; a converter keeps the first
# few its regex and ``to_python`` accept. Varied lengths and shapes (a number, a
# path of segments, a UUID) so that one rival with a narrower converter cannot take
# them all.
_SAMPLE_TEXTS = (
    "probe",
    "1",
    "probe/path",
    "1.5",
    "00000000-0000-4000-8000-000000000000",
    "p",
    "0",
    "42",
    "probe-sample-value",
    "a/b/c",
    "-1",
    "0.5",
    "true",
    "2024-01-01",
    *("p" * length for length in range(2, 65)),
)
_SAMPLES_PER_VARIABLE = 5
_MAX_URLS = 64


@dataclass(frozen=True)
class RuleFinding:
    """A rule that ``microweb routes`` reports, and why.

    :param rule: the rule.
    :param kind: ``"unreachable"`` (no request reaches it), ``"shadowed"`` (some of
        its methods never reach it), ``"partly shadowed"`` (some values of its
        ``any`` variables never reach it) or ``"unchecked"`` (no value could be
        made for one of its converters).
    :param message: what happens instead, for people.

    .. versionadded:: 0.1
    """

    rule: Rule
    kind: str
    message: str


def _number_texts(converter: BaseConverter) -> list[str]:
    """Values at a number converter's bounds and fixed width."""
    if not isinstance(converter, NumberConverter):
        return []
    texts = []
    for value in (converter.min, converter.max, 1):
        if value is not None:
            try:
                texts.append(converter.to_url(value))
            except Exception:
                continue
    return texts


def _sample_values(converter: BaseConverter) -> tuple[list[t.Any], bool]:
    """Values for one variable, and whether they are all it accepts (an ``any``)."""
    exhaustive = isinstance(converter, AnyConverter)
    if exhaustive:
        candidates: t.Iterable[str] = sorted(t.cast(AnyConverter, converter).items)
    else:
        candidates = (*_number_texts(converter), *_SAMPLE_TEXTS)
    pattern = re.compile(converter.regex)
    values: list[t.Any] = []
    seen: set[str] = set()
    for text in candidates:
        if text in seen or not pattern.fullmatch(text):
            continue
        seen.add(text)
        try:
            values.append(converter.to_python(text))
        except Exception:
            continue
        if not exhaustive and len(values) == _SAMPLES_PER_VARIABLE:
            break
    return values, exhaustive


def _sample_urls(rule: Rule) -> tuple[list[tuple[str, str, str]], bool] | str:
    """``(domain, path, shown)`` URLs built from *rule* and whether they cover all
    it matches; or the name of a variable no value could be made for."""
    converters: dict[str, BaseConverter] = rule._converters
    choices = []
    exhaustive = True
    for name, converter in converters.items():
        values, complete = _sample_values(converter)
        if not values:
            return name
        choices.append([(name, value) for value in values])
        exhaustive = exhaustive and complete
    if math.prod(len(values) for values in choices) <= _MAX_URLS:
        combinations: t.Iterable[tuple[tuple[str, t.Any], ...]] = itertools.product(
            *choices
        )
    else:  # one value of each variable at a time, cycling
        exhaustive = False
        longest = max(len(values) for values in choices)
        combinations = (
            tuple(values[index % len(values)] for values in choices)
            for index in range(longest)
        )
    urls = []
    for combination in combinations:
        built = rule.build(dict(combination), append_unknown=False)
        if built is not None:
            domain, path = built
            shown = f"{domain}{path}" if rule.map.host_matching else path
            urls.append((domain.lower(), path, shown))
    return urls, exhaustive


def _written_methods(rule: Rule) -> tuple[str, ...]:
    """The methods *rule* was written for: not the ``HEAD`` that ``GET`` implies,
    nor the automatic ``OPTIONS``; :data:`PROBED_METHODS` for all methods."""
    if rule.methods is None:
        return PROBED_METHODS
    methods = set(rule.methods)
    if "GET" in methods:
        methods.discard("HEAD")
    if getattr(rule, "provide_automatic_options", False):
        methods.discard("OPTIONS")
    return tuple(sorted(methods))


def _describe_outcome(outcome: t.Any) -> str:
    rule, result = outcome
    if rule is not None:
        return f"{rule.rule} ({rule.endpoint})"
    if isinstance(result, str):
        return f"a redirect to {result}"
    if result:
        return "405 Method Not Allowed"
    if result is None:
        return "400 Bad Request (a WebSocket rule for HTTP, or the other way round)"
    return "404 Not Found"


def _domain_problem(app: App, rule: Rule) -> str | None:
    """Why the host or subdomain of *rule* can never be the request's."""
    url_map = app.url_map
    if url_map.host_matching:
        if not rule.host:
            return "host matching is on and the rule names no host"
        return None
    subdomain = rule.subdomain or ""
    if not app.subdomain_matching:
        served = url_map.default_subdomain or ""
        if subdomain != served:
            return (
                f"its subdomain is {subdomain!r} but the app, created without"
                f" subdomain_matching=True, only matches {served!r}"
            )
    elif subdomain and not app.config["SERVER_NAME"]:
        return f"its subdomain {subdomain!r} is only matched with SERVER_NAME set"
    return None


def _probe(
    url_map: Map, rule: Rule, urls: list[tuple[str, str, str]]
) -> dict[str, dict[str, t.Any]]:
    """For each written method, each URL's outcome: ``(rule, args)``, or ``(None,
    redirect path, allowed methods or None)``; a WebSocket rule is probed with
    WebSocket requests."""
    # The matcher itself, not MapAdapter.match: an alias, defaults or redirect_to
    # would raise a redirect after the match and hide which rule matched.
    matcher = url_map._matcher
    return {
        method: {
            shown: matcher.match(domain, path, method, rule.websocket)
            for domain, path, shown in urls
        }
        for method in _written_methods(rule)
    }


def _summarize(by_url: dict[str, t.Any]) -> str:
    """Which URLs went where, in a phrase: a few URLs, then the distinct rules (or
    errors) that took them."""
    urls = list(by_url)
    shown = ", ".join(urls[:3]) + (", ..." if len(urls) > 3 else "")
    taken = ", ".join(dict.fromkeys(map(_describe_outcome, by_url.values())))
    return f"{shown} {'goes' if len(urls) == 1 else 'go'} to {taken}"


def _check_rule(app: App, rule: Rule) -> RuleFinding | None:
    problem = _domain_problem(app, rule)
    if problem is not None:
        return RuleFinding(rule, "unreachable", problem)
    sampled = _sample_urls(rule)
    if isinstance(sampled, str):
        return RuleFinding(
            rule, "unchecked", f"no value could be made for its variable {sampled!r}"
        )
    urls, exhaustive = sampled
    if not urls:
        return RuleFinding(rule, "unchecked", "no URL could be built from it")
    results = _probe(app.url_map, rule, urls)
    lost = [
        method
        for method, by_url in results.items()
        if all(outcome[0] is not rule for outcome in by_url.values())
    ]
    if lost:
        kind = "unreachable" if len(lost) == len(results) else "shadowed"
        # The outcomes are the same for every lost method but in rare cases
        # (a rival taking only some methods): each method is described.
        phrases = dict.fromkeys(_summarize(results[method]) for method in lost)
        if len(phrases) == 1:
            message = f"{', '.join(lost)}: {next(iter(phrases))}"
        else:
            message = "; ".join(
                f"{method}: {_summarize(results[method])}" for method in lost
            )
        return RuleFinding(rule, kind, message)
    if exhaustive:
        return _partly_shadowed(rule, results)
    return None


def _partly_shadowed(
    rule: Rule, results: dict[str, dict[str, t.Any]]
) -> RuleFinding | None:
    """The values of ``any`` variables that never reach *rule* for some method."""
    missed = []
    for method, by_url in results.items():
        for shown, outcome in by_url.items():
            if outcome[0] is not rule:
                missed.append(f"{method} {shown} goes to {_describe_outcome(outcome)}")
    if not missed:
        return None
    return RuleFinding(rule, "partly shadowed", "; ".join(missed))


def find_shadowed_rules(app: App) -> list[RuleFinding]:
    """Check every rule of *app* that can be matched, and return those that
    requests cannot fully reach.

    :meth:`Map.add <microweb.routing.Map.add>` already refuses a rule whose pattern
    and methods an earlier rule takes. What is left, and found here:

    * a rule whose host or subdomain no request can have (a subdomain without
      ``subdomain_matching`` or ``SERVER_NAME``; no host with ``host_matching``);
    * a rule that other rules take first, through a different pattern that matches
      the same URLs (static parts before variables, then converters by weight, then
      the first added). For each method the rule was written for, URLs are built
      from the rule itself (up to five values per variable, every value of an
      ``any``) and matched by the app's router: a method none of them reaches is
      reported, with the rules that took them.

    Rules that are only built (``build_only``) are not checked.

    :raises TypeError: the app's ``url_map`` is not a :class:`microweb.routing.Map`
        (the check asks microweb's router).

    .. versionadded:: 0.1
    """
    from .routing import Map

    if not isinstance(app.url_map, Map):
        raise TypeError(
            f"the rules can only be checked on a microweb.routing.Map, not on"
            f" {type(app.url_map).__name__}"
        )
    app.url_map.update()
    findings = []
    for rule in app.url_map.iter_rules():
        if rule.build_only:
            continue
        finding = _check_rule(app, rule)
        if finding is not None:
            findings.append(finding)
    return findings
