"""HTTP throughput benchmark: ``python bench/http.py``. The benchmark itself lives in
``bench/throughput.py`` (its docstring lists the goals and the environment), because
a module named ``http`` must do nothing but stand aside: any script in ``bench/`` has
this folder first on ``sys.path``, so an ``import http`` anywhere in it (urllib,
werkzeug, ...) finds this file instead of the standard library's package.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "http":
    # Imported in place of the standard library: put the real package in sys.modules,
    # which the import statement hands back once this body has run.
    import importlib.util
    import sysconfig

    _package = sysconfig.get_paths()["stdlib"] + "/http"
    _spec = importlib.util.spec_from_file_location(
        "http", _package + "/__init__.py", submodule_search_locations=[_package]
    )
    _real = importlib.util.module_from_spec(_spec)
    sys.modules["http"] = _real
    _spec.loader.exec_module(_real)
elif __name__ == "__main__":
    ROOT = Path(__file__).resolve().parent.parent
    sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
    from bench import harness, throughput

    harness.run_main(throughput.main)
