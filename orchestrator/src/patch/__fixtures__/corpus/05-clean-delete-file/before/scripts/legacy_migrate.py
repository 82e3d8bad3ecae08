"""One-off migration from the v1 CSV export. Superseded by scripts/migrate.py."""
import csv
import sys

from app.models import User, db


def main(path: str) -> None:
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            db.session.add(User(email=row["email"], name=row["full_name"]))
    db.session.commit()


if __name__ == "__main__":
    main(sys.argv[1])
