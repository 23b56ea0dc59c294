"""Changes that read right: timestamps, paired quantities, governing law, link targets, table rows."""

from __future__ import annotations

from diffing.assess import CriterionRef, assess
from snapshots.extract import extract

POLICY = """# Privacy Policy

## 4. Audits

The customer may audit the provider once per year with 30 days notice.

## 12. Governing law

These terms are governed by French law.

Page generated 2026-12-01 07:22:10 UTC
"""


def run(old, new, criteria=()):
    return assess(old, new, criteria=criteria, document_label="Policy")


def test_a_per_request_timestamp_is_cosmetic_by_its_shape():
    result = run(POLICY, POLICY.replace("2026-12-01 07:22:10 UTC", "2026-12-02 19:03:57 UTC"))
    assert result.significance == "cosmetic" and not result.reported
    assert "timestamp" in result.summary


def test_a_clock_time_in_the_wording_is_not_a_timestamp():
    old = "# Support\n\nSupport is open from 09:00 to 17:00 CET.\n"
    assert run(old, old.replace("17:00", "18:00")).reported


def test_quantities_are_paired_by_their_unit_and_a_new_one_by_the_wording_it_replaced():
    new = POLICY.replace("once per year with 30 days notice", "once every two years with 60 days notice")
    result = run(POLICY, new)
    [finding] = [f for f in result.findings if f.theme == "quantity"]
    assert '"30 days" → "60 days"' in finding.detail
    assert '"once per year" → "once every two years"' in finding.detail
    assert '"30 days" → "two years"' not in result.summary
    assert result.summary.startswith('Policy 4. Audits: "30 days" → "60 days"; "once per year" → "once every two years"')


def test_french_law_to_irish_law_is_a_governing_law_finding_material_for_a_law_criterion():
    disputes = CriterionRef("disputes", "Disputes heard in an EU court", watch=("jurisdiction",))
    result = run(POLICY, POLICY.replace("French law", "Irish law"), criteria=[disputes])
    assert result.significance == "material"
    [finding] = [f for f in result.findings if f.kind == "vocabulary"]
    assert finding.theme == "law" and finding.criterion == "disputes"
    assert finding.section == "12. Governing law"


def page(subprocessors_href: str, help_href: str = "/help/billing") -> bytes:
    return f"""<html><body><main><h1>DPA</h1><h2>7. Sub-processors</h2>
<p>The current list is in the <a href="{subprocessors_href}">sub-processor list</a>. Billing questions:
see our <a href="{help_href}">billing article</a>.</p></main></body></html>""".encode()


URL = "https://example.com/legal/dpa"


def test_a_changed_link_target_is_a_finding_material_when_the_link_text_names_a_theme():
    sub = CriterionRef("sub", "Sub-processors are listed")
    old = extract(page("/legal/subprocessors"), url=URL).text
    new = extract(page("https://trust.example.com/subprocessors"), url=URL).text
    result = run(old, new, criteria=[sub])
    assert result.significance == "material"
    [finding] = result.findings
    assert finding.kind == "link" and finding.criterion == "sub" and finding.section == "7. Sub-processors"
    assert "https://trust.example.com/subprocessors" in finding.detail


def test_a_changed_link_target_without_a_theme_is_minor_with_a_finding():
    old = extract(page("/legal/subprocessors"), url=URL).text
    new = extract(page("/legal/subprocessors", "/help/invoices"), url=URL).text
    result = run(old, new)
    assert result.significance == "minor"
    assert [f.kind for f in result.findings] == ["link"]
    assert "billing article" in result.summary


def test_tracking_parameters_and_session_ids_in_link_targets_stay_invisible():
    old = extract(page("/legal/subprocessors?utm_source=mail&sessionid=a81f"), url=URL).text
    new = extract(page("/legal/subprocessors?utm_source=web&gclid=Cj0KCQiA4f8&sid=77d2"), url=URL).text
    assert old == new or not run(old, new).reported


SUBPROCESSORS = """# DPA

## Annex 3. Sub-processors

| Name | Purpose | Location |
| --- | --- | --- |
| Acme Cloud | hosting | Ireland |
| Mailer | email delivery | Germany |
"""


def test_a_subprocessor_table_gaining_a_row_is_a_material_finding_naming_the_row():
    new = SUBPROCESSORS + "| Persona | fraud detection | United States |\n"
    residency = CriterionRef("eu", "Data stays in the EU", watch=("hosted in",))
    result = run(SUBPROCESSORS, new, criteria=[residency])
    assert result.significance == "material"
    assert result.findings[0].detail == "added sub-processor: Persona (United States) — fraud detection"
    assert result.findings[0].criterion == "eu"
    assert "added sub-processor: Persona (United States) — fraud detection" in result.summary


def test_a_changed_location_cell_names_the_row_and_both_values():
    new = SUBPROCESSORS.replace("hosting | Ireland", "hosting | Ireland, United States")
    [finding] = run(SUBPROCESSORS, new).findings
    assert finding.detail == "location changed: Acme Cloud: Ireland → Ireland, United States"
    assert finding.theme == "location"


def test_a_name_purpose_location_list_is_diffed_by_row_too():
    old = "# Sub-processors\n\n- Acme Cloud — hosting — Ireland\n- Mailer — email delivery — Germany\n"
    html = lambda items: ("<html><body><main><h1>Sub-processors</h1><ul>" + "".join(f"<li>{i}</li>" for i in items)
                          + "</ul></main></body></html>").encode()
    items = ["Acme Cloud — hosting — Ireland", "Mailer — email delivery — Germany"]
    old = extract(html(items), url=URL).text
    new = extract(html(items + ["Persona — fraud detection — United States"]), url=URL).text
    result = run(old, new)
    assert result.significance == "material"
    assert result.findings[0].detail == "added sub-processor: Persona (United States) — fraud detection"


def test_row_hits_skip_finding_blocks_only_when_no_edit_could_be_inside_one(monkeypatch):
    """The shortcut (an edit inside a block starts on a row line on both sides) changes no result:
    every one-line edit of a document with a table and a row list, with and without it."""
    import random

    from diffing import rows
    from diffing.diff import word_diff
    from diffing.edits import find_edits
    from diffing.vocabulary import Vocabulary

    old = ("# DPA\n\nCustomer data is hosted in Ireland.\n\n" + SUBPROCESSORS
           + "\nProcessors we use:\n\n- Acme Cloud — hosting — Ireland\n- Mailer — email delivery — Germany\n\n"
           "We tell customers thirty days before a new sub-processor starts.\n")
    lines = old.split("\n")
    rng = random.Random(7)
    vocabulary = Vocabulary.default()
    changes = [(i, "") for i in range(len(lines))] + [(i, lines[i] + " extra") for i in range(len(lines))]
    changes += [(i, "| Persona | fraud detection | United States |") for i in range(len(lines))]
    changes += [(i, "- Persona — fraud detection — United States") for i in range(len(lines))]
    checked = 0
    for i, replacement in changes:
        new = "\n".join(lines[:i] + [replacement] + lines[i + 1:] if rng.random() < 0.5
                        else lines[:i + 1] + [replacement] + lines[i + 1:])
        edits = find_edits(word_diff(old, new), old, new)
        fast = rows.row_hits(old, new, edits, vocabulary)
        with monkeypatch.context() as m:
            m.setattr(rows, "_row_line_at", lambda text, offset: True)
            assert rows.row_hits(old, new, edits, vocabulary) == fast, (i, replacement)
        checked += bool(fast[0])
    assert checked >= 10  # the edits inside the blocks gave hits both ways
