"""make audit: the locked packages against the advisory database, with pip-audit.

Exit status: 0 when every locked package was checked and none has a known
vulnerability; 1 when some have one (listed, with the versions that fix it); 3 when the
check could not be done, for all packages or for some (the advisory database, PyPI's
vulnerability data, could not be reached or had no answer for them). Then it says so in
one line: "no known vulnerabilities" would be false, since they were not checked.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCKS = [ROOT / "requirements" / "runtime.txt", ROOT / "requirements" / "dev.txt"]
PROBE = "https://pypi.org/pypi/pip/json"
NOT_DONE = 3


def not_done(why: str) -> int:
    print(f"audit not done: {why}; nothing is known about their vulnerabilities")
    return NOT_DONE


def reachable(timeout: float = 15) -> bool:
    try:
        with urllib.request.urlopen(PROBE, timeout=timeout) as answer:
            return answer.status == 200
    except (urllib.error.URLError, OSError):
        return False


def main() -> int:
    if not reachable():
        return not_done("the advisory database (pypi.org) could not be reached for any package")
    pip_audit = Path(sys.executable).with_name("pip-audit")
    command = [str(pip_audit), "--require-hashes", "--disable-pip", "--format", "json"]
    command += ["--progress-spinner", "off"]
    for lock in LOCKS:
        command += ["-r", str(lock)]
    run = subprocess.run(command, capture_output=True, text=True)  # noqa: S603
    try:
        report = json.loads(run.stdout)
    except ValueError:
        sys.stderr.write(run.stderr)
        return not_done("pip-audit gave no report (see above)")
    packages = report.get("dependencies", [])
    vulnerable = [p for p in packages if p.get("vulns")]
    skipped = [p for p in packages if p.get("skip_reason")]
    for package in vulnerable:
        for vuln in package["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            print(f"{package['name']} {package['version']}: {vuln['id']} (fixed in {fixes})")
    if vulnerable:
        return 1
    if skipped:
        return not_done(
            f"the advisory database had no answer for {len(skipped)} of the {len(packages)} "
            f"locked packages (for example {skipped[0]['name']}: {skipped[0]['skip_reason']})"
        )
    print(f"no known vulnerabilities in the {len(packages)} locked packages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
