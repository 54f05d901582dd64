"""ASGI entry point for uvicorn workers: `uvicorn app.asgi:app`."""

import threading

from app.main import create_app
from app.pdf import get_renderer

# Start the PDF render workers a little after the server, in the background: the first
# report printed then does not wait for WeasyPrint to load, and loading it does not slow the
# first pages a starting server answers. (Not in create_app: test apps would all start
# processes. A report printed sooner starts the workers itself.)
WARM_AFTER_SECONDS = 20.0

app = create_app()
# JOBS=web (the embedded default): this server process runs the background jobs too.
app.state.run_jobs = app.state.settings.jobs == "web"
_warm = threading.Timer(WARM_AFTER_SECONDS, get_renderer(app).warm, kwargs={"wait": False})
_warm.daemon = True
_warm.start()
