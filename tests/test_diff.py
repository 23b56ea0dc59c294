import random
import time

import pytest

from diffing.diff import DELETE, EQUAL, INSERT, diff_stats, new_text, old_text, tokenize, word_diff


def assert_round_trip(old, new):
    ops = word_diff(old, new)
    assert old_text(ops) == old
    assert new_text(ops) == new
    assert all(text for _, text in ops)
    assert all(a[0] != b[0] for a, b in zip(ops, ops[1:]))
    return ops


def test_tokens_join_back_to_the_text():
    text = "Hello,  world!\n\n| a | b |\n- item 😀"
    assert "".join(tokenize(text)) == text


def test_one_replaced_word_is_one_delete_and_one_insert():
    ops = assert_round_trip("We keep logs for 30 days.", "We keep logs for 90 days.")
    assert ops == [(EQUAL, "We keep logs for"), (DELETE, " 30"), (INSERT, " 90"), (EQUAL, " days.")]


def test_diff_is_minimal_on_a_small_example():
    ops = assert_round_trip("the cat sat on the mat.", "the dog sat on a mat!")
    assert [(op, text) for op, text in ops if op != EQUAL] == [
        (DELETE, " cat"),
        (INSERT, " dog"),
        (DELETE, " the"),
        (INSERT, " a"),
        (DELETE, "."),
        (INSERT, "!"),
    ]
    assert diff_stats(ops) == (2, 2)


def test_inserted_comma_is_a_pure_insertion():
    ops = assert_round_trip("data in Ireland and France", "data in Ireland, and France")
    assert ops == [(EQUAL, "data in Ireland"), (INSERT, ","), (EQUAL, " and France")]
    assert diff_stats(ops) == (0, 0)


def test_equal_and_empty_texts():
    assert word_diff("", "") == []
    assert word_diff("same", "same") == [(EQUAL, "same")]
    assert word_diff("", "new text") == [(INSERT, "new text")]
    assert word_diff("old text", "") == [(DELETE, "old text")]


def test_round_trip_with_characters_beyond_the_basic_plane():
    assert_round_trip("Data 😀 stays in 𝔈𝔘 regions.\n", "Data 😁 stays in 𝔈𝔘 and 🇺🇸 regions.\n")


def test_round_trip_with_more_than_sixty_thousand_distinct_tokens():
    old = " ".join(f"w{i}" for i in range(70_000))
    new = old.replace(" w500 ", " changed ").replace(" w69000 ", " 😀 ") + " tail"
    ops = assert_round_trip(old, new)
    assert diff_stats(ops) == (2, 2)  # "changed", "tail"; an emoji is not a word


def test_round_trip_of_random_multiline_edits():
    rng = random.Random(7)
    vocabulary = ["data", "the", "EU", "30", "days", ".", ",", "\n", "\n\n", "- ", "| x |", "😀"]
    for _ in range(200):
        old = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(0, 60)))
        words = old.split(" ")
        for _ in range(rng.randint(1, 5)):
            words.insert(rng.randint(0, len(words)), rng.choice(vocabulary))
            if words:
                words.pop(rng.randrange(len(words)))
        assert_round_trip(old, " ".join(words))


def test_large_rewrite_is_fast_and_reproducible():
    rng = random.Random(1)
    vocabulary = [f"w{i}" for i in range(5000)] + "the of and data processing personal".split() * 200
    lines = lambda: "\n\n".join(  # noqa: E731
        " ".join(rng.choice(vocabulary) for _ in range(60)) for _ in range(500)
    )
    old, new = lines(), lines()
    assert len(old) > 150_000
    start = time.perf_counter()
    ops = assert_round_trip(old, new)
    elapsed = time.perf_counter() - start
    assert ops == word_diff(old, new)
    assert elapsed < 2.0  # ~0.2 s measured; generous for a shared machine


@pytest.mark.parametrize("text", ["a", " ", "\n", "x\n", "\n\nx", "a  b\t\nc"])
def test_round_trip_of_whitespace_edges(text):
    assert_round_trip(text, text + " y")
    assert_round_trip("y " + text, text)
