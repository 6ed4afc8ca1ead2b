"""ZIP input and the USPS prefix table (no congress data needed)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callbot.civic import InvalidZip, state_for_zip_prefix
from callbot.civic.zipcodes import NON_STATES, STATES, parse_zip, zip_states


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12345", "12345"),
        (" 12345-6789 ", "12345"),
        ("123456789", "12345"),
        ("12345 6789", "12345"),
        ("\t00901\n", "00901"),
        # Any script's decimal digits are digits (callbot.numbers): a full-width keyboard's,
        # or Arabic-Indic ones.
        ("５３７０３", "53703"),
        ("٣٣٣٣٣", "33333"),
    ],
)
def test_parse_zip_accepts_zip_and_zip4(text: str, expected: str) -> None:
    assert parse_zip(text) == expected


@pytest.mark.parametrize(
    "text", ["1234", "abcde", "123456", "12345-678", "1234a", "12 345", "5370²", "53703\u200b"]
)
def test_parse_zip_rejects_what_is_not_a_zip(text: str) -> None:
    with pytest.raises(InvalidZip) as caught:
        parse_zip(text)
    assert str(caught.value).endswith("is not a ZIP code: enter 5 digits, like 20001.")
    assert caught.value.text == text


def test_the_message_quotes_what_was_typed() -> None:
    with pytest.raises(
        InvalidZip, match=r"^“1234” is not a ZIP code: enter 5 digits, like 20001\.$"
    ):
        parse_zip("1234")


def test_the_message_cannot_ping_anyone_or_grow_long() -> None:
    with pytest.raises(InvalidZip) as caught:
        parse_zip("@everyone " + "x" * 500)
    message = str(caught.value)
    assert "@everyone" not in message
    assert len(message) < 90


@pytest.mark.parametrize("text", ["", "   "])
def test_an_empty_zip_asks_for_one(text: str) -> None:
    with pytest.raises(InvalidZip, match="Please enter a ZIP code"):
        parse_zip(text)


@pytest.mark.parametrize("zip5", ["00000", "99999", "00100", "26900", "88700", "99951"])
def test_unassigned_zip_codes_are_not_in_use(zip5: str) -> None:
    assert state_for_zip_prefix(zip5) == ()
    with pytest.raises(InvalidZip, match=f"^{zip5} is not a ZIP code in use"):
        zip_states(zip5)


@pytest.mark.parametrize("zip5", ["09012", "34020", "96201"])
def test_military_zip_codes_ask_for_a_home_zip(zip5: str) -> None:
    assert state_for_zip_prefix(zip5) == ()
    with pytest.raises(InvalidZip, match="military"):
        zip_states(zip5)


def test_freely_associated_states_have_no_member_of_congress() -> None:
    with pytest.raises(InvalidZip, match="Palau, Micronesia or the Marshall Islands"):
        zip_states("96940")


@pytest.mark.parametrize(
    ("zip5", "state"),
    [
        ("20500", "DC"),  # the White House: not a ZCTA
        ("20515", "DC"),
        ("56901", "DC"),
        ("20101", "VA"),
        ("00501", "NY"),
        ("05501", "MA"),
        ("73301", "TX"),
        ("88510", "TX"),
        ("00901", "PR"),
        ("00802", "VI"),
        ("96910", "GU"),
        ("96950", "MP"),
        ("96799", "AS"),  # inside Hawaii's 967
        ("96813", "HI"),
        ("99501", "AK"),
        ("99950", "AK"),
        ("19901", "DE"),
        ("05401", "VT"),
        ("58102", "ND"),
        ("57104", "SD"),
        ("82001", "WY"),
    ],
)
def test_prefix_table(zip5: str, state: str) -> None:
    assert state_for_zip_prefix(zip5) == (state,)


def test_every_state_dc_and_territory_has_prefixes() -> None:
    found = {state for number in range(100_000) for state in state_for_zip_prefix(f"{number:05d}")}
    assert found == STATES | NON_STATES
    assert len(STATES) == 50


def test_state_for_zip_prefix_wants_five_digits() -> None:
    with pytest.raises(ValueError, match="5-digit"):
        state_for_zip_prefix("123")


@given(st.text(max_size=20))
def test_any_text_is_a_zip_or_a_friendly_error(text: str) -> None:
    try:
        zip5 = parse_zip(text)
    except InvalidZip as exc:
        assert str(exc)
    else:
        assert len(zip5) == 5 and zip5.isdigit()


@given(st.integers(0, 99_999), st.integers(0, 9_999))
def test_zip4_gives_the_same_zip(number: int, plus4: int) -> None:
    zip5 = f"{number:05d}"
    assert parse_zip(f"{zip5}-{plus4:04d}") == parse_zip(f"{zip5}{plus4:04d}") == zip5
