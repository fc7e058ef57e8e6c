"""What a frontend may see of a user.

The downstream user record carries secrets (password, bank card, SSN, EIN, crypto wallet, IP,
MAC address, user agent). These models are built field by field from an allow-list and forbid
extra fields, so a new downstream field stays out until someone decides it is safe.
"""

from __future__ import annotations

from pydantic import Field

from schemas.downstream import CommentUser, User
from schemas.responses.base import ResponseModel


class UserSummary(ResponseModel):
    """Just enough of a user to show a byline or an avatar."""

    id: int = Field(examples=[1])
    username: str = Field(examples=["emilys"])
    full_name: str = Field(examples=["Emily Johnson"])
    image: str | None = Field(None, description="Avatar URL.")

    @classmethod
    def from_downstream(cls, user: User) -> UserSummary:
        return cls(
            id=user.id,
            username=user.username,
            full_name=f"{user.first_name} {user.last_name}",
            image=user.image,
        )

    @classmethod
    def from_comment_user(cls, user: CommentUser) -> UserSummary:
        return cls(id=user.id, username=user.username, full_name=user.full_name)


class Location(ResponseModel):
    city: str | None = None
    state: str | None = None
    country: str | None = None


class Workplace(ResponseModel):
    name: str | None = None
    title: str | None = None
    department: str | None = None


class PublicUser(ResponseModel):
    """A user's profile as a frontend shows it; never any credential or financial field."""

    id: int = Field(examples=[1])
    username: str = Field(examples=["emilys"])
    first_name: str = Field(examples=["Emily"])
    last_name: str = Field(examples=["Johnson"])
    email: str | None = Field(None, examples=["emily.johnson@x.dummyjson.com"])
    phone: str | None = None
    image: str | None = Field(None, description="Avatar URL.")
    age: int | None = None
    gender: str | None = None
    birth_date: str | None = None
    role: str | None = Field(None, examples=["admin"])
    location: Location | None = None
    company: Workplace | None = None

    @classmethod
    def from_downstream(cls, user: User) -> PublicUser:
        address = user.address
        company = user.company
        return cls(
            id=user.id,
            username=user.username,
            first_name=user.first_name,
            last_name=user.last_name,
            email=user.email,
            phone=user.phone,
            image=user.image,
            age=user.age,
            gender=user.gender,
            birth_date=user.birth_date,
            role=user.role,
            location=Location(city=address.city, state=address.state, country=address.country)
            if address
            else None,
            company=Workplace(name=company.name, title=company.title, department=company.department)
            if company
            else None,
        )
