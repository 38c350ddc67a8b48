"""One realistic multi-file Review with fixed values, shared by the report tests.

One LLM finding carries hostile text (mentions, raw HTML, an HTML comment, a javascript: link,
table pipes, backticks, newlines and '%'): the reports must defuse it.
"""

from __future__ import annotations

from prreview.models import (
    ChangeSummary,
    FileSummary,
    Finding,
    Review,
    Rule,
    SkippedItem,
    Stats,
    Summary,
    WalkthroughRow,
    fingerprint,
)
from prreview.review import gate

HOSTILE_TITLE = "Query | built <img src=x onerror=alert(1)> for @org/team `x`"
HOSTILE_MESSAGE = (
    "The value reaches `cursor.execute` unescaped. cc @org/team and @all\n"
    "<!-- hidden --> <script>alert(1)</script>\n"
    "See [click](javascript:alert(1)) or https://evil.example/x and www.evil.example\n"
    "| a | b |\n|---|---|\n"
    "```\nfenced\n```\n"
    "100% sure: a ``backtick ` run`` and a stray ` tick"
)
HOSTILE_SUGGESTION = (
    'sql = "SELECT * FROM users WHERE id = %s"\ncursor.execute(sql, (user_id,))  # ```'
)


def _fp(rule_id: str, path: str | None, *lines: str) -> str:
    return fingerprint(rule_id, path, list(lines))


RULES = (
    Rule(
        id="secrets/aws-access-key",
        name="AWS access key",
        short_description="An AWS access key id is committed.",
        full_description="A string that looks like an AWS access key id appears in the change.",
        help_text="Remove the key, rotate it, and load credentials from the environment.",
        help_markdown="Remove the key, **rotate it**, and load credentials from the environment.",
        severity="critical",
        category="security",
        tags=("security", "secrets"),
        precision="high",
        security_severity=9.1,
    ),
    Rule(
        id="debug/print-statement",
        name="Debug print",
        short_description="A debugging print statement was left in.",
        severity="low",
        category="maintainability",
        tags=("maintainability",),
        precision="very-high",
    ),
    Rule(
        id="ruff/F401",
        name="unused-import",
        short_description="Module imported but unused",
        help_text="See <https://docs.astral.sh/ruff/rules/unused-import> @org/team",
        severity="medium",
        category="correctness",
        tags=("ruff",),
        evaluator="ruff",
    ),
)


def findings() -> tuple[Finding, ...]:
    return (
        Finding(
            rule_id="secrets/aws-access-key",
            evaluator="secrets",
            evaluators=("secrets",),
            category="security",
            severity="critical",
            confidence=1.0,
            title="AWS access key committed",
            message="`AKIA…` is an AWS access key id. Rotate it and read it from the environment.",
            path="app/config.py",
            start_line=7,
            end_line=7,
            start_column=14,
            end_column=34,
            tags=("security", "secrets"),
            fingerprint=_fp("secrets/aws-access-key", "app/config.py", 'KEY = "AKIA..."'),
        ),
        Finding(
            rule_id="llm/security/sql-injection",
            evaluator="security",
            evaluators=("correctness", "security"),
            category="security",
            severity="high",
            confidence=0.8,
            title=HOSTILE_TITLE,
            message=HOSTILE_MESSAGE,
            path="app/db.py",
            start_line=12,
            end_line=14,
            suggestion=HOSTILE_SUGGESTION,
            source="llm",
            fingerprint=_fp("llm/security/sql-injection", "app/db.py", "sql = f'...'"),
        ),
        Finding(
            rule_id="ruff/F401",
            evaluator="ruff",
            evaluators=("ruff",),
            category="correctness",
            severity="medium",
            confidence=0.85,
            title="`os` imported but unused",
            message="`os` imported but unused",
            path="app/db.py",
            start_line=3,
            end_line=3,
            start_column=8,
            end_column=10,
            tags=("ruff",),
            source="imported",
            fingerprint=_fp("ruff/F401", "app/db.py", "import os"),
        ),
        Finding(
            rule_id="llm/performance/n-plus-one",
            evaluator="performance",
            evaluators=("performance",),
            category="performance",
            severity="medium",
            confidence=0.4,
            title="One query per user in a loop",
            message="`load_profile` runs inside the loop: one query per user.\n\nBatch the ids.",
            path="web/handlers.py",
            start_line=40,
            end_line=41,
            suggestion="profiles = load_profiles(ids)",
            source="llm",
            fingerprint=_fp("llm/performance/n-plus-one", "web/handlers.py", "for u in users:"),
        ),
        Finding(
            rule_id="debug/print-statement",
            evaluator="hygiene",
            evaluators=("hygiene",),
            category="maintainability",
            severity="low",
            confidence=0.9,
            title="Debug print left in the file",
            message="The file prints to stdout; use the logger.",
            path="web/handlers.py",
            tags=("maintainability",),
            fingerprint=_fp("debug/print-statement", "web/handlers.py", "print(user)"),
        ),
        Finding(
            rule_id="llm/maintainability/naming",
            evaluator="maintainability",
            evaluators=("maintainability",),
            category="maintainability",
            severity="info",
            confidence=0.6,
            title="Name `TIMEOUT_S` states its unit",
            message="Good: the unit is in the name.",
            path="app/config.py",
            start_line=20,
            end_line=20,
            source="llm",
            fingerprint=_fp("llm/maintainability/naming", "app/config.py", "TIMEOUT_S = 30"),
        ),
    )


def change() -> ChangeSummary:
    files = (
        FileSummary(
            path="app/config.py",
            status="modified",
            language="python",
            added=12,
            removed=1,
            hunks=2,
            new_ranges=((5, 9), (18, 22)),
        ),
        FileSummary(
            path="app/db.py",
            status="modified",
            language="python",
            added=20,
            removed=4,
            hunks=2,
            new_ranges=((1, 5), (10, 30)),
            symbols=("get_user",),
        ),
        FileSummary(
            path="web/handlers.py",
            status="added",
            language="python",
            added=60,
            hunks=1,
            new_ranges=((1, 60),),
            symbols=("list_users", "show_user"),
        ),
        FileSummary(path="assets/logo.png", status="added", skip_reason="binary"),
        FileSummary(
            path="vendor/big.min.js",
            status="modified",
            language="javascript",
            added=1,
            removed=1,
            hunks=1,
            skip_reason="too large",
        ),
    )
    return ChangeSummary(
        base_ref="main",
        base_sha="1111111111111111111111111111111111111111",
        head_ref="feature/users",
        head_sha="2222222222222222222222222222222222222222",
        files=files,
        additions=93,
        deletions=6,
        modules=("app", "web"),
    )


def review() -> Review:
    found = findings()
    decision = gate.decide(found, fail_on="high", min_confidence=0.5)
    summary = Summary(
        overview=(
            "Adds a user listing page and a database helper. "
            "Ping @org/team? <b>bold</b> [docs](https://evil.example)"
        ),
        risk="high",
        risk_reason="raw SQL built from request data",
        walkthrough=(
            WalkthroughRow(
                path="app/db.py",
                status="modified",
                added=20,
                removed=4,
                symbols=("get_user",),
                findings=2,
            ),
            WalkthroughRow(
                path="web/handlers.py",
                status="added",
                added=60,
                removed=0,
                symbols=("list_users", "show|user"),
                findings=2,
            ),
            WalkthroughRow(
                path="app/config.py", status="modified", added=12, removed=1, findings=2
            ),
        ),
    )
    return Review(
        tool_version="0.1.0",
        change=change(),
        findings=found,
        rules=RULES,
        skipped=(
            SkippedItem(kind="file", path="assets/logo.png", reason="binary"),
            SkippedItem(
                kind="file",
                path="vendor/big.min.js",
                reason="too large",
                detail="2,400,000 bytes > --max-file-bytes 1,000,000",
                incomplete=True,
            ),
        ),
        stats=Stats(
            files=5,
            files_reviewed=3,
            additions=93,
            deletions=6,
            hunks=6,
            hunks_reviewed=5,
            units=3,
            units_failed=1,
            calls=4,
            cache_hits=1,
            prompt_tokens=12345,
            completion_tokens=1234,
            cost_usd=0.0123,
            latency_median_s=1.5,
            latency_max_s=3.25,
            duration_s=7.5,
            findings_dropped=2,
            suppressed=1,
            filtered=3,
        ),
        summary=summary,
        gate=decision,
        complete=False,
        incomplete_reason="1 unit failed after 4 retries (HTTP 503)",
        fail_open=False,
        notes=("LLM review used model `gpt-test` @org/team",),
    )
