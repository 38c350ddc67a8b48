from __future__ import annotations

import base64

import pytest

from prreview.checks import run_checks
from prreview.checks.secrets import SecretsCheck, find_secrets, is_secret_file, redact
from prreview.models import fingerprint
from prreview.secrets.patterns import shannon_entropy
from tests.checks_support import finding_text, make_file
from tests.security.canaries import Canary, make_canaries, python_module

# Token-shaped values are assembled at run time so this file holds no real-looking secret.
AWS_ID = "AKIA" + "Q7ZR2M4XK9PLW3NB"
AWS_SECRET = "wJalrXUtnF" + "EMIk7MDENGbPxRfiCYz" + "Q9aLx3Tm2Kp"
GH_TOKEN = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
GH_PAT = "github_pat_" + "11ABCDEFG0" + "x" * 20 + "Yz9" * 10 + "Q1w2E3r4"
GL_TOKEN = "glpat-" + "Xy9zAb3Cd5Ef7Gh1Ij2K"
SLACK_TOKEN = "xoxb-" + "123456789012-1234567890123-" + "AbCdEfGhIjKlMnOpQrStUvWx"
SLACK_HOOK = (
    "https://hooks.slack.com/services/" + "T0AAAAAAA/B0BBBBBBB/" + "cCcCcCcC1dDdDdDd2eEeEeEe"
)
STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc9"
GOOGLE = "AIza" + "SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"
PASSWORD = "Xk9#mQ2" + "$vLp8wZ"
KEY_BODY = "MIIEowIBAAKCAQEA" + "7bq5Yt1Xk2Lm9Np0Qr3St6Uv8Wx4Yz"


def check(lines: list[str], path: str = "app/settings.py", **kw: object) -> list:
    return list(SecretsCheck().check(make_file(path, lines, **kw)))  # type: ignore[arg-type]


def assert_no_leak(findings: list, secret: str) -> None:
    assert findings
    for f in findings:
        text = finding_text(f)
        assert secret not in text
        assert secret[4:] not in text


@pytest.mark.parametrize(
    ("line", "secret", "rule_id"),
    [
        (f'AWS_KEY_ID = "{AWS_ID}"', AWS_ID, "secrets/aws-access-key"),
        (f'aws_secret_access_key = "{AWS_SECRET}"', AWS_SECRET, "secrets/aws-secret-key"),
        (f'token = "{GH_TOKEN}"', GH_TOKEN, "secrets/github-token"),
        (f"export GH={GH_PAT}", GH_PAT, "secrets/github-token"),
        (f"url = 'https://oauth2:{GL_TOKEN}@gitlab.com/x.git'", GL_TOKEN, "secrets/gitlab-token"),
        (f'SLACK = "{SLACK_TOKEN}"', SLACK_TOKEN, "secrets/slack-token"),
        (f'hook = "{SLACK_HOOK}"', SLACK_HOOK, "secrets/slack-webhook"),
        (f"stripe.api_key = '{STRIPE}'", STRIPE, "secrets/stripe-key"),
        (f'const mapsKey = "{GOOGLE}";', GOOGLE, "secrets/google-api-key"),
        (f'db_password = "{PASSWORD}"', PASSWORD, "secrets/generic-secret"),
        (f'{{"apiKey": "{PASSWORD}"}}', PASSWORD, "secrets/generic-secret"),
        (f'connect(password="{PASSWORD}")', PASSWORD, "secrets/generic-secret"),
        (f'clientSecret := "{PASSWORD}"', PASSWORD, "secrets/generic-secret"),
    ],
)
def test_secret_is_found_without_leaking(line: str, secret: str, rule_id: str) -> None:
    findings = check(["x = 1", line])
    assert [f.rule_id for f in findings] == [rule_id]
    f = findings[0]
    assert f.start_line == f.end_line == 2
    assert f.source == "builtin" and f.evaluator == "builtin" and f.evaluators == ("builtin",)
    assert f.category == "security" and "security" in f.tags
    assert line[f.start_column - 1 : f.end_column] == secret
    assert_no_leak(findings, secret)


def test_mask_keeps_only_the_public_prefix() -> None:
    [f] = check([f'key = "{AWS_ID}"'])
    assert "`AKIA****************`" in f.message
    assert f.severity == "critical" and f.confidence >= 0.9


def test_fingerprint_is_over_the_masked_line() -> None:
    other_id = "AKIA" + "B" * 16
    [a] = check([f'key = "{AWS_ID}"'])
    [b] = check([f'key = "{other_id}"'])
    assert a.fingerprint == b.fingerprint
    masked = 'key = "AKIA****************"'
    assert a.fingerprint == fingerprint("secrets/aws-access-key", "app/settings.py", [masked])
    assert a.fingerprint != fingerprint(
        "secrets/aws-access-key", "app/settings.py", [f'key = "{AWS_ID}"']
    )


def test_private_key_block() -> None:
    lines = ["-----BEGIN RSA PRIVATE KEY-----", KEY_BODY, "-----END RSA PRIVATE KEY-----"]
    findings = check(lines, path="deploy/key.txt")
    assert [(f.rule_id, f.start_line) for f in findings] == [("secrets/private-key", 1)]
    encrypted = ["-----BEGIN RSA PRIVATE KEY-----", "Proc-Type: 4,ENCRYPTED"]
    assert [f.rule_id for f in check(encrypted)] == ["secrets/private-key"]
    # a header in code that handles keys, with no key material after it
    assert check(['HEADER = "-----BEGIN RSA PRIVATE KEY-----"', "parse(HEADER)"]) == []
    assert check(["-----BEGIN EC PRIVATE KEY-----"]) == []
    inline = f'KEY = "-----BEGIN PRIVATE KEY-----\\n{KEY_BODY}\\n-----END PRIVATE KEY-----"'
    findings = check([inline])
    assert [f.rule_id for f in findings] == ["secrets/private-key"]
    assert_no_leak(findings, KEY_BODY)


@pytest.mark.parametrize(
    "line",
    [
        'password = "changeme"',
        'password = "xxxxxxxxxxxx"',
        'password = "${DB_PASSWORD}"',
        'api_key = "<your-api-key>"',
        'password = ""',
        'password = os.environ["DB_PASSWORD"]',
        'token = os.getenv("TOKEN")',
        'tokenizer = "bert-base-uncased"',
        'author = "Jane Q. Public-9x"',
        'token_url = "https://example.com/oauth/token"',
        'password_hash = "$2b$12$abcdefghijk"',
        'secret_name = "prod/db/credentials"',
        'if password == "Xk9#mQ2$vLp8wZ":',
        'password = "aaaaaaaaaaaa"',
        'TOKEN_ENV = "GITHUB_TOKEN"',
        'token = "ghs_secretTOKENvalue123"',
        'password = "MyPassword123!"',
        "key = 'AKIAIOSFODNN7EXAMPLE'",
        "stripe_key = 'sk_test_" + "4eC39HqLyjWDarjtT1zdp7dc'",
        "version = 'ghp_short'",
        "x = 'AKIA" + "Q7ZR2M4XK9PLW3NBEXTRA'",
    ],
)
def test_non_secrets_are_not_reported(line: str) -> None:
    assert check([line]) == []


def test_only_added_lines_are_checked() -> None:
    file = make_file("a.py", ["x = 1"], context_before=(f'key = "{AWS_ID}"',))
    assert list(SecretsCheck().check(file)) == []


def test_unquoted_assignments_only_in_config_files() -> None:
    line = "DB_PASSWORD=Zq8xLm3Np!7w"
    for path in (".env.production", "deploy/prod.env", "conf/app.ini", "k8s/values.yaml"):
        assert [f.rule_id for f in check([line], path=path)] == ["secrets/generic-secret"], path
    assert check(["DB_PASSWORD = Zq8xLm3Np!7w"], path="app/settings.py") == []
    assert check(["DB_PASSWORD=${DB_PASSWORD}"], path=".env.production") == []


def test_secrets_run_on_skipped_files() -> None:
    file = make_file("vendor/lib.js", [f'var k = "{GH_TOKEN}";'], skip_reason="vendored")
    findings = run_checks([file])
    assert [f.rule_id for f in findings] == ["secrets/github-token"]


def test_sensitive_file_added() -> None:
    added = make_file(".env", ["A=1"], status="added")
    findings = list(SecretsCheck().check(added))
    assert [(f.rule_id, f.start_line) for f in findings] == [("secrets/sensitive-file", None)]
    example = make_file(".env.example", ["A=1"], status="added")
    assert list(SecretsCheck().check(example)) == []
    modified = make_file("id_rsa", ["x"], status="modified")
    assert list(SecretsCheck().check(modified)) == []


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (".env", True),
        ("config/.env.local", True),
        ("deploy/prod.env", True),
        (".env.example", False),
        (".env.sample", False),
        ("certs/server.pem", True),
        ("tls/server.key", True),
        ("home/.ssh/id_rsa", True),
        ("home/.ssh/id_ed25519", True),
        ("home/.ssh/id_rsa.pub", False),
        ("store.p12", True),
        ("store.pfx", True),
        (".npmrc", True),
        (".pypirc", True),
        (".aws/credentials", True),
        ("credentials.json", True),
        ("src/credentials.py", False),
        ("src/keyboard.py", False),
        ("docs/environment.md", False),
    ],
)
def test_is_secret_file(path: str, expected: bool) -> None:
    assert is_secret_file(path) is expected


def test_redact_masks_every_kind() -> None:
    text = "\n".join(
        [
            f'12 + aws = "{AWS_ID}"',
            f'13 + aws_secret_access_key = "{AWS_SECRET}"',
            f"14 + {GH_TOKEN} {GL_TOKEN}",
            f"15 + {SLACK_TOKEN} {SLACK_HOOK}",
            f"16 + {STRIPE} {GOOGLE}",
            f'17 + password = "{PASSWORD}"',
            "18 + tokenizer = 'bert-base-uncased'",
        ]
    )
    redacted, count = redact(text)
    assert count == 9
    for secret in (
        AWS_ID,
        AWS_SECRET,
        GH_TOKEN,
        GL_TOKEN,
        SLACK_TOKEN,
        SLACK_HOOK,
        STRIPE,
        GOOGLE,
        PASSWORD,
    ):
        assert secret not in redacted
    assert "[REDACTED:aws-access-key]" in redacted
    assert "[REDACTED:generic-secret]" in redacted
    assert "18 + tokenizer = 'bert-base-uncased'" in redacted
    assert redacted.count("\n") == text.count("\n")


def test_redact_private_key_over_several_lines() -> None:
    tail = "Zm9vYmFy="
    text = "\n".join(
        [
            "10 + -----BEGIN OPENSSH PRIVATE KEY-----",
            f"11 + {KEY_BODY}",
            f"12 + {KEY_BODY[::-1]}",
            f"13 + {tail}",
            "14 + -----END OPENSSH PRIVATE KEY-----",
            "15 + x = 1",
        ]
    )
    redacted, count = redact(text)
    assert count == 1
    assert KEY_BODY not in redacted and KEY_BODY[::-1] not in redacted and tail not in redacted
    assert "15 + x = 1" in redacted
    assert redacted.splitlines()[0] == "10 + -----BEGIN OPENSSH PRIVATE KEY-----"


def test_redact_leaves_clean_text_alone() -> None:
    text = "def f(token):\n    return token.strip()\n"
    assert redact(text) == (text, 0)


def test_find_secrets_without_overlaps() -> None:
    line = f'aws_secret_access_key = "{AWS_SECRET}"'
    assert [m.kind for m in find_secrets(line)] == ["aws-secret-key"]


def test_entropy() -> None:
    assert shannon_entropy("") == 0.0
    assert shannon_entropy("aaaa") == 0.0
    assert shannon_entropy("abcd") == pytest.approx(2.0)


# --- the scanner: detect-secrets plugins plus our own rules


@pytest.mark.parametrize("canary", make_canaries(), ids=lambda c: c.name)
def test_every_canary_format_is_found_and_redacted(canary: Canary) -> None:
    lines = python_module([canary]).splitlines() if not canary.line else [canary.line]
    findings = check(lines, path="app/config.py")
    assert [f.rule_id for f in findings if f.rule_id.startswith("secrets/")], canary.name
    assert_no_leak(findings, canary.value)
    redacted = redact("\n".join(lines))[0]
    assert canary.value not in redacted and "[REDACTED:" in redacted


def test_a_key_split_over_two_lines_is_found_and_redacted() -> None:
    key = GH_TOKEN
    lines = ["TOKEN = (", f'    "{key[:18]}"', f'    "{key[18:]}"', ")"]
    findings = check(lines)
    assert [(f.rule_id, f.start_line) for f in findings] == [("secrets/github-token", 2)]
    assert_no_leak(findings, key[:18])
    redacted, count = redact("\n".join(f"{i:>6}|+ {t}" for i, t in enumerate(lines, 1)))
    assert key[:18] not in redacted and key[18:] not in redacted and count == 2
    js = f'const k = "{key[:10]}" +\n  "{key[10:]}";'
    assert key[10:] not in redact(js)[0]
    # list items are not one value
    assert redact('names = [\n    "alpha-bravo",\n    "charlie-delta",\n]')[1] == 0


def test_a_base64_encoded_key_is_found_and_redacted() -> None:
    encoded = base64.b64encode(GH_TOKEN.encode()).decode()
    for line in (f'BLOB = "{encoded}"', f"token: {encoded}"):
        findings = check([line], path="deploy/values.yaml")
        assert [f.rule_id for f in findings] == ["secrets/github-token"], line
        assert_no_leak(findings, encoded)
        assert encoded not in redact(line)[0]


def test_password_in_a_url() -> None:
    line = "DATABASE_URL = 'postgres://app:Qz7vLk2pWm9x@db.internal:5432/app'"
    [f] = check([line])
    assert f.rule_id == "secrets/url-password"
    assert line[f.start_column - 1 : f.end_column] == "Qz7vLk2pWm9x"
    assert redact(line)[0] == (
        "DATABASE_URL = 'postgres://app:[REDACTED:url-password]@db.internal:5432/app'"
    )


def test_tokens_are_redacted_whole() -> None:
    """detect-secrets matches a fixed-length prefix; no tail of a longer token survives."""
    long_key = "sk_live_" + "Ab1" * 33
    assert redact(f"k = {long_key}xyz")[0] == "k = [REDACTED:stripe-key]"


@pytest.mark.parametrize(
    "text",
    [
        "def f(token):\n    return token.strip()",
        'password = os.environ["DB_PASSWORD"]\nself.password = password',
        "api_key: Optional[str] = None,\n    secret_name: str,",
        "LANGSMITH_API_KEY=_credentials_api_key,",
        'headers = {"api_key": api_key, "x-api-key": self.api_key}',
        'user_api_key_dict: "UserAPIKeyAuth",',
        "key: _strip_prompt_cache_breakpoints_from_content(item) if key else item",
        'uuid = "123e4567-e89b-12d3-a456-426614174000"',
        'name = "bert-base-uncased"\nurl = "https://example.com/path?x=1"',
    ],
)
def test_ordinary_code_is_not_redacted(text: str) -> None:
    assert redact(text) == (text, 0)
    assert check(text.splitlines()) == []


def test_redaction_is_idempotent() -> None:
    text = "\n".join(c.line for c in make_canaries() if c.line)
    once = redact(text)[0]
    assert redact(once) == (once, 0)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (".envrc", True),
        (".env-prod", True),
        (".env.production.local", True),
        (".env.tpl", False),
        (".environment.ts", False),
        ("app/.git-credentials", True),
        ("home/.docker/config.json", True),
        ("app/docker/config.json", False),
        ("home/.kube/config", True),
        ("home/.ssh/id_rsa_deploy", True),
        ("home/.ssh/id_ed25519.pub", False),
        ("client_secret_123.apps.googleusercontent.com.json", True),
        ("infra/terraform.tfstate", True),
        ("keys/deploy.ppk", True),
    ],
)
def test_more_secret_files(path: str, expected: bool) -> None:
    assert is_secret_file(path) is expected
