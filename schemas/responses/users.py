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
    """Where a user lives, to city level (never the street address or coordinates)."""

    city: str | None = Field(None, examples=["Phoenix"])
    state: str | None = Field(None, examples=["Mississippi"])
    country: str | None = Field(None, examples=["United States"])


class Workplace(ResponseModel):
    """Where a user works."""

    name: str | None = Field(None, description="The company's name.", examples=["Dooley LLC"])
    title: str | None = Field(None, description="The user's job title.", examples=["Manager"])
    department: str | None = Field(None, examples=["Engineering"])


class PublicUser(ResponseModel):
    """A user's profile as a frontend shows it; never any credential or financial field."""

    id: int = Field(examples=[1])
    username: str = Field(examples=["emilys"])
    first_name: str = Field(examples=["Emily"])
    last_name: str = Field(examples=["Johnson"])
    email: str | None = Field(None, examples=["emily.johnson@x.dummyjson.com"])
    phone: str | None = Field(None, examples=["+81 965-431-3024"])
    image: str | None = Field(None, description="Avatar URL.")
    age: int | None = Field(None, examples=[28])
    gender: str | None = Field(None, examples=["female"])
    birth_date: str | None = Field(
        None,
        description="As the downstream wrote it (not always zero-padded).",
        examples=["1996-5-30"],
    )
    role: str | None = Field(
        None, description="`admin`, `moderator` or `user`.", examples=["admin"]
    )
    location: Location | None = Field(None, description="Null when the user gave no address.")
    company: Workplace | None = Field(None, description="Null when the user gave no employer.")

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
