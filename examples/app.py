"""A small microweb app, written as a Flask app is: ``python examples/app.py``.

It serves http://127.0.0.1:5000. Only the import differs from Flask.
"""

from __future__ import annotations

from microweb import IMPLEMENTATION, __version__, abort, g, jsonify, request, url_for
from microweb import App as Flask

app = Flask(__name__)

BOOKS: dict[int, dict[str, object]] = {
    1: {"id": 1, "title": "The Left Hand of Darkness", "year": 1969},
    2: {"id": 2, "title": "Kindred", "year": 1979},
}


@app.before_request
def remember_client() -> None:
    g.client = request.headers.get("User-Agent", "someone")


@app.get("/")
def index() -> str:
    links = "".join(
        f'<li><a href="{url_for("book", book_id=book_id)}">{book["title"]}</a></li>'
        for book_id, book in BOOKS.items()
    )
    return (
        f"<h1>microweb {__version__} ({IMPLEMENTATION} core)</h1>"
        f"<p>Hello, {g.client}.</p><ul>{links}</ul>"
        f'<p><a href="{url_for("books")}">JSON</a></p>'
    )


@app.get("/books")
def books() -> list[dict[str, object]]:
    return list(BOOKS.values())


@app.get("/books/<int:book_id>")
def book(book_id: int) -> dict[str, object]:
    if book_id not in BOOKS:
        abort(404)
    return BOOKS[book_id]


@app.post("/books")
def add_book() -> tuple[dict[str, object], int]:
    data = request.get_json()
    if not isinstance(data, dict) or not isinstance(data.get("title"), str):
        abort(400)
    book_id = max(BOOKS) + 1
    BOOKS[book_id] = {"id": book_id, "title": data["title"], "year": data.get("year")}
    return BOOKS[book_id], 201


@app.errorhandler(404)
def not_found(error: Exception) -> tuple[object, int]:
    return jsonify(error="not found", path=request.path), 404


if __name__ == "__main__":
    app.run()
