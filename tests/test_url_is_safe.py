"""url_is_safe: which redirect targets keep the user on an allowed host."""

from __future__ import annotations

import pytest

import microweb
from microweb import url_is_safe

SAFE = [
    "/",
    "/entries/3",
    "/search?q=//evil.example",
    "entries/3",
    "?page=2",
    "#top",
    "https://journal.example/entries",
    "http://journal.example/",
    "HTTPS://Journal.Example/x",
    "//journal.example/entries",
    " /entries",
]
UNSAFE = [
    None,
    "",
    "//evil.example",
    "///evil.example",
    "////evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "https://evil.example/",
    "http://journal.example.evil.example/",
    "https://journal.example@evil.example/",
    "https://user:pass@journal.example/",
    "https:evil.example",
    "https:/evil.example",
    "http:///evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "ftp://journal.example/",
    "/\t/evil.example",
    "/\n/evil.example",
    "/entries\r\nSet-Cookie: x=1",
    "\x00/entries",
    "https://journal.example:99999/",
    "https://[::1/",
]


@pytest.mark.parametrize("target", SAFE)
def test_safe_targets(target: str) -> None:
    assert url_is_safe(target, allowed_hosts=["journal.example"])


@pytest.mark.parametrize("target", UNSAFE)
def test_unsafe_targets(target: str | None) -> None:
    assert not url_is_safe(target, allowed_hosts=["journal.example"])


def test_require_https_refuses_absolute_http_only() -> None:
    hosts = ["journal.example"]
    assert not url_is_safe("http://journal.example/", hosts, require_https=True)
    assert url_is_safe("https://journal.example/", hosts, require_https=True)
    assert url_is_safe("/entries", hosts, require_https=True)


def test_default_allowed_host_is_the_requests() -> None:
    app = microweb.App(__name__)
    with app.test_request_context("/", base_url="http://journal.example:8080"):
        assert url_is_safe("http://journal.example:8080/entries")
        assert not url_is_safe("http://journal.example/entries")
        assert not url_is_safe("http://evil.example/")
        assert url_is_safe("/entries")


def test_outside_a_request_only_paths_are_safe() -> None:
    assert url_is_safe("/entries")
    assert not url_is_safe("https://journal.example/")


def test_a_view_redirects_only_to_safe_targets() -> None:
    app = microweb.App(__name__)

    @app.get("/login")
    def login() -> microweb.Response:
        target = microweb.request.args.get("next")
        if not url_is_safe(target):
            target = microweb.url_for("login")
        return microweb.redirect(target)  # type: ignore[arg-type, return-value]

    client = app.test_client()
    assert client.get("/login?next=/entries").headers["Location"] == "/entries"
    response = client.get("/login?next=//evil.example/")
    assert response.headers["Location"] == "/login"


@pytest.mark.parametrize(
    ("target", "location"),
    [
        ("/next\r\nSet-Cookie: x=1", "/next%0D%0ASet-Cookie:%20x=1"),
        ("/tab\there", "/tab%09here"),
        ("/plain?a=1", "/plain?a=1"),
    ],
)
def test_redirect_encodes_control_characters(target: str, location: str) -> None:
    # Inside an app and outside one: the target cannot end the Location header.
    app = microweb.App(__name__)
    with app.test_request_context():
        inside = microweb.redirect(target)
    outside = microweb.redirect(target)
    for response in (inside, outside):
        headers = response.get_wsgi_headers(
            microweb.testing.EnvironBuilder(app).get_environ()
        )
        assert headers["Location"] == location
        assert "Set-Cookie" not in headers
