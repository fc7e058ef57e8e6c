"""Deterministic synthetic data shaped like DummyJSON's.

Everything derives from one `random.Random(seed)`, so two simulators built with the same seed serve
byte-identical payloads (tests can hard-code ids and benchmarks compare like with like). The quirks
of the real data that clients trip over are reproduced on purpose: `brand` is missing on about half
the products, some "float" fields are whole numbers (serialized as `10`, not `10.0`), and some users
have no posts, todos or carts.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

Record = dict[str, Any]

USER_COUNT = 208
PRODUCT_COUNT = 194
CART_COUNT = 50
POST_COUNT = 251
COMMENT_COUNT = 340
TODO_COUNT = 254
QUOTE_COUNT = 100
RECIPE_COUNT = 50


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _phrases(text: str) -> tuple[str, ...]:
    return tuple(text.split("|"))


_FEMALE_NAMES = _words(
    "Emily Olivia Sophia Emma Ava Isabella Mia Charlotte Amelia Harper Evelyn Abigail Ella "
    "Scarlett Grace Chloe Victoria Riley Aria Lily Aubrey Zoey Hannah Layla Nora Addison "
    "Brooklyn Leah Stella Hazel Aurora Savannah Audrey Bella Claire Lucy Anna Caroline "
    "Madison Naomi"
)
_MALE_NAMES = _words(
    "Michael James William Alexander Ethan Daniel Liam Noah Mason Logan Lucas Jackson Aiden "
    "Elijah Benjamin Henry Samuel Owen Jacob Matthew David Joseph Carter Wyatt Jack Luke "
    "Gabriel Isaac Oliver Nicholas Ryan Nathan Caleb Dylan Evan Adrian Leo Thomas Aaron "
    "Jayden"
)
_LAST_NAMES = _words(
    "Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White "
    "Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres "
    "Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts "
    "Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris "
    "Morales Murphy Cook Rogers"
)
_PLACES = (
    ("Phoenix", "Arizona", "AZ"),
    ("Houston", "Texas", "TX"),
    ("Washington", "District of Columbia", "DC"),
    ("Seattle", "Washington", "WA"),
    ("Jacksonville", "Florida", "FL"),
    ("Denver", "Colorado", "CO"),
    ("Boston", "Massachusetts", "MA"),
    ("Columbus", "Ohio", "OH"),
    ("Nashville", "Tennessee", "TN"),
    ("Portland", "Oregon", "OR"),
    ("Chicago", "Illinois", "IL"),
    ("San Diego", "California", "CA"),
    ("Atlanta", "Georgia", "GA"),
    ("Detroit", "Michigan", "MI"),
    ("Raleigh", "North Carolina", "NC"),
    ("New York", "New York", "NY"),
)
_STREETS = _words(
    "Main Street Oak Street Pine Street Maple Avenue Cedar Lane Elm Street Lakeview Drive "
    "Washington Avenue Park Avenue Sunset Boulevard Hillcrest Road Second Street Chestnut "
    "Street"
)
_STREET_NAMES = tuple(" ".join(_STREETS[i : i + 2]) for i in range(0, len(_STREETS) - 1, 2))
_UNIVERSITIES = _phrases(
    "University of Wisconsin--Madison|Ohio State University|Stanford University|"
    "University of Michigan|Rice University|Boston University|University of Washington|"
    "Purdue University|University of Texas at Austin|Georgia Institute of Technology"
)
_COMPANY_PARTS = _words(
    "Dooley Kozey Cronin Schiller Bosco Hahn Rath Hessel Kuhn Reilly Gleason Runte Sauer "
    "Wolff Quitzon Lehner Haag Bauch Yost Ward"
)
_DEPARTMENTS = _phrases(
    "Engineering|Support|Research and Development|Human Resources|Product Management|"
    "Marketing|Services|Accounting|Training|Legal|Sales|Business Development"
)
_JOB_TITLES = _phrases(
    "Sales Manager|Support Specialist|Research Analyst|Web Developer|Product Manager|"
    "Accountant|Quality Assurance Engineer|Data Scientist|Marketing Coordinator|"
    "Legal Advisor"
)
_EYE_COLORS = ("Green", "Brown", "Blue", "Gray", "Amber", "Hazel", "Violet")
_HAIR_COLORS = ("Brown", "Black", "Blonde", "Red", "Gray", "White", "Auburn", "Purple")
_HAIR_TYPES = ("Curly", "Straight", "Wavy", "Kinky")
_BLOOD_GROUPS = ("O-", "O+", "A-", "A+", "B-", "B+", "AB-", "AB+")
_CARD_TYPES = ("Elo", "Visa", "Mastercard", "Amex", "Discover", "JCB", "Maestro")
_CURRENCIES = ("USD", "EUR", "GBP", "CNY", "JPY", "CAD", "CHF", "SEK")
_USER_AGENTS = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/14.1.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/93.0.4577.63 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:91.0) Gecko/20100101 Firefox/91.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 14_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/14.1.1 Mobile/15E148 Safari/604.1",
)

# slug -> (nouns, brands, (min price, max price)); 24 categories, like the real catalogue.
_CATEGORIES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[int, int]]] = {
    "beauty": (
        ("Mascara", "Eyeshadow Palette", "Lipstick", "Nail Polish"),
        ("Essence", "Glamour Beauty"),
        (5, 40),
    ),
    "fragrances": (
        ("Eau de Parfum", "Cologne", "Body Mist"),
        ("Calvin Klein", "Chanel", "Dior"),
        (30, 150),
    ),
    "furniture": (
        ("Sofa", "Bed", "Office Chair", "Bedside Table"),
        ("Annibale Colombo", "Knoll"),
        (90, 2500),
    ),
    "groceries": (
        ("Apple", "Rice", "Honey Jar", "Green Tea", "Cucumber"),
        ("Farm Fresh", "Daily Harvest"),
        (1, 20),
    ),
    "home-decoration": (
        ("Table Lamp", "Wall Mirror", "Plant Pot", "Photo Frame"),
        ("Decor Co",),
        (10, 120),
    ),
    "kitchen-accessories": (
        ("Chef Knife", "Blender", "Frying Pan", "Cutting Board"),
        ("KitchenAid", "Tefal"),
        (5, 300),
    ),
    "laptops": (
        ("MacBook Pro", "Chromebook", "Gaming Laptop", "Ultrabook"),
        ("Apple", "Asus", "Lenovo"),
        (300, 2800),
    ),
    "mens-shirts": (
        ("Checked Shirt", "Polo Shirt", "Linen Shirt"),
        ("Fashion Trends", "Gigabyte"),
        (15, 80),
    ),
    "mens-shoes": (
        ("Running Shoes", "Leather Boots", "Sneakers"),
        ("Nike", "Puma", "Off White"),
        (40, 250),
    ),
    "mens-watches": (
        ("Chronograph Watch", "Diver Watch", "Dress Watch"),
        ("Rolex", "Longines", "Brown Watches"),
        (60, 9000),
    ),
    "mobile-accessories": (
        ("Charger", "Earbuds", "Phone Case", "Power Bank"),
        ("Apple", "Amazon", "Beats"),
        (5, 250),
    ),
    "motorcycle": (
        ("Cruiser", "Sport Bike", "Scooter"),
        ("Kawasaki", "MotoGP", "ScootMaster"),
        (2000, 16000),
    ),
    "skin-care": (
        ("Face Wash", "Sunscreen", "Night Cream", "Serum"),
        ("Olay", "Vaseline"),
        (5, 60),
    ),
    "smartphones": (
        ("iPhone", "Galaxy", "Pixel", "Reno"),
        ("Apple", "Samsung", "Oppo", "Vivo"),
        (100, 1500),
    ),
    "sports-accessories": (
        ("Football", "Tennis Racket", "Yoga Mat", "Cricket Bat"),
        ("Sportswear",),
        (8, 150),
    ),
    "sunglasses": (
        ("Aviator Sunglasses", "Round Sunglasses", "Sport Sunglasses"),
        ("Ray-Ban", "Oakley"),
        (15, 250),
    ),
    "tablets": (("iPad", "Galaxy Tab", "Android Tablet"), ("Apple", "Samsung"), (120, 1200)),
    "tops": (("Blouse", "Crop Top", "Tank Top", "Tunic"), ("Top Shop", "Zara"), (10, 60)),
    "vehicle": (
        ("SUV", "Sedan", "Pickup Truck"),
        ("Dodge", "Chevrolet", "Durango"),
        (15000, 90000),
    ),
    "womens-bags": (("Handbag", "Tote Bag", "Backpack"), ("Prada", "Gucci", "Heshe"), (40, 3000)),
    "womens-dresses": (("Summer Dress", "Evening Gown", "Maxi Dress"), ("Dress Me Up",), (25, 300)),
    "womens-jewellery": (
        ("Necklace", "Bracelet", "Earrings", "Ring"),
        ("Bracelet Co", "Tiffany"),
        (10, 900),
    ),
    "womens-shoes": (("Heels", "Sandals", "Ballet Flats"), ("Pampi", "Calvin Klein"), (20, 300)),
    "womens-watches": (
        ("Rose Gold Watch", "Smart Watch", "Leather Strap Watch"),
        ("IWC", "Fossil"),
        (50, 3000),
    ),
}
_ADJECTIVES = _words(
    "Classic Premium Essential Modern Vintage Deluxe Compact Eco Luxury Sleek Bold Smart "
    "Rustic Elegant Lightweight Durable Portable Organic Signature Ultra"
)
_WORDS = _words(
    "lorem ipsum quality design everyday comfort performance style value reliable crafted "
    "material finish colour texture handy perfect gift friends family morning evening city "
    "travel weekend season fresh light strong simple clean bright warm soft natural fast "
    "experience journey story moment people world future idea dream change kindness courage"
)
_TAGS = _words(
    "history american crime french fiction english magical mystery love classic life world "
    "books science nature technology food travel"
)
_TODO_VERBS = _words(
    "Do Buy Call Read Write Clean Plan Learn Fix Organize Watch Visit Practice Bake Paint"
)
_TODO_OBJECTS = _phrases(
    "something nice for someone you care about|the groceries for the week|"
    "a book about history|a letter to a friend|the garage|a weekend trip|a new recipe|"
    "the leaky faucet|your closet|a documentary|a local museum|a musical instrument|"
    "bread from scratch|a landscape"
)
_AUTHORS = _phrases(
    "Rumi|Abdul Kalam|Albert Einstein|Maya Angelou|Confucius|Seneca|Marcus Aurelius|"
    "Lao Tzu|Helen Keller|Mark Twain|Oscar Wilde|Ralph Waldo Emerson"
)
_QUOTE_STARTS = _phrases(
    "Your heart is|The best way to predict|Life is|Happiness is|Courage is|Knowledge is|"
    "A journey of a thousand miles|What we think|Patience is|Kindness is"
)
_QUOTE_ENDS = _phrases(
    "the size of an ocean.|to create it.|what happens while you are busy.|"
    "found in the little things.|grace under pressure.|the beginning of wisdom.|"
    "begins with a single step.|we become.|bitter, but its fruit is sweet.|"
    "a language everyone understands."
)
_CUISINES = _words("Italian Asian American Mexican Mediterranean Indian Japanese Greek")
_DISHES = _words(
    "Pizza Stir-Fry Burger Tacos Salad Curry Ramen Souvlaki Pasta Risotto Soup Cookies "
    "Pancakes Smoothie Noodles"
)
_DISH_ADJECTIVES = _words("Classic Spicy Vegetarian Quick Homemade Creamy Grilled Easy")
_INGREDIENTS = _phrases(
    "Pizza dough|Tomato sauce|Fresh mozzarella|Basil leaves|Olive oil|Salt|Pepper|Garlic|"
    "Onion|Chicken breast|Soy sauce|Rice|Ginger|Carrots|Bell pepper|Lemon juice|Butter|"
    "Flour|Eggs|Sugar|Milk|Parmesan cheese"
)
_MEAL_TYPES = ("Breakfast", "Lunch", "Dinner", "Snack", "Dessert", "Side Dish", "Appetizer")
_COINS = ("Bitcoin", "Ethereum", "Litecoin", "Cardano", "Solana")
_NETWORKS = ("Ethereum (ERC20)", "Bitcoin", "Binance Smart Chain (BEP20)", "Solana")
_WARRANTIES = _phrases(
    "1 month warranty|6 months warranty|1 year warranty|2 year warranty|Lifetime warranty|"
    "No warranty"
)
_SHIPPING = _phrases(
    "Ships in 1 month|Ships in 2 weeks|Ships in 1 week|Ships in 3-5 business days|Ships overnight"
)
_RETURN_POLICIES = _phrases(
    "30 days return policy|60 days return policy|90 days return policy|"
    "7 days return policy|No return policy"
)
_REVIEW_COMMENTS = _phrases(
    "Very happy!|Would buy again!|Highly recommended!|Great product!|Not as described!|"
    "Disappointing product!|Very satisfied!|Awesome product!|Poor quality!|Fast shipping!"
)


@dataclass(frozen=True, slots=True)
class Dataset:
    """All resources, plus id indexes keyed by the id's *string* form.

    String keys make lookups behave like the real service, which compares `id.toString()` with the
    raw path segment: `/users/01` is not `/users/1`.
    """

    users: list[Record]
    products: list[Record]
    categories: list[Record]
    carts: list[Record]
    posts: list[Record]
    comments: list[Record]
    todos: list[Record]
    quotes: list[Record]
    recipes: list[Record]
    users_by_id: dict[str, Record] = field(init=False)
    products_by_id: dict[str, Record] = field(init=False)
    carts_by_id: dict[str, Record] = field(init=False)
    posts_by_id: dict[str, Record] = field(init=False)
    comments_by_id: dict[str, Record] = field(init=False)
    todos_by_id: dict[str, Record] = field(init=False)
    quotes_by_id: dict[str, Record] = field(init=False)
    recipes_by_id: dict[str, Record] = field(init=False)

    def __post_init__(self) -> None:
        for name in (
            "users",
            "products",
            "carts",
            "posts",
            "comments",
            "todos",
            "quotes",
            "recipes",
        ):
            index = {str(item["id"]): item for item in getattr(self, name)}
            object.__setattr__(self, f"{name}_by_id", index)


def _money(rng: random.Random, low: float, high: float, whole_rate: float) -> float | int:
    """A price-like number; some are whole, as in the real data, so `10` must parse as a float."""
    value = round(rng.uniform(low, high), 2)
    if rng.random() < whole_rate:
        return max(int(value), 1)
    return value


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(_WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def _paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(_sentence(rng, rng.randint(6, 12)) for _ in range(sentences))


def _iso(rng: random.Random, year_from: int = 2023, year_to: int = 2024) -> str:
    return (
        f"{rng.randint(year_from, year_to)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        f"T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}."
        f"{rng.randint(0, 999):03d}Z"
    )


def _hex(rng: random.Random, length: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(length))


def _digits(rng: random.Random, length: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(length))


def _address(rng: random.Random) -> Record:
    city, state, code = rng.choice(_PLACES)
    return {
        "address": f"{rng.randint(1, 9999)} {rng.choice(_STREET_NAMES)}",
        "city": city,
        "state": state,
        "stateCode": code,
        "postalCode": _digits(rng, 5),
        "coordinates": {
            "lat": round(rng.uniform(-90, 90), 6),
            "lng": round(rng.uniform(-180, 180), 6),
        },
        "country": "United States",
    }


def _user(rng: random.Random, user_id: int, taken: set[str]) -> Record:
    if user_id == 1:
        gender, first, last = "female", "Emily", "Johnson"
        username = "emilys"
    else:
        gender = rng.choice(("female", "male"))
        first = rng.choice(_FEMALE_NAMES if gender == "female" else _MALE_NAMES)
        last = rng.choice(_LAST_NAMES)
        username = f"{first}{last[0]}".lower()
        suffix = 1
        while username in taken:
            suffix += 1
            username = f"{first}{last[0]}{suffix}".lower()
    taken.add(username)
    if user_id == 1:
        role = "admin"
    else:
        roll = rng.random()
        role = "admin" if roll < 0.05 else "moderator" if roll < 0.15 else "user"
    year = rng.randint(1960, 2004)
    height = _money(rng, 150, 200, 0.1)
    weight = _money(rng, 45, 110, 0.1)
    company_parts = rng.sample(_COMPANY_PARTS, 3)
    return {
        "id": user_id,
        "firstName": first,
        "lastName": last,
        "maidenName": rng.choice(_LAST_NAMES) if rng.random() < 0.6 else "",
        "age": 2024 - year,
        "gender": gender,
        "email": f"{first}.{last}@x.dummyjson.com".lower(),
        "phone": f"+{rng.randint(1, 99)} {_digits(rng, 3)}-{_digits(rng, 3)}-{_digits(rng, 4)}",
        "username": username,
        "password": "emilyspass" if user_id == 1 else f"{username}pass",
        "birthDate": f"{year}-{rng.randint(1, 12)}-{rng.randint(1, 28)}",
        "image": f"https://dummyjson.com/icon/{username}/128",
        "bloodGroup": rng.choice(_BLOOD_GROUPS),
        "height": height,
        "weight": weight,
        "eyeColor": rng.choice(_EYE_COLORS),
        "hair": {"color": rng.choice(_HAIR_COLORS), "type": rng.choice(_HAIR_TYPES)},
        "ip": ".".join(str(rng.randint(1, 254)) for _ in range(4)),
        "address": _address(rng),
        "macAddress": ":".join(_hex(rng, 2) for _ in range(6)),
        "university": rng.choice(_UNIVERSITIES),
        "bank": {
            "cardExpire": f"{rng.randint(1, 12):02d}/{rng.randint(25, 30)}",
            "cardNumber": _digits(rng, 16),
            "cardType": rng.choice(_CARD_TYPES),
            "currency": rng.choice(_CURRENCIES),
            "iban": "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(24)),
        },
        "company": {
            "department": rng.choice(_DEPARTMENTS),
            "name": f"{company_parts[0]}, {company_parts[1]} and {company_parts[2]}",
            "title": rng.choice(_JOB_TITLES),
            "address": _address(rng),
        },
        "ein": f"{_digits(rng, 2)}-{_digits(rng, 7)}",
        "ssn": f"{_digits(rng, 3)}-{_digits(rng, 2)}-{_digits(rng, 4)}",
        "userAgent": rng.choice(_USER_AGENTS),
        "crypto": {
            "coin": rng.choice(_COINS),
            "wallet": f"0x{_hex(rng, 40)}",
            "network": rng.choice(_NETWORKS),
        },
        "role": role,
    }


def _product(rng: random.Random, product_id: int, category: str, users: Sequence[Record]) -> Record:
    nouns, brands, (low, high) = _CATEGORIES[category]
    noun = rng.choice(nouns)
    title = f"{rng.choice(_ADJECTIVES)} {noun}"
    slug = _slug(title)
    roll = rng.random()
    stock = 0 if roll < 0.08 else rng.randint(1, 9) if roll < 0.25 else rng.randint(10, 150)
    status = "Out of Stock" if stock == 0 else "Low Stock" if stock < 10 else "In Stock"
    has_brand = rng.random() < 0.5
    brand = rng.choice(brands)
    reviews = []
    for _ in range(3):
        reviewer = rng.choice(users)
        reviews.append(
            {
                "rating": rng.randint(1, 5),
                "comment": rng.choice(_REVIEW_COMMENTS),
                "date": _iso(rng),
                "reviewerName": f"{reviewer['firstName']} {reviewer['lastName']}",
                "reviewerEmail": reviewer["email"],
            }
        )
    image_base = f"https://cdn.dummyjson.com/product-images/{category}/{slug}"
    created = _iso(rng)
    product: Record = {
        "id": product_id,
        "title": title,
        "description": f"The {title} is {_sentence(rng, rng.randint(8, 14)).lower()}",
        "category": category,
        "price": _money(rng, low, high, 0.2),
        "discountPercentage": _money(rng, 0.5, 20, 0.1),
        "rating": _money(rng, 1, 5, 0.1),
        "stock": stock,
        "tags": [category.split("-")[-1], noun.lower()],
    }
    if has_brand:
        product["brand"] = brand
    product.update(
        {
            "sku": f"{category[:3].upper()}-{_hex(rng, 3).upper()}-{_hex(rng, 3).upper()}-"
            f"{_hex(rng, 3).upper()}",
            "weight": _money(rng, 1, 10, 0.5),
            "dimensions": {
                "width": round(rng.uniform(5, 30), 2),
                "height": round(rng.uniform(5, 30), 2),
                "depth": round(rng.uniform(5, 30), 2),
            },
            "warrantyInformation": rng.choice(_WARRANTIES),
            "shippingInformation": rng.choice(_SHIPPING),
            "availabilityStatus": status,
            "reviews": reviews,
            "returnPolicy": rng.choice(_RETURN_POLICIES),
            "minimumOrderQuantity": rng.randint(1, 50),
            "meta": {
                "createdAt": created,
                "updatedAt": created,
                "barcode": _digits(rng, 13),
                "qrCode": "https://cdn.dummyjson.com/public/qr-code.png",
            },
            "images": [f"{image_base}/{n}.webp" for n in range(1, rng.randint(1, 4) + 1)],
            "thumbnail": f"{image_base}/thumbnail.webp",
        }
    )
    return product


def _cart(rng: random.Random, cart_id: int, user_id: int, products: Sequence[Record]) -> Record:
    lines = []
    for product in rng.sample(list(products), rng.randint(1, 5)):
        quantity = rng.randint(1, 5)
        total = round(product["price"] * quantity, 2)
        discount = product["discountPercentage"]
        lines.append(
            {
                "id": product["id"],
                "title": product["title"],
                "price": product["price"],
                "quantity": quantity,
                "total": total,
                "discountPercentage": discount,
                "discountedTotal": round(total * (1 - discount / 100), 2),
                "thumbnail": product["thumbnail"],
            }
        )
    return {
        "id": cart_id,
        "products": lines,
        "total": round(sum(line["total"] for line in lines), 2),
        "discountedTotal": round(sum(line["discountedTotal"] for line in lines), 2),
        "userId": user_id,
        "totalProducts": len(lines),
        "totalQuantity": sum(line["quantity"] for line in lines),
    }


def _recipe(rng: random.Random, recipe_id: int, user_count: int) -> Record:
    return {
        "id": recipe_id,
        "name": f"{rng.choice(_DISH_ADJECTIVES)} {rng.choice(_CUISINES)} {rng.choice(_DISHES)}",
        "ingredients": rng.sample(_INGREDIENTS, rng.randint(4, 8)),
        "instructions": [_sentence(rng, rng.randint(6, 10)) for _ in range(rng.randint(3, 6))],
        "prepTimeMinutes": rng.choice((5, 10, 15, 20, 30)),
        "cookTimeMinutes": rng.choice((0, 10, 15, 20, 30, 45)),
        "servings": rng.randint(1, 8),
        "difficulty": rng.choice(("Easy", "Medium")),
        "cuisine": rng.choice(_CUISINES),
        "caloriesPerServing": rng.randint(80, 900),
        "tags": rng.sample(_TAGS, 2),
        "userId": rng.randint(1, user_count),
        "image": f"https://cdn.dummyjson.com/recipe-images/{recipe_id}.webp",
        "rating": _money(rng, 3, 5, 0.1),
        "reviewCount": rng.randint(0, 100),
        "mealType": rng.sample(_MEAL_TYPES, rng.randint(1, 2)),
    }


QUOTED_SLUG_PRODUCTS: dict[int, str] = {
    8: "dior-j'adore",
    83: "kids'-t-shirt-&-shorts",
    91: "salt-&-pepper-mill",
    172: "women's-watch",
    173: "men's-watch",
    177: "l'oreal-&-co-serum",
    181: "rock-&-roll-boots",
    185: "d'or-necklace",
    194: "fish-&-chips-plate",
}
"""Products whose picture slugs carry `'` and `&`, as 9 of the real catalogue's do (ids as in
the real service): picture proxies must encode them, not refuse them."""


def _quoted_slugs(products: list[Record]) -> None:
    for product_id, slug in QUOTED_SLUG_PRODUCTS.items():
        product = products[product_id - 1]
        base = f"https://cdn.dummyjson.com/product-images/{product['category']}/{slug}"
        count = len(product["images"])
        product["images"] = [f"{base}/{n}.webp" for n in range(1, count + 1)]
        product["thumbnail"] = f"{base}/thumbnail.webp"


def build_dataset(seed: int = 42) -> Dataset:
    """Build every resource from `seed`; about 30 ms, done once per app instance."""
    rng = random.Random(seed)
    taken: set[str] = set()
    users = [_user(rng, user_id, taken) for user_id in range(1, USER_COUNT + 1)]

    counts = dict.fromkeys(_CATEGORIES, PRODUCT_COUNT // len(_CATEGORIES))
    for slug in rng.sample(list(_CATEGORIES), PRODUCT_COUNT - sum(counts.values())):
        counts[slug] += 1
    products: list[Record] = []
    for slug, count in counts.items():
        for _ in range(count):
            products.append(_product(rng, len(products) + 1, slug, users))
    _quoted_slugs(products)
    categories = [
        {
            "slug": slug,
            "name": " ".join(word.capitalize() for word in slug.split("-")),
            "url": f"https://dummyjson.com/products/category/{slug}",
        }
        for slug in _CATEGORIES
    ]

    # User 1 (the demo login) gets one of everything; the tail of the user list gets no posts.
    carts = [
        _cart(rng, cart_id, 1 if cart_id == 1 else rng.randint(2, USER_COUNT), products)
        for cart_id in range(1, CART_COUNT + 1)
    ]
    posts = [
        {
            "id": post_id,
            "title": _sentence(rng, rng.randint(4, 9))[:-1],
            "body": _paragraph(rng, rng.randint(2, 4)),
            "tags": rng.sample(_TAGS, 3),
            "reactions": {"likes": rng.randint(0, 2000), "dislikes": rng.randint(0, 100)},
            "views": rng.randint(0, 5000),
            "userId": 1 if post_id == 1 else rng.randint(1, USER_COUNT - 30),
        }
        for post_id in range(1, POST_COUNT + 1)
    ]
    comments = []
    for comment_id in range(1, COMMENT_COUNT + 1):
        author = rng.choice(users)
        comments.append(
            {
                "id": comment_id,
                "body": _sentence(rng, rng.randint(3, 10)),
                "postId": 1 if comment_id <= 3 else rng.randint(1, POST_COUNT),
                "likes": rng.randint(0, 10),
                "user": {
                    "id": author["id"],
                    "username": author["username"],
                    "fullName": f"{author['firstName']} {author['lastName']}",
                },
            }
        )
    todos = [
        {
            "id": todo_id,
            "todo": f"{rng.choice(_TODO_VERBS)} {rng.choice(_TODO_OBJECTS)}",
            "completed": rng.random() < 0.4,
            "userId": 1 if todo_id == 1 else rng.randint(1, USER_COUNT),
        }
        for todo_id in range(1, TODO_COUNT + 1)
    ]
    quotes = [
        {
            "id": quote_id,
            "quote": f"{rng.choice(_QUOTE_STARTS)} {rng.choice(_QUOTE_ENDS)}",
            "author": rng.choice(_AUTHORS),
        }
        for quote_id in range(1, QUOTE_COUNT + 1)
    ]
    recipes = [_recipe(rng, recipe_id, USER_COUNT) for recipe_id in range(1, RECIPE_COUNT + 1)]
    return Dataset(
        users=users,
        products=products,
        categories=categories,
        carts=carts,
        posts=posts,
        comments=comments,
        todos=todos,
        quotes=quotes,
        recipes=recipes,
    )
