"""Class-based views: :class:`View` and :class:`MethodView`, as in ``flask.views``.

A view class becomes a view function through :meth:`View.as_view`; the function is
what ``add_url_rule`` registers. Nothing here is on the hot path beyond one instance
(or none, with ``init_every_request = False``) and one method call per request.
"""

from __future__ import annotations

import typing as t

from .globals import current_app, request

#: The lower-case handler names :class:`MethodView` looks for, one per HTTP method
#: it dispatches (Flask's set: ``CONNECT`` has no handler).
http_method_funcs: frozenset[str] = frozenset(
    ("get", "post", "head", "options", "delete", "put", "trace", "patch")
)


class View:
    """A view written as a class: override :meth:`dispatch_request`.

    :meth:`as_view` turns the class into a view function for ``add_url_rule``; each
    request gets a fresh instance built with the arguments given to ``as_view``,
    unless :attr:`init_every_request` is ``False``. URL variables arrive as keyword
    arguments of :meth:`dispatch_request`::

        class Greeting(View):
            def __init__(self, greeting: str) -> None:
                self.greeting = greeting

            def dispatch_request(self, name: str) -> str:
                return f"{self.greeting}, {name}!"

        app.add_url_rule(
            "/hello/<name>", view_func=Greeting.as_view("hello", "Hello")
        )

    Decorators written on the class itself do not reach the view function; list
    them in :attr:`decorators` instead.

    .. versionadded:: 0.1
    """

    #: The HTTP methods the view answers; ``None`` leaves the choice to
    #: ``add_url_rule`` (``GET``, with ``HEAD`` and ``OPTIONS`` added for it).
    methods: t.ClassVar[t.Collection[str] | None] = None

    #: Whether ``OPTIONS`` is answered automatically; ``None`` leaves the choice
    #: to ``add_url_rule`` (yes, unless the view lists ``OPTIONS`` itself).
    provide_automatic_options: t.ClassVar[bool | None] = None

    #: Decorators applied, first to last, to the function :meth:`as_view` builds:
    #: the first one listed ends up innermost, like the lowest ``@`` line.
    decorators: t.ClassVar[list[t.Callable[..., t.Any]]] = []

    #: Build a new instance for every request. ``False`` builds one instance in
    #: :meth:`as_view` and shares it between requests (and threads), so request
    #: data must not be kept on ``self``.
    init_every_request: t.ClassVar[bool] = True

    def dispatch_request(self, **kwargs: t.Any) -> t.Any:
        """Answer the request; the URL variables are the keyword arguments.

        Subclasses override this; the return value is anything a view function
        may return.

        :param kwargs: the rule's URL variables.
        """
        raise NotImplementedError()

    @classmethod
    def as_view(
        cls, name: str, *class_args: t.Any, **class_kwargs: t.Any
    ) -> t.Callable[..., t.Any]:
        """Build the view function that serves requests with this class.

        The function carries ``view_class`` (replace it to serve with another
        class), ``methods`` and ``provide_automatic_options`` from the class, and
        the class's ``__doc__`` and ``__module__``; its ``__name__`` is *name*,
        which ``add_url_rule`` takes as the endpoint when none is given.

        :param name: the view function's name, the default endpoint.
        :param class_args: positional arguments for the class's constructor.
        :param class_kwargs: keyword arguments for the class's constructor.
        """
        view_function: t.Any = None

        if cls.init_every_request:

            def view(**kwargs: t.Any) -> t.Any:
                # Read the class from the finished function, so that a test can
                # swap ``view_class`` after ``as_view``.
                instance = view_function.view_class(*class_args, **class_kwargs)
                return current_app.ensure_sync(instance.dispatch_request)(**kwargs)

        else:
            shared_instance = cls(*class_args, **class_kwargs)

            def view(**kwargs: t.Any) -> t.Any:
                return current_app.ensure_sync(shared_instance.dispatch_request)(
                    **kwargs
                )

        view_function = view
        if cls.decorators:
            # Decorators that copy the name (``functools.wraps``) see the
            # endpoint's, not the closure's.
            view_function.__name__ = name
            view_function.__module__ = cls.__module__
            for decorator in cls.decorators:
                view_function = decorator(view_function)

        view_function.view_class = cls
        view_function.__name__ = name
        view_function.__doc__ = cls.__doc__
        view_function.__module__ = cls.__module__
        view_function.methods = cls.methods
        view_function.provide_automatic_options = cls.provide_automatic_options
        return t.cast("t.Callable[..., t.Any]", view_function)


class MethodView(View):
    """A view that sends each HTTP method to the method of the same name.

    ``GET`` calls :meth:`get`, ``POST`` calls :meth:`post`, and so on; ``HEAD``
    falls back to ``get`` when the class has no ``head``. Unless the class sets
    :attr:`~View.methods` itself, it is computed when the class is created: the
    methods of its bases, plus one for each handler it has (mixins included)::

        class Items(MethodView):
            def get(self) -> list[str]:
                return ["a", "b"]

            def post(self) -> tuple[str, int]:
                return "created", 201

        app.add_url_rule("/items", view_func=Items.as_view("items"))

    .. versionadded:: 0.1
    """

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        if "methods" in cls.__dict__:
            return
        allowed_methods: set[str] = set()
        for base in cls.__bases__:
            base_methods = getattr(base, "methods", None)
            if base_methods:
                allowed_methods.update(base_methods)
        allowed_methods.update(
            handler_name.upper()
            for handler_name in http_method_funcs
            if hasattr(cls, handler_name)
        )
        if allowed_methods:
            cls.methods = allowed_methods

    def dispatch_request(self, **kwargs: t.Any) -> t.Any:
        """Call the handler named after the request's method, with the URL
        variables; ``HEAD`` uses ``get`` when there is no ``head``.

        :param kwargs: the rule's URL variables.
        :raises AssertionError: the class has no handler for the method (it
            lists a method in :attr:`~View.methods` that it does not define).
        """
        method = request.method
        handler = getattr(self, method.lower(), None)
        if handler is None and method == "HEAD":
            handler = getattr(self, "get", None)
        assert handler is not None, f"Unimplemented method {method!r}"
        return current_app.ensure_sync(handler)(**kwargs)


__all__ = ["MethodView", "View", "http_method_funcs"]
