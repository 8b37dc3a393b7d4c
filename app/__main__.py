"""`python -m app [COMMAND]`: serve the app (no command), or run one of the admin commands."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
