"""docs/ASVS.md, the OWASP ASVS 5.0 level-2 checklist, stays complete and true (issue 6).

Every level-1/2 requirement is listed exactly once with one status; a `test` row names tests that
exist, a `doc` row links a heading of docs/SECURITY.md that exists, an `n/a` or `gap` row says why
(and a gap what would close it), and the summary counts the rows. SECURITY.md's tables that restate
the code — the context words, the permission table, the security settings — are compared with it.
"""

import ast
import re
from collections import Counter
from pathlib import Path

from portal import config
from portal.auth.passwords import CONTEXT_WORDS
from portal.permissions import ROLE_PERMISSIONS, Permission, Role

ROOT = Path(__file__).resolve().parent.parent
CHECKLIST = ROOT / "docs" / "ASVS.md"
SECURITY = ROOT / "docs" / "SECURITY.md"
STATUSES = ("test", "doc", "n/a", "gap")

# The req_id of every row of OWASP_Application_Security_Verification_Standard_5.0.0_en.csv (OWASP/ASVS,
# 5.0/docs_en/) whose level L is 1 or 2.
LEVEL_2_ITEMS = (
    "V1.1.1", "V1.1.2", "V1.2.1", "V1.2.2", "V1.2.3", "V1.2.4", "V1.2.5", "V1.2.6", "V1.2.7", "V1.2.8", "V1.2.9",
    "V1.3.1", "V1.3.2", "V1.3.3", "V1.3.4", "V1.3.5", "V1.3.6", "V1.3.7", "V1.3.8", "V1.3.9", "V1.3.10", "V1.3.11",
    "V1.4.1", "V1.4.2", "V1.4.3", "V1.5.1", "V1.5.2", "V2.1.1", "V2.1.2", "V2.1.3", "V2.2.1", "V2.2.2", "V2.2.3",
    "V2.3.1", "V2.3.2", "V2.3.3", "V2.3.4", "V2.4.1", "V3.2.1", "V3.2.2", "V3.3.1", "V3.3.2", "V3.3.3", "V3.3.4",
    "V3.4.1", "V3.4.2", "V3.4.3", "V3.4.4", "V3.4.5", "V3.4.6", "V3.5.1", "V3.5.2", "V3.5.3", "V3.5.4", "V3.5.5",
    "V3.7.1", "V3.7.2", "V4.1.1", "V4.1.2", "V4.1.3", "V4.2.1", "V4.3.1", "V4.3.2", "V4.4.1", "V4.4.2", "V4.4.3",
    "V4.4.4", "V5.1.1", "V5.2.1", "V5.2.2", "V5.2.3", "V5.3.1", "V5.3.2", "V5.4.1", "V5.4.2", "V5.4.3", "V6.1.1",
    "V6.1.2", "V6.1.3", "V6.2.1", "V6.2.2", "V6.2.3", "V6.2.4", "V6.2.5", "V6.2.6", "V6.2.7", "V6.2.8", "V6.2.9",
    "V6.2.10", "V6.2.11", "V6.2.12", "V6.3.1", "V6.3.2", "V6.3.3", "V6.3.4", "V6.4.1", "V6.4.2", "V6.4.3", "V6.4.4",
    "V6.5.1", "V6.5.2", "V6.5.3", "V6.5.4", "V6.5.5", "V6.6.1", "V6.6.2", "V6.6.3", "V6.8.1", "V6.8.2", "V6.8.3",
    "V6.8.4", "V7.1.1", "V7.1.2", "V7.1.3", "V7.2.1", "V7.2.2", "V7.2.3", "V7.2.4", "V7.3.1", "V7.3.2", "V7.4.1",
    "V7.4.2", "V7.4.3", "V7.4.4", "V7.4.5", "V7.5.1", "V7.5.2", "V7.6.1", "V7.6.2", "V8.1.1", "V8.1.2", "V8.2.1",
    "V8.2.2", "V8.2.3", "V8.3.1", "V8.4.1", "V9.1.1", "V9.1.2", "V9.1.3", "V9.2.1", "V9.2.2", "V9.2.3", "V9.2.4",
    "V10.1.1", "V10.1.2", "V10.2.1", "V10.2.2", "V10.3.1", "V10.3.2", "V10.3.3", "V10.3.4", "V10.4.1", "V10.4.2",
    "V10.4.3", "V10.4.4", "V10.4.5", "V10.4.6", "V10.4.7", "V10.4.8", "V10.4.9", "V10.4.10", "V10.4.11", "V10.5.1",
    "V10.5.2", "V10.5.3", "V10.5.4", "V10.5.5", "V10.6.1", "V10.6.2", "V10.7.1", "V10.7.2", "V10.7.3", "V11.1.1",
    "V11.1.2", "V11.2.1", "V11.2.2", "V11.2.3", "V11.3.1", "V11.3.2", "V11.3.3", "V11.4.1", "V11.4.2", "V11.4.3",
    "V11.4.4", "V11.5.1", "V11.6.1", "V12.1.1", "V12.1.2", "V12.1.3", "V12.2.1", "V12.2.2", "V12.3.1", "V12.3.2",
    "V12.3.3", "V12.3.4", "V13.1.1", "V13.2.1", "V13.2.2", "V13.2.3", "V13.2.4", "V13.2.5", "V13.3.1", "V13.3.2",
    "V13.4.1", "V13.4.2", "V13.4.3", "V13.4.4", "V13.4.5", "V14.1.1", "V14.1.2", "V14.2.1", "V14.2.2", "V14.2.3",
    "V14.2.4", "V14.3.1", "V14.3.2", "V14.3.3", "V15.1.1", "V15.1.2", "V15.1.3", "V15.2.1", "V15.2.2", "V15.2.3",
    "V15.3.1", "V15.3.2", "V15.3.3", "V15.3.4", "V15.3.5", "V15.3.6", "V15.3.7", "V16.1.1", "V16.2.1", "V16.2.2",
    "V16.2.3", "V16.2.4", "V16.2.5", "V16.3.1", "V16.3.2", "V16.3.3", "V16.3.4", "V16.4.1", "V16.4.2", "V16.4.3",
    "V16.5.1", "V16.5.2", "V16.5.3", "V17.1.1", "V17.2.1", "V17.2.2", "V17.2.3", "V17.2.4", "V17.3.1", "V17.3.2",
)

ROW = re.compile(r"^\|\s*(V\d+\.\d+\.\d+)\s*\|")
NODE = re.compile(r"tests/(test_\w+)\.py::(test_\w+)")
LINK = re.compile(r"\]\(SECURITY\.md#([^)\s]+)\)")
OWN_LINK = re.compile(r"\]\(#([^)\s]+)\)")


def rows() -> list[tuple[str, str, str, str]]:
    """(item, requirement, status, evidence) of every checklist row, in file order."""
    found = []
    for line in CHECKLIST.read_text().splitlines():
        if ROW.match(line):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            assert len(cells) == 4, f"a row needs 4 cells: {line}"
            found.append(tuple(cells))
    return found


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def security_anchors() -> set[str]:
    return {slug(line.lstrip("#")) for line in SECURITY.read_text().splitlines() if line.startswith("#")}


def existing_tests() -> dict[str, set[str]]:
    """Test function names of every tests/test_*.py, module level and in classes."""
    found = {}
    for path in (ROOT / "tests").glob("test_*.py"):
        tree = ast.parse(path.read_text())
        bodies = [tree.body] + [node.body for node in tree.body if isinstance(node, ast.ClassDef)]
        found[path.stem] = {
            node.name for body in bodies for node in body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_")
        }
    return found


def between(text: str, marker: str) -> str:
    """The part of SECURITY.md between <!-- marker --> and <!-- /marker -->."""
    return text.split(f"<!-- {marker} -->", 1)[1].split(f"<!-- /{marker} -->", 1)[0]


def test_every_level_2_item_is_listed_once():
    listed = [item for item, _, _, _ in rows()]
    assert len(LEVEL_2_ITEMS) == len(set(LEVEL_2_ITEMS)) == 253
    twice = sorted(item for item, count in Counter(listed).items() if count > 1)
    assert not twice, f"listed more than once: {twice}"
    assert not set(LEVEL_2_ITEMS) - set(listed), f"missing: {sorted(set(LEVEL_2_ITEMS) - set(listed))}"
    assert not set(listed) - set(LEVEL_2_ITEMS), f"not level 1/2 items: {sorted(set(listed) - set(LEVEL_2_ITEMS))}"
    for item, requirement, status, _ in rows():
        assert status in STATUSES, f"{item}: unknown status {status!r}"
        assert len(requirement.split()) >= 2, f"{item}: say what the requirement is"


def test_the_summary_counts_the_statuses():
    text = CHECKLIST.read_text()
    summary = text.split("## Summary", 1)[1].split("\n## ", 1)[0]
    stated = {name: int(count) for name, count in re.findall(r"^\|\s*([a-z/]+)\s*\|\s*(\d+)\s*\|", summary, re.M)}
    counted = Counter(status for _, _, status, _ in rows())
    assert stated == {**{status: counted[status] for status in STATUSES}, "total": len(LEVEL_2_ITEMS)}
    untested = sum(1 for _, _, status, evidence in rows() if status == "gap" and evidence.startswith("Untested"))
    assert f"Of the gaps, {untested} are implemented but untested." in summary


def test_every_named_test_exists_and_every_test_row_names_one():
    tests = existing_tests()
    for item, _, status, evidence in rows():
        named = NODE.findall(evidence)
        if status == "test":
            assert named, f"{item}: a `test` row names at least one tests/test_x.py::test_name"
        for module, function in named:
            assert module in tests, f"{item}: no file tests/{module}.py"
            assert function in tests[module], f"{item}: no test {function} in tests/{module}.py"


def test_every_link_reaches_a_heading_of_security_md_and_every_doc_row_has_one():
    anchors = security_anchors()
    for item, _, status, evidence in rows():
        links = LINK.findall(evidence)
        if status == "doc":
            assert links, f"{item}: a `doc` row links the section of SECURITY.md that answers it"
        for anchor in links:
            assert anchor in anchors, f"{item}: SECURITY.md has no heading #{anchor}"
    for anchor in LINK.findall(CHECKLIST.read_text()) + OWN_LINK.findall(SECURITY.read_text()):
        assert anchor in anchors, f"no heading #{anchor} in SECURITY.md"


def test_every_na_and_gap_row_gives_a_reason():
    for item, _, status, evidence in rows():
        if status in ("n/a", "gap"):
            assert len(evidence.split()) >= 4, f"{item}: say why, in a sentence"
        if status == "gap":
            assert "Close" in evidence, f"{item}: a gap says what would close it"


def test_the_documented_context_words_are_the_ones_the_code_refuses():
    documented = re.findall(r"`([^`]+)`", between(SECURITY.read_text(), "context-words"))
    assert tuple(documented) == CONTEXT_WORDS


def test_the_documented_permissions_are_the_code_table():
    lines = [line for line in between(SECURITY.read_text(), "permissions").splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")][1:]
    assert set(header) == {role.value for role in Role}
    documented = {role: set() for role in header}
    permissions = set()
    for line in lines[2:]:
        name, *marks = [cell.strip() for cell in line.strip("|").split("|")]
        permissions.add(name.strip("`"))
        for role, mark in zip(header, marks, strict=True):
            assert mark in ("✔", "—"), line
            if mark == "✔":
                documented[role].add(name.strip("`"))
    assert permissions == {permission.value for permission in Permission}
    assert documented == {role.value: {p.value for p in granted} for role, granted in ROLE_PERMISSIONS.items()}


# The variable an operator sets → the key it fills in portal/config.py.
SETTING_KEYS = {"MAX_UPLOAD_BYTES": "MAX_CONTENT_LENGTH"}


def test_the_documented_settings_are_the_defaults(monkeypatch):
    section = SECURITY.read_text().split("## Settings", 1)[1].split("\n## ", 1)[0]
    documented = dict(re.findall(r"^\|\s*`([A-Z_]+)`\s*\|\s*(\d+)\s*\|", section, re.M))
    assert len(documented) >= 8
    for variable in documented:
        monkeypatch.delenv(variable, raising=False)
    defaults = config.from_environment()
    for variable, value in documented.items():
        assert defaults[SETTING_KEYS.get(variable, variable)] == int(value), variable
    assert defaults["PERMANENT_SESSION_LIFETIME"].total_seconds() == 12 * 3600  # "the absolute lifetime is 12 h"
