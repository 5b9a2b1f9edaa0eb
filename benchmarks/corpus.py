"""Turn ../shared/data/news/*.txt (one article or paragraph per line) into JSONL documents.

    python benchmarks/corpus.py /work/shared/data/news -o /tmp/news.jsonl [--repeat N]

Ids are ``<file stem>-<line number>``; with ``--repeat N`` the corpus is written N times
(copy k gets ids ``…-r<k>`` and a marker line so the texts differ and are not deduplicated),
which is how the 100 MB scaling input is made.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("news", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    files = sorted(args.news.glob("*.txt"))
    n = chars = 0
    with open(args.output, "w", encoding="utf-8") as out:
        for copy in range(args.repeat):
            for path in files:
                for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                    text = line.strip()
                    if not text:
                        continue
                    doc_id = f"{path.stem}-{number}" + (f"-r{copy}" if copy else "")
                    if copy:
                        text = f"{text}\n（第{copy}份）"
                    out.write(json.dumps({"id": doc_id, "text": text}, ensure_ascii=False) + "\n")
                    n += 1
                    chars += len(text)
    print(f"{n} documents, {chars} characters -> {args.output}")


if __name__ == "__main__":
    main()
