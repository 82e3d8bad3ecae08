"""Import users from the v2 JSON export."""
import json
import sys

from app.models import User, db


def main(path: str) -> None:
    with open(path, encoding="utf-8") as handle:
        records = json.load(handle)
    for record in records:
        db.session.add(User(email=record["email"], name=record.get("name", "")))
    db.session.commit()
    print(f"imported {len(records)} users")


if __name__ == "__main__":
    main(sys.argv[1])
