from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth import hash_password, verify_password
from app.errors import AppError
from app.models import User
from app.schemas import RegisterIn, UserUpdate

INVALID_LOGIN = "Invalid email or password"


def register_user(session: Session, *, data: RegisterIn) -> User:
    if session.scalar(select(User.id).where(User.email == data.email)) is not None:
        raise _email_taken()
    user = User(email=data.email, password_hash=hash_password(data.password), display_name=data.display_name)
    session.add(user)
    try:
        session.commit()
    except IntegrityError:  # registered by a concurrent request between the check and the insert
        session.rollback()
        raise _email_taken() from None
    return user


def _email_taken() -> AppError:
    return AppError(409, "An account with this email already exists. Log in instead.")


def authenticate(session: Session, *, email: str, password: str) -> User:
    email = email.strip().lower()
    # No stored email holds control characters (and PostgreSQL refuses NUL in a query): skip the lookup.
    user = session.scalar(select(User).where(User.email == email)) if email.isprintable() else None
    # Unknown emails pay for a hash too, so timing does not tell which accounts exist.
    if not verify_password(password, user.password_hash if user else None) or user is None:
        raise AppError(401, INVALID_LOGIN)
    return user


def change_password(session: Session, *, user: User, current_password: str, new_password: str) -> None:
    _confirm_password(user, current_password)
    user.password_hash = hash_password(new_password)
    user.token_version += 1  # every token issued before this moment stops working
    session.commit()


def delete_user(session: Session, *, user: User, password: str) -> None:
    _confirm_password(user, password)
    # Expenses and budgets go with the user (ON DELETE CASCADE), in this one transaction.
    session.delete(user)
    session.commit()


def _confirm_password(user: User, password: str) -> None:
    if not verify_password(password, user.password_hash):
        raise AppError(403, "That password is not correct.")


def update_user(session: Session, *, user: User, data: UserUpdate) -> User:
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(user, field, value)
    session.commit()
    return user
