"""User as the downstream serves it, sensitive fields included.

The sensitive fields (password, bank, ssn, ein, crypto, ip, mac_address, user_agent) are modelled
so that their presence is explicit and reviewable here; response models must never copy them.
"""

from schemas.downstream.base import DownstreamModel, Page


class Hair(DownstreamModel):
    color: str | None = None
    type: str | None = None


class Coordinates(DownstreamModel):
    lat: float
    lng: float


class Address(DownstreamModel):
    address: str | None = None
    city: str | None = None
    state: str | None = None
    state_code: str | None = None
    postal_code: str | None = None
    coordinates: Coordinates | None = None
    country: str | None = None


class Bank(DownstreamModel):
    card_expire: str | None = None
    card_number: str | None = None
    card_type: str | None = None
    currency: str | None = None
    iban: str | None = None


class Company(DownstreamModel):
    department: str | None = None
    name: str | None = None
    title: str | None = None
    address: Address | None = None


class Crypto(DownstreamModel):
    coin: str | None = None
    wallet: str | None = None
    network: str | None = None


class User(DownstreamModel):
    id: int
    first_name: str
    last_name: str
    username: str
    email: str
    maiden_name: str | None = None
    age: int | None = None
    gender: str | None = None
    phone: str | None = None
    # Free text, not a date: the real service sends unpadded values such as "1996-5-30".
    birth_date: str | None = None
    image: str | None = None
    blood_group: str | None = None
    height: float | None = None
    weight: float | None = None
    eye_color: str | None = None
    hair: Hair | None = None
    address: Address | None = None
    university: str | None = None
    company: Company | None = None
    # A plain str, not a Literal: a new role downstream must not make every user unreadable.
    role: str | None = None
    # Sensitive: never forwarded to a frontend.
    password: str | None = None
    ip: str | None = None
    mac_address: str | None = None
    bank: Bank | None = None
    ein: str | None = None
    ssn: str | None = None
    user_agent: str | None = None
    crypto: Crypto | None = None


class UserList(Page):
    users: list[User]
