"""config.trust: which machine is CI, and where each mode reads policy from."""

from __future__ import annotations

import pytest

from prreview.config.trust import CI_FLAGS, CI_PRESENT, PolicyTree, decide, is_ci
from prreview.errors import ConfigError


@pytest.mark.parametrize("name", CI_FLAGS)
def test_flag_variables_mean_ci(name: str) -> None:
    assert is_ci({name: "true"}) and is_ci({name: "1"})
    assert not is_ci({name: "false"}) and not is_ci({name: ""})


@pytest.mark.parametrize("name", CI_PRESENT)
def test_present_variables_mean_ci(name: str) -> None:
    assert is_ci({name: "x"}) and not is_ci({name: " "})


def _repo(git_repo):
    repo = git_repo()
    repo.write("a.py", "x = 1\n")
    base = repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("a.py", "x = 2\n")
    head = repo.commit("change")
    return repo, base, head


def test_decisions(git_repo) -> None:
    repo, base, head = _repo(git_repo)
    on = {"repo": repo.path}
    assert (decide({**on, "base": "main"}, {}).source, decide({**on, "base": "main"}, {}).rev) == (
        "base",
        base,
    )
    fallback = decide(on, {})  # no CI, no --base: the fallback base, still a range
    assert (fallback.mode, fallback.source, fallback.rev, fallback.head_rev) == (
        "range", "base", base, head,
    )  # fmt: skip
    assert decide({**on, "working_tree": True}, {}).source == "head"
    assert decide({**on, "staged": True}, {"JENKINS_URL": "x"}).source == "none"
    assert decide({**on, "staged": True, "config_source": "base"}, {}).rev == head
    assert decide({**on, "config_source": "head"}, {"CI": "true"}).source == "head"
    none = decide({**on, "config_source": "none"}, {})
    assert (none.source, none.config_file) == ("base", False)


def test_policy_tree_refuses_symlinks_leaving_the_repository(git_repo, tmp_path) -> None:
    repo = git_repo()
    (repo.path / "out.j2").symlink_to(tmp_path / "x")
    (repo.path / "up.j2").symlink_to("../../x")
    (repo.path / "in.j2").symlink_to("sub/real.j2")
    repo.write("sub/real.j2", "REAL\n")
    repo.write("a.py", "x = 1\n")
    repo.commit("base")
    (tmp_path / "x").write_text("OUTSIDE\n")
    for trust in (decide({"repo": repo.path, "base": "HEAD"}, {}),
                  decide({"repo": repo.path, "working_tree": True}, {})):  # fmt: skip
        with PolicyTree(trust) as tree:
            assert tree.read_policy("in.j2", "template") == "REAL\n"
            for name in ("out.j2", "up.j2"):
                with pytest.raises(ConfigError, match="outside the repository"):
                    tree.read_policy(name, "template")
                assert tree.read_text(name) is None
            assert tree.read_policy("../a.py", "template") is None
            assert tree.read_policy("missing", "template") is None
