from flask import Blueprint, abort, jsonify, request
from sqlalchemy.exc import IntegrityError

from app.models import User, db

bp = Blueprint("users", __name__, url_prefix="/users")


@bp.get("/")
def list_users():
    users = User.query.order_by(User.id).all()
    return jsonify([u.to_dict() for u in users])


@bp.get("/<int:user_id>")
def get_user(user_id: int):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return jsonify(user.to_dict())


@bp.post("/")
def create_user():
    payload = request.get_json(silent=True) or {}
    email = payload.get("email")
    if not email:
        abort(400, description="email is required")
    user = User(email=email, name=payload.get("name", ""))
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        abort(409, description="email already registered")
    return jsonify(user.to_dict()), 201


@bp.delete("/<int:user_id>")
def delete_user(user_id: int):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    db.session.delete(user)
    db.session.commit()
    return "", 204
