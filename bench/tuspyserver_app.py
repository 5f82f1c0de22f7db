"""tuspyserver, the Python tus server, on FastAPI: the reference bench/uploads.sh compares with.

Run with uvicorn; files go to TUS_FILES_DIR.
"""

import os

from fastapi import FastAPI
from tuspyserver import create_tus_router

app = FastAPI()
app.include_router(create_tus_router(prefix="files", files_dir=os.environ["TUS_FILES_DIR"], max_size=1 << 40))
