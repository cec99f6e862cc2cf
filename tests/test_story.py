from __future__ import annotations

import pytest

from dreamfactory_studio.core.errors import BadInput
from dreamfactory_studio.core.story import MAX_STORY_BYTES, decode_story, read_story, title_from


def test_unicode_stories_decode():
    for story in ["老渡船在雾中停下。", "كان القارب الأخير يعبر النهر.", "🚢 The ferry 🌫️ and the dog 🐕."]:
        assert decode_story(story.encode("utf-8")) == story
        assert decode_story(story.encode("utf-16")) == story
    assert decode_story("\ufeffHello\r\nworld\r".encode()) == "Hello\nworld\n"


@pytest.mark.parametrize(
    "data, words",
    [
        (b"\x00\x01binary", "binary"),
        (b"\xff\xd8\xff\xe0 not text \xc3", "UTF-8"),
        (b"ok \x07 bell", "control"),
    ],
)
def test_binary_data_is_refused(data, words):
    with pytest.raises(BadInput, match=words):
        decode_story(data)


def test_size_limit(tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("word " * (MAX_STORY_BYTES // 5 + 10))
    with pytest.raises(BadInput, match="limit is 256 KiB"):
        read_story(big)


def test_titles():
    assert title_from("The Robot Garden\n\nOnce upon a time.", "x") == "The Robot Garden"
    assert title_from("Once upon a time, a robot tended a garden.", "Robot Garden") == "Robot Garden"


def test_a_story_without_a_title_line_is_titled_from_its_first_words():
    assert title_from("Grandmother Lin has made paper lanterns in the same narrow shop for fifty years.") == (
        "Grandmother Lin has made paper lanterns"
    )
    assert (
        title_from("Every morning Mr. Abel Finch, the postman, climbs the alley.")
        == "Every morning Mr Abel Finch"
    )
    assert title_from("   ") == "Untitled"
    assert title_from("Once upon a time.", "Robot Garden") == "Robot Garden", "a given fallback wins"


def test_a_pasted_story_with_no_title_is_not_untitled(tmp_path):
    from dreamfactory_studio.core.new_project import new_project_from_text

    with new_project_from_text(
        "Nora is nine, with two black braids.\n\nShe mends clocks.", tmp_path / "p"
    ) as folder:
        assert folder.load().title == "Nora is nine"
