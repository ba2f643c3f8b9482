"""Jinja2 templating, as Flask does it.

Each app owns one :class:`Environment`, made the first time ``app.jinja_env`` is
read, so an app that never renders never builds one. Its loader,
:class:`DispatchingJinjaLoader`, searches the app's template folder first, then each
blueprint's in registration order, which lets an app override a blueprint's
templates. The render functions fill the context from the context processors and
send the ``before_render_template`` and ``template_rendered`` signals.
"""

from __future__ import annotations

import typing as t

from jinja2 import BaseLoader, Template, TemplateNotFound
from jinja2 import Environment as BaseEnvironment

from .ctx import has_request_context
from .globals import context_var, current_app, request
from .helpers import stream_with_context
from .signals import before_render_template, template_rendered

if t.TYPE_CHECKING:
    from .app import App
    from .scaffold import Scaffold

#: What a Jinja loader's ``get_source`` returns: the source, its file name and a
#: function telling whether it is still up to date.
SourceTriple = tuple[str, str | None, t.Callable[[], bool] | None]
TemplateNames = str | Template | list[str | Template]


def _default_template_context_processor() -> dict[str, t.Any]:
    """``g``, and in a request ``request``: the objects themselves, quicker to
    reach than the proxies among the globals.

    ``session`` stays the global proxy, as in Flask: only a template that reads
    it opens the session and makes the response vary on ``Cookie``.
    """
    context = context_var.get(None)
    if context is None:
        return {}
    values: dict[str, t.Any] = {"g": context.g}
    if context.request_context is not None:
        values["request"] = context.request_context.request
    return values


class Environment(BaseEnvironment):
    """A Jinja environment bound to an app; its loader is the app's global loader
    (:meth:`~microweb.App.create_global_jinja_loader`) unless *options* name one.

    :param app: the app the environment belongs to.
    :param options: Jinja's :class:`jinja2.Environment` options.

    .. versionadded:: 0.1
    """

    def __init__(self, app: App, **options: t.Any) -> None:
        if "loader" not in options:
            options["loader"] = app.create_global_jinja_loader()
        super().__init__(**options)
        self.app = app


class DispatchingJinjaLoader(BaseLoader):
    """Find a template in the app's template folder, then in each blueprint's,
    in registration order; the first folder holding the name wins.

    With ``EXPLAIN_TEMPLATE_LOADING`` set, every folder is tried and the app's
    logger tells which ones held the template.

    :param app: the app whose loaders are searched.

    .. versionadded:: 0.1
    """

    def __init__(self, app: App) -> None:
        self.app = app

    def get_source(self, environment: BaseEnvironment, template: str) -> SourceTriple:
        """The source of *template* from the first loader that has it."""
        if self.app.config["EXPLAIN_TEMPLATE_LOADING"]:
            return self._get_source_explained(environment, template)
        for _owner, loader in self._iter_loaders():
            try:
                return loader.get_source(environment, template)
            except TemplateNotFound:
                continue
        raise TemplateNotFound(template)

    def _get_source_explained(
        self, environment: BaseEnvironment, template: str
    ) -> SourceTriple:
        attempts: list[tuple[Scaffold, BaseLoader, SourceTriple | None]] = []
        for owner, loader in self._iter_loaders():
            try:
                source: SourceTriple | None = loader.get_source(environment, template)
            except TemplateNotFound:
                source = None
            attempts.append((owner, loader, source))
        self.app.logger.info(explain_template_loading(template, attempts))
        for _owner, _loader, found in attempts:
            if found is not None:
                return found
        raise TemplateNotFound(template)

    def _iter_loaders(self) -> t.Iterator[tuple[Scaffold, BaseLoader]]:
        if self.app.jinja_loader is not None:
            yield self.app, self.app.jinja_loader
        for blueprint in self.app.iter_blueprints():
            if blueprint.jinja_loader is not None:
                yield blueprint, blueprint.jinja_loader

    def list_templates(self) -> list[str]:
        """Every template name any of the loaders knows, once each."""
        names: set[str] = set()
        for _owner, loader in self._iter_loaders():
            names.update(loader.list_templates())
        return list(names)


def _describe_owner(owner: Scaffold) -> str:
    from .blueprints import Blueprint

    if isinstance(owner, Blueprint):
        return f"blueprint {owner.name!r} ({owner.import_name})"
    return f"application {owner.import_name!r}"


def _describe_loader(loader: BaseLoader) -> list[str]:
    kind = type(loader)
    lines = [f"class: {kind.__module__}.{kind.__name__}"]
    for name, value in sorted(vars(loader).items()):
        if name.startswith("_"):
            continue
        if isinstance(value, (list, tuple)):
            lines.append(f"{name}:")
            lines.extend(f"  {item}" for item in value)
        elif isinstance(value, (str, int, float, bool)):
            lines.append(f"{name}: {value!r}")
    return lines


def explain_template_loading(
    template: str, attempts: list[tuple[Scaffold, BaseLoader, SourceTriple | None]]
) -> str:
    """The report ``EXPLAIN_TEMPLATE_LOADING`` logs: each loader tried for
    *template*, in order, and whether it had the template.

    :param template: the template name looked up.
    :param attempts: ``(owner, loader, source or None)`` for each loader tried.

    .. versionadded:: 0.1
    """
    lines = [f"Looking up template {template!r}:"]
    for number, (owner, loader, source) in enumerate(attempts, start=1):
        lines.append(f"{number:5}: loader of {_describe_owner(owner)}")
        lines.extend(f"       {line}" for line in _describe_loader(loader))
        if source is None:
            lines.append("       -> not there")
        else:
            lines.append(f"       -> found at {source[1] or '<string>'!r}")
    found = sum(source is not None for _owner, _loader, source in attempts)
    if found == 0:
        lines.append("Error: no loader has this template.")
    elif found > 1:
        lines.append("Warning: several loaders have this template; the first wins.")
    if found != 1 and has_request_context() and request.blueprint is not None:
        lines.append(
            f"  The lookup came from an endpoint of the blueprint"
            f" {request.blueprint!r}: is the template in the right folder?"
        )
    return "\n".join(lines)


def _render(app: App, template: Template, context: dict[str, t.Any]) -> str:
    app.update_template_context(context)
    before_render_template.send(
        app, _async_wrapper=app.ensure_sync, template=template, context=context
    )
    rendered = template.render(context)
    template_rendered.send(
        app, _async_wrapper=app.ensure_sync, template=template, context=context
    )
    return rendered


def _stream(app: App, template: Template, context: dict[str, t.Any]) -> t.Iterator[str]:
    app.update_template_context(context)
    before_render_template.send(
        app, _async_wrapper=app.ensure_sync, template=template, context=context
    )

    def generate() -> t.Iterator[str]:
        yield from template.generate(context)
        template_rendered.send(
            app, _async_wrapper=app.ensure_sync, template=template, context=context
        )

    chunks = generate()
    if has_request_context():
        return stream_with_context(chunks)  # type: ignore[no-any-return]
    return chunks


def _current_app() -> App:
    return current_app._get_current_object()  # type: ignore[attr-defined, no-any-return]


def render_template(template_name_or_list: TemplateNames, **context: t.Any) -> str:
    """Render a template from the app's template folders with *context*.

    :param template_name_or_list: a template name, a :class:`jinja2.Template`, or a
        list of them, of which the first that exists is rendered.
    :param context: the variables the template sees, on top of the context
        processors' (which they override).

    .. versionadded:: 0.1
    """
    app = _current_app()
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _render(app, template, context)


def render_template_string(source: str, **context: t.Any) -> str:
    """Render a template from *source* (autoescaped) with *context*.

    .. versionadded:: 0.1
    """
    app = _current_app()
    return _render(app, app.jinja_env.from_string(source), context)


def stream_template(
    template_name_or_list: TemplateNames, **context: t.Any
) -> t.Iterator[str]:
    """Render a template as it is iterated, for a streamed response; in a request,
    the request context stays available to the template while it streams.

    Takes the arguments of :func:`render_template`.

    .. versionadded:: 0.1
    """
    app = _current_app()
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _stream(app, template, context)


def stream_template_string(source: str, **context: t.Any) -> t.Iterator[str]:
    """Render a template from *source* as it is iterated; see
    :func:`stream_template`.

    .. versionadded:: 0.1
    """
    app = _current_app()
    return _stream(app, app.jinja_env.from_string(source), context)


__all__ = [
    "DispatchingJinjaLoader",
    "Environment",
    "explain_template_loading",
    "render_template",
    "render_template_string",
    "stream_template",
    "stream_template_string",
]
