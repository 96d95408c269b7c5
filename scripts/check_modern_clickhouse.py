#!/usr/bin/env python3
"""Checks EMC's SQL against a current ClickHouse engine (chdb-core, ClickHouse 26.9).

Input (JSON file, argv[1]): {"statements": [...migration statements, single-server form...],
                             "queries": [{"name": ..., "sql": ...already bound...}, ...]}
Applies every statement in a fresh chdb session, runs every query, and prints a JSON report
on stdout: {"engine": version, "failures": [{"name", "error"}], "columns": [[table, name, type], ...]}.
Exits 1 when anything failed. The end-to-end test `modern_sql` writes the input and reads the report.
"""
import json
import sys
import tempfile

from chdb import session


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as f:
        spec = json.load(f)
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        s = session.Session(tmp)
        version = str(s.query("SELECT version()", "CSV")).strip().strip('"')
        s.query("CREATE DATABASE IF NOT EXISTS emc")
        s.query("USE emc")
        for i, stmt in enumerate(spec["statements"]):
            try:
                s.query(stmt)
            except Exception as e:  # noqa: BLE001 - report every failure, keep going
                failures.append({"name": f"statement {i}: {stmt.splitlines()[0]}", "error": str(e)[:500]})
        for q in spec["queries"]:
            try:
                s.query(q["sql"], "JSONEachRow")
            except Exception as e:  # noqa: BLE001
                failures.append({"name": q["name"], "error": str(e)[:500]})
        cols = s.query(
            "SELECT table, name, type FROM system.columns WHERE database = 'emc' ORDER BY table, position",
            "JSONCompactEachRow",
        )
        columns = [json.loads(line) for line in str(cols).splitlines() if line.strip()]
        s.close()
    print(json.dumps({"engine": version, "failures": failures, "columns": columns}))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
