"""Columns that hold personal data: names, e-mail addresses, phone numbers, IP addresses,
coordinates. Found by the header (the survey tools' own names, and common words in several
languages) and by the content (what most of the answered cells look like).

Such columns are not stored unless the analyst maps them explicitly.
"""

from __future__ import annotations

import re

import polars as pl

from gapmodel.core.vocabulary import token

# Header tokens (see ``vocabulary.token``) -> what the column holds.
_HEADERS = {
    "ipaddress": "IP addresses",
    "ip_address": "IP addresses",
    "ipaddr": "IP addresses",
    "ip": "IP addresses",
    "recipientemail": "e-mail addresses",
    "emailaddress": "e-mail addresses",
    "email_address": "e-mail addresses",
    "email": "e-mail addresses",
    "e_mail": "e-mail addresses",
    "mail": "e-mail addresses",
    "recipientfirstname": "names",
    "recipientlastname": "names",
    "first_name": "names",
    "last_name": "names",
    "firstname": "names",
    "lastname": "names",
    "full_name": "names",
    "name": "names",
    "surname": "names",
    "vorname": "names",
    "nachname": "names",
    "nom": "names",
    "prénom": "names",
    "nombre": "names",
    "이름": "names",
    "성명": "names",
    "氏名": "names",
    "名前": "names",
    "姓名": "names",
    "phone": "phone numbers",
    "phone_number": "phone numbers",
    "mobile_number": "phone numbers",
    "mobile_phone": "phone numbers",
    "telephone": "phone numbers",
    "telefon": "phone numbers",
    "téléphone": "phone numbers",
    "전화번호": "phone numbers",
    "휴대폰": "phone numbers",
    "電話番号": "phone numbers",
    "locationlatitude": "coordinates",
    "locationlongitude": "coordinates",
    "latitude": "coordinates",
    "longitude": "coordinates",
    "lat": "coordinates",
    "lng": "coordinates",
    "lon": "coordinates",
    "address": "postal addresses",
    "street": "postal addresses",
    "adresse": "postal addresses",
    "주소": "postal addresses",
    "住所": "postal addresses",
}
# Words that mark a header as personal wherever they stand in it ("Your e-mail address").
_HEADER_WORDS = re.compile(
    r"e-?mail|phone|mobile number|ip address|latitude|longitude|first name|last name|full name|"
    r"your name|이메일|전화|휴대|メール|電話|电话|邮箱|手机",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
# international (+41 ...) or national (0...) numbers of 8 to 15 digits; not a date
_PHONE = re.compile(r"(?:\+|\(?0)\d[\d ()./-]{6,16}\d")
_DATE = re.compile(r"\d{1,4}([./-])\d{1,2}\1\d{1,4}(?:[ T].*)?")
_CONTENT = {
    "e-mail addresses": _EMAIL,
    # IPv4, or IPv6 with "::" or seven colons (a time such as 09:12:44 has two)
    "IP addresses": re.compile(
        r"(?:\d{1,3}\.){3}\d{1,3}|(?=[0-9A-Fa-f:]*::)[0-9A-Fa-f:]{3,39}"
        r"|[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){7}"
    ),
    "phone numbers": _PHONE,
}
SAMPLE = 200  # answered cells looked at per column


def personal_by_header(name: str, question: str = "", words: bool = True) -> str | None:
    """What personal data a column holds by its header or question text, or None.

    With ``words`` False only whole headers count (``IPAddress``, ``E-mail``), not a word
    inside a question ("Shops, phone lines and chat are easy to reach").

    Examples
    --------
    >>> personal_by_header("RecipientEmail"), personal_by_header("Q7", "Your e-mail address")
    ('e-mail addresses', 'e-mail addresses')
    >>> personal_by_header("Sex") is None
    True
    """
    for text in (name, question):
        if not text:
            continue
        found = _HEADERS.get(token(text))
        if found:
            return found
        if words and _HEADER_WORDS.search(text):
            return _word_kind(text)
    return None


def _word_kind(text: str) -> str:
    lowered = text.casefold()
    for word, kind in (
        ("mail", "e-mail addresses"),
        ("메일", "e-mail addresses"),
        ("メール", "e-mail addresses"),
        ("邮箱", "e-mail addresses"),
        ("ip address", "IP addresses"),
        ("itude", "coordinates"),
        ("name", "names"),
    ):
        if word in lowered:
            return kind
    return "phone numbers"


def personal_by_content(values: pl.Series) -> str | None:
    """What personal data most of a column's answered cells are (e-mail addresses, IP addresses,
    phone numbers), or None. Scores and codes are short numbers and do not match."""
    sample = [v.strip() for v in values.drop_nulls().head(SAMPLE * 5).to_list() if v and v.strip()]
    sample = sample[:SAMPLE]
    if not sample:
        return None
    for kind, pattern in _CONTENT.items():
        hits = sum(1 for v in sample if pattern.fullmatch(v) and _plausible(kind, v))
        if hits * 2 > len(sample):
            return kind
    return None


def _plausible(kind: str, value: str) -> bool:
    """A phone number has 8 to 15 digits and is not a date (01/02/2024, 03.11.2023)."""
    if kind != "phone numbers":
        return True
    return 8 <= sum(ch.isdigit() for ch in value) <= 15 and not _DATE.fullmatch(value)


def personal_in_text(values: pl.Series) -> str | None:
    """Personal data inside free text (a comment that gives a phone number or an e-mail
    address), or None."""
    for value in values.drop_nulls().head(SAMPLE * 5).to_list():
        if _EMAIL.search(value):
            return "e-mail addresses"
        if any(_plausible("phone numbers", m[0]) for m in _PHONE.finditer(value)):
            return "phone numbers"
    return None
