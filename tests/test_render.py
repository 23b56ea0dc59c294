from diffing.diff import word_diff
from diffing.render import hunks, render_html, render_terminal

OLD = (
    "# DPA\n\nIntro.\n\n## § 9 Data location\n\n"
    "We store all customer data in Ireland. " + "Filler sentence here. " * 30 + "\n\n"
    "## 10. Retention\n\nWe keep logs for 30 days.\n"
)
NEW = OLD.replace("in Ireland.", "in Ireland, United States.").replace("30 days", "90 days")


def test_terminal_without_color_marks_changes_and_names_their_section():
    text = render_terminal(word_diff(OLD, NEW), color=False, context=5)
    assert "@@ § 9 Data location @@" in text
    assert "in Ireland{+, United States+}." in text
    assert "@@ 10. Retention @@" in text
    assert "We keep logs for[- 30-]{+ 90+} days." in text
    assert "…" in text  # the filler after the first change is elided
    assert "Filler sentence here. " * 10 not in text


def test_terminal_colors_deletions_red_and_insertions_green():
    text = render_terminal(word_diff(OLD, NEW), context=5)
    assert "\x1b[31m 30\x1b[0m" in text
    assert "\x1b[32m 90\x1b[0m" in text


def test_close_changes_share_one_hunk_and_distant_ones_do_not():
    ops = word_diff(OLD, NEW)
    assert len(hunks(ops, context=5)) == 2
    assert len(hunks(ops, context=200)) == 1


def test_deleted_section_is_attributed_to_the_old_heading():
    old = "## 1. Scope\n\nScope text.\n\n## 2. Audits\n\nYou may audit us yearly.\n\n## 3. Law\n\nIrish law.\n"
    new = old.replace("## 2. Audits\n\nYou may audit us yearly.\n\n", "")
    [hunk] = hunks(word_diff(old, new))
    assert hunk.section == "2. Audits"


def test_html_escapes_script_in_inserted_deleted_and_unchanged_text():
    old = "Intro <b>bold</b>\n\n## <img src=x onerror=alert(1)>\n\nKeep <script>alert(1)</script> 30 days."
    new = old.replace("30 days.", "90 days. <script>steal()</script>")
    new = new.replace("Intro <b>bold</b>", "Intro")
    fragment = render_html(word_diff(old, new), context=40)
    assert "<script>" not in fragment
    assert "<img" not in fragment and "<b>" not in fragment
    assert "&lt;script&gt;steal()&lt;/script&gt;" in fragment
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in fragment
    assert "<ins>" in fragment and "<del>" in fragment


def test_terminal_neutralises_control_characters_from_the_document():
    old = "Keep logs for 30 days."
    new = "Keep logs for 90 days.\x1b[2J<script>x</script>"
    text = render_terminal(word_diff(old, new), color=False)
    assert "\x1b" not in text
    assert "<script>x</script>" in text  # a terminal shows it as text


def test_no_change_renders_nothing():
    assert render_terminal(word_diff("same", "same")) == ""
    assert "<del>" not in render_html(word_diff("same", "same"))
