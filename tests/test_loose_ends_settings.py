"""Issue 10's loose ends in the settings: the police force default, one line per 403 in the log."""

import os
import re
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


def _base_setting(name: str, **extra_env: str) -> str:
    """The value config/settings/base.py gives ``name`` with this environment (no .env file read)."""
    env = {k: v for k, v in os.environ.items() if k != name}
    env.update({"DJANGO_SECRET_KEY": "x" * 50, **extra_env})
    code = f"import config.settings.base as b; print(b.{name})"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_police_force_is_a_setting_with_the_policys_default():
    assert settings.POLICE_FORCE == "Hertfordshire Constabulary"


def test_the_police_force_is_read_from_the_environment():
    assert _base_setting("POLICE_FORCE", POLICE_FORCE="Police Scotland") == "Police Scotland"


def test_the_police_force_is_documented():
    assert re.search(r"^POLICE_FORCE=Hertfordshire Constabulary$", (ROOT / ".env.example").read_text(), re.M)
    # the first policy version's value: the README's configuration table names it with the others
    readme = (ROOT / "README.md").read_text()
    assert re.search(r"^\| .*`POLICE_FORCE`.* \| NHDC's \| the first policy version only", readme, re.M)
