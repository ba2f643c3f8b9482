"""Type stubs for the compiled routing kernel; the pure twin has the same names."""

from collections.abc import Callable
from typing import Any

from typing_extensions import disjoint_base

IMPLEMENTATION: str
SEGMENT_SAFE: str

class SlashRequired(Exception): ...

@disjoint_base
class Target:
    rule: Any
    methods: frozenset[str] | None
    strict_slashes: bool
    merge_slashes: bool
    names: tuple[str, ...]
    converters: tuple[Any, ...]
    defaults: dict[str, Any] | None
    plain: bool
    websocket: bool
    def __init__(
        self,
        rule: Any,
        methods: frozenset[str] | None,
        strict_slashes: bool,
        merge_slashes: bool,
        names: tuple[str, ...],
        converters: tuple[Any, ...],
        defaults: dict[str, Any] | None,
        websocket: bool = False,
    ) -> None: ...
    def accepts(self, method: str) -> bool: ...
    def convert(self, values: list[str]) -> dict[str, Any]: ...

@disjoint_base
class Misses:
    methods: set[str]
    websocket: bool
    def __init__(self) -> None: ...
    def outcome(self) -> set[str] | None: ...

@disjoint_base
class Transition:
    key: tuple[Any, ...]
    weight: Any
    final: bool
    suffixed: bool
    min_length: int
    max_length: int
    match: Callable[[str], Any] | None
    group_indexes: tuple[int, ...]
    state: State
    def __init__(self, part: tuple[Any, ...], state: State) -> None: ...
    def capture(self, text: str) -> list[str] | None: ...

@disjoint_base
class State:
    static: dict[str, State]
    dynamic: list[Transition]
    targets: list[Target]
    by_method: dict[str, Target]
    any_method: Target | None
    default: State
    captures: tuple[Transition, ...]
    positions: tuple[int, ...]
    plain: bool
    def __init__(self) -> None: ...

@disjoint_base
class Matcher:
    merge_slashes: bool
    def __init__(self, merge_slashes: bool) -> None: ...
    def add(
        self,
        parts: list[tuple[Any, ...]],
        target: Target,
        claimed: frozenset[str] | None,
    ) -> Any: ...
    def compile(self) -> None: ...
    def match(
        self, domain: str, path_info: str, method: str, websocket: bool = False
    ) -> tuple[Any, Any]: ...

def quote_segment(value: str) -> str: ...
def build(template: tuple[Any, ...], values: dict[str, Any]) -> str: ...
