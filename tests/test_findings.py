from diffing.assess import CriterionRef, assess
from diffing.evidence import evidence_status
from diffing.vocabulary import Vocabulary

DPA = """# Data Processing Addendum

Last updated: March 3, 2026

## 7. Sub-processors

We use the sub-processors listed in Annex 3.

## § 9 Data location

Customer Data is hosted in Ireland. Logs are deleted after 30 days.

## 10. Audits

You may audit us once a year.

## 11. Governing law

French law applies.
"""

EU = CriterionRef("eu", "EU SaaS/managed", evidence=("Customer Data is hosted in Ireland",))
PRIVATE = CriterionRef("private", "Private cloud", watch=("United States",))
RETENTION = CriterionRef("retention", "Log retention", evidence=("Logs are deleted after 30 days",))
SUBPROCESSORS = CriterionRef("sub", "Sub-processors listed", watch=("sub-processor",))
TRAINING = CriterionRef("training", "No training on customer data: partial", watch=("train",))
CRITERIA = [EU, PRIVATE, RETENTION, SUBPROCESSORS, TRAINING]


def run(new, criteria=CRITERIA, **kwargs):
    return assess(DPA, new, criteria=criteria, document_label="DPA", **kwargs)


def kinds(assessment, criterion=None):
    return {f.kind for f in assessment.findings if criterion is None or f.criterion == criterion}


def test_vanished_evidence_quote_is_a_finding_for_its_criterion():
    result = run(DPA.replace("Customer Data is hosted in Ireland. ", ""))
    assert result.significance == "material"
    [finding] = [f for f in result.findings if f.kind == "evidence"]
    assert finding.criterion == "eu"
    assert "no longer found" in finding.detail
    assert finding.section == "§ 9 Data location"
    assert result.affected_criteria[0] == "eu"


def test_reworded_evidence_quote_is_fuzzy_and_a_finding():
    new = DPA.replace("Customer Data is hosted in Ireland.", "Customer Data will be hosted in Ireland by default.")
    assert evidence_status("Customer Data is hosted in Ireland", new) == "fuzzy"
    result = run(new)
    [finding] = [f for f in result.findings if f.kind == "evidence"]
    assert finding.criterion == "eu" and "reworded or moved" in finding.detail


def test_quote_already_missing_before_makes_no_new_finding():
    ghost = CriterionRef("ghost", "Ghost", evidence=("We never store anything anywhere at all",))
    result = run(DPA.replace("French law applies.", "Irish law applies."), criteria=[ghost])
    assert "evidence" not in kinds(result)


def test_inserted_watch_term_is_a_finding_quoting_the_change():
    result = run(DPA.replace("French law applies.", "French law applies. Sub processors may train on your data."))
    watch = [f for f in result.findings if f.kind == "watch"]
    assert {f.criterion for f in watch} == {"sub", "training"}
    assert any("inserted" in f.detail and "Sub processors" in f.detail for f in watch)
    assert all(f.section == "11. Governing law" for f in watch)


def test_watch_terms_tolerate_plurals_and_hyphenation():
    for spelling in ("sub-processor(s)", "Subprocessors", "sub processors", "sub-processor"):
        new = DPA.replace("French law applies.", f"French law applies. We may add {spelling}.")
        assert "watch" in kinds(run(new, criteria=[SUBPROCESSORS]), "sub"), spelling


def test_deleted_watch_term_is_a_finding():
    result = run(DPA.replace("We use the sub-processors listed in Annex 3.", "We use the vendors listed in Annex 3."))
    [finding] = [f for f in result.findings if f.kind == "watch"]
    assert finding.criterion == "sub" and "deleted" in finding.detail
    assert finding.section == "7. Sub-processors"


def test_changed_duration_is_material_and_tied_to_retention_criteria():
    result = run(DPA.replace("30 days", "90 days"))
    assert result.significance == "material"
    [quantity] = [f for f in result.findings if f.kind == "vocabulary"]
    assert quantity.detail == 'quantity changed: "30 days" → "90 days"'
    assert quantity.criterion == "retention"
    assert "retention" in result.affected_criteria


def test_country_added_to_data_location_sentence():
    result = run(DPA.replace("hosted in Ireland.", "hosted in Ireland, United States."))
    assert result.significance == "material"
    assert result.affected_criteria == ["eu", "private"]
    assert result.summary == (
        'DPA § 9 Data location: "Ireland" → "Ireland, United States" — may affect: EU SaaS/managed, Private cloud'
    )
    vocabulary = [f for f in result.findings if f.kind == "vocabulary"]
    assert vocabulary and all('inserted "United States"' in f.detail for f in vocabulary)


def test_removed_section_is_a_structure_finding():
    result = run(DPA.replace("## 10. Audits\n\nYou may audit us once a year.\n\n", ""), criteria=[])
    structure = [f for f in result.findings if f.kind == "structure"]
    assert [f.detail for f in structure] == ['section removed: "10. Audits"']
    assert result.summary.startswith("DPA 10. Audits: section removed")


def test_renamed_section_is_found_but_renumbering_is_not():
    renamed = run(DPA.replace("## 10. Audits", "## 10. Inspections"), criteria=[])
    assert any(f.kind == "structure" and "renamed" in f.detail for f in renamed.findings)
    renumbered = run(DPA.replace("## 10. Audits", "## 12. Audits"), criteria=[])
    assert "structure" not in kinds(renumbered)


def test_vocabulary_finding_without_matching_criterion_still_counts():
    result = run(DPA.replace("French law applies.", "French law applies. Disputes go to arbitration."), criteria=[])
    assert result.significance == "material"
    assert any(f.kind == "vocabulary" and f.criterion is None for f in result.findings)


def test_pronoun_us_is_not_the_united_states():
    result = run(DPA.replace("French law applies.", "French law applies. Write to us."), criteria=[])
    assert result.significance == "minor"


def test_vocabulary_from_config_adds_and_disables_themes():
    vocabulary = Vocabulary.from_config(
        {"disabled_themes": ["law"], "themes": {"ai_act": {"label": "EU AI Act", "terms": ["AI Act"]}}}
    )
    new = DPA.replace("French law applies.", "French law applies. The AI Act applies. Disputes go to arbitration.")
    result = run(new, criteria=[], vocabulary=vocabulary)
    details = [f.detail for f in result.findings]
    assert any(d.startswith("EU AI Act") for d in details)
    assert not any("governing law" in d for d in details)


def test_findings_serialise_to_json():
    result = run(DPA.replace("30 days", "90 days"))
    data = result.findings[0].to_json()
    assert set(data) >= {"kind", "criterion", "detail", "section"}


def test_each_profile_only_sees_its_own_criteria():
    new = DPA.replace("hosted in Ireland.", "hosted in Ireland, United States.")
    ops = None
    first = run(new, criteria=[TRAINING])
    second = run(new, criteria=[PRIVATE], ops=ops)
    assert first.affected_criteria == []
    assert second.affected_criteria == ["private"]


def test_evidence_is_found_in_a_text_with_a_dotted_capital_i_at_the_offsets_of_the_text():
    from diffing.evidence import TextIndex, locate

    text = "Sözleşme İstanbul'da yapılır. Customer data is stored in Ireland for thirty days. İİ end."
    index = TextIndex(text)
    assert len(index.lowered) == len(text)
    assert index.lowered == "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    found = locate("Customer data is stored in Ireland for thirty days.", text)
    assert found.status == "found" and text[found.offset:found.end] == "Customer data is stored in Ireland for thirty days."
