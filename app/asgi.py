"""ASGI entry point for uvicorn workers: `uvicorn app.asgi:app`."""

from app.main import create_app
from reports.render import get_renderer

app = create_app()
# Each server worker starts its PDF render workers now, in the background, so the first
# report printed does not wait for WeasyPrint to load. (Not in create_app: test apps would
# all start processes.)
get_renderer(app).warm(wait=False)
