"""The command line starts light: ``--help``/``--version`` and model-free paths never import torch."""

import subprocess
import sys
from pathlib import Path

import mmretrieval
from mmretrieval.cli.main import main

ROOT = Path(__file__).resolve().parent.parent


def imported_after(code: str) -> set:
    """Heavy modules imported by running ``code`` in a fresh interpreter."""
    probe = (f"import sys\n{code}\n"
             "print(' '.join(m for m in ('torch', 'transformers', 'qdrant_client') if m in sys.modules), file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"})
    return set(out.stderr.split())


def test_help_and_version_do_not_import_torch():
    code = ("from mmretrieval.cli.main import main\n"
            "for argv in (['--help'], ['--version'], ['search', '--help'], ['index', '--help'], ['train', '--help'], ['eval', '--help']):\n"
            "    try:\n        main(argv)\n    except SystemExit:\n        pass")
    assert imported_after(code) == set()
    assert imported_after("import mmretrieval; mmretrieval.DEFAULT_MODEL") == set()


def test_version(capsys):
    try:
        main(["--version"])
    except SystemExit as done:
        assert done.code == 0
    assert capsys.readouterr().out.strip() == f"mmretrieval {mmretrieval.__version__}"
    assert mmretrieval.__version__[0].isdigit()
