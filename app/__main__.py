"""`python -m app`: serve the app with the HOST and PORT from the settings."""

import uvicorn

from app.config import settings

if __name__ == "__main__":
    uvicorn.run(
        "app.main:app",
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        access_log=settings.access_log,
        proxy_headers=False,
    )
