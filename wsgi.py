"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi ...``.

A setting that stops Procure from starting ends the process at once, with one line on
stderr naming it: exit status 1, or under gunicorn the status that makes its master
give up ("App failed to load.") instead of starting workers again and again."""

import sys

from procure import ConfigError, create_app
from procure.cli import check_config_app

# gunicorn's Arbiter.APP_LOAD_ERROR: a worker exiting with it halts the master.
GUNICORN_APP_LOAD_ERROR = 4

try:
    app = create_app()
except ConfigError as error:
    if "check-config" in sys.argv[1:]:
        # `flask --app wsgi check-config`: let the command name every problem.
        app = check_config_app()
    else:
        print(f"procure: cannot start: {error}", file=sys.stderr, flush=True)
        sys.exit(GUNICORN_APP_LOAD_ERROR if "gunicorn.arbiter" in sys.modules else 1)
