"""Item 9: supply chain: the litellm pin, .pth files that run code, pinned Actions."""

from __future__ import annotations

import re
import site
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.security.support import PROJECT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# Known `.pth` files with `import` lines on this machine, each checked by hand:
ALLOWED_PTH = {
    # setuptools: makes `import distutils` pick setuptools' copy.
    "distutils-precedence.pth",
    # the test machine's sandbox installs its egress CA certificate; not a project dependency.
    "_sandboxing_egress_ca.pth",
}
ALLOWED_PTH_PATTERNS = (
    # editable installs (pip/setuptools, hatch): finder hooks for `pip install -e`.
    re.compile(r"^__editable__\..*\.pth$"),
    re.compile(r"^_editable_impl_.*\.pth$"),
)


def test_litellm_requirement_excludes_compromised_releases() -> None:
    data = tomllib.loads((PROJECT / "pyproject.toml").read_text())
    reqs = [Requirement(r) for r in data["project"]["dependencies"]]
    litellm = [r for r in reqs if r.name == "litellm"]
    assert len(litellm) == 1
    for bad in ("1.82.7", "1.82.8"):
        assert not litellm[0].specifier.contains(bad, prereleases=True), bad


def _site_dirs() -> list[Path]:
    dirs = [*site.getsitepackages(), site.getusersitepackages()]
    return [Path(d) for d in dirs if Path(d).is_dir()]


def test_no_unexpected_pth_file_executes_code() -> None:
    unexpected = []
    for directory in _site_dirs():
        for pth in directory.glob("*.pth"):
            if pth.name in ALLOWED_PTH or any(p.match(pth.name) for p in ALLOWED_PTH_PATTERNS):
                continue
            lines = pth.read_text(encoding="utf-8", errors="replace").splitlines()
            if any(line.startswith(("import ", "import\t")) for line in lines):
                unexpected.append(str(pth))
    assert unexpected == []


def test_action_pins_third_party_actions_by_sha() -> None:
    action = PROJECT / "action.yml"
    if not action.exists():
        pytest.skip("action.yml does not exist yet")
    uses = re.findall(r"^\s*-?\s*uses:\s*['\"]?([^\s'\"#]+)", action.read_text(), re.M)
    for ref in uses:
        if ref.startswith(("./", "docker://")):
            continue
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), ref
