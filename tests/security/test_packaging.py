"""Item 9: supply chain: the lock, the litellm pin, unexpected .pth files, pinned Actions."""

from __future__ import annotations

import re
import site
import sys
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.security.support import PROJECT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

LOCKS = PROJECT / "requirements"

# The `.pth` files allowed in site-packages, each checked by hand (docs/security.md, ".pth files"):
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


def test_no_unexpected_pth_file_is_installed() -> None:
    """Any other `.pth` file fails: `import` lines run at every start, paths shadow modules."""
    unexpected = [
        str(pth)
        for directory in _site_dirs()
        for pth in sorted(directory.glob("*.pth"))
        if pth.name not in ALLOWED_PTH and not any(p.match(pth.name) for p in ALLOWED_PTH_PATTERNS)
    ]
    assert unexpected == []


def test_the_allowed_pth_list_is_the_documented_one() -> None:
    text = (PROJECT / "docs" / "security.md").read_text(encoding="utf-8")
    section = text.split("### `.pth` files", 1)[1].split("\n#", 1)[0]
    documented = set(re.findall(r"^\| `([^`]+)`", section, re.M))
    documented |= set(re.findall(r"^\| `[^`]+`, `([^`]+)`", section, re.M))
    patterns = {
        p.pattern.replace(r"\.", ".").replace(".*", "*")[1:-1] for p in ALLOWED_PTH_PATTERNS
    }
    assert documented == ALLOWED_PTH | patterns


# --------------------------------------------------------------------------- the lock


def _lock(name: str) -> dict[str, Requirement]:
    """name -> `name==version ; marker` for the entries of requirements/NAME.txt that apply here."""
    text = (LOCKS / name).read_text(encoding="utf-8").replace("\\\n", " ")
    pins: dict[str, Requirement] = {}
    for line in text.splitlines():
        line = line.split(" --hash=")[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        req = Requirement(line)
        assert len(req.specifier) == 1 and next(iter(req.specifier)).operator == "==", line
        if req.marker is None or req.marker.evaluate():
            pins[canonicalize_name(req.name)] = req
    return pins


def _pin(req: Requirement) -> str:
    return next(iter(req.specifier)).version


def _declared(extra: str | None = None) -> list[Requirement]:
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    deps = list(project["dependencies"])
    if extra:
        deps += project["optional-dependencies"][extra]
    return [Requirement(d) for d in deps]


def _applies(req: Requirement, extra: str = "") -> bool:
    return req.marker is None or req.marker.evaluate({**default_environment(), "extra": extra})


@pytest.mark.parametrize("name", ["runtime.txt", "dev.txt"])
def test_every_lock_entry_is_pinned_and_hashed(name: str) -> None:
    text = (LOCKS / name).read_text(encoding="utf-8")
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    for entry in entries:
        assert re.match(r"^[\w.-]+==\S+", entry), entry[:80]
        assert "--hash=sha256:" in entry, f"{entry.split()[0]} has no --hash"


@pytest.mark.parametrize(("name", "extra"), [("runtime.txt", None), ("dev.txt", "dev")])
def test_the_lock_satisfies_pyproject(name: str, extra: str | None) -> None:
    """A dependency added to pyproject.toml without re-locking fails here."""
    pins = _lock(name)
    for req in _declared(extra):
        if not _applies(req):
            continue
        key = canonicalize_name(req.name)
        assert key in pins, f"{req} is not in requirements/{name}: run requirements/lock.sh"
        assert req.specifier.contains(_pin(pins[key]), prereleases=True), (req, pins[key])


def test_the_runtime_lock_agrees_with_the_dev_lock() -> None:
    dev = _lock("dev.txt")
    for key, req in _lock("runtime.txt").items():
        assert key in dev and _pin(dev[key]) == _pin(req), req


def _installed_closure() -> dict[str, str]:
    """Every installed distribution prreview[dev] needs here, with its installed version."""
    found: dict[str, str] = {}
    todo = [(req, "") for req in _declared("dev")]
    while todo:
        req, extra = todo.pop()
        key = canonicalize_name(req.name)
        if not _applies(req, extra) or (key in found and not req.extras):
            continue
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            found[key] = "<missing>"
            continue
        found[key] = dist.version
        for sub in (Requirement(r) for r in dist.requires or ()):
            todo += [(sub, e) for e in ("", *req.extras)]
    return found


def test_installed_distributions_are_the_locked_versions() -> None:
    """What `pip install --require-hashes -r requirements/dev.txt` left is exactly the lock."""
    locked = {key: _pin(req) for key, req in _lock("dev.txt").items()}
    installed = _installed_closure()
    wrong = {
        k: (v, locked.get(k, "<not locked>")) for k, v in installed.items() if locked.get(k) != v
    }
    assert wrong == {}, "installed vs locked; run .ci/run's install, or requirements/lock.sh"
    assert set(locked) <= set(installed), set(locked) - set(installed)


def test_action_pins_third_party_actions_by_sha() -> None:
    action = PROJECT / "action.yml"
    if not action.exists():
        pytest.skip("action.yml does not exist yet")
    uses = re.findall(r"^\s*-?\s*uses:\s*['\"]?([^\s'\"#]+)", action.read_text(), re.M)
    for ref in uses:
        if ref.startswith(("./", "docker://")):
            continue
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), ref
