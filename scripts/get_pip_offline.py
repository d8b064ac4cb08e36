"""Offline stand-in for ansible-test's get-pip.py (installed by scripts/setup.sh).

ansible-test bootstraps pip into each virtualenv it creates (``--venv``, sanity
venvs) by running a get-pip.py downloaded from ci-files.testing.ansible.com,
unless a copy is cached in ~/.ansible/test/cache/. That host is unreachable on
our machines, so this file is that cached copy: it installs the pip bundled
with Python (ensurepip), then lets that pip install what ansible-test asked for
(e.g. ``pip==24.2``) from the configured package index.
"""

from __future__ import annotations

import ensurepip
import os
import subprocess
import sys

# get-pip.py options that are not pip-install options.
_GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}


def main() -> int:
    args = [arg for arg in sys.argv[1:] if arg not in _GET_PIP_ONLY]
    ensurepip.bootstrap(upgrade=True)
    # ensurepip sets PIP_CONFIG_FILE=/dev/null in this process, which would hide
    # the machine's pip configuration (CA bundle, index) from the install below.
    os.environ.pop("PIP_CONFIG_FILE", None)
    return subprocess.call([sys.executable, "-m", "pip", "install", *args])


if __name__ == "__main__":
    sys.exit(main())
