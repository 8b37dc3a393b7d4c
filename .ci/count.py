"""Print one closing line, `N passed, M failed, K skipped`, summed over the JUnit files in a folder.

CI's last line must be the real count of what ran: both pytest passes and both fuzz passes write
JUnit reports there, and this adds them up (a run that wrote no report counts as nothing ran).
"""

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def main(folder: str) -> int:
    passed = failed = skipped = 0
    for report in sorted(Path(folder).glob("*.xml")):
        for case in ET.parse(report).iter("testcase"):  # noqa: S314 (our own reports, not untrusted input)
            outcomes = {child.tag for child in case}
            if outcomes & {"failure", "error"}:
                failed += 1
            elif "skipped" in outcomes:
                skipped += 1
            else:
                passed += 1
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
