"""What a headless run leaves behind for a pipeline: the verdict table on
stdout, a JUnit XML file, a JSON result, and the exit status (issue 16):

    0  nothing failed, open or inconclusive
    1  an item failed
    2  none failed, but an automatic item is open or inconclusive at the end
    3  could not run (server unreachable, bad token, charger never connected)

Open: still awaiting something (said); inconclusive: the bench or the rig could
not test the item (a step the rig cannot do, no firmware image); failed: the
charger was wrong.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .run import CaseRun

EXIT_OK, EXIT_FAILED, EXIT_OPEN, EXIT_COULD_NOT_RUN = 0, 1, 2, 3
SEVERITIES = ("violation", "deviation", "note")  # as GET /api/sessions/{id}/findings counts them
SKIPPED = ("not_supported", "not_applicable", "open", "inconclusive")  # JUnit: skipped, with the reason


def label(item: dict) -> str:
    """The verdict in words, as the server words it ("Not supported")."""
    return item.get("verdict_label") or item["verdict"].replace("_", " ").capitalize()


def result_text(item: dict, run: CaseRun | None) -> str:
    """The Result column: the remark of a pass, else the reason; for an item
    left open, why the run left it (a step not done, a command not sent, no
    verdict in time) or what it awaits; the run's notes after."""
    waiting = item.get("waiting") or {}
    if item["verdict"] == "passed" and item.get("remark"):
        text = item["remark"]
    elif item["verdict"] == "open" and run is not None and run.blocked:
        text = run.blocked
    elif item["verdict"] == "open" and waiting.get("for"):
        text = f"awaiting {waiting['for']}"
    else:
        text = item.get("reason", "")
    if run is not None and run.notes:
        text = "; ".join(filter(None, [text, *run.notes]))
    return text


def exit_code(items: dict[str, dict]) -> int:
    if any(item["verdict"] == "failed" for item in items.values()):
        return EXIT_FAILED
    if any(item["verdict"] == "inconclusive" for item in items.values()):
        return EXIT_OPEN
    if any(item["verdict"] == "open" and item.get("automatic", True) for item in items.values()):
        return EXIT_OPEN
    return EXIT_OK


def in_order(items: dict[str, dict]) -> list[tuple[str, dict]]:
    """The items by key, in their catalog's order."""
    return sorted(items.items(), key=lambda pair: pair[1]["number"])


def table(items: dict[str, dict], runs: dict[str, CaseRun]) -> str:
    rows = [f"{'#':>2}  {'Function':<58} {'Verdict':<14} Result"]
    for key, item in in_order(items):
        text = result_text(item, runs.get(key))
        name = item["key"] if item.get("group") else f"{item['number']:>2}"  # a grouped catalog: its case ids
        rows.append(f"{name}  {item['function'][:58]:<58} {label(item):<14} {text}")
    return "\n".join(rows)


def testcase_name(item: dict) -> str:
    """A grouped catalog's case by its id (OCTT: "TC_003_CS Charging at ..."), else by number."""
    if item.get("group"):
        return f"{item['key']} {item['function']}"
    return f"{item['number']:02d} {item['function']}"


def junit(
    items: dict[str, dict],
    runs: dict[str, CaseRun],
    charger: str,
    session: int,
    elapsed: float,
    findings: dict | None = None,
) -> str:
    """One testsuite, one testcase per item: failure for Failed (with the
    reason), skipped with "<verdict>: <why>" for Not supported, Not applicable,
    Open and Inconclusive. A case's time is its item's wall clock; the suite's
    is the run's (`elapsed`), not their sum: items run side by side. With the
    session's findings (GET /api/sessions/{id}/findings), both suites in
    <testsuites>, the second "findings" (findings_suite)."""
    suite = _items_suite(items, runs, charger, session, elapsed)
    root = suite
    if findings is not None:
        root = ET.Element("testsuites", name=f"OCPP certification of {charger}")
        root.extend([suite, findings_suite(findings, session)])
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def findings_suite(findings: dict, session: int) -> ET.Element:
    """Testsuite "findings": one testcase per registered check, failed when a violation
    of it was seen; a deviation or note passes, said in its system-out."""
    suite = ET.Element("testsuite", name="findings")
    seen: dict[str, list[dict]] = {}
    for finding in findings["findings"]:
        seen.setdefault(finding["check"], []).append(finding)
    failures = 0
    for check in findings["checks"]:
        case = ET.SubElement(suite, "testcase", name=f"{check['id']} {check['title']}", classname="findings", time="0")
        found = seen.get(check["id"], [])
        lines = [f"{f['severity']} ({f['clause']}): {f['text']} [seqs {f['seqs']}]" for f in found]
        violations = [f for f in found if f["severity"] == "violation"]
        if violations:
            failures += 1
            first = violations[0]
            message = (
                f"{len(violations)} violation{'s' if len(violations) > 1 else ''} of {check['clause']}: {first['text']}"
            )
            ET.SubElement(case, "failure", message=message[:500], type="violation").text = "\n".join(lines)
        out = ET.SubElement(case, "system-out")
        out.text = f"session {session}; " + ("; ".join(lines) if lines else "not seen")
    suite.set("tests", str(len(findings["checks"])))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", "0")
    suite.set("time", "0")
    return suite


def _items_suite(
    items: dict[str, dict], runs: dict[str, CaseRun], charger: str, session: int, elapsed: float
) -> ET.Element:
    suite = ET.Element("testsuite", name=f"OCPP certification of {charger}")
    counts = {"tests": 0, "failures": 0, "skipped": 0}
    for key, item in in_order(items):
        run = runs.get(key)
        duration = (run.duration if run else None) or 0.0
        case = ET.SubElement(
            suite,
            "testcase",
            name=testcase_name(item),
            classname=item.get("group") or f"certify.{charger}",  # a grouped catalog: its profile
            time=f"{duration:.1f}",
        )
        counts["tests"] += 1
        text = result_text(item, run)
        if item["verdict"] == "failed":
            counts["failures"] += 1
            failure = ET.SubElement(case, "failure", message=text[:500], type="failed")
            failure.text = text
        elif item["verdict"] in SKIPPED:
            counts["skipped"] += 1
            ET.SubElement(case, "skipped", message=f"{label(item)}: {text}"[:500])
        out = ET.SubElement(case, "system-out")
        out.text = f"session {session}; verdict {item['verdict']}; evidence seqs {item.get('evidence_seqs', [])}"
    suite.set("tests", str(counts["tests"]))
    suite.set("failures", str(counts["failures"]))
    suite.set("errors", "0")
    suite.set("skipped", str(counts["skipped"]))
    suite.set("time", f"{elapsed:.1f}")
    return suite


def result(
    items: dict[str, dict],
    runs: dict[str, CaseRun],
    charger: str,
    session: int,
    code: int,
    findings: dict | None = None,
) -> dict:
    """The JSON result: every item's verdict, reason, remark, attempts, timings
    and the sequence numbers of its evidence frames; the session's protocol
    findings (as_dict each) and their counts by severity."""
    out = []
    for key, item in in_order(items):
        run = runs.get(key)
        out.append(
            {
                "key": key,
                "number": item["number"],
                "function": item["function"],
                "verdict": item["verdict"],
                "label": label(item),
                "reason": run.blocked if run and run.blocked and item["verdict"] == "open" else item.get("reason", ""),
                "remark": item.get("remark", ""),
                "notes": run.notes if run else [],
                "automatic": item.get("automatic", True),
                "attempts": item.get("attempts", []),
                "timings": item.get("timings", {}),
                "duration_s": run.duration if run else None,
                "commands": run.commands if run else [],
                "evidence": item.get("evidence", []),
                "evidence_seqs": item.get("evidence_seqs", []),
            }
        )
    found = {"findings": findings["findings"], "findings_counts": findings["counts"]} if findings else {}
    return {"session": session, "charger": charger, "exit_code": code, "items": out, **found}


def findings_line(findings: dict | None) -> str:
    """The summary line's findings: "; protocol findings: 2 violations, no deviations, 1 note"."""
    if not findings:
        return ""
    counts = findings["counts"]
    words = [f"{counts.get(s, 0) or 'no'} {s}{'' if counts.get(s, 0) == 1 else 's'}" for s in SEVERITIES]
    return "; protocol findings: " + ", ".join(words)
