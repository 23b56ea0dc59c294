import pytest

from diffing.assess import assess
from diffing.diff import word_diff

DOC = """# Privacy Policy

Last updated: March 3, 2026

## 4. Retention

We keep account data while your account is open and delete logs after 30 days.

## 5. Contact

Write to privacy@example.com.

© 2025 Example SAS
"""


def run(new, **kwargs):
    return assess(DOC, new, criteria=(), document_label="Privacy Policy", **kwargs)


@pytest.mark.parametrize(
    "new",
    [
        DOC.replace("March 3, 2026", "April 9, 2026"),
        DOC.replace("Last updated: March 3, 2026", "Last updated: 2026-04-09"),
        DOC.replace("© 2025", "© 2026"),
    ],
    ids=["last-updated", "iso-date", "copyright-year"],
)
def test_date_only_edit_is_cosmetic_and_not_reported(new):
    result = run(new)
    assert result.significance == "cosmetic"
    assert not result.reported
    assert result.summary == "Privacy Policy: date-only edit"
    assert result.findings == []


def test_case_and_punctuation_only_is_cosmetic():
    new = DOC.replace("We keep account data", "we keep Account Data").replace("30 days.", "30 days;")
    result = run(new)
    assert result.significance == "cosmetic"
    assert "punctuation, case or formatting only" in result.summary


def test_markdown_formatting_only_is_cosmetic():
    assert run(DOC.replace("We keep account data", "We keep **account data**")).significance == "cosmetic"


def test_ignore_regex_makes_a_change_cosmetic():
    old = DOC + "\nSession: 8f2a\n"
    new = DOC + "\nSession: 91bc\n"
    result = assess(old, new, criteria=(), document_label="P", ignore=[r"Session: \w+"])
    assert result.significance == "cosmetic"
    assert assess(old, new, criteria=(), document_label="P").significance != "cosmetic"


def test_changed_duration_is_material_not_a_date():
    result = run(DOC.replace("30 days", "90 days"))
    assert result.significance == "material"
    assert result.reported
    assert '"30 days" → "90 days"' in result.summary


def test_changed_breach_notification_hours_is_material():
    old = DOC.replace("Write to", "We notify breaches within 72 hours. Write to")
    new = old.replace("72 hours", "48 hours")
    assert assess(old, new, criteria=(), document_label="P").significance == "material"


def test_date_inside_a_sentence_of_substance_is_not_cosmetic():
    old = DOC.replace("Write to", "This policy replaces the one of 1 January 2024. Write to")
    new = old.replace("1 January 2024", "1 June 2025")
    assert assess(old, new, criteria=(), document_label="P").significance == "minor"


def test_wording_change_without_finding_is_minor_with_section_and_counts():
    result = run(DOC.replace("while your account is open", "while your account remains open"))
    assert result.significance == "minor"
    assert result.reported
    assert result.summary == "Privacy Policy: wording changed in 4. Retention (+1/−1 words)"
    assert (result.added_words, result.removed_words) == (1, 1)


def test_date_edit_together_with_a_real_change_is_reported():
    new = DOC.replace("March 3, 2026", "April 9, 2026").replace("30 days", "60 days")
    result = run(new)
    assert result.significance == "material"
    assert "date" not in result.summary


def test_precomputed_ops_give_the_same_assessment():
    new = DOC.replace("30 days", "90 days")
    assert run(new, ops=word_diff(DOC, new)) == run(new)


def test_a_copyright_footer_line_vanishing_is_cosmetic():
    old = DOC + "\nMeta © 2026\n"
    result = assess(old, DOC, criteria=(), document_label="P")
    assert result.significance == "cosmetic" and not result.reported


def test_a_sentence_after_a_copyright_line_is_not_cosmetic():
    old = DOC + "\n© 2026 Example\n"
    new = DOC + "\n© 2026 Example. We may sell your data to partners.\n"
    assert assess(old, new, criteria=(), document_label="P").reported


def test_the_title_repeated_above_itself_is_cosmetic_but_another_line_is_not():
    titled = "# Privacy & Terms\n\nWe keep data for 30 days.\n"
    assert assess("Privacy & Terms\n\n" + titled, titled, criteria=(), document_label="P").significance == "cosmetic"
    assert assess("EU privacy policy\n\n" + titled, titled, criteria=(), document_label="P").reported


def test_a_link_about_copyright_is_not_a_copyright_notice():
    new = DOC + "\n- DMCA copyright policy\n"
    assert assess(DOC, new, criteria=(), document_label="P").reported


def test_the_undated_word_bound_never_exceeds_the_words_left_once_dates_are_stripped():
    import random

    from diffing.textkey import match_key, strip_dates, undated_words_at_least

    pieces = ["5", "March", "2026", "of", "de", "Jan.", "updated", "date", "dated", "over", "a", "few", "weeks",
              "ago", "today", "this", "week", "1st", "2026-03-05", "05/03/26", "März", "ſeptember", "Policy",
              "the", "sub_processor", "x_2026", "2026_x", "data", "–", "2025-2026", "(c)", "retain", "YEARS",
              "more", "than", "an", "hour", "déc.", "12:00", "º", "1º"]
    rng = random.Random(5)
    lines = [" ".join(rng.choice(pieces) for _ in range(rng.randint(0, 14))) for _ in range(3000)]
    lines += ["Last updated 5 March 2026 by the privacy team of Example Ltd in Dublin, Ireland",
              "We retain logs for 30 days and delete them within a few weeks after the end of the contract."]
    for line in lines:
        left = len(match_key(strip_dates(line)).replace("date", "").split())
        assert undated_words_at_least(line) <= left, line
    assert undated_words_at_least(lines[-1]) > 6  # a sentence is told from a dateline without the date pattern
