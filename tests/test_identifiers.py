"""IIN/BIN check digits and phone numbers."""

from __future__ import annotations

import pytest

from domain.identifiers import check_digit, is_valid_iin_or_bin, mask, normalize_phone


def test_check_digit_first_weights() -> None:
    # 9·1 + 0·2 + 0·3 + 1·4 + 0·5 + 1·6 + 3·7 + 0·8 + 0·9 + 1·10 + 2·11 = 72; 72 mod 11 = 6
    assert check_digit("90010130012") == 6


def test_check_digit_second_weights() -> None:
    # weights 1..11 give 76 mod 11 = 10, so weights 3..11,1,2 are used: 96 mod 11 = 8
    assert check_digit("85010140020") == 8


def test_no_check_digit_when_both_sums_give_ten() -> None:
    # 87 mod 11 = 10 and 98 mod 11 = 10: no 12th digit makes this number valid
    assert check_digit("85010140021") is None
    assert not any(is_valid_iin_or_bin(f"85010140021{d}") for d in range(10))


@pytest.mark.parametrize("number", ["900101300126", "850101400208", "040840001231", "900101 300 126"])
def test_valid_numbers(number: str) -> None:
    assert is_valid_iin_or_bin(number)


@pytest.mark.parametrize(
    "number",
    ["900101300125", "900101300127", "90010130012", "9001013001260", "90010130012a", "", "850101400218"],
)
def test_invalid_numbers(number: str) -> None:
    assert not is_valid_iin_or_bin(number)


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("+7 701 123 45 67", "+77011234567"),
        ("87011234567", "+77011234567"),
        ("+7(727)250-10-10", "+77272501010"),
        ("8 701 123-45-67", "+77011234567"),
    ],
)
def test_phone_numbers(typed: str, normal: str) -> None:
    assert normalize_phone(typed) == normal


@pytest.mark.parametrize("typed", ["+1 202 555 0100", "12345", "+7 701 123 45 6", "phone"])
def test_not_phone_numbers(typed: str) -> None:
    assert normalize_phone(typed) is None


def test_mask_for_logs() -> None:
    assert mask("900101300126") == "********0126"
